"""The key footer, composed again only when the keys it shows change.

Textual's Footer composes its keys afresh whenever the screen's bindings may have
changed, which is every focus change, and each time the whole screen is laid out again.
Moving the focus between fields and views rarely changes the keys shown, and a key
pressed just after a focus change (or while a capture streams in) would wait behind
that layout.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)
        self._shown: Hashable = None  # what the keys were when last composed

    def compose(self) -> ComposeResult:
        shown = None
        for key in super().compose():  # none until the bindings are ready
            if shown is None:
                shown = self._shown = self._keys_shown(self.screen)
            yield key

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Before its first keys (at start-up) the footer composes them in any case.
        if self.children and self._keys_shown(screen) == self._shown:
            return
        super().bindings_changed(screen)

    def _keys_shown(self, screen: Screen[object]) -> Hashable:
        """Everything Footer.compose reads from the bindings: each key shown, how it
        is written, its binding (description, action, group...), whether it is enabled,
        and its tooltip."""
        app = screen.app
        return tuple(
            (key, app.get_key_display(binding), binding, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show or key == app.COMMAND_PALETTE_BINDING
        )
