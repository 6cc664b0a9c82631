"""The timeline: every event with its time, the delta, the size and why reading stopped;
or, switched to turns, who spoke in each turn of the conversation, when and how much.

Rows come from core.timeline and core.turns (the same rows the CLI prints); every cell
is Content, and the detail column, which may quote server text, goes through the
sanitiser. A dialogue step's outcome (an INFO event) is coloured by how it went.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rich.text import Text
from textual.content import Content
from textual.widgets import DataTable

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

# Event names that deserve a colour of their own.
_EVENT_STYLE = {"send": "$text-primary", "recv": "$text-success", "error": ERROR_STYLE}
_WHO_STYLE = {"you": "$text-primary", "peer": "$text-success"}
_SIDE_STYLE = {"client": "$text-primary", "server": "$text-success"}
_DETAIL_LIMIT = 300
# Bytes of each turn quoted in the turns view: enough to recognise the line.
_PREVIEW = 48
# Room a live table's detail column keeps beyond its widest cell: a stream's coalesced
# rows ("2,902 recv() calls · 173,870,027 bytes not kept") widen digit by digit, and a
# row wider than the column rebuilds the table.
_LIVE_ROOM = 12


class Timeline(DataTable[object]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.turns_view = False
        # The exchange shown as events, and how many of its events are rows: a live
        # exchange's events only grow, so a redraw adds the rows of the new ones.
        self._events_of: Exchange | None = None
        self._rows_shown = 0
        self.rebuilt = 0  # how many times every row was built afresh

    def show(self, exchange: Exchange | None, *, live: bool = False) -> None:
        if not (exchange is not None and self._append(exchange)):
            self._rebuild(exchange, room=_LIVE_ROOM if live else 0)
        if live:  # follow the newest row while the exchange runs
            self.move_cursor(row=self.row_count - 1, animate=False)

    def _append(self, exchange: Exchange) -> bool:
        """Add the rows of the events new since the last show; False when the table
        must be built afresh instead (another exchange, the turns view, a stop row, or
        a new detail wider than its column)."""
        shown = self._rows_shown
        if (
            exchange is not self._events_of
            or shown == 0  # the detail column's width then came from no row at all
            or self.turns_view
            or exchange.stop is not None
            or len(exchange.events) < shown
        ):
            return False
        if len(exchange.events) == shown:
            return True
        # Each row's delta is from the event before it: start one event earlier.
        earlier = max(shown - 1, 0)
        rows = self._event_rows(replace(exchange, events=exchange.events[earlier:]))
        rows = rows[shown - earlier :]
        detail = self.columns.get("detail")  # type: ignore[call-overload]
        if detail is None or any(row[-1].cell_length > detail.width for row in rows):
            return False
        self.add_rows(rows)
        self._rows_shown = len(exchange.events)
        return True

    def _rebuild(self, exchange: Exchange | None, room: int = 0) -> None:
        self.rebuilt += 1
        if self.turns_view:
            columns = (("turn", "turn", 5), ("who", "who", 5), ("t", "t", 9), ("bytes", "size", 11))
            rows = self._turn_rows(exchange) if exchange is not None else []
            self._events_of = None
        else:
            columns = (
                ("t", "t", 9),
                ("Δ", "delta", 9),
                ("event", "event", 8),
                ("bytes", "size", 9),
            )
            rows = self._event_rows(exchange) if exchange is not None else []
            self._events_of = exchange
            self._rows_shown = 0 if exchange is None else len(exchange.events)
        # Fixed widths for the short columns so a live table does not jump; the detail
        # column as wide as its widest cell (DataTable does not measure Content cells).
        detail = max((row[-1].cell_length for row in rows), default=6) + room
        self.clear(columns=True)
        for label, key, width in (*columns, ("detail", "detail", detail)):
            # Our own words; a rich Text, as DataTable's labels are typed (never markup).
            self.add_column(Text(label), key=key, width=width)
        self.add_rows(rows)

    def _event_rows(self, exchange: Exchange) -> list[Sequence[Content]]:
        rows: list[Sequence[Content]] = []
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
        if exchange.stop is not None:
            stop = f"{exchange.stop.value}: {exchange.stop_message}"
            rows.append(
                (
                    plain(""),
                    plain(""),
                    plain("stop", KEY_STYLE),
                    plain(""),
                    safe(stop, limit=_DETAIL_LIMIT, one_line=True),
                )
            )
        return rows

    def _turn_rows(self, exchange: Exchange) -> list[Sequence[Content]]:
        said = {turn.number: turn for turn in turns(exchange.events)}
        rows: list[Sequence[Content]] = []
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
