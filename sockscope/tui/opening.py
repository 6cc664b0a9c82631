"""Keys typed while a screen or dialog opens land in it, in order; keys typed right after
enter in the palette go where the chosen command leaves the focus.

Textual hands a key to the focused widget, or to the screen while nothing has focus: a
screen just pushed has no focus until it is composed and mounted, and a key that comes
before is lost; the palette, once enter has chosen a command, takes the keys typed next
and is gone with them. So the app holds the keys that come meanwhile and hands them on,
on its own task (which routes every key in turn, so the held ones go before any typed
later), once the screen is mounted or the command has run.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import App
from textual.command import CommandPalette
from textual.dom import DOMNode
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

# How long held keys wait at most: enter in the palette that chose nothing leaves it
# open, and a screen that never mounts must not keep the keys.
HOLD_AT_MOST = 1.0


class FocusOnOpen(Screen[None]):
    """A screen whose `first_field()` gets the focus (not its first focusable widget),
    and with it the keys typed while it opened; its on_mount calls `focus_first_field()`."""

    AUTO_FOCUS: ClassVar[str | None] = ""  # no automatic focus: first_field() decides

    def first_field(self) -> Widget:
        """The widget that takes the keys typed first."""
        raise NotImplementedError

    def focus_first_field(self) -> None:
        self.set_focus(self.first_field())


class HoldsKeysWhileOpening(App[int]):
    """The app side: the keys held, and when they go on."""

    _held: list[events.Key] | None = None
    _hold_timer: Timer | None = None

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
            return
        if self._held is not None:
            self._held.append(event)
            return
        stack = self.screen_stack
        screen = stack[-1] if stack else None
        if screen is not None and not screen.is_mounted:
            held = self._hold()
            held.append(event)
            # Queued behind the screen's compose and mount: it has its focus by then.
            screen.call_later(self.call_later, self._hand_on, held)
            return
        if event.key == "enter" and isinstance(screen, CommandPalette):
            self._hold()  # until the command it chooses has run (_palette_closed)
            await super().on_event(event)
            return
        await super().on_event(event)
        if self._held is None and self.focused is not None:
            self._fence(self.focused)

    def _fence(self, widget: Widget) -> None:
        """Hold the next keys until this one has been through `widget` and each of its
        ancestors up to the app. A widget's bindings (an editor's arrows, the find bar's
        escape) act only once the key has bubbled up to the app, while a letter is typed
        where it lands: a letter right behind an arrow in the queue would go in before
        the cursor moved (right right Q typed fast put Q at the line start)."""
        held = self._hold()

        def step(node: DOMNode) -> None:
            parent = node.parent
            if parent is None or parent is self:
                self.call_later(self._hand_on, held)  # behind the bindings the key ran
            else:
                parent.call_later(step, parent)  # behind the key bubbled up to it

        widget.call_later(step, widget)

    def _hold(self) -> list[events.Key]:
        held: list[events.Key] = []
        self._held = held
        # A hold replaces the one before (handed on or not): its timer has nothing left
        # to do, and a key held down would otherwise leave one running for each press.
        if self._hold_timer is not None:
            self._hold_timer.stop()
        self._hold_timer = self.set_timer(
            HOLD_AT_MOST, lambda: self.call_later(self._hand_on, held)
        )
        return held

    @on(CommandPalette.Closed)
    def _palette_closed(self) -> None:
        if self._held is not None:
            self.call_later(self._hand_on, self._held)  # after the command it chose

    async def _hand_on(self, held: list[events.Key]) -> None:
        if self._held is not held:
            return  # handed on already
        self._held = None
        for key in held:
            await self.on_event(key)
