"""The timeline: every event with its time, the delta, the size and why reading stopped;
or, switched to turns, who spoke in each turn of the conversation, when and how much.

Rows come from core.timeline and core.turns (the same rows the CLI prints); every cell
is Content, and the detail column, which may quote server text, goes through the
sanitiser. A dialogue step's outcome (an INFO event) is coloured by how it went.

It is a `LineView` (the line API): a row is laid out only when it is drawn, and while an
exchange streams a redraw adds the rows of its new events, so a redraw costs the same
with ten rows as with ten thousand. The column titles stay on the first line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from rich.segment import Segment
from textual import events, on
from textual.content import Content
from textual.strip import Strip

from sockscope.core.model import EventType, Exchange
from sockscope.core.steps import STEP_KEY
from sockscope.core.timeline import timeline_rows
from sockscope.core.turns import turn_rows, turns
from sockscope.core.views import repr_line
from sockscope.tui.content import (
    ERROR_STYLE,
    KEY_STYLE,
    OK_STYLE,
    TABLE_DIM_STYLE,
    plain,
    safe,
)
from sockscope.tui.widgets.byte_view import Lines, LineView

# Event names that deserve a colour of their own.
_EVENT_STYLE = {"send": "$text-primary", "recv": "$text-success", "error": ERROR_STYLE}
_WHO_STYLE = {"you": "$text-primary", "peer": "$text-success"}
_SIDE_STYLE = {"client": "$text-primary", "server": "$text-success"}
_DETAIL_LIMIT = 300
# Bytes of each turn quoted in the turns view: enough to recognise the line.
_PREVIEW = 48


_EVENT_COLUMNS = (("t", 9), ("Δ", 9), ("event", 8), ("bytes", 9), ("detail", 0))
_TURN_COLUMNS = (("turn", 5), ("who", 5), ("t", 9), ("bytes", 11), ("detail", 0))

Row = Sequence[Content]


def _laid_out(cells: Row, columns: Sequence[tuple[str, int]]) -> Content:
    """One line of cells, each padded (or cut) to its column's width with a space on
    either side; the last column, the detail, as wide as it is."""
    fitted = [
        cell.truncate(width, pad=True) if width else cell
        for cell, (_, width) in zip(cells, columns, strict=True)
    ]
    return Content("").join(cell.pad(1, 1) for cell in fitted)


class TableLines(Lines):
    """The titles, then the rows (each laid out when drawn), then the stop row if any."""

    def __init__(self, columns: Sequence[tuple[str, int]], rows: list[Row]) -> None:
        self.columns = columns
        self.rows = rows
        self.stop: Row | None = None
        self.title = _laid_out([plain(label) for label, _ in columns], columns)
        self.width = max(self._width(rows), self.title.cell_length)

    def _width(self, rows: Sequence[Row]) -> int:
        fixed = sum(width + 2 for _, width in self.columns[:-1])
        return max((fixed + 2 + row[-1].cell_length for row in rows), default=0)

    def extend(self, rows: Sequence[Row]) -> None:
        self.rows.extend(rows)
        self.width = max(self.width, self._width(rows))

    def end_with(self, stop: Row | None) -> None:
        self.stop = stop
        self.width = max(self.width, self._width([stop] if stop else []))

    def __len__(self) -> int:
        return 1 + len(self.rows) + (self.stop is not None)

    def cells(self, y: int) -> Row:
        """Row `y`'s cells (not counting the titles)."""
        if y == len(self.rows) and self.stop is not None:
            return self.stop
        return self.rows[y]

    def line(self, y: int) -> Content:
        return self.title if y == 0 else _laid_out(self.cells(y - 1), self.columns)


