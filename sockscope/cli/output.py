"""Where the command line's text leaves for the terminal, sanitised on the way out.

Messages name files, paths, arguments and template names, and reports quote servers:
none of that was written by sockscope, so no line reaches stdout or stderr without the
display sanitiser. `say` and `warn` print one message, `print_json` one JSON document;
`new_console` is the Rich console of every report, and it sanitises each piece of text
it renders as its last step, so a string that reached a `Text` unsanitised is still
shown as tokens.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from sockscope.core.json_stream import json_pieces
from sockscope.core.sanitize import sanitize

if TYPE_CHECKING:
    from rich.console import Console

ROWS_PER_WRITE = 1024
T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (the last may be shorter); itertools has it from 3.12."""
    it = iter(items)
    while block := list(islice(it, size)):
        yield block


def say(text: str) -> None:
    """One message on stdout, sanitised."""
    print(sanitize(text))


def warn(text: str) -> None:
    """One message on stderr, sanitised."""
    print(sanitize(text), file=sys.stderr)


def print_json(doc: Any) -> None:
    """`doc` as one line of JSON on stdout, written a piece at a time (its bytes may be
    hundreds of MiB of base64). ASCII-only JSON escapes every control character, DEL
    included, and everything past ASCII, so no string can act on a terminal."""
    write = sys.stdout.write
    for piece in json_pieces(doc):
        write(piece)
    write("\n")
    sys.stdout.flush()


def print_rows(console: Console, rows: Iterable[str], indent: str = "  ") -> None:
    """Unstyled rows, each after `indent`, on `console`'s file, sanitised, a block at a
    time past Rich's rendering (megabytes of hex rows took Rich seconds). Rich would
    print them the same: the report's console never wraps or styles plain text."""
    file = console.file
    glue = "\n" + indent
    for block in batched(rows, ROWS_PER_WRITE):
        file.write(sanitize(indent + glue.join(block)) + "\n")
    file.flush()


def new_console() -> Console:
    """The console for reports: no markup, highlighting or emoji, every text sanitised."""
    # Rich is loaded only by a command that prints a report.
    from rich.console import (
        Console,
        ConsoleOptions,
        ConsoleRenderable,
        RenderableType,
        RenderHook,
        RenderResult,
    )
    from rich.segment import Segment

    class Sanitised:
        """A renderable's segments with their text through the sanitiser; Rich's own
        control segments (cursor moves it makes) and the styles pass as they are."""

        def __init__(self, renderable: RenderableType) -> None:
            self.renderable = renderable

        def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
            for segment in console.render(self.renderable, options):
                if segment.control:
                    yield segment
                else:
                    yield Segment(sanitize(segment.text), segment.style)

    class Sanitiser(RenderHook):
        def process_renderables(
            self, renderables: list[ConsoleRenderable]
        ) -> list[ConsoleRenderable]:
            return [Sanitised(renderable) for renderable in renderables]

    console = Console(highlight=False, markup=False, emoji=False, soft_wrap=True)
    console.push_render_hook(Sanitiser())
    return console
