"""A small modal that asks where to write a file, and writes it there.

The writer runs when the path is confirmed, and only on a regular file or none yet
(tui.writable); if it fails, its message is shown in place (sanitised: it may quote a
transcript's text) and the typed path is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, plain, safe
from sockscope.tui.widgets.filled_input import FilledInput
from sockscope.tui.writable import refuse_unless_regular

# Writes to the path; returns None when done, else one sentence saying what went wrong.
Writer = Callable[[str], str | None]


class PathScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="path.cancel"),
    ]

    def __init__(self, title: str, path: str, write: Writer, *, id: str) -> None:
        super().__init__(id=id)
        self._title = title
        self._path = path
        self._write = write

    def compose(self) -> ComposeResult:
        with Vertical(id="path-body") as body:
            body.border_title = self._title
            body.border_subtitle = "enter writes · escape cancels"
            # The suggested name is selected: typing replaces it, an arrow key keeps it.
            yield FilledInput(self._path, id="path-input", compact=True)
            yield Static(
                plain("a path; relative to the current directory", DIM_STYLE), id="path-message"
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = self.query_one("#path-input", FilledInput).true_of(event.value).strip()
        problem = "give a file name" if not path else _refusal(path) or self._write(path)
        if problem is None:
            self.dismiss(path)
            return
        self.app.bell()
        self.query_one("#path-message", Static).update(
            safe(problem, ERROR_STYLE, 400, one_line=True)
        )


def _refusal(path: str) -> str | None:
    try:
        refuse_unless_regular(path)
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror}"
    return None
