"""Find in the explorer: the find bar's query searched in the bytes of the pane it was
opened over (Received unless Sent or Decoded had the focus), the matches highlighted in
every view that shows those bytes, the current one brought into view. The rules are
core/find.py's; this holds the state between keys.

The bytes of the part the Headers cursor is on (`link`) are received bytes: they are
highlighted the same way in every view that shows those, whatever the find searches.

A large capture is searched in a thread, so the screen keeps drawing and taking keys;
a newer query or capture makes the older search's result be dropped when it arrives.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sockscope.core.find import Matches, find_all, query_bytes
from sockscope.core.http.head import Span
from sockscope.tui.widgets.byte_view import ByteRows, LineView, Marks
from sockscope.tui.widgets.find_bar import FindBar
from sockscope.tui.widgets.panes import DecodedPane, Pane, SentPane

if TYPE_CHECKING:
    from textual.app import App

    from sockscope.core.find import FindMode

# Captures up to this size are searched at once: a few milliseconds at most.
SEARCH_AT_ONCE = 1024 * 1024


class Where(StrEnum):
    """The pane a find searches: the one focused when the bar opened."""

    RECEIVED = "received"
    SENT = "sent"
    DECODED = "decoded"


class Finder:
    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.where = Where.RECEIVED
        self.received: bytes | memoryview = b""  # the received bytes shown
        self.data: bytes | memoryview = b""  # the bytes searched
        self.matches: Matches | None = None
        self.index: int | None = None
        self._query: tuple[str, FindMode] | None = None
        self._generation = 0  # which search a thread's result answers
        self.linked: Span | None = None
        # Where the current match started when the bar closed, and a step (forward or
        # back) from there that n / N asked for, to take once the search reopened answers.
        self._left = -1
        self._resume: tuple[bool, int] | None = None
        self._capture: ByteRows | None = None  # the received rows shown
        self._pending = False  # a search runs in a worker

    @property
    def bar(self) -> FindBar:
        return self.app.query_one(FindBar)

    def _view(self) -> LineView:
        """The view of the pane searched."""
        return self.app.query_one(f"#{self.where}", Pane).query_one(LineView)

    def _views(self) -> list[LineView]:
        return list(self.app.query_one("#views").query(LineView))

    def _source(self) -> tuple[bytes | memoryview, str]:
        """The bytes the find searches, and the name the bar gives them."""
        if self.where is Where.SENT:
            return self.app.query_one(SentPane).data, "Sent"
        if self.where is Where.DECODED:
            decoded = self.app.query_one(DecodedPane)
            data = decoded.shown_bytes
            if decoded.shows_body:
                return data, "Decoded body"
            if data is not self.received:
                return data, "Decoded"  # a telnet conversation's text
        return self.received, "Received"

    def focused_where(self) -> Where:
        """The pane a find searches: Sent or Decoded when it holds the focus, else
        Received."""
        if self.app.query_one(SentPane).has_focus_within:
            return Where.SENT
        if self.app.query_one(DecodedPane).has_focus_within:
            return Where.DECODED
        return Where.RECEIVED

    def open(self, where: Where, *, focus: bool = True) -> None:
        if where is not self.where:
            self._left = -1
        self.where = where
        data, name = self._source()
        self.bar.open(name, self._view(), focus=focus)
        if self._query is None and self.bar.query_text:
            # Reopened: the query the bar still holds is searched again.
            self.data = data
            self.search(self.bar.query_text, self.bar.mode)
        elif data is not self.data:
            self.refresh()

    def show_capture(self, rows: ByteRows) -> None:
        """The explorer shows other received bytes, or more of them (a live capture
        grows in the same ByteRows)."""
        grown = rows is self._capture and rows.data is not self.received
        if rows is not self._capture:
            self.linked = None  # another exchange's parts
        self._capture = rows
        self.received = rows.data
        self.refresh(grown=grown)

    def refresh(self, *, grown: bool = False) -> None:
        """The panes show other bytes: search what the bar searches again; bytes that
        grew (a live capture) are searched from where the last search ended."""
        data, name = self._source()
        if self.bar.is_open:
            self.bar.search_in(name)
        if data is self.data and self.matches is not None:
            self._mark()
            return
        if grown and data is self.received and self._query is not None:
            searched, self.data = len(self.data), data
            if self._pending or self.matches is None:
                return  # a search on its way is extended when it answers
            self._found(self.matches.extended(data, searched), keep=True)
            return
        self.data = data
        if self._query is not None and self.bar.is_open:
            self.search(*self._query)
        else:
            self._mark()

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
        data = self.data
        self._pending = False
        if len(data) <= SEARCH_AT_ONCE:
            self._found(find_all(data, needle))
            return
        generation = self._generation
        self._pending = True
        self.bar.show_position("searching…")

        def run() -> None:
            matches = find_all(data, needle)
            self.app.call_from_thread(self._arrived, generation, matches, len(data))

        self.app.run_worker(run, thread=True, group="find", exclusive=True)

    def _arrived(self, generation: int, matches: Matches, searched: int) -> None:
        if generation == self._generation and self.bar.is_open:
            self._pending = False
            # The capture may have grown meanwhile: the rest is searched here.
            self._found(matches.extended(self.data, searched))

    def _found(self, matches: Matches | None, problem: str = "", *, keep: bool = False) -> None:
        """Show `matches` of the searched bytes; with `keep` (more of a live capture),
        the current match stays current rather than the first becoming it."""
        index = self.index if keep else None
        self.matches = matches
        self.index = None
        if keep and matches is not None and index is not None:
            self.index = index
            self.bar.show_position(matches.position(index))
            self._mark()
            return
        resume, self._resume = self._resume, None
        if matches is None:
            self.bar.show_position(problem, error=bool(problem))
            self._mark()
            return
        if resume is None:
            self.go(matches.next_index(-1))
        else:
            forward, offset = resume
            self.go(matches.next_index(offset) if forward else matches.previous_index(offset))

    def step(self, forward: bool) -> None:
        if not self.bar.is_open:
            # n / N after escape, as in less: the last query again, from where it was left,
            # the focus staying in the pane so that the next n steps on.
            if self.bar.query_text:
                self._resume = (forward, self._left)
                self.open(self.focused_where(), focus=False)
            return
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
        if index is not None:
            self._bring_into_view(self.data, matches.span(index)[0])

    def link(self, span: Span | None, *, scroll: bool = True) -> None:
        """Highlight `span` (a part's received bytes) and, with `scroll`, bring its first
        row into view (not when the user chose it in Received, which stays where it is)."""
        self.linked = span
        self._mark()
        if span is not None and scroll:
            self._bring_into_view(self.received, span[0])

    def _bring_into_view(self, data: bytes | memoryview, offset: int) -> None:
        for view in self._views():
            if view.lines.shows(data):
                row = view.lines.row_of(offset)
                if row is not None:
                    view.center_on(row)

    def _mark(self) -> None:
        """Each view that shows the searched bytes highlights the matches; each that
        shows the received bytes, the linked part."""
        matches = self.matches or None
        current = None
        if matches is not None and self.index is not None:
            current = matches.span(self.index)
        for view in self._views():
            found = matches is not None and view.lines.shows(self.data)
            linked = self.linked if view.lines.shows(self.received) else None
            if found or linked is not None:
                view.set_marks(
                    Marks(matches if found else None, current if found else None, linked)
                )
            elif view.lines.marks is not None:
                view.set_marks(None)

    def selected(self) -> bytes | None:
        """The bytes a copy takes: the current match, else the linked part; None for
        neither (a copy then takes the whole pane)."""
        if self.matches is not None and self.index is not None:
            start, end = self.matches.span(self.index)
            return bytes(self.data[start:end])
        if self.linked is not None:
            return bytes(self.received[self.linked[0] : self.linked[1]])
        return None

    def close(self) -> None:
        if self.matches is not None and self.index is not None:
            self._left = self.matches.span(self.index)[0]
        self.matches = None
        self.index = None
        self._query = None
        self._pending = False
        self._generation += 1
        self._mark()
