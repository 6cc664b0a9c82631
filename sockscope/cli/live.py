"""What `send` shows while the exchange runs, when a person is watching a terminal.

Each timeline row is printed as its event happens, each received line under its row,
so a slow server is seen answering instead of a blank screen; the whole report follows
at the end as always. A transfer into a file (`-o`, `--capture-file`) gets a progress
line on stderr instead (bytes, rate, elapsed), as curl's meter. The engine calls
`event` on its own thread; Rich's console and progress take their own locks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sockscope.cli.output import new_console
from sockscope.cli.report import row_text, segments_text
from sockscope.cli.styled import Text
from sockscope.core.model import Event, EventType
from sockscope.core.timeline import timeline_row
from sockscope.core.views import decoded_lines, human_bytes

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

# Received text shown live, in all: past it only the rows go on (the report has it all).
LIVE_TEXT = 8192
# Rows of received data shown live: a fast stream makes twenty a second.
LIVE_RECV_ROWS = 200


class LiveView:
    def __init__(self, encoding: str, *, lines: bool, progress: bool) -> None:
        """`lines`: timeline rows and received text on stdout; `progress`: the transfer
        meter on stderr."""
        self.encoding = encoding
        self.console = new_console() if lines else None
        self._previous = 0.0
        self._text_left = LIVE_TEXT
        self._recv_rows = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._received = 0
        if progress:
            self._progress, self._task = _meter()

    def __enter__(self) -> LiveView:
        if self._progress is not None:
            self._progress.start()
        if self.console is not None:
            self.console.print(Text("Live", style="bold cyan").append("  as it happens", "dim"))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self.console is not None:
            self.console.print()

    def event(self, event: Event) -> None:
        if event.type is EventType.RECV:
            self._received += event.size
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, completed=self._received)
        console = self.console
        if console is None:
            return
        row = timeline_row(event, self._previous)
        self._previous = event.t
        if event.type is EventType.RECV:
            self._recv_rows += 1
            if self._recv_rows > LIVE_RECV_ROWS:
                if self._recv_rows == LIVE_RECV_ROWS + 1:
                    console.print(Text("  … more data: the report below has it all", "dim"))
                return
        console.print(row_text(row))
        if event.type is EventType.RECV:
            self._text(bytes(event.data))

    def _text(self, data: bytes) -> None:
        assert self.console is not None
        if self._text_left <= 0 or not data:
            return
        shown = data[: self._text_left]
        self._text_left -= len(shown)
        for line in decoded_lines(shown, self.encoding):
            self.console.print(Text("  ┆ ", "dim").append_text(segments_text(line)))
        if len(shown) < len(data):
            more = human_bytes(len(data) - len(shown))
            self.console.print(Text(f"  ┆ … {more} more: the report below has them", "dim"))


def _meter() -> tuple[Progress, TaskID]:
    from rich.console import Console
    from rich.progress import (
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )

    progress = Progress(
        TextColumn("received"),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True, highlight=False, markup=False, emoji=False),
    )
    return progress, progress.add_task("received", total=None)
