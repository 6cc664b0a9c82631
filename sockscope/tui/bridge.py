"""From worker threads to a screen, and from a screen's state to its redraws.

`Coalescer`: a worker thread calls `poke()` for everything it reports (each event, each
client, each note); at most one message is waiting at a time, whatever the rate, and the
screen calls `taken()` when it reads what is queued. `Throttle`: a screen asks it to
redraw as often as it likes; it redraws now, or once enough time has passed since the
last redraw, spaced further when redraws cost more. The explorer and Listen use both.
`ServingBridge`: the Coalescer for a server that reports clients (Listen, Relay).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from textual.message import Message
from textual.message_pump import MessagePump
from textual.timer import Timer

# Redraws are spaced further when they cost more: at most this share of the UI thread,
# so keys and frames are answered however fast the bytes come.
REDRAW_SHARE = 0.3


class Coalescer:
    """Post `message()` to `target` unless a message it posted is still unread."""

    def __init__(self, target: MessagePump, message: Callable[[], Message]) -> None:
        self._target = target
        self._message = message
        self.lock = threading.Lock()  # also guards what the owner queues with it
        self._posted = False

    def poke(self) -> None:
        """Any thread: make sure a message is waiting."""
        with self.lock:
            if self._posted:
                return
            self._posted = True
        self._target.post_message(self._message())

    def taken(self) -> None:
        """UI thread, holding `lock`: what was queued is being read; the next poke posts."""
        self._posted = False


Session = TypeVar("Session")


class ServingBridge(Generic[Session]):
    """A server's callbacks (the Listener's or the Relay's, on their threads): queue new
    sessions and notes, and post one `message(self)` only if none is waiting. Events need
    no copying: each session's Exchange is live."""

    def __init__(
        self, target: MessagePump, message: Callable[[ServingBridge[Session]], Message]
    ) -> None:
        self._sessions: list[Session] = []
        self._notes: list[str] = []
        self._updates = Coalescer(target, lambda: message(self))

    def on_client(self, session: Session) -> None:
        with self._updates.lock:
            self._sessions.append(session)
        self._updates.poke()

    def on_event(self, _session: Session, _event: object) -> None:
        self._updates.poke()

    def on_finished(self, _session: Session, _exchange: object) -> None:
        self._updates.poke()

    def on_note(self, message: str, _facts: dict[str, object]) -> None:
        with self._updates.lock:
            self._notes.append(message)
        self._updates.poke()

    def drain(self) -> tuple[list[Session], list[str]]:
        """UI thread: the new sessions and notes; the next callback posts again."""
        with self._updates.lock:
            sessions, self._sessions = self._sessions, []
            notes, self._notes = self._notes, []
            self._updates.taken()
        return sessions, notes


class Throttle:
    """Redraws at most one per `interval` seconds, and further apart when a redraw costs
    more than `share` of that time, so keys and frames are answered however fast the
    bytes come."""

    def __init__(self, owner: MessagePump, interval: float, share: float = REDRAW_SHARE) -> None:
        self._owner = owner
        self._interval = interval
        self._share = share
        self._timer: Timer | None = None
        self._last = 0.0
        self._cost = 0.0

    def request(self, redraw: Callable[[], None]) -> None:
        """Call `redraw` now, or once the interval since the last redraw has passed (a
        redraw already waiting stays the one that runs)."""
        interval = max(self._interval, self._cost / self._share)
        delay = interval - (time.monotonic() - self._last)
        if delay <= 0:
            self.cancel()
            redraw()
        elif self._timer is None:
            self._timer = self._owner.set_timer(delay, lambda: self._fire(redraw))

    def _fire(self, redraw: Callable[[], None]) -> None:
        self._timer = None
        redraw()

    def cancel(self) -> None:
        """Drop the redraw that is waiting (the screen is about to draw anyway)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def drawing(self) -> float:
        """Call at the start of each redraw; returns the start time for `drawn`."""
        self._last = time.monotonic()
        return self._last

    def drawn(self, started: float) -> None:
        """Call at the end of a redraw that began at `started` (or once the frame it
        paints is on screen, which costs more than the redraw): its cost spaces the next."""
        self._cost = time.monotonic() - started
