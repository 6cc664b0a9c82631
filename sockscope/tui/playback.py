"""`sockscope open FILE --play`: an app of one screen, the playback of a saved exchange."""

from __future__ import annotations

from textual.screen import Screen

from sockscope.core.model import Exchange
from sockscope.tui.safe_app import SafeApp
from sockscope.tui.screens.playback import PlaybackScreen


class PlaybackApp(SafeApp):
    TITLE = "sockscope playback"
    CSS_PATH = "sockscope.tcss"

    def __init__(self, exchange: Exchange) -> None:
        super().__init__()
        self.exchange = exchange

    def get_default_screen(self) -> Screen[None]:
        return PlaybackScreen(self.exchange)


def play(exchange: Exchange) -> int:
    app = PlaybackApp(exchange)
    app.run()
    return app.return_code or 0
