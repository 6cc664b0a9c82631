"""What every listening conversation shares, stream or datagram: its events, the capture
limit, and how it ends (recorded, handed to `on_finished`, removed from the listener).

Everything here runs on the listener's thread.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from sockscope.core.model import ErrorInfo, EventType, StopReason
from sockscope.core.responders import Answer, Responder
from sockscope.core.views import human_bytes
from sockscope.engine.connection import Recorder
from sockscope.engine.errors import CallbackError

if TYPE_CHECKING:
    from sockscope.engine.listener import ClientSession, Listener


class Conversation:
    """One client's conversation as the listener's thread keeps it."""

    def __init__(
        self,
        listener: Listener,
        session: ClientSession,
        recorder: Recorder,
        responder: Responder | None,
    ) -> None:
        self.listener = listener
        self.session = session
        self.recorder = recorder
        self.responder = responder
        self.deadline: float | None = None  # the clock `timed_out` answers
        self.closing = False  # we are done sending
        self.total = 0  # every byte received
        self.kept = 0  # the bytes the capture limit let us keep
        self.overflowed = False
        # Received bytes not yet in a RECV event (streams coalesce; datagrams never wait).
        self.pending_calls = 0
        self.pending_since = 0.0

    # ---- what each kind of conversation does its own way ---------------------------

    def answer(self, answer: Answer) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Turn pending received bytes into a RECV event."""

    def drain(self) -> None:
        """Keep what already arrived before a stop; answer none of it."""

    def timed_out(self) -> None:
        raise NotImplementedError

    def release(self) -> None:
        """Give back what this conversation holds (its socket, its place in a table)."""

    # ---- shared ------------------------------------------------------------------------

    @property
    def open(self) -> bool:
        return self.session in self.listener._clients

    def emit(self, type: EventType, **kwargs: Any) -> None:
        try:
            self.recorder.emit(type, **kwargs)
        except CallbackError as exc:  # the event is recorded; only the callback is dropped
            self.listener._note(f"event callback failed and was dropped: {exc.cause!r}")

    def count(self, n: int) -> int:
        """Count `n` received bytes; returns how many of them the capture limit keeps."""
        self.total += n
        keep = min(n, max(self.listener.config.capture_limit - self.kept, 0))
        self.kept += keep
        return keep

    def past_limit(self) -> None:
        """Say once that the capture limit was reached (pending bytes go first)."""
        if self.overflowed:
            return
        self.overflowed = True
        self.flush()
        limit = human_bytes(self.listener.config.capture_limit)
        message = f"capture limit of {limit} reached: counting the rest without keeping it"
        self.emit(EventType.INFO, detail={"message": message})

    def after(self) -> str:
        """` after 1,024 bytes (512 bytes kept)` for stop messages."""
        kept = f" ({human_bytes(self.kept)} kept)" if self.kept < self.total else ""
        return f" after {human_bytes(self.total)}{kept}"

    def finish(self, stop: StopReason, message: str, error: ErrorInfo | None = None) -> None:
        listener = self.listener
        if listener._clients.pop(self.session, None) is None:
            return
        self.flush()
        if error is not None:
            self.emit(EventType.ERROR, detail=error.to_dict())
        self.release()
        self.emit(EventType.CLOSE)
        exchange = self.session.exchange
        exchange.request = exchange.sent
        exchange.stop = stop
        exchange.stop_message = message
        exchange.error = error
        if listener._on_finished is not None:
            with contextlib.suppress(Exception):
                listener._on_finished(self.session, exchange)
