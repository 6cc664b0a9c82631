"""Find in the explorer: the find bar's query searched in the received bytes, the matches
highlighted in Received and in Decoded (while it shows those bytes), the current one
brought into view. The rules are core/find.py's; this holds the state between keys.

The bytes of the part the Headers cursor is on (`link`) are highlighted the same way.

A large capture is searched in a thread, so the screen keeps drawing and taking keys;
a newer query or capture makes the older search's result be dropped when it arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sockscope.core.find import Matches, find_all, query_bytes
from sockscope.core.http.head import Span
from sockscope.tui.widgets.byte_view import ByteRows, LineView, Marks
from sockscope.tui.widgets.find_bar import FindBar

if TYPE_CHECKING:
    from textual.app import App

    from sockscope.core.find import FindMode

# Captures up to this size are searched at once: a few milliseconds at most.
SEARCH_AT_ONCE = 1024 * 1024


class Finder:
    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.rows = ByteRows(b"")  # what was searched: the received bytes and their rows
        self.matches: Matches | None = None
        self.index: int | None = None
        self._query: tuple[str, FindMode] | None = None
        self._generation = 0  # which search a thread's result answers
        self.linked: Span | None = None

    @property
    def bar(self) -> FindBar:
        return self.app.query_one(FindBar)

    def _views(self) -> list[tuple[LineView, bool]]:
        """Received, and Decoded: whether each shows the searched bytes on their rows
        (Decoded does not while it shows a decoded body, or UTF-16 rows)."""
        received = self.app.query_one("#received-view", LineView)
        decoded = self.app.query_one("#decoded-view", LineView)
        return [(received, True), (decoded, getattr(decoded.lines, "rows", None) is self.rows)]

    def open(self) -> None:
        self.bar.open("Received")

    def show_capture(self, rows: ByteRows) -> None:
        """The explorer shows other bytes (or more of them): search them again."""
        if rows is self.rows and len(rows.data) == len(self.rows.data) and self.matches:
            return
        if rows.data is not self.rows.data:
            self.linked = None  # another exchange's parts
        self.rows = rows
        if self._query is not None and self.bar.is_open:
            self.search(*self._query)

    def search(self, query: str, mode: FindMode) -> None:
        self._query = (query, mode)
        self._generation += 1
        try:
            needle = query_bytes(query, mode)
        except ValueError as exc:
            self._found(None, str(exc))
            return
        if not needle:
            self._found(None, "")
            return
        data = self.rows.data
        if len(data) <= SEARCH_AT_ONCE:
            self._found(find_all(data, needle))
            return
        generation = self._generation
        self.bar.show_position("searching…")

        def run() -> None:
            matches = find_all(data, needle)
            self.app.call_from_thread(self._arrived, generation, matches)

        self.app.run_worker(run, thread=True, group="find", exclusive=True)

    def _arrived(self, generation: int, matches: Matches) -> None:
        if generation == self._generation and self.bar.is_open:
            self._found(matches)

    def _found(self, matches: Matches | None, problem: str = "") -> None:
        self.matches = matches
        self.index = None
        if matches is None:
            self.bar.show_position(problem, error=bool(problem))
            self._mark()
            return
        self.go(matches.next_index(-1))

    def step(self, forward: bool) -> None:
        matches = self.matches
        if matches is None or not matches.offsets:
            return
        if self.index is None:
            self.go(0 if forward else len(matches) - 1)
        else:
            self.go((self.index + (1 if forward else -1)) % len(matches))

    def go(self, index: int | None) -> None:
        """Make match `index` the current one: shown, highlighted, counted."""
        self.index = index
        matches = self.matches
        assert matches is not None
        self.bar.show_position(matches.position(index))
        self._mark()
        if index is None:
            return
        row = self.rows.row_of(matches.span(index)[0])
        for view, same_rows in self._views():
            if same_rows:
                view.center_on(row)

    def link(self, span: Span | None) -> None:
        """Highlight `span` (a part's bytes) and bring its first row into view."""
        self.linked = span
        self._mark()
        if span is not None:
            row = self.rows.row_of(span[0])
            for view, same_rows in self._views():
                if same_rows:
                    view.center_on(row)

    def _mark(self) -> None:
        current = None
        if self.matches is not None and self.index is not None:
            current = self.matches.span(self.index)
        marks = None
        if self.matches or self.linked:
            marks = Marks(self.matches or None, current, self.linked)
        for view, same_rows in self._views():
            view.set_marks(marks if same_rows else None)

    def selected(self) -> Span | None:
        """The bytes a copy takes: the current match, else the linked part; None for
        neither (a copy then takes the whole pane)."""
        if self.matches is not None and self.index is not None:
            return self.matches.span(self.index)
        return self.linked

    def close(self) -> None:
        self.matches = None
        self.index = None
        self._query = None
        self._generation += 1
        self._mark()
        self.app.query_one("#received-view", LineView).focus()
