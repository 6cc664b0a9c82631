"""The bridge from the engine's callbacks (worker thread) to Textual messages.

`on_event` runs on the worker thread for every event; it only queues the event and,
if the UI has not been told yet, posts one `ConversationUpdate` (bridge.Coalescer). The
UI drains the queue when it handles that message, so however fast events come, at most
one message is waiting at a time; the app then redraws at most ~10 times a second.

A persistent session (engine.session) reports the same way through `SessionBridge`,
except that the UI reads `session.exchange()` snapshots rather than the events, and
each change of state is a `SessionChanged` message of its own.

`Tally` keeps the UI's running totals of an exchange whose events only grow, so that a
redraw looks only at the events that arrived since the last one.

The engine records the kept bytes of the Bridge's run into one buffer (Exchange.
record_into), which the live exchange shown and the finished one share: the views
read a growing prefix of it, so a capture streaming in is held once, never joined.
"""

from __future__ import annotations

import operator
import threading
from typing import TYPE_CHECKING, BinaryIO

from textual.message import Message
from textual.message_pump import MessagePump

from sockscope.core.model import Event, EventType, Exchange, ReadPolicy, ReceiveBuffer, Target
from sockscope.tui.bridge import Coalescer

if TYPE_CHECKING:
    from sockscope.core.steps import Dialogue
    from sockscope.engine import SessionState


class ConversationUpdate(Message):
    """New events are waiting in `bridge`."""

    def __init__(self, bridge: Bridge) -> None:
        super().__init__()
        self.bridge = bridge


class ConversationDone(Message):
    """The engine returned the finished Exchange of run number `run`."""

    def __init__(self, run: int, exchange: Exchange) -> None:
        super().__init__()
        self.run = run
        self.exchange = exchange


class Bridge:
    """Carries run number `run`, shown as `live` while it runs: the engine records its
    kept bytes into the buffer `live` reads them from."""

    def __init__(self, target: MessagePump, run: int, live: Exchange) -> None:
        from sockscope.engine import receive_buffer  # first needed here: start-up

        self.run = run
        self._target = target
        self._pending: list[Event] = []
        self._updates = Coalescer(target, lambda: ConversationUpdate(self))
        self.buffer: ReceiveBuffer | None = receive_buffer(live.policy.capture_limit)
        if self.buffer is not None:
            live.record_into(self.buffer)

    def on_event(self, event: Event) -> None:
        """Worker thread: queue the event; post a message only if none is waiting."""
        with self._updates.lock:
            self._pending.append(event)
        self._updates.poke()

    def drain(self) -> list[Event]:
        """UI thread: take every queued event; the next event posts a new message."""
        with self._updates.lock:
            events, self._pending = self._pending, []
            self._updates.taken()
        return events

    def converse(
        self,
        target: Target,
        request: bytes,
        policy: ReadPolicy,
        cancel: threading.Event,
        template: str | None,
        capture: BinaryIO | None = None,
        dialogue: Dialogue | None = None,
    ) -> None:
        """Worker thread: run the exchange (step by step when a `dialogue` is given) and
        post the result, even when cancelled (a cancelled Textual worker no longer
        delivers its return value). Every received byte goes to `capture` too, which is
        closed at the end."""
        # First needed here: start-up.
        from sockscope.engine import FileSink, run_exchange, run_steps

        # A FileSink, not capture.write, as `send -o` has it: past the capture limit the
        # engine may then move a plain stream's bytes into the file inside the kernel.
        sink = FileSink(capture) if capture is not None else None
        try:
            if dialogue is not None:
                exchange = run_steps(
                    target,
                    dialogue,
                    policy,
                    on_event=self.on_event,
                    cancel=cancel,
                    sink=sink,
                    template=template,
                    buffer=self.buffer,
                )
            else:
                exchange = run_exchange(
                    target,
                    request,
                    policy,
                    on_event=self.on_event,
                    cancel=cancel,
                    sink=sink,
                    template=template,
                    buffer=self.buffer,
                )
        finally:
            if capture is not None:
                capture.close()
            # The exchange holds the buffer now: the finished worker, which Textual
            # keeps until the collector finds its cycles, holds no bytes.
            self.buffer = None
        self._target.post_message(ConversationDone(self.run, exchange))


