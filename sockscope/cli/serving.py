"""What the serving commands (`listen`, `relay`) share: printing what their threads queue
until a count or a signal says stop, the printer's common part, and their whole-number
options.

The serving threads only queue what happened (a Happening and its item); the main thread
prints, so reports never interleave. Ctrl-C and SIGTERM stop after the report being
printed, never in the middle of one; what the stop itself ends (open conversations,
cancelled) is printed after it.
"""

from __future__ import annotations

import queue
import signal
import sys
import threading
from collections.abc import Callable
from enum import StrEnum
from types import FrameType
from typing import Any

from sockscope.cli.output import print_json
from sockscope.core.fields import FieldError
from sockscope.core.model import Exchange
from sockscope.core.sanitize import sanitize


class Happening(StrEnum):
    """What a serving thread queues, with its item."""

    CLIENT = "client"  # a session that began
    FINISHED = "finished"  # (session, exchange): a session that ended
    NOTE = "note"  # (message, facts) worth a line
    STOP = "stop"  # a signal: stop after the report being printed


Events = queue.SimpleQueue[tuple[Happening, Any]]


def print_until_stopped(
    events: Events,
    show: Callable[[Happening, Any], int],
    count: int | None,
    stop: Callable[[], None],
    announce: Callable[[], None],
) -> int:
    """`announce()` where the servers listen (once a signal can stop them: a client that
    read that line and stops us at once is answered with a clean stop), then show queued
    happenings until `count` conversations finished or a signal came; then `stop()` the
    servers and show what came meanwhile. Returns the conversations shown (`show` returns
    1 for a finished one)."""
    finished = 0
    stopping = threading.Event()
    previous = _stop_on_signals(stopping, events)
    try:
        announce()
        while not stopping.is_set() and (count is None or finished < count):
            kind, item = events.get()
            if kind is not Happening.STOP:
                finished += show(kind, item)
    finally:
        stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    while True:  # conversations the stop ended, and notes that came meanwhile
        try:
            kind, item = events.get_nowait()
        except queue.Empty:
            break
        if kind is not Happening.STOP:
            finished += show(kind, item)
    return finished


def _stop_on_signals(stopping: threading.Event, events: Events) -> dict[int, Any]:
    """Ctrl-C and SIGTERM set `stopping` (and wake the queue); returns the handlers replaced."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()
        events.put((Happening.STOP, None))  # SimpleQueue.put may be called from a signal handler

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}


class ServingPrinter:
    """Prints what the threads queued, as JSON lines or as a report: notes, arrivals,
    finished conversations (each command its own), and the closing count."""

    noun = "client"  # what one conversation is called in the closing line

    def __init__(self, as_json: bool, full: bool) -> None:
        self.as_json = as_json
        self.full = full
        self.console: Any = None
        if not as_json:
            from sockscope.cli.output import new_console

            self.console = new_console()

    def _line(self, obj: dict[str, Any]) -> None:
        print_json(obj)

    def _say(self, text: str, style: str = "") -> None:
        from sockscope.cli.report import safe

        self.console.print(safe(text, style))
        sys.stdout.flush()

    def _note(self, message: str, facts: dict[str, Any] | None = None) -> None:
        if self.as_json:
            self._line({"note": {"message": message, **(facts or {})}})
        else:
            self._say(f"note: {message}", "yellow")

    def show(self, kind: Happening, item: Any) -> int:
        """Print one queued happening; returns 1 for a finished conversation."""
        if kind is Happening.NOTE:
            self._note(*item)
            return 0
        if kind is Happening.CLIENT:
            if not self.as_json:
                self._arrived(item)
            return 0
        session, exchange = item
        self._finished(session, exchange)
        return 1

    def _arrived(self, session: Any) -> None:
        raise NotImplementedError

    def _finished(self, session: Any, exchange: Exchange) -> None:
        raise NotImplementedError

    def summary(self, finished: int, turned_away: int) -> None:
        if self.as_json:
            self._line({"stopped": {f"{self.noun}s": finished, "turned_away": turned_away}})
            return
        away = f", {turned_away} turned away (max-clients)" if turned_away else ""
        noun = self.noun if finished == 1 else f"{self.noun}s"
        self._say(f"stopped: {finished} {noun}{away}", "bold")


def parse_positive(text: str, field: str) -> int:
    """A whole number from 1 (`--max-clients`)."""
    if not text.strip().isascii() or not text.strip().isdigit() or int(text) < 1:
        raise FieldError(field, f"{sanitize(text)!r} is not a whole number from 1")
    return int(text)
