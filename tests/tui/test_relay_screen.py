"""The Relay screen with a real client and server on loopback: connections listed, both
directions shown side by side and parsed, hostile bytes from either side shown as inert
text, bad fields refused in the status line, and every connection joins the history."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from sockscope.core.model import StopReason
from sockscope.tui.screens.relay import RelayScreen, default_args
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.clients import Client, ClientList
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.timeline import Timeline
from tests.tui.helpers import make_app, pilot_test, until

SIZE = (140, 44)
ATTACK = "\x1b]52;c;cHduZWQ=\x07"


@pytest.fixture
def server() -> Iterator[int]:
    """An HTTP-ish server: answers each connection's request with a hostile header."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.recv(4096)
                head = f"HTTP/1.1 200 OK\r\nX-Evil: {ATTACK}\r\nContent-Length: 2\r\n\r\nok"
                conn.sendall(head.encode())

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def _client(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(f"GET /{ATTACK} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        got = b""
        while chunk := client.recv(4096):
            got += chunk
    return got


def _lines(screen: RelayScreen, view: str) -> list[str]:
    lines = screen.query_one(f"#{view}", LineView).lines
    return [lines.line(y).plain for y in range(len(lines))]


def _screen_text(screen: RelayScreen) -> str:
    """Every row of the two byte panes and the two parsed panes, as plain text."""
    views = [
        screen.query_one(f"#{view}", LineView).lines
        for view in (
            "relay-client-bytes-view",
            "relay-server-bytes-view",
            "relay-client-parsed-view",
            "headers-view",
        )
    ]
    return "\n".join(lines.line(y).plain for lines in views for y in range(len(lines)))


@pilot_test
async def test_a_relayed_connection_shows_both_sides_parsed_and_joins_the_history(
    server: int,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = RelayScreen(default_args(target=f"127.0.0.1:{server}"), start=True)
        await app.push_screen(screen)
        await until(pilot, lambda: screen.relaying, "the relay to listen")
        assert screen.address is not None and screen.address.port is not None
        got = await asyncio.to_thread(_client, screen.address.port)
        assert got.endswith(b"ok")
        await until(
            pilot,
            lambda: bool(screen.connections) and screen.connections[0].exchange.finished,
            "the connection to end",
        )
        await until(pilot, lambda: "X-Evil" in _screen_text(screen), "the panes")
        text = _screen_text(screen)
        assert "GET" in text and "200" in text
        timeline = screen.query_one("#relay-timeline", Timeline)
        details = [str(timeline.get_row_at(i)[-1]) for i in range(timeline.row_count)]
        assert details[0].startswith("client ") and any(d.startswith("server ") for d in details)
        assert "\x1b" not in text and "\x07" not in text
        assert "␛]52;c;cHduZWQ=␇" in text
        screen.action_leave()
        await pilot.pause()
        assert len(app.query_one(History).exchanges) == 1


@pilot_test
async def test_a_target_on_the_lab_host_reaches_the_lab(server: int) -> None:
    from sockscope.tui.lab_info import LabInfo

    app = make_app(lab=LabInfo("127.0.0.1", {}))
    async with app.run_test(size=SIZE) as pilot:
        app.action_relay()
        await until(pilot, lambda: app.screen.id == "relay" and app.screen.focused, "Relay")
        screen = app.screen
        assert isinstance(screen, RelayScreen)
        await pilot.press(*f"lab:{server}", "enter")
        await until(pilot, lambda: screen.relaying, "the relay to listen")
        assert screen.address is not None and screen.address.port is not None
        got = await asyncio.to_thread(_client, screen.address.port)
        assert got.endswith(b"ok")


@pilot_test
async def test_a_target_without_a_port_is_refused_in_the_status_line() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = RelayScreen(default_args(target="example.com"))
        await app.push_screen(screen)
        screen.action_toggle_relaying()
        await pilot.pause()
        assert not screen.relaying and screen.server is None
        message = str(screen.query_one("#relay-message").render())
        assert "TARGET" in message and "no port" in message


@pilot_test
async def test_the_palette_opens_relay_and_the_explorers_commands_say_why_not_there() -> None:
    from sockscope.tui.commands import SockscopeCommands
    from tests.tui.exchanges import http_exchange

    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"Relay", "enter")
        await until(pilot, lambda: isinstance(app.screen, RelayScreen), "the Relay screen")
        provider = SockscopeCommands(app.screen, None)
        offered = {hit.text: str(hit.help) async for hit in provider.discover()}
        assert offered["Replay"].startswith("not on the Relay screen")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, RelayScreen), "leaving")


