"""The bridge from the engine's callbacks (worker thread) to Textual messages.

`on_event` runs on the worker thread for every event; it only queues the event and,
if the UI has not been told yet, posts one `ConversationUpdate`. The UI drains the
queue when it handles that message, so however fast events come, at most one message
is waiting at a time; the app then redraws at most ~20 times a second.
"""

from __future__ import annotations

import threading
from typing import BinaryIO

from textual.message import Message
from textual.message_pump import MessagePump

from sockscope.core.model import Event, Exchange, ReadPolicy, Target
from sockscope.engine import run_exchange


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
    def __init__(self, target: MessagePump, run: int) -> None:
        self.run = run
        self._target = target
        self._lock = threading.Lock()
        self._pending: list[Event] = []
        self._posted = False

    def on_event(self, event: Event) -> None:
        """Worker thread: queue the event; post a message only if none is waiting."""
        with self._lock:
            self._pending.append(event)
            if self._posted:
                return
            self._posted = True
        self._target.post_message(ConversationUpdate(self))

    def drain(self) -> list[Event]:
        """UI thread: take every queued event; the next event posts a new message."""
        with self._lock:
            events, self._pending = self._pending, []
            self._posted = False
        return events

    def converse(
        self,
        target: Target,
        request: bytes,
        policy: ReadPolicy,
        cancel: threading.Event,
        template: str | None,
        capture: BinaryIO | None = None,
    ) -> Exchange:
        """Worker thread: run the exchange and post the result, even when cancelled
        (a cancelled Textual worker no longer delivers its return value). Every received
        byte goes to `capture` too, which is closed at the end."""
        try:
            exchange = run_exchange(
                target,
                request,
                policy,
                on_event=self.on_event,
                cancel=cancel,
                sink=capture.write if capture is not None else None,
                template=template,
            )
        finally:
            if capture is not None:
                capture.close()
        self._target.post_message(ConversationDone(self.run, exchange))
        return exchange
