"""The status line: state, bytes out and in, timings, and the error in a plain sentence.

A persistent session shows its connection state instead: `open 127.0.0.1:25 · 3 turns`.
"""

from __future__ import annotations

from enum import StrEnum

from textual.content import Content
from textual.widgets import Static

from sockscope.core.certificate import peer_certificate
from sockscope.core.model import ErrorKind, Exchange
from sockscope.core.timeline import timings_summary
from sockscope.core.turns import turns
from sockscope.core.views import human_bytes
from sockscope.engine import SessionState
from sockscope.engine.errors import fingerprint_note
from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, OK_STYLE, WARNING_STYLE, plain, safe
from sockscope.tui.explorer import app_words


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


_SESSION_STYLE = {
    SessionState.IDLE: "bold $text-muted",
    SessionState.CONNECTING: "bold $text-primary",
    SessionState.OPEN: f"bold {OK_STYLE}",
    SessionState.HALF_CLOSED: f"bold {WARNING_STYLE}",
    SessionState.PEER_CLOSED: f"bold {WARNING_STYLE}",
    SessionState.CLOSED: "bold $text-muted",
    SessionState.RESET: f"bold {ERROR_STYLE}",
    SessionState.FAILED: f"bold {ERROR_STYLE}",
}


def session_badge(state: SessionState, exchange: Exchange) -> str:
    """`open 127.0.0.1:25 · 3 turns`: the connection state, where to, how far along."""
    count = len(turns(exchange.events))
    return f"{state.value} {exchange.target.label} · {count} turn{'' if count == 1 else 's'}"


def error_sentence(exchange: Exchange) -> str:
    """The error as the status line says it: a rejected certificate's fingerprint is left
    to the Headers pane (its `rejected` row and the certificate), so the line keeps room
    for what to do next."""
    error = exchange.error
    assert error is not None
    certificate = peer_certificate(exchange)
    if error.kind is ErrorKind.TLS_VERIFY and certificate and certificate.get("sha256"):
        return error.message.replace(fingerprint_note(str(certificate["sha256"])), "")
    return error.message


class StatusLine(Static):
    """One line, two when what it says does not fit: the hint is never cut.

    A streaming exchange redraws it ~10 times a second: a new text that takes as many
    rows as the last one is painted without a layout (a layout of the whole screen each
    time would keep a key press waiting behind it)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.state = State.READY
        # The live session's state, None when no session is shown.
        self.session_state: SessionState | None = None
        self._said = Content("")

    def _say(self, said: Content) -> None:
        width = self.content_size.width  # 0 before the first layout
        rows = [len(text.wrap(width)) for text in (said, self._said)] if width else []
        self._said = said
        same_rows = bool(rows) and rows[0] == rows[1]
        self.update(said, layout=not same_rows)

    def show_session(
        self, state: SessionState, exchange: Exchange, message: str, note: str = ""
    ) -> None:
        """A live session: its state badge, the engine's sentence, and any refusal."""
        self.session_state = state
        self.set_class(state is SessionState.FAILED, "-failed")
        parts: list[Content] = [
            # The target label may come from a saved transcript's host: sanitised.
            safe(
                f" {session_badge(state, exchange)} ", f"reverse {_SESSION_STYLE[state]}", 200, True
            )
        ]
        if note:
            parts.append(safe(f" {note}", WARNING_STYLE, 400, True))
        if message:
            parts.append(safe(f" {message}", limit=400, one_line=True))
        parts.append(
            plain(f" · ↑ {human_bytes(exchange.bytes_out)} ↓ {human_bytes(exchange.bytes_in)}")
        )
        self._say(Content("").join(parts))

    def show(
        self, state: State, exchange: Exchange | None, note: str = "", capture: str | None = None
    ) -> None:
        """`capture` is the file that received every byte of `exchange`, if any."""
        self.state = state
        self.session_state = None
        self.set_class(state is State.FAILED, "-failed")
        parts: list[Content] = [plain(f" {state.value} ", f"reverse {_STATE_STYLE[state]}")]
        # The sentence first: on a narrow terminal the timings are what gets cut.
        if note:
            parts.append(safe(f" {note}", WARNING_STYLE, 400, True))
        if exchange is not None:
            # The note (a refusal, say) is about now; what follows, the exchange shown.
            lead = " ·" if note else ""
            if exchange.error is not None:
                parts.append(safe(f"{lead} {error_sentence(exchange)}", ERROR_STYLE, 400, True))
                # What to do next comes before the numbers, which a narrow line cuts.
                if exchange.error.hint:
                    hint = app_words(exchange.error.hint)
                    parts.append(safe(f" · {hint}", DIM_STYLE, 400, True))
            elif exchange.stop_message:
                parts.append(safe(f"{lead} {exchange.stop_message}", limit=400, one_line=True))
            said = len(parts) > 1  # a sentence before the counters: a separator between
            parts.append(
                plain(
                    f"{' ·' if said else ''} ↑ {human_bytes(exchange.bytes_out)}"
                    f" ↓ {human_bytes(exchange.bytes_in)}"
                )
            )
            if capture is not None:
                held = human_bytes(exchange.kept)  # counted, not joined
                parts.append(plain(f" · holding {held}; all in ", WARNING_STYLE))
                parts.append(safe(capture, WARNING_STYLE, 200, True))
            timings = timings_summary(exchange.timings())
            if timings:
                parts.append(plain(f" · {timings}", DIM_STYLE))
        self._say(Content("").join(parts))