def test_relay_app_refuses_the_printed_reports_options(capsys) -> None:
    from sockscope.cli import main

    assert main(["relay", "0", "127.0.0.1:80", "--app", "--json"]) == 2
    err = capsys.readouterr().err
    assert "--json is for the printed report" in err and err.count("\n") == 1


# ---- a recorded connection: the layout, the refusals, the palette --------------------


async def _recorded(pilot, *, finished: bool = True) -> RelayScreen:  # type: ignore[no-untyped-def]
    """The Relay screen (not relaying) with one recorded HTTP connection, selected."""
    from tests.tui.test_relay_snapshots import relayed_get

    exchange = relayed_get()
    if not finished:
        exchange.stop = None
    screen = RelayScreen(default_args(target="127.0.0.1:8000"))
    await pilot.app.push_screen(screen)
    screen.add_connection(Client(1, "127.0.0.1:51000", exchange))
    screen.query_one("#connections", ClientList).highlighted = 0
    screen.query_one("#connections", ClientList).focus()
    screen.redraw()
    await pilot.pause()
    return screen


def _rows(screen: RelayScreen) -> list[str]:
    return [strip.text for strip in screen._compositor.render_strips()]


def _message(screen: RelayScreen) -> str:
    return str(screen.query_one("#relay-message").render())


@pilot_test
async def test_at_80x24_the_connections_and_each_pair_of_sides_are_tabs() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _recorded(pilot)
        rows = _rows(screen)
        assert all(len(row.rstrip()) <= 80 for row in rows)
        assert "Connections  Bytes  Decoded  Parsed  Timeline" in "\n".join(rows)
        assert any("#1 127.0.0.1:51000 · peer-closed" in row for row in rows)
        assert not any("GET /hello" in row for row in rows)
        await pilot.press("enter")  # both sides parsed, the tabs focused
        await pilot.pause()
        text = "\n".join(_rows(screen))
        assert "Request" in text and "GET /hello HTTP/1.1" in text
        assert "Reply" in text and "HTTP/1.1 200 OK" in text
        assert "#1 127.0.0.1:51000" not in text
        await pilot.press("right")
        await pilot.pause()
        text = "\n".join(_rows(screen))
        assert "client 127.0.0.1:51000" in text and "peer-closed" in text  # the timeline
        assert "GET /hello" not in text


@pilot_test
async def test_at_120x36_the_connections_and_every_view_show_at_once() -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _recorded(pilot)
        text = "\n".join(_rows(screen))
        assert "Connections  Bytes" not in text  # no tabs
        for title in ("Client → server", "Server decoded", "Request", "Reply", "Timeline"):
            assert title in text, title
        assert "#1 127.0.0.1:51000" in text and "GET /hello HTTP/1.1" in text


@pilot_test
async def test_a_greyed_out_key_says_why_when_pressed() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = RelayScreen(default_args(target="127.0.0.1:8000"))
        await app.push_screen(screen)
        screen.query_one("#connections", ClientList).focus()
        await pilot.press("f3")
        assert "no connection yet" in _message(screen)
        await app.pop_screen()
        screen = await _recorded(pilot, finished=False)
        await pilot.press("f3")
        assert "connection #1 is still open: close it (f8) or let it end" in _message(screen)
        await app.pop_screen()
        screen = await _recorded(pilot)
        await pilot.press("f8")
        assert "connection #1 has ended" in _message(screen)