class Tally:
    """The received bytes kept, every byte received, and how many other events there
    are, of the exchange last counted. The same exchange counted again (a live one, its
    events only appended) costs only the new events; the bytes stay the same object
    while no new byte is kept, which tells the views that they have nothing to redraw."""

    def __init__(self) -> None:
        self._exchange: Exchange | None = None
        self._seen = 0
        self.received: bytes | memoryview = b""
        self.kept = 0
        self.bytes_in = 0
        self.others = 0  # events other than RECV (TLS, steps, errors: what Headers shows)

    def count(self, exchange: Exchange | None) -> bytes | memoryview:
        """The kept received bytes of `exchange`, counting what is new: a read-only
        view of the buffer the engine records them in, or a bytes object."""
        if not self._continues(exchange):
            self._seen = 0
            self.received = b""
            self.kept = self.bytes_in = self.others = 0
        self._exchange = exchange
        if exchange is None:
            return self.received
        new = exchange.events[self._seen :]
        self._seen += len(new)
        # An exchange whose received bytes are in one object (the engine's buffer, a
        # loaded transcript's bytes, or one counted here before) gives them as they
        # are: a join would be a second copy.
        buffer = exchange.buffer
        once = buffer is not None or exchange.kept_once
        chunks: list[bytes | memoryview] = [self.received] if self.received else []
        for event in new:
            if event.type is EventType.RECV:
                self.bytes_in += event.size
                self.kept += len(event.data)
                if event.data and not once:
                    chunks.append(event.data)
            else:
                self.others += 1
        if buffer is not None:
            if len(self.received) != self.kept:
                # The bytes of the events counted, filled before they were recorded.
                self.received = buffer.view(0, self.kept)
        elif once:
            self.received = exchange.received
        elif len(chunks) > 1 or (chunks and not self.received):
            # One chunk is joined without a copy: a saved exchange's one big RECV.
            self.received = b"".join(chunks)
        if exchange.finished and not once and isinstance(self.received, bytes):
            # Its events' own bytes are let go: the join becomes its one copy.
            exchange.keep_once(self.received)
        return self.received

    def _continues(self, exchange: Exchange | None) -> bool:
        """Whether `exchange` holds the events counted so far, as they were: the same
        exchange grown, or the finished exchange that the live one became (the engine's
        very events), whose bytes then need no second copy."""
        last = self._exchange
        if exchange is None or last is None:
            return exchange is last
        seen = self._seen
        if len(exchange.events) < seen:
            return False
        if exchange is last:
            return True
        return all(map(operator.is_, exchange.events[:seen], last.events[:seen]))

    @property
    def truncated(self) -> bool:
        return self.bytes_in > len(self.received)


class SessionUpdate(Message):
    """The session behind `bridge` has new events: read a fresh snapshot."""

    def __init__(self, bridge: SessionBridge) -> None:
        super().__init__()
        self.bridge = bridge


class SessionChanged(Message):
    """The session behind `bridge` reached `state`; `message` says so in a sentence."""

    def __init__(self, bridge: SessionBridge, state: SessionState, message: str) -> None:
        super().__init__()
        self.bridge = bridge
        self.state = state
        self.message = message


class SessionBridge:
    """A Session whose callbacks become messages to `target`; the UI drives it through
    `session` (its commands only queue work for the session's own thread)."""

    def __init__(
        self, target: MessagePump, server: Target, policy: ReadPolicy, template: str | None
    ) -> None:
        from sockscope.engine import Session  # first needed here: start-up

        self._target = target
        self._updates = Coalescer(target, lambda: SessionUpdate(self))
        self.session = Session(
            server, policy, on_event=self._on_event, on_state=self._on_state, template=template
        )

    def _on_event(self, event: Event) -> None:
        """Session thread: post one update unless one is already waiting."""
        self._updates.poke()

    def snapshot(self) -> Exchange:
        """UI thread: the conversation so far; the next event posts a new update."""
        with self._updates.lock:
            self._updates.taken()
        return self.session.exchange()

    def _on_state(self, state: SessionState, message: str) -> None:
        self._target.post_message(SessionChanged(self, state, message))
