"""Keys typed while a screen opens land in the field the screen opens on, in order.

Textual hands a key to the focused widget, or to the screen while nothing has focus: a
screen just pushed has no focus until it is composed (a key then is lost), and then its
first focusable widget, not the field its user types into first, would take it. So the
app holds every key that comes while such a screen opens, and hands them on once the
screen has focused its field: on the app's own task, which routes every key in turn, so
the held keys go before any typed later.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.widget import Widget


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
    """The app side: a key that comes while a FocusOnOpen screen is opening waits."""

    async def on_event(self, event: events.Event) -> None:
        stack = self.screen_stack
        screen = stack[-1] if stack else None
        if (
            isinstance(event, events.Key)
            and isinstance(screen, FocusOnOpen)
            and screen.held_keys is not None
        ):
            screen.held_keys.append(event)
            return
        await super().on_event(event)
