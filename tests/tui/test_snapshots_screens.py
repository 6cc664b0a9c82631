"""Pictures of the screens the explorer opens over itself, and of a live session, from
saved exchanges (no network, no clock). Review every changed SVG before
`--snapshot-update`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.command import CommandList
from textual.widgets import Input

from sockscope.engine import Action, SessionState
from sockscope.export import FORMATS
from sockscope.tui.worker import SessionBridge
from tests.tui.exchanges import LAB, http_exchange, smtp_session_exchange
from tests.tui.helpers import make_app, until

WIDE = (120, 36)


class HeldSession:
    """A session that stays open after the greeting and EHLO (the engine's interface)."""

    state = SessionState.OPEN
    message = "connected to 127.0.0.1:40025"

    def why_not(self, action: Action) -> str | None:
        return "already connected" if action is Action.CONNECT else None

    def close(self) -> None:
        pass

    def exchange(self) -> Any:
        whole = smtp_session_exchange()
        # Up to the EHLO reply: the QUIT, its reply and the close are still to come.
        return replace(whole, events=whole.events[:5], stop=None, stop_message="")


class HeldBridge(SessionBridge):
    def __init__(self) -> None:  # no engine session: the picture needs none
        self.session = HeldSession()  # type: ignore[assignment]

    def snapshot(self) -> Any:
        return self.session.exchange()


def test_a_live_session_shows_its_state_and_turns_so_far(snap_compare) -> None:
    async def hold_a_session(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        bridge = HeldBridge()
        app.session = bridge
        app.explorer.session = bridge.session
        app.action_toggle_turns()
        app.refresh_bindings()
        await pilot.pause()

    app = make_app(lab=LAB)
    assert snap_compare(app, terminal_size=WIDE, run_before=hold_a_session)


def test_the_save_dialog_suggests_a_name_selected_for_typing_over(snap_compare) -> None:
    assert snap_compare(make_app(http_exchange()), terminal_size=WIDE, press=["f3"])


def test_the_palette_says_which_export_the_exchange_cannot_take(snap_compare) -> None:
    async def search_exports(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("ctrl+p")
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.press(*"Export:")
        commands = pilot.app.screen.query_one(CommandList)
        await until(pilot, lambda: commands.option_count == len(FORMATS), "the export hits")
        await pilot.pause()

    app = make_app(smtp_session_exchange())
    assert snap_compare(app, terminal_size=WIDE, run_before=search_exports)


def test_a_zoomed_pane_fills_the_screen_and_names_the_way_back(snap_compare) -> None:
    async def zoom_received(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.query_one("#received-view").focus()
        await pilot.press("f2")

    assert snap_compare(make_app(http_exchange()), terminal_size=WIDE, run_before=zoom_received)
