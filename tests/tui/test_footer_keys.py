"""The footer keeps one order wherever the focus is, ctrl+t names the mode it switches
to, and Listen has a key to its client list."""

from __future__ import annotations

from textual.widgets import Tabs
from textual.widgets._footer import FooterKey

from sockscope.tui.app import SockscopeApp
from sockscope.tui.screens.listen import ListenScreen
from sockscope.tui.widgets.clients import ClientList
from tests.tui.exchanges import http_exchange
from tests.tui.helpers import make_app, pilot_test


def footer(app: SockscopeApp) -> list[str]:
    return [
        f"{key.key_display or key.key} {key.description}" for key in app.screen.query(FooterKey)
    ]


@pilot_test
async def test_the_footer_keeps_its_order_as_the_focus_moves() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        seen = []
        for place in ("#host", "#request-text", "#received-view", "#history"):
            app.query_one(place).focus()
            await pilot.pause()
            seen.append(footer(app))
        assert all(keys == seen[0] for keys in seen)
        assert seen[0][0] == "^s Send" and seen[0][-2] == "^q Quit"


@pilot_test
async def test_moving_the_focus_leaves_the_footer_keys_in_place_when_they_stay_the_same() -> None:
    # Composing the footer again lays out the whole screen: a key pressed just after a
    # focus change, or while a capture streams in, would wait behind it.
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        keys = list(app.screen.query(FooterKey))
        for place in ("#request-text", "#received-view", "#history", "#host"):
            app.query_one(place).focus()
            await pilot.pause()
        assert list(app.screen.query(FooterKey)) == keys


@pilot_test
async def test_ctrl_t_is_labelled_with_the_mode_it_switches_to() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert "^t Hex" in footer(app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert "^t Text" in footer(app) and "^t Hex" not in footer(app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert "^t Hex" in footer(app)


@pilot_test
async def test_ctrl_n_goes_to_the_listen_client_list_from_any_field() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ListenScreen)
        screen.query_one("#listen-port").focus()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.focused is screen.query_one(ClientList)
        assert screen.query_one("#listen-tabs", Tabs).active == "tab-clients-pane"
        assert "^n Clients" in footer(app)
