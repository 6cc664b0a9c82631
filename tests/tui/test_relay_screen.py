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

from sockscope.tui.screens.relay import RelayScreen, default_args
from sockscope.tui.widgets.byte_view import LineView
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
async def test_a_target_without_a_port_is_refused_in_the_status_line() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = RelayScreen(default_args(target="example.com"))
        await app.push_screen(screen)
        screen.action_toggle_relaying()
        await pilot.pause()
        assert not screen.relaying and screen.relay is None
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
