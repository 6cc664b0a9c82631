"""The timeline: every event with its time, the delta, the size and why reading stopped.

Rows come from core.timeline (the same rows the CLI prints); every cell is Content,
and the detail column, which may quote server text, goes through the sanitiser.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import DataTable

from sockscope.core.model import Exchange
from sockscope.core.timeline import timeline_rows
from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, KEY_STYLE, plain, safe

# Event names that deserve a colour of their own.
_EVENT_STYLE = {"send": "$text-primary", "recv": "$text-success", "error": ERROR_STYLE}
_DETAIL_LIMIT = 300


class Timeline(DataTable[object]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)

    def show(self, exchange: Exchange | None, *, live: bool = False) -> None:
        rows: list[tuple[Content, ...]] = []
        if exchange is not None:
            for row in timeline_rows(exchange):
                rows.append(
                    (
                        plain(row.t, DIM_STYLE),
                        plain(row.delta, DIM_STYLE),
                        plain(row.event, _EVENT_STYLE.get(row.event, "")),
                        plain(f"{row.size:>9}"),
                        safe(row.detail, limit=_DETAIL_LIMIT, one_line=True),
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
        # Fixed widths for the short columns so a live table does not jump; the detail
        # column as wide as its widest cell (DataTable does not measure Content cells).
        detail = max((row[-1].cell_length for row in rows), default=6)
        self.clear(columns=True)
        for label, key, width in (
            ("t", "t", 9),
            ("Δ", "delta", 9),
            ("event", "event", 8),
            ("bytes", "size", 9),
            ("detail", "detail", detail),
        ):
            self.add_column(plain(label), key=key, width=width)
        self.add_rows(rows)
        if live:  # follow the newest event while the exchange runs
            self.move_cursor(row=self.row_count - 1, animate=False)
