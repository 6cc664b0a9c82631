"""What `sockscope send` adds for a class: the sequence diagram after the report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sockscope.cli.output import new_console
from sockscope.cli.report import heading
from sockscope.cli.styled import Text
from sockscope.core.diagram import diagram
from sockscope.core.diagram_text import WIDTH, render_text
from sockscope.core.model import Exchange

if TYPE_CHECKING:
    from sockscope.cli.output import Printer


def print_diagram(
    exchange: Exchange,
    console: Printer | None = None,
    *,
    by_turn: bool = False,
    to_scale: bool = False,
) -> None:
    console = console or new_console()
    # A narrower terminal gets a narrower diagram; a pipe gets the 80 columns a page has.
    width = min(console.width, WIDTH) if console.is_terminal else WIDTH
    heading(console, "Diagram")
    drawn = diagram(exchange, by_turn=by_turn, to_scale=to_scale)
    for line in render_text(drawn, width):  # labels are sanitised in core
        console.print(Text(line, no_wrap=True))
