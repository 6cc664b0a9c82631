"""A report's lines: styled by Rich at a terminal, the same characters into a pipe, where
the plain printer writes them without loading Rich."""

from __future__ import annotations

import io

from rich.console import Console

from sockscope.cli.output import PlainPrinter
from sockscope.cli.report import heading, safe


def test_a_report_at_a_terminal_keeps_its_styles_and_into_a_pipe_has_the_same_text() -> None:
    styled = io.StringIO()
    console = Console(file=styled, force_terminal=True, color_system="standard", width=100)
    plain = io.StringIO()
    for printer in (console, PlainPrinter(plain)):
        heading(printer, "Received", "12 bytes")
        printer.print(safe("bell\x07 and\ttab", "bold"))
    assert "\x1b[1;36mReceived" in styled.getvalue()  # the heading's bold cyan
    assert "\x1b[1;7m␇" in styled.getvalue()  # a token in reverse video, in the bold line
    assert plain.getvalue() == "Received  12 bytes\nbell␇ and␉tab\n"  # one line: tab a token