class Timeline(LineView):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"timeline--title"}
    DEFAULT_CSS = """
    Timeline > .timeline--title { background: $panel; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.turns_view = False
        self._table = TableLines(_EVENT_COLUMNS, [])
        # The exchange shown as events, and how many of its events are rows: a live
        # exchange's events only grow, so a redraw adds the rows of the new ones.
        self._events_of: Exchange | None = None
        self._rows_shown = 0
        self.rebuilt = 0  # how many times every row was built afresh
        self._end_owed = False  # the end was to be shown while the view had no size

    @property
    def row_count(self) -> int:
        return len(self._table) - 1

    def get_row_at(self, y: int) -> Row:
        return self._table.cells(y)

    def show(self, exchange: Exchange | None, *, live: bool = False) -> None:  # type: ignore[override]
        switched = self._table.columns is not (_TURN_COLUMNS if self.turns_view else _EVENT_COLUMNS)
        if not (exchange is not None and self._append(exchange)):
            self._rebuild(exchange)
        if exchange is not None and not self.turns_view:
            self._table.end_with(self._stop_row(exchange))
        if switched and self.turns_view:
            self.follow()  # switched to turns: they open at the last one
        # While the exchange runs, follow the newest row (unless scrolled up to read);
        # turns show the last one.
        follow = live or self.turns_view
        super().show(self._table, follow=follow)
        # A tab not in front (80x24) cannot scroll: it goes to the end once shown.
        self._end_owed = follow and not self.size.height

    @on(events.Resize)
    def _catch_up(self) -> None:
        if self._end_owed and self.following and self.size.height:
            self._end_owed = False
            self.scroll_end(animate=False, immediate=False, x_axis=False)

    def _append(self, exchange: Exchange) -> bool:
        """Add the rows of the events new since the last show; False when the rows
        must be built afresh instead (another exchange, the turns view)."""
        shown = self._rows_shown
        if exchange is not self._events_of or self.turns_view or len(exchange.events) < shown:
            return False
        if len(exchange.events) > shown:
            # Each row's delta is from the event before it: start one event earlier.
            earlier = max(shown - 1, 0)
            rows = self._event_rows(replace(exchange, events=exchange.events[earlier:]))
            self._table.extend(rows[shown - earlier :])
            self._rows_shown = len(exchange.events)
        return True

    def _rebuild(self, exchange: Exchange | None) -> None:
        self.rebuilt += 1
        if self.turns_view:
            rows = self._turn_rows(exchange) if exchange is not None else []
            self._table = TableLines(_TURN_COLUMNS, rows)
            self._events_of = None
        else:
            rows = self._event_rows(exchange) if exchange is not None else []
            self._table = TableLines(_EVENT_COLUMNS, rows)
            self._events_of = exchange
            self._rows_shown = len(rows)

    def render_line(self, y: int) -> Strip:
        if y:
            return super().render_line(y)
        # The titles: the first line whatever the vertical scroll.
        scroll_x = int(self.scroll_x)
        width = self.scrollable_content_region.width
        style = self.get_component_rich_style("timeline--title")
        titles = Strip(Segment.apply_style(self.strip_of(self._table.title), post_style=style))
        return titles.crop_extend(scroll_x, scroll_x + width, style)

    @staticmethod
    def _event_rows(exchange: Exchange) -> list[Row]:
        rows: list[Row] = []
        for event, row in zip(exchange.events, timeline_rows(exchange), strict=True):
            style = ""
            step = event.detail.get(STEP_KEY) if event.type is EventType.INFO else None
            if isinstance(step, dict):
                style = OK_STYLE if step.get("ok") is True else ERROR_STYLE
            detail = safe(row.detail, style, limit=_DETAIL_LIMIT, one_line=True)
            if event.direction is not None:  # a relay's: whose side the event is on
                side = event.direction.value
                detail = Content.assemble(plain(f"{side:<7}", _SIDE_STYLE[side]), detail)
            rows.append(
                (
                    plain(row.t, TABLE_DIM_STYLE),
                    plain(row.delta, TABLE_DIM_STYLE),
                    plain(row.event, _EVENT_STYLE.get(row.event, "")),
                    plain(f"{row.size:>9}"),
                    detail,
                )
            )
        return rows

    @staticmethod
    def _stop_row(exchange: Exchange) -> Row | None:
        if exchange.stop is None:
            return None
        stop = f"{exchange.stop.value}: {exchange.stop_message}"
        return (
            plain(""),
            plain(""),
            plain("stop", KEY_STYLE),
            plain(""),
            safe(stop, limit=_DETAIL_LIMIT, one_line=True),
        )

    @staticmethod
    def _turn_rows(exchange: Exchange) -> list[Row]:
        said = {turn.number: turn for turn in turns(exchange.events)}
        rows: list[Row] = []
        for row in turn_rows(exchange):
            turn = said[int(row.turn)]
            data = turn.request if row.who == "you" else turn.reply
            # repr of the first bytes: printable ASCII whatever the server sent.
            preview = repr_line(data[:_PREVIEW]) + (" …" if len(data) > _PREVIEW else "")
            detail = Content.assemble(
                safe(preview, limit=_DETAIL_LIMIT, one_line=True),
                safe(f"  {row.detail}" if row.detail else "", TABLE_DIM_STYLE, one_line=True),
            )
            rows.append(
                (
                    plain(f"{row.turn:>4}", KEY_STYLE),
                    plain(row.who, _WHO_STYLE.get(row.who, "")),
                    plain(row.t, TABLE_DIM_STYLE),
                    plain(f"{row.size:>11}"),
                    detail,
                )
            )
        return rows
