"""Keys typed while a screen opens land in the field the screen opens on, in order; keys
typed right after enter in the palette go where the chosen command leaves the focus.

Textual hands a key to the focused widget, or to the screen while nothing has focus: a
screen just pushed has no focus until it is composed (a key then is lost), and then its
first focusable widget, not the field its user types into first, would take it. So the
app holds every key that comes while such a screen opens, and hands them on once the
screen has focused its field: on the app's own task, which routes every key in turn, so
the held keys go before any typed later.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import App
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widget import Widget

# How long after enter in the palette the keys typed next wait for it to close (a chosen
# command closes it at once).
PALETTE_CHOOSES_WITHIN = 0.5


class FocusOnOpen(Screen[None]):
    """A screen whose `first_field()` gets the focus and every key typed before it; its
    on_mount calls `focus_first_field()`."""

    AUTO_FOCUS: ClassVar[str | None] = ""  # no automatic focus: first_field() decides

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.held_keys: list[events.Key] | None = []  # None once handed on

    def first_field(self) -> Widget:
        """The widget that takes the keys typed first."""
        raise NotImplementedError

    def focus_first_field(self) -> None:
        self.set_focus(self.first_field())
        self.app.call_later(self._hand_on)

    async def _hand_on(self) -> None:
        held, self.held_keys = self.held_keys or [], None
        for key in held:
            await self.app.on_event(key)


class HoldsKeysWhileOpening(App[int]):
    """The app side: a key that comes while a FocusOnOpen screen is opening waits; so does
    one typed after enter in the palette, until the command it chose has run (the palette
    would take it and be gone, the key with it), then it goes where keys go then."""

    _after_palette: list[events.Key] | None = None

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
            return
        stack = self.screen_stack
        screen = stack[-1] if stack else None
        if self._after_palette is not None:
            self._after_palette.append(event)
            return
        if isinstance(screen, FocusOnOpen) and screen.held_keys is not None:
            screen.held_keys.append(event)
            return
        if event.key == "enter" and isinstance(screen, CommandPalette):
            self._after_palette = []
            # Enter that chose nothing leaves the palette open: its keys go on soon.
            self.set_timer(PALETTE_CHOOSES_WITHIN, self._hand_on_palette_keys)
        await super().on_event(event)

    @on(CommandPalette.Closed)
    def _palette_closed(self) -> None:
        self.call_later(self._hand_on_palette_keys)  # after the command it chose

    async def _hand_on_palette_keys(self) -> None:
        held, self._after_palette = self._after_palette or [], None
        for key in held:
            await self.on_event(key)
