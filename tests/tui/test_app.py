"""The app without a network: layout, themes, zoom and the command palette."""

from __future__ import annotations

from dataclasses import replace

from textual.command import CommandPalette
from textual.widgets import Tabs

from sockscope.core.model import EventType
from sockscope.tui.commands import SockscopeCommands
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.status import State, StatusLine
from tests.tui.exchanges import LAB, http_exchange, qotd_udp_exchange, refused_exchange
from tests.tui.helpers import make_app, pilot_test, view_text


@pilot_test
async def test_narrow_terminal_shows_one_view_chosen_by_tab() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.query_one("#received").display  # an opened exchange: its reply first
        assert not app.query_one("#headers").display
        app.query_one("#view-tabs", Tabs).active = "tab-headers"
        await pilot.pause()
        assert app.query_one("#headers").display
        assert not app.query_one("#received").display
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        assert all(app.query_one(f"#{pane}").display for pane in ("sent", "headers"))


@pilot_test
async def test_a_wide_terminal_made_narrow_gets_the_tabs_with_the_view_in_front() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        assert not app.query("#view-tabs")  # not made before they can show
        await pilot.press("ctrl+n")  # to the history: its view comes forward when narrow
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.query_one("#view-tabs", Tabs).active == "tab-history-pane"
        shown = [pane.id for pane in app.query(".pane") if pane.display]
        assert shown == ["history-pane"]
        app.query_one("#view-tabs", Tabs).active = "tab-decoded"
        await pilot.pause()
        assert app.query_one("#decoded").display and not app.query_one("#history-pane").display


@pilot_test
async def test_a_new_theme_recolours_the_byte_views() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        view = app.query_one("#received-view", LineView)
        before = view.render_line(0)
        app.theme = "textual-light"
        await pilot.pause()
        after = view.render_line(0)
        assert before.text == after.text
        assert [s.style for s in before] != [s.style for s in after]


@pilot_test
async def test_f2_zooms_the_focused_pane_and_back() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#received-view", LineView).focus()
        await pilot.press("f2")
        assert app.screen.maximized is app.query_one("#received")
        await pilot.press("f2")
        assert app.screen.maximized is None


@pilot_test
async def test_palette_offers_actions_templates_and_lab_services() -> None:
    app = make_app(lab=LAB)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+p")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        provider = SockscopeCommands(palette, None)
        names = [hit.text async for hit in provider.discover()]
        assert "Send" in names and "Cancel" in names
        assert any(name.startswith("Template: qotd-udp") for name in names)
        assert "Lab: trickle" in names
        await pilot.press(*"Lab: smtp", "enter")
        await pilot.pause()
        assert app.query_one("#port").value == "40025"  # type: ignore[attr-defined]


@pilot_test
async def test_the_status_line_puts_what_to_do_next_before_the_numbers() -> None:
    app = make_app(refused_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        line = str(app.query_one(StatusLine).render())
        assert line.index("nothing is listening on that port") < line.index("↑ 0 bytes")
        running = replace(http_exchange(), events=[], stop=None, stop_message="")
        app.query_one(StatusLine).show(State.RECEIVING, running)
        assert str(app.query_one(StatusLine).render()).startswith(" receiving  ↑ 0 bytes ↓ 0")


@pilot_test
async def test_an_empty_datagram_is_shown_as_sent() -> None:
    udp = qotd_udp_exchange()
    events = [replace(e, data=b"", size=0) if e.type is EventType.SEND else e for e in udp.events]
    app = make_app(replace(udp, request=b"", events=events))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert view_text(app, "sent-view") == "an empty datagram was sent (0 bytes)"
