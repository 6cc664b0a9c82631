"""Playing a saved exchange back at human speed: the rules, without a screen or a clock.

A `Playback` holds a position in the recording's own time (seconds since the exchange
started) and how many of its events are shown. Playing moves the position by the wall
time that passed times the speed (0.1x to 10x); stepping shows one event more or one
less and pauses. `shown()` is the exchange as it was at that moment: the events so far,
and no stop until the last one is shown, so every view fills as it did live.
"""

from __future__ import annotations

from dataclasses import replace

from sockscope.core.model import Exchange
from sockscope.core.timeline import format_duration

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
MIN_SPEED, MAX_SPEED = SPEEDS[0], SPEEDS[-1]


class Playback:
    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.position = 0.0  # seconds of the recording
        self.count = 0  # events shown
        self.speed = 1.0
        self.paused = True

    # ---- what is shown -----------------------------------------------------------------

    @property
    def total(self) -> int:
        return len(self.exchange.events)

    @property
    def duration(self) -> float:
        events = self.exchange.events
        return max((e.t for e in events), default=0.0)

    @property
    def at_end(self) -> bool:
        return self.count >= self.total

    @property
    def current(self) -> int | None:
        """The index of the event shown last (the one the views mark), or None."""
        return self.count - 1 if self.count else None

    def shown(self) -> Exchange:
        """The exchange as it stood at this point of the recording."""
        if self.at_end:
            return self.exchange
        return replace(
            self.exchange,
            events=self.exchange.events[: self.count],
            stop=None,
            stop_message="",
            error=None,
        )

    # ---- what the user does ----------------------------------------------------------

    def play(self) -> None:
        if self.at_end:  # playing a finished recording starts it again
            self.restart()
        self.paused = False

    def pause(self) -> None:
        self.paused = True

    def toggle(self) -> None:
        if self.paused:
            self.play()
        else:
            self.pause()

    def restart(self) -> None:
        self.position, self.count = 0.0, 0

    def to_end(self) -> None:
        self.paused = True
        self.position, self.count = self.duration, self.total

    def advance(self, elapsed: float) -> bool:
        """`elapsed` wall seconds went by; True when more events are shown now. Reaching
        the end pauses."""
        if self.paused or elapsed <= 0:
            return False
        before = self.count
        self.position = min(self.position + elapsed * self.speed, self.duration)
        events = self.exchange.events
        while self.count < len(events) and events[self.count].t <= self.position:
            self.count += 1
        if self.at_end:
            self.position = self.duration
            self.paused = True
        return self.count != before

    def step_forward(self) -> None:
        self.paused = True
        if not self.at_end:
            self.count += 1
            self.position = max(self.position, self.exchange.events[self.count - 1].t)

    def step_back(self) -> None:
        self.paused = True
        if self.count:
            self.count -= 1
            self.position = self.exchange.events[self.count - 1].t if self.count else 0.0

    def faster(self) -> None:
        self.speed = next((s for s in SPEEDS if s > self.speed), MAX_SPEED)

    def slower(self) -> None:
        self.speed = next((s for s in reversed(SPEEDS) if s < self.speed), MIN_SPEED)

    def status(self) -> str:
        """`paused at event 3 of 9 · 0.58 ms of 2.50 ms · 1x`, in plain words."""
        state = "finished" if self.at_end else "paused" if self.paused else "playing"
        return (
            f"{state} at event {self.count} of {self.total} · "
            f"{format_duration(self.position)} of {format_duration(self.duration)} · "
            f"{self.speed:g}x"
        )
