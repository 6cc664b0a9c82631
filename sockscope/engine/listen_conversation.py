"""What every listening conversation shares, stream or datagram: its events, the capture
limit, and how it ends (recorded, handed to `on_finished`, removed from the listener).

The capture limit holds in each direction alike: past `capture_limit` bytes received, or
sent, the RECV (or SEND) events carry no more bytes, only their count (`size`), and one
INFO event says so. An echo of a flood therefore keeps at most twice the limit.

Everything here runs on the listener's thread.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sockscope.core.model import ErrorInfo, EventType, StopReason
from sockscope.core.responders import Answer, Responder
from sockscope.core.views import human_bytes
from sockscope.engine.connection import Recorder
from sockscope.engine.errors import CallbackError

if TYPE_CHECKING:
    from sockscope.engine.listener import ClientSession, Listener


@dataclass
class Tally:
    """The bytes of one direction: every one counted, the first `limit` kept."""

    total: int = 0
    kept: int = 0
    overflowed: bool = False  # the limit was passed, and said

    def count(self, n: int, limit: int) -> int:
        """Count `n` bytes; returns how many of them the limit keeps."""
        self.total += n
        keep = min(n, max(limit - self.kept, 0))
        self.kept += keep
        return keep


class Conversation:
    """One client's conversation as the listener's thread keeps it."""

    def __init__(
        self,
        listener: Listener,
        session: ClientSession,
        recorder: Recorder,
    ) -> None:
        self.listener = listener
        self.session = session
        self.recorder = recorder
        self.responder: Responder | None = None  # given by the listener once welcomed
        self.deadline: float | None = None  # the clock `timed_out` answers
        self.closing = False  # we are done sending
        self.received = Tally()
        self.sent = Tally()
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

    def count_received(self, n: int) -> int:
        """Count `n` received bytes; returns how many of them the capture limit keeps."""
        return self.received.count(n, self.listener.config.capture_limit)

    def past_limit(self) -> None:
        """Say once that the received bytes reached the capture limit (pending bytes first)."""
        if not self.received.overflowed:
            self.received.overflowed = True
            self.flush()
            self._say_limit("")

    def record_sent(self, data: bytes | memoryview, *, calls: int = 1, at: float) -> None:
        """A SEND event for `data`, written at `at`, keeping what the capture limit lets."""
        keep = self.sent.count(len(data), self.listener.config.capture_limit)
        self.emit(EventType.SEND, data=bytes(data[:keep]), size=len(data), calls=calls, at=at)
        if keep < len(data) and not self.sent.overflowed:
            self.sent.overflowed = True
            self._say_limit(" for our replies")

    def _say_limit(self, which: str) -> None:
        limit = human_bytes(self.listener.config.capture_limit)
        message = f"capture limit of {limit} reached{which}: counting the rest without keeping it"
        self.emit(EventType.INFO, detail={"message": message})

    def after(self) -> str:
        """` after 1,024 bytes (512 bytes kept)` for stop messages: what was received."""
        received = self.received
        kept = f" ({human_bytes(received.kept)} kept)" if received.kept < received.total else ""
        return f" after {human_bytes(received.total)}{kept}"

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
        listener._ended()
        if listener._on_finished is not None:
            with contextlib.suppress(Exception):
                listener._on_finished(self.session, exchange)
