"""The status line: state, bytes out and in, timings, and the error in a plain sentence."""

from __future__ import annotations

from enum import StrEnum

from textual.content import Content
from textual.widgets import Static

from sockscope.core.model import Exchange
from sockscope.core.timeline import timings_summary
from sockscope.core.views import human_bytes
from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, OK_STYLE, WARNING_STYLE, plain, safe


class State(StrEnum):
    READY = "ready"
    CONNECTING = "connecting"
    RECEIVING = "receiving"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


_STATE_STYLE = {
    State.READY: "bold $text-muted",
    State.CONNECTING: "bold $text-primary",
    State.RECEIVING: "bold $text-primary",
    State.DONE: f"bold {OK_STYLE}",
    State.FAILED: f"bold {ERROR_STYLE}",
    State.CANCELLED: f"bold {WARNING_STYLE}",
}


class StatusLine(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.state = State.READY

    def show(
        self, state: State, exchange: Exchange | None, note: str = "", capture: str | None = None
    ) -> None:
        """`capture` is the file that received every byte of `exchange`, if any."""
        self.state = state
        self.set_class(state is State.FAILED, "-failed")
        parts: list[Content] = [plain(f" {state.value} ", f"reverse {_STATE_STYLE[state]}")]
        # The sentence first: on a narrow terminal the timings are what gets cut.
        if note:
            parts.append(safe(f" {note}", WARNING_STYLE, 400, True))
        if exchange is not None:
            if exchange.error is not None:
                parts.append(safe(f" {exchange.error.message}", ERROR_STYLE, 400, True))
            elif exchange.stop_message:
                parts.append(safe(f" {exchange.stop_message}", limit=400, one_line=True))
            parts.append(
                plain(f" · ↑ {human_bytes(exchange.bytes_out)} ↓ {human_bytes(exchange.bytes_in)}")
            )
            if capture is not None:
                held = len(exchange.received)
                parts.append(plain(f" · holding {human_bytes(held)}; all in ", WARNING_STYLE))
                parts.append(safe(capture, WARNING_STYLE, 200, True))
            timings = timings_summary(exchange.timings())
            if timings:
                parts.append(plain(f" · {timings}", DIM_STYLE))
            if exchange.error is not None and exchange.error.hint:
                parts.append(safe(f" · {exchange.error.hint}", DIM_STYLE, 400, True))
        self.update(Content("").join(parts))
