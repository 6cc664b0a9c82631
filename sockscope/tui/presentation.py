"""Presentation: two large panes the teacher picks, in a high-contrast theme.

The playback screen and the explorer both present; they share the theme, the rule for
which two panes stay (the last two picked) and the memory of the theme to go back to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import App
from textual.theme import Theme

HIGH_CONTRAST = Theme(
    name="sockscope-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#00ffff",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#000000",
    success="#00ff00",
    warning="#ffff00",
    error="#ff6060",
    dark=True,
)


def pick(picked: Sequence[str], pane: str) -> list[str]:
    """The two panes shown once `pane` is picked: it, and the one picked before it."""
    others = [name for name in picked if name != pane]
    return [others[-1], pane] if others else [pane]


class Presenting:
    """Whether a screen presents, and the theme it had before."""

    def __init__(self) -> None:
        self.on = False
        self._theme = ""

    def toggle(self, app: App[Any]) -> bool:
        self.on = not self.on
        if self.on:
            self._theme = app.theme
            if HIGH_CONTRAST.name not in app.available_themes:
                app.register_theme(HIGH_CONTRAST)
            app.theme = HIGH_CONTRAST.name
        else:
            app.theme = self._theme or "textual-dark"
        return self.on