@pilot_test
async def test_the_palette_offers_the_screens_keys_and_exports_and_says_why_not() -> None:
    from sockscope.tui.commands import RelayCommands

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _recorded(pilot, finished=False)
        provider = RelayCommands(screen, None)
        offered = {hit.text: hit async for hit in provider.discover()}
        for text in ("Relay: Start / Stop", "Relay: Close connection", "Relay: Leave"):
            assert text in offered
        refused = "connection #1 is still open: close it (f8) or let it end"
        assert str(offered["Relay: Save connection"].help) == refused
        pcap = offered["Relay: Export connection: pcap"]
        assert str(pcap.help) == refused
        pcap.command()
        assert refused in _message(screen)
        screen.connections[0].exchange.stop = StopReason.PEER_CLOSED
        offered = {hit.text: hit async for hit in provider.discover()}
        assert "pcap capture" in str(offered["Relay: Export connection: pcap"].help)


@pilot_test
async def test_help_names_the_relay_screens_keys() -> None:
    from textual.widgets import Static

    from sockscope.tui.screens.help import DESCRIPTIONS, HelpScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _recorded(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        texts = [str(static.render()) for static in app.screen.query(Static)]
        assert "Relay" in texts
        for binding in RelayScreen.BINDINGS:
            assert DESCRIPTIONS[binding.id][1] in texts  # type: ignore[union-attr,index]


@pilot_test
async def test_help_asked_on_the_relay_screen_opens_at_the_relay_keys() -> None:
    from textual.containers import VerticalScroll
    from textual.widgets import Static

    from sockscope.tui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _recorded(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        body = app.screen.query_one("#help-body", VerticalScroll)
        titles = {str(s.render()): s for s in app.screen.query(Static).filter(".help-title")}
        await until(pilot, lambda: body.scroll_y > 0, "the help to scroll")
        # The Relay group is the first one in view, its keys under it.
        assert titles["Relay"].region.y == body.content_region.y
        assert not body.content_region.overlaps(titles["Send & read"].region)


@pilot_test
async def test_a_tls_relay_shows_the_clients_handshake_in_request_and_the_servers_in_reply() -> (
    None
):
    from sockscope.core.model import Direction, Event, EventType
    from tests.tui.test_relay_snapshots import relayed_get

    CLIENT, SERVER = Direction.CLIENT, Direction.SERVER
    exchange = relayed_get()
    client_tls = {"version": "TLSv1.3", "cipher": "C", "alpn": "h2", "sni": "client.example"}
    server_tls = {"version": "TLSv1.2", "cipher": "S", "verified": True}
    exchange.events[1:1] = [Event(EventType.TLS, 0.0002, detail=client_tls, direction=CLIENT)]
    exchange.events[4:4] = [Event(EventType.TLS, 0.0007, detail=server_tls, direction=SERVER)]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = RelayScreen(default_args(target="127.0.0.1:8000"))
        await app.push_screen(screen)
        screen.add_connection(Client(1, "127.0.0.1:51000", exchange))
        screen.redraw()
        await pilot.pause()
        views = ("relay-client-parsed-view", "headers-view")
        request, reply = ("\n".join(_lines(screen, view)) for view in views)
        assert "SNI client.example" in request and "ALPN h2" in request
        assert "TLSv1.2 · S · verified" in reply and "NOT verified" not in reply
        assert "client.example" not in reply


@pilot_test
async def test_the_status_line_says_what_to_do_next_before_relaying() -> None:
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = RelayScreen(default_args())
        await app.push_screen(screen)
        await pilot.pause()
        assert "TARGET: the server's HOST:PORT; then enter or ctrl+l starts" in _message(screen)
        await pilot.press("enter")  # no target: refused, naming the field
        await pilot.pause()
        assert _message(screen) == "not relaying · TARGET: '' has no port; e.g. 127.0.0.1:8080"
        assert not screen.relaying
        screen.query_one("#relay-target", Input).value = "127.0.0.1:8000"
        await pilot.pause()
        assert _message(screen) == "not relaying · ctrl+l starts (LISTEN port 0: the OS picks)"
