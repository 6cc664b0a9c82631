"""Where the command line's text leaves for the terminal, sanitised on the way out.

Messages name files, paths, arguments and template names, and reports quote servers:
none of that was written by sockscope, so no line reaches stdout or stderr without the
display sanitiser. `say` and `warn` print one message, `print_json` one JSON document;
`new_console` is the printer of every report, and it sanitises each piece of text it
prints as its last step, so a string that reached a `Text` unsanitised is still shown
as tokens.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from itertools import islice

from sockscope.core.sanitize import sanitize, sanitize_line

# Start-up is most of a short command: `typing` is not loaded just for annotations
# (type checkers take any TYPE_CHECKING as True).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any, Protocol, TextIO, TypeVar

    from rich.console import Console

    from sockscope.cli.styled import Text

    class Printer(Protocol):
        """What a report prints on: a Rich `Console`, or the plain printer below."""

        @property
        def is_terminal(self) -> bool: ...

        @property
        def width(self) -> int: ...

        @property
        def file(self) -> IO[str]: ...

        @property
        def color_system(self) -> str | None: ...

        def print(self, *lines: Text) -> None: ...

    T = TypeVar("T")

ROWS_PER_WRITE = 1024


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (the last may be shorter); itertools has it from 3.12."""
    it = iter(items)
    while block := list(islice(it, size)):
        yield block


def say(text: str) -> None:
    """One message on stdout, sanitised."""
    print(sanitize(text))


def warn(text: str) -> None:
    """One message on stderr, sanitised, on one line: a newline in a name it quotes is a
    token, not a forged line of its own."""
    print(sanitize_line(text), file=sys.stderr)


def print_json(doc: Any) -> None:
    """`doc` as one line of JSON on stdout, written a piece at a time (its bytes may be
    hundreds of MiB of base64). ASCII-only JSON escapes every control character, DEL
    included, and everything past ASCII, so no string can act on a terminal."""
    # The JSON encoder is loaded by the commands that print JSON only.
    from sockscope.core.json_stream import json_pieces

    write = sys.stdout.write
    for piece in json_pieces(doc):
        write(piece)
    write("\n")
    sys.stdout.flush()


def print_rows(console: Printer, rows: Iterable[str], indent: str = "  ") -> None:
    """Unstyled rows, each after `indent`, on `console`'s file, sanitised, a block at a
    time past Rich's rendering (megabytes of hex rows took Rich seconds). Rich would
    print them the same: the report's console never wraps or styles plain text."""
    file = console.file
    glue = "\n" + indent
    for block in batched(rows, ROWS_PER_WRITE):
        file.write(sanitize(indent + glue.join(block)) + "\n")
    file.flush()


def new_console() -> Printer:
    """The printer for reports: Rich's console where styles can show (a terminal, or
    FORCE_COLOR / TTY_COMPATIBLE for Rich to weigh), else a plain one that writes the
    same text without loading Rich."""
    if sys.stdout.isatty() or any(name in os.environ for name in ("FORCE_COLOR", "TTY_COMPATIBLE")):
        return _rich_console()
    return PlainPrinter(sys.stdout)


class PlainPrinter:
    """Each `Text`'s characters, sanitised, a line per call, as Rich prints them where
    there are no styles to show: soft-wrapped (no line is cut), tabs expanded."""

    is_terminal = False
    width = 80
    color_system = None

    def __init__(self, stream: TextIO) -> None:
        self.file = stream

    def print(self, *lines: Text) -> None:
        text = " ".join(line.plain for line in lines).expandtabs(8)
        self.file.write(sanitize(text) + "\n")
        # As Rich does: a long-running command (listen, relay) shows each line at once.
        self.file.flush()


def _rich_console() -> Console:
    """Rich's console with no markup, highlighting or emoji, every text sanitised."""
    # Rich is loaded only where its styles show.
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
    if console.width <= 0:  # COLUMNS=0 in the environment: Rich printed every line empty
        console.width = PlainPrinter.width
    console.push_render_hook(Sanitiser())
    return console
