"""Listen mode against real clients on loopback: the app listens on a port the OS picks,
clients connect with the standard library, and each one shows up as its own entry."""

from __future__ import annotations

import asyncio
import socket
import ssl
import urllib.request
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Select

from sockscope.core.model import Transport
from sockscope.tui.screens.listen import ListenScreen
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.listen_bar import ListenForm

from .helpers import make_app, pilot_test
from .test_display_attacks import _assert_safe_segments

SIZE = (140, 40)
WAIT = 10.0  # a client's socket timeout: only ever reached when something is broken


def screen_text(screen: ListenScreen, view_id: str) -> str:
    """Every row of one of the screen's line views, as plain text."""
    lines = screen.query_one(f"#{view_id}", LineView).lines
    return "\n".join(lines.line(y).plain for y in range(len(lines)))


def message(screen: ListenScreen) -> str:
    return str(screen.query_one("#listen-message").render())


def client_labels(screen: ListenScreen) -> list[str]:
    clients = screen.query_one("#clients")
    return [str(clients.get_option_at_index(i).prompt) for i in range(len(screen.clients))]


async def until(screen: ListenScreen, predicate: Callable[[], bool]) -> None:
    """Wait for redraws until `predicate` holds (the listener's thread feeds them)."""
    while not predicate():
        await screen.changed()


async def open_listen(pilot: Pilot[Any], form: ListenForm) -> ListenScreen:
    """The Listen screen started with `form`, once it listens."""
    screen = ListenScreen(form, start=True, cursor_blink=False)
    await pilot.app.push_screen(screen)
    await until(screen, lambda: screen.listening or "could not" in message(screen))
    assert screen.address is not None, message(screen)
    return screen


def connect(screen: ListenScreen) -> socket.socket:
    assert screen.address is not None
    return socket.create_connection(("127.0.0.1", screen.address.port), timeout=WAIT)


def recv_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pilot_test
async def test_an_http_get_shows_its_request_line_and_gets_the_http_ok_page() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm(reply="http-ok"))
        assert screen.address is not None
        port = screen.address.port
        assert port and f"listening on 127.0.0.1:{port} (tcp)" in message(screen)
        assert "0 of 16 clients · 1.0 MiB kept per client" in message(screen)

        def get() -> tuple[int, bytes]:
            url = f"http://127.0.0.1:{port}/hello?x=1"
            with urllib.request.urlopen(url, timeout=WAIT) as response:
                return response.status, response.read()

        status, body = await asyncio.to_thread(get)
        assert status == 200
        assert b"sockscope listen received GET /hello?x=1 HTTP/1.1" in body
        await until(screen, lambda: "peer-closed" in "".join(client_labels(screen)))
        request = screen_text(screen, "client-request-view")
        assert "GET /hello?x=1 HTTP/1.1" in request
        assert f"Host: 127.0.0.1:{port}" in request
        assert "GET /hello?x=1 HTTP/1.1" in screen_text(screen, "client-bytes-view")
        assert "HTTP/1.1 200 OK" in screen_text(screen, "client-sent-view")
        assert "#1 127.0.0.1:" in client_labels(screen)[0]
    assert app.return_code in (None, 0)
