"""Playback: a saved exchange shown again at its recorded pace, for a room to follow.

No server and no network: the screen renders `core.playback.Playback` (position, speed,
pause, steps), and each view shows the exchange as it stood at that moment: the
diagram, the Python code with the current line marked, the bytes received so far and
the timeline. The status line says in a sentence what just happened (core/explain.py).

Presentation mode keeps two panes (the teacher picks them with 1-5), in a high-contrast
theme.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from sockscope.core.explain import event_sentence, stop_sentence
from sockscope.core.model import Exchange
from sockscope.core.playback import Playback
from sockscope.tui.content import DIM_STYLE, KEY_STYLE, plain, safe
from sockscope.tui.presentation import Presenting, pick
from sockscope.tui.widgets.byte_view import ByteRows
from sockscope.tui.widgets.diagram import CodePane, DiagramPane
from sockscope.tui.widgets.panes import Pane, ReceivedPane, SentPane
from sockscope.tui.widgets.timeline import Timeline

TICK = 1 / 30  # seconds between playback steps of the clock while playing
# The panes in the order of their number keys (presentation mode picks two of them).
PANES: tuple[str, ...] = ("diagram-pane", "code-pane", "received", "sent", "timeline-pane")
_STEP = Binding.Group("Step", compact=True)
_SPEED = Binding.Group("Speed", compact=True)
_WIDTHS: list[tuple[int, str]] = [(0, "-narrow"), (90, "-wide")]


class PlaybackScreen(Screen[None]):
    # The footer shows each pair of opposite keys under one word, so that every key fits
    # at 80 columns; the palette's key joins them from 90 (sockscope.tcss).
    HORIZONTAL_BREAKPOINTS = _WIDTHS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "play_pause", "Play/Pause", id="playback-toggle", priority=True),
        Binding(
            "left", "back", "Back", id="playback-back", key_display="←", priority=True, group=_STEP
        ),
        Binding(
            "right", "step", "Step", id="playback-step", key_display="→", priority=True, group=_STEP
        ),
        Binding(
            "plus,equals_sign",
            "faster",
            "Faster",
            id="playback-faster",
            key_display="+",
            priority=True,
            group=_SPEED,
        ),
        Binding(
            "minus",
            "slower",
            "Slower",
            id="playback-slower",
            key_display="-",
            priority=True,
            group=_SPEED,
        ),
        Binding("home", "restart", "Restart", id="playback-restart", show=False, priority=True),
        Binding("end", "to_end", "End", id="playback-end", show=False, priority=True),
        Binding("t", "turns", "Turns", id="playback-turns", priority=True),
        Binding("g", "scale", "To scale", id="playback-scale", show=False, priority=True),
        Binding("p", "present", "Present", id="playback-present", priority=True),
        *(
            Binding(str(n), f"pick({n - 1})", f"Pane {n}", id=f"playback-pick-{n}", show=False)
            for n in range(1, len(PANES) + 1)
        ),
        Binding("q,escape", "leave", "Leave", id="playback-leave", priority=True),
    ]

    def __init__(self, exchange: Exchange, *, at_end: bool = False) -> None:
        """`at_end`: open on the whole exchange (the explorer's diagram view)."""
        super().__init__(id="playback")
        self.playback = Playback(exchange)
        if at_end:
            self.playback.to_end()
        self.picked: list[str] = ["diagram-pane", "code-pane"]
        self.presenting = Presenting()
        self._clock: Timer | None = None
        self._last_tick = 0.0
        self._rows = ByteRows(b"")

    def compose(self) -> ComposeResult:
        yield Static(id="playback-status")
        with Grid(id="playback-grid"):
            yield DiagramPane()
            yield CodePane()
            yield ReceivedPane("Received", id="received")
            yield SentPane("Sent", id="sent")
            with Pane("Timeline", id="timeline-pane"):
                yield Timeline(id="timeline")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.render_playback()

    # ---- rendering ---------------------------------------------------------------------

    def render_playback(self) -> None:
        playback = self.playback
        shown, current = playback.shown(), playback.current
        self.query_one(DiagramPane).show(shown, current)
        self.query_one(CodePane).show(playback.exchange, current)
        self._rows = ByteRows.of(shown.received, self._rows)
        self.query_one(ReceivedPane).show(shown, self._rows, live=not playback.at_end)
        self.query_one(SentPane).show(shown)
        self.query_one(Timeline).show(shown, live=True)
        self.query_one("#playback-status", Static).update(self.status())

    def status(self) -> Content:
        """Where playback is, then what just happened, in sentences of our own words."""
        playback = self.playback
        current = playback.current
        if current is None:
            said = "nothing has happened yet: space plays, → steps one event"
        else:
            event = playback.exchange.events[current]
            said = event_sentence(playback.exchange, event) or f"({event.type.value})"
            end = stop_sentence(playback.exchange) if playback.at_end else None
            said += f"; {end}" if end else ""
        hint = "  ·  presenting: 1-5 pick two panes, p ends" if self.presenting.on else ""
        where = playback.status()
        return Content.assemble(
            plain(where[0].upper() + where[1:], KEY_STYLE),
            plain(hint, DIM_STYLE),
            plain("\n"),
            safe(said),
        )

    # ---- the clock ---------------------------------------------------------------------

    def _tick(self) -> None:
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        if self.playback.advance(elapsed):
            self.render_playback()
        if self.playback.paused:
            self._stop_clock()
            self.render_playback()

    def _start_clock(self) -> None:
        self._last_tick = time.monotonic()
        if self._clock is None:
            self._clock = self.set_interval(TICK, self._tick)

    def _stop_clock(self) -> None:
        if self._clock is not None:
            self._clock.stop()
            self._clock = None

    # ---- actions -----------------------------------------------------------------------

    def action_play_pause(self) -> None:
        self.playback.toggle()
        if self.playback.paused:
            self._stop_clock()
        else:
            self._start_clock()
        self.render_playback()

    def action_step(self) -> None:
        self._stop_clock()
        self.playback.step_forward()
        self.render_playback()

    def action_back(self) -> None:
        self._stop_clock()
        self.playback.step_back()
        self.render_playback()

    def action_faster(self) -> None:
        self.playback.faster()
        self.render_playback()

    def action_slower(self) -> None:
        self.playback.slower()
        self.render_playback()

    def action_restart(self) -> None:
        self.playback.restart()
        self.render_playback()

    def action_to_end(self) -> None:
        self._stop_clock()
        self.playback.to_end()
        self.render_playback()

    def action_turns(self) -> None:
        self.query_one(DiagramPane).toggle_turns()

    def action_scale(self) -> None:
        self.query_one(DiagramPane).toggle_scale()

    def action_present(self) -> None:
        self.presenting.toggle(self.app)
        self._show_picked()
        self.render_playback()

    def action_leave(self) -> None:
        """Back to the explorer (the theme it had), or out of `open --play`."""
        self._stop_clock()
        if self.presenting.on:
            self.action_present()
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()

    def action_pick(self, index: int) -> None:
        """Show pane `index` with the one picked before it (presentation keeps two)."""
        self.picked = pick(self.picked, PANES[index])
        self._show_picked()

    def _show_picked(self) -> None:
        presenting = self.presenting.on
        self.set_class(presenting, "-presenting")
        for pane in PANES:
            self.query_one(f"#{pane}").set_class(presenting and pane not in self.picked, "-hidden")
