"""What every listening conversation shares, stream or datagram: its events, the capture
limit, and how it ends (recorded, handed to `on_finished`, removed from the listener).

The capture limit holds in each direction alike: past `capture_limit` bytes received, or
sent, the RECV (or SEND) events carry no more bytes, only their count (`size`), and one
INFO event says so. An echo of a flood therefore keeps at most twice the limit. Past the
limit a direction's events are also coalesced per OVERFLOW_SECONDS, so a client trickling
bytes one at a time costs a few events a second, not one per byte. On streams both
directions coalesce below the limit too (per COALESCE_SECONDS, as `send` reads do).

Everything here runs on the listener's thread.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sockscope.core.model import ErrorInfo, EventType, StopReason
from sockscope.core.responders import Answer, Responder
from sockscope.core.views import human_bytes
from sockscope.engine.connection import COALESCE_BYTES, COALESCE_SECONDS, Recorder
from sockscope.engine.errors import CallbackError

if TYPE_CHECKING:
    from sockscope.engine.listener import ClientSession, Listener

# Past the capture limit, the most often one direction's counted bytes become an event.
OVERFLOW_SECONDS = 1.0


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


@dataclass
class Window:
    """One direction's bytes not yet in an event: a stream's reads coalesce into one RECV
    event, and past the capture limit either direction's into one event per window."""

    type: EventType
    tally: Tally
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    kept: int = 0
    calls: int = 0
    since: float = 0.0  # monotonic time of the first call in the window

    @property
    def span(self) -> float:
        return OVERFLOW_SECONDS if self.tally.overflowed else COALESCE_SECONDS

    def add(self, data: bytes, size: int, at: float, calls: int = 1) -> None:
        if not self.calls:
            self.since = at
        if data:
            self.chunks.append(data)
            self.kept += len(data)
        self.size += size
        self.calls += calls

    def take(self) -> tuple[bytes, int, int, float]:
        """The window's bytes, size, calls and start, leaving it empty."""
        taken = (b"".join(self.chunks), self.size, self.calls, self.since)
        self.chunks = []
        self.size = self.kept = self.calls = 0
        return taken


class Conversation:
    """One client's conversation as the listener's thread keeps it."""

    # Whether our replies coalesce into SEND events as reads do (streams), or each is an
    # event of its own until the capture limit (datagrams).
    coalesce_sends = False

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
        self.incoming = Window(EventType.RECV, self.received)
        self.outgoing = Window(EventType.SEND, self.sent)

    # ---- what each kind of conversation does its own way ---------------------------

    def answer(self, answer: Answer) -> None:
        raise NotImplementedError

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
        """Record an event, after whatever the windows hold (events stay in time order)."""
        self.flush()
        self._record(type, **kwargs)

    def _record(self, type: EventType, **kwargs: Any) -> None:
        try:
            self.recorder.emit(type, **kwargs)
        except CallbackError as exc:  # the event is recorded; only the callback is dropped
            self.listener._note(f"event callback failed and was dropped: {exc.cause!r}")

    def hold(self, window: Window, data: bytes, size: int, at: float, calls: int = 1) -> None:
        """Add to `window`, first turning it into an event if it has been open its span."""
        if window.calls and at - window.since >= window.span:
            self.flush()
        window.add(data, size, at, calls)

    def flush(self) -> None:
        """Turn what the windows hold into events, the earliest first."""
        for window in sorted((self.incoming, self.outgoing), key=lambda w: w.since):
            if window.calls:
                data, size, calls, since = window.take()
                self._record(window.type, data=data, size=size, calls=calls, at=since)

    def flush_due(self) -> float | None:
        """The monotonic time at which an open window must become an event, if any."""
        due = [w.since + w.span for w in (self.incoming, self.outgoing) if w.calls]
        return min(due, default=None)

    def count_received(self, n: int) -> int:
        """Count `n` received bytes; returns how many of them the capture limit keeps."""
        return self.received.count(n, self.listener.config.capture_limit)

    def past_limit(self) -> None:
        """Say once that the received bytes reached the capture limit (pending bytes first)."""
        if not self.received.overflowed:
            self.received.overflowed = True
            self._say_limit("")

    def record_sent(self, data: bytes | memoryview, *, calls: int = 1, at: float) -> None:
        """`data` was written at `at`: kept as far as the capture limit lets, in the
        outgoing window (streams, or past the limit) or as a SEND event of its own."""
        keep = self.sent.count(len(data), self.listener.config.capture_limit)
        kept = bytes(data[:keep])
        if self.coalesce_sends or self.sent.overflowed:
            self.hold(self.outgoing, kept, len(data), at, calls)
        else:
            self.emit(EventType.SEND, data=kept, size=len(data), calls=calls, at=at)
        if keep < len(data) and not self.sent.overflowed:
            self.sent.overflowed = True
            self._say_limit(" for our replies")
        elif self.outgoing.kept >= COALESCE_BYTES:
            self.flush()

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
