"""The sequence diagram of the shown exchange, and the Python code beside the wire.

Both panes draw text built by pure functions (core/diagram_text.py, export's
python_script) and mark the rows of the current event, so playback moves the mark as
it goes. Their text is our own words plus sanitised labels; it still reaches the view
as Content through `safe`.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.content import Content

from sockscope.core.diagram import Diagram, Kind, Row, diagram, listened
from sockscope.core.diagram_text import WIDTH, render_lines
from sockscope.core.model import Exchange
from sockscope.export.python_script import Script, python_script
from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, KEY_STYLE, plain, safe
from sockscope.tui.widgets.byte_view import Lines, LineView, NoLines
from sockscope.tui.widgets.panes import Pane

MARK_STYLE = "reverse bold"
_SENT_STYLE, _RECEIVED_STYLE = "$text-primary", "$text-success"
_KIND_STYLE = {Kind.RST: ERROR_STYLE, Kind.FIN: DIM_STYLE, Kind.NOTE: DIM_STYLE}
# Columns below which the diagram scrolls sideways instead (its lifelines 20 apart): a
# narrower pane (80x24) shortens the labels, with "…", rather than cut the header and the
# server's lifeline at its edge.
_NARROWEST = 34


def marked_rows(d: Diagram, current: int | None) -> set[int]:
    """The rows the current event drew, or failing that the last rows before it (a turn's
    arrow stands for all its events)."""
    if current is None:
        return set()
    before = [row.event for row in d.rows if row.event <= current]
    if not before:
        return set()
    last = max(before)
    return {index for index, row in enumerate(d.rows) if row.event == last}


def _style(row: Row) -> str:
    if row.kind in _KIND_STYLE:
        return _KIND_STYLE[row.kind]
    if row.kind is Kind.DATA:
        return _SENT_STYLE if row.from_client else _RECEIVED_STYLE
    return KEY_STYLE  # the handshakes


def scroll_into_view(view: LineView, y: int, *, laid_out: bool = False) -> None:
    """Scroll `view` so that row `y` is on screen, near the middle when it was not; a
    view not laid out yet (a screen just opened) scrolls once it is."""
    top, height = round(view.scroll_y), view.size.height
    if not height:
        if not laid_out:
            view.call_after_refresh(scroll_into_view, view, y, laid_out=True)
        return
    if not top <= y < top + height - 1:
        view.scroll_to(y=max(y - height // 2, 0), animate=False, immediate=True)


class DiagramPane(Pane):
    """The diagram; `by_turn` draws an arrow per turn, `to_scale` spaces rows by time."""

    def __init__(self, title: str = "Diagram", *, id: str = "diagram-pane") -> None:
        super().__init__(title, id=id)
        self.by_turn = False
        self.to_scale = False
        self._exchange: Exchange | None = None
        self._current: int | None = None

    def compose(self) -> ComposeResult:
        yield LineView(id=f"{self.id}-view")

    def show(self, exchange: Exchange | None, current: int | None = None) -> None:
        self._exchange, self._current = exchange, current
        view = self.query_one(LineView)
        if exchange is None:
            view.show(NoLines("no exchange yet"))
            return
        d = diagram(exchange, by_turn=self.by_turn, to_scale=self.to_scale)
        marked = marked_rows(d, current)
        width = view.size.width - view.styles.scrollbar_size_vertical if view.size.width else 0
        lines: list[tuple[str, str]] = []  # (text, style), made Content when drawn
        first_marked: int | None = None
        for row, text in render_lines(d, max(width, _NARROWEST) if width else WIDTH):
            if row is None:
                lines.append((text, DIM_STYLE))
            else:
                if row in marked and first_marked is None:
                    first_marked = len(lines)
                lines.append((text, MARK_STYLE if row in marked else _style(d.rows[row])))
        view.show(_StyledLines(lines), follow=True)
        if first_marked is not None:
            scroll_into_view(view, first_marked)
        kind = "turns" if self.by_turn else "events"
        self.set_badge(f"{len(d.rows)} arrows · {kind}{' · to scale' if self.to_scale else ''}")

    def toggle_turns(self) -> None:
        self.by_turn = not self.by_turn
        self.show(self._exchange, self._current)

    def toggle_scale(self) -> None:
        self.to_scale = not self.to_scale
        self.show(self._exchange, self._current)

    def on_resize(self) -> None:
        if self._exchange is not None:
            self.show(self._exchange, self._current)


class _StyledLines(Lines):
    """Lines of text, each in one style, formatted as they are drawn."""

    def __init__(self, lines: Sequence[tuple[str, str]]) -> None:
        self._lines = lines
        self.width = max((len(text) for text, _ in lines), default=0)

    def __len__(self) -> int:
        return len(self._lines)

    def line(self, y: int) -> Content:
        text, style = self._lines[y]
        return safe(text, style)


class _ScriptLines(Lines):
    """The script's lines numbered, formatted as they are drawn: a long payload makes a
    script of many thousand lines."""

    def __init__(self, lines: Sequence[str], marked: int | None) -> None:
        self._lines = lines
        self._marked = marked
        self.width = 6 + max((len(text) for text in lines), default=0)

    def __len__(self) -> int:
        return len(self._lines)

    def line(self, y: int) -> Content:
        mark = y == self._marked
        gutter = plain(f"{'▶' if mark else ' '}{y + 1:>4} ", DIM_STYLE)
        return gutter + safe(self._lines[y], MARK_STYLE if mark else "")


class CodePane(Pane):
    """The exported Python script, the line that made the current event marked."""

    def __init__(self, title: str = "Code", *, id: str = "code-pane") -> None:
        super().__init__(title, id=id)
        self._script: tuple[Exchange, Script] | None = None

    def compose(self) -> ComposeResult:
        yield LineView(id=f"{self.id}-view")

    def show(self, exchange: Exchange, current: int | None = None) -> None:
        """`exchange` is the whole recording: the script replays all of it, whatever
        playback has shown so far."""
        view = self.query_one(LineView)
        if listened(exchange):
            view.show(NoLines("sockscope was the server here: the client's program is its own"))
            self.set_badge("")
            return
        if self._script is None or self._script[0] is not exchange:
            self._script = (exchange, python_script(exchange))
        script = self._script[1]
        line = script.line_of_event.get(current) if current is not None else None
        view.show(_ScriptLines(script.lines, line))
        if line is not None:
            scroll_into_view(view, line)
        self.set_badge("" if line is None else f"line {line + 1}")
