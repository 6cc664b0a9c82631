"""The find bar: a query, how it is read (text, text with escapes, hex), and `k of N`.

It only collects the query and the user's steps; the app searches (core/find.py) and
says where the search stands with `show_position`.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from sockscope.core.find import FindMode
from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, plain, safe
from sockscope.tui.widgets.filled_input import FilledInput


class FindBar(Horizontal):
    """Opened by ctrl+f over the panes: Enter finds the next match, shift+Enter (or up)
    the previous one, ctrl+t changes how the query is read, escape closes the bar."""

    DEFAULT_CSS = """
    FindBar {
        display: none;
        height: 1;
        &.-open { display: block; }
        #find-mode { width: auto; padding: 0 1; }
        #find-input { width: 1fr; min-width: 12; border: none; height: 1; padding: 0; }
        /* A problem with the query is one line, cut with an ellipsis: the query stays in view. */
        #find-position {
            width: auto; max-width: 35%; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("shift+enter,up", "step(False)", "Previous", show=False),
        Binding("down", "step(True)", "Next", show=False),
        Binding("ctrl+t", "cycle_mode", "Text/escapes/hex", show=False),
        Binding("escape", "close", "Close", show=False),
    ]

    class Changed(Message):
        """The query or its mode changed: search again."""

        def __init__(self, query: str, mode: FindMode) -> None:
            super().__init__()
            self.query = query
            self.mode = mode

    class Step(Message):
        """Go to the next (forward) or previous match."""

        def __init__(self, forward: bool) -> None:
            super().__init__()
            self.forward = forward

    class Closed(Message):
        """The bar was closed: the highlights go."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = FindMode.TEXT
        self.where = ""  # the pane searched, as the label names it
        self._back: Widget | None = None

    def compose(self) -> ComposeResult:
        yield Static(plain(f"find ({self.mode})", DIM_STYLE), id="find-mode")
        yield FilledInput(placeholder="text to find · ctrl+t: text, escapes, hex", id="find-input")
        yield Static("", id="find-position")

    @property
    def query_text(self) -> str:
        return self.query_one("#find-input", FilledInput).true_value

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self, where: str, back: Widget, *, focus: bool = True) -> None:
        """Show the bar (searching `where`, a pane's name, whose view `back` gets the
        focus when the bar closes) and, with `focus`, put the cursor in it."""
        self._back = back
        self.add_class("-open")
        self.where = where
        self._label()
        if focus:  # at once: the keys typed right after ctrl+f are the query
            self.screen.set_focus(self.query_one("#find-input", FilledInput))

    def search_in(self, where: str) -> None:
        """The bar searches another pane's bytes (or the same pane shows others)."""
        if where != self.where:
            self.where = where
            self._label()

    def _label(self) -> None:
        self.query_one("#find-mode", Static).update(
            plain(f"find in {self.where} ({self.mode})", DIM_STYLE)
        )

    def show_position(self, text: str, *, error: bool = False) -> None:
        """`3 of 12`, `no matches`, or what is wrong with the query (it may quote it)."""
        style = ERROR_STYLE if error else ""
        self.query_one("#find-position", Static).update(safe(text, style, 200, one_line=True))

    @on(Input.Changed, "#find-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.query_text, self.mode))

    @on(Input.Submitted, "#find-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Step(True))

    def action_step(self, forward: bool) -> None:
        self.post_message(self.Step(forward))

    def action_cycle_mode(self) -> None:
        self.mode = self.mode.next()
        self._label()
        self.post_message(self.Changed(self.query_text, self.mode))

    def action_close(self) -> None:
        self.remove_class("-open")
        if self._back is not None:
            # At once, before Closed goes round: n typed right after escape steps there.
            self.screen.set_focus(self._back)
        self.post_message(self.Closed())
