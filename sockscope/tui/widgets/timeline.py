"""The timeline: every event with its time, the delta, the size and why reading stopped;
or, switched to turns, who spoke in each turn of the conversation, when and how much.

Rows come from core.timeline and core.turns (the same rows the CLI prints); every cell
is Content, and the detail column, which may quote server text, goes through the
sanitiser. A dialogue step's outcome (an INFO event) is coloured by how it went.

It is a `LineView` (the line API): a row is made from its event only when it is drawn,
and the widest detail is measured between frames, so an exchange of a million events
opens as fast as one of ten; while an exchange streams, a redraw counts its new events
as rows. The column titles stay on the first line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.segment import Segment
from textual import events, on
from textual.content import Content
from textual.strip import Strip

from sockscope.core.model import Event, EventType, Exchange
from sockscope.core.steps import STEP_KEY
from sockscope.core.timeline import event_detail, timeline_row
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
# Rows whose detail is measured between two frames: a few milliseconds' work.
MEASURED_PER_STEP = 16_384


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
    """The titles, then `count` rows, each made by `row(i)` when it is drawn, then the
    stop row if any. The widest detail (the scrollbar's reach) is measured by
    `detail_width(i)` a block of rows at a time, between frames (`grow`): a table of a
    million events opens as fast as one of ten."""

    def __init__(
        self,
        columns: Sequence[tuple[str, int]],
        row: Callable[[int], Row],
        detail_width: Callable[[int], int],
        count: int,
    ) -> None:
        self.columns = columns
        self.row = row
        self.detail_width = detail_width
        self.count = count
        self.stop: Row | None = None
        self.title = _laid_out([plain(label) for label, _ in columns], columns)
        # Every column but the detail, each with its space on either side.
        self._fixed = sum(width + 2 for _, width in columns[:-1]) + 2
        self._measured = 0
        self.width = self.title.cell_length
        self.grow()

    @classmethod
    def of_rows(cls, columns: Sequence[tuple[str, int]], rows: Sequence[Row]) -> TableLines:
        """A table of rows made already (a few: turns)."""
        return cls(columns, rows.__getitem__, lambda i: rows[i][-1].cell_length, len(rows))

    def extend(self, count: int) -> None:
        """The source grew to `count` rows (a live exchange's new events)."""
        self.count = count
        self.grow()

    def end_with(self, stop: Row | None) -> None:
        self.stop = stop
        if stop is not None:
            self.width = max(self.width, self._fixed + stop[-1].cell_length)

    @property
    def pending(self) -> bool:
        return self._measured < self.count

    def grow(self) -> bool:
        end = min(self.count, self._measured + MEASURED_PER_STEP)
        if end > self._measured:
            widest = max(map(self.detail_width, range(self._measured, end)))
            self.width = max(self.width, self._fixed + widest)
            self._measured = end
        return self.pending

    def __len__(self) -> int:
        return 1 + self.count + (self.stop is not None)

    def cells(self, y: int) -> Row:
        """Row `y`'s cells (not counting the titles)."""
        if y == self.count and self.stop is not None:
            return self.stop
        if not 0 <= y < self.count:
            raise IndexError(y)
        return self.row(y)

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
        self._table = _event_table([], 0)
        # The exchange shown as events: a live exchange's events only grow, so a redraw
        # counts the new ones as rows.
        self._events_of: Exchange | None = None
        self.rebuilt = 0  # how many times the table was made afresh
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
        """Count the events new since the last show as rows; False when the table must
        be made afresh instead (another exchange, the turns view)."""
        if exchange is not self._events_of or self.turns_view:
            return False
        if len(exchange.events) < self._table.count:
            return False
        self._table.extend(len(exchange.events))
        return True

    def _rebuild(self, exchange: Exchange | None) -> None:
        self.rebuilt += 1
        if self.turns_view:
            rows = self._turn_rows(exchange) if exchange is not None else []
            self._table = TableLines.of_rows(_TURN_COLUMNS, rows)
            self._events_of = None
        else:
            events = exchange.events if exchange is not None else []
            self._table = _event_table(events, len(events))
            self._events_of = exchange

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


def _event_table(recorded: Sequence[Event], count: int) -> TableLines:
    """The first `count` events of `recorded` as rows, each made when it is drawn."""

    def row(i: int) -> Row:
        event = recorded[i]
        cells = timeline_row(event, recorded[i - 1].t if i else 0.0)
        return (
            plain(cells.t, TABLE_DIM_STYLE),
            plain(cells.delta, TABLE_DIM_STYLE),
            plain(cells.event, _EVENT_STYLE.get(cells.event, "")),
            plain(f"{cells.size:>9}"),
            _detail_cell(event, cells.detail),
        )

    def detail_width(i: int) -> int:
        event = recorded[i]
        text = event_detail(event)
        # Most rows of a long table (one recv() each) have no detail: nothing to lay out.
        return _detail_cell(event, text).cell_length if text or event.direction else 0

    return TableLines(_EVENT_COLUMNS, row, detail_width, count)


def _detail_cell(event: Event, text: str) -> Content:
    style = ""
    step = event.detail.get(STEP_KEY) if event.type is EventType.INFO else None
    if isinstance(step, dict):
        style = OK_STYLE if step.get("ok") is True else ERROR_STYLE
    detail = safe(text, style, limit=_DETAIL_LIMIT, one_line=True)
    if event.direction is not None:  # a relay's: whose side the event is on
        side = event.direction.value
        detail = Content.assemble(plain(f"{side:<7}", _SIDE_STYLE[side]), detail)
    return detail
