"""A gzip body is decoded while it arrives: the Decoded pane shows the part decoded so
far (following its end) before the server has sent the rest, and all of it after; a
bomb shows in steps up to the named cap; each exchange of the history shows its own."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
from collections.abc import Iterator

import pytest
from textual.widgets import Input, TextArea

from sockscope.core.model import Event, EventType, Exchange, StopReason, Target
from sockscope.core.views import human_bytes
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.panes import DecodedPane
from sockscope.tui.widgets.status import State, StatusLine
from tests.tui.exchanges import one_reply_exchange
from tests.tui.helpers import make_app, pilot_test, until
from tests.tui.test_decoded_bodies import coded_exchange

TEXT = b"".join(b"line %05d of the slowly sent body\n" % i for i in range(3000))
PACKED = gzip.compress(TEXT, mtime=0)
HALF = len(PACKED) // 2


class SlowServer:
    """Answers one request with a chunked gzip body: the first half of the gzip bytes
    at once, the rest only when the test says `go_on`."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.go_on = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.listener.accept()
            with conn:
                conn.recv(4096)
                head = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                )
                conn.sendall(head + b"%x\r\n%s\r\n" % (HALF, PACKED[:HALF]))
                self.go_on.wait(30)
                rest = PACKED[HALF:]
                conn.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(rest), rest))


@pytest.fixture
def server() -> Iterator[SlowServer]:
    slow = SlowServer()
    yield slow
    slow.go_on.set()
    slow.listener.close()


def decoded_text(app: object) -> bytes:
    lines = app.query_one("#decoded-view", LineView).lines  # type: ignore[attr-defined]
    return "".join(lines.line(y).plain + "\n" for y in range(len(lines))).encode()


@pilot_test
async def test_a_gzip_body_shows_decoded_before_the_rest_arrives(server: SlowServer) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#host", Input).value = "127.0.0.1"
        app.query_one("#port", Input).value = str(server.port)
        app.query_one("#request-text", TextArea).load_text("GET / HTTP/1.1\\r\nHost: x\\r\n\\r\n")
        await pilot.press("ctrl+s")
        pane = app.query_one(DecodedPane)
        view = app.query_one("#decoded-view", LineView)
        await until(
            pilot,
            lambda: str(pane.border_subtitle).startswith("gzip, "),
            "the body decoded so far",
        )
        assert app.query_one(StatusLine).state is State.RECEIVING
        assert decoded_text(app).startswith(b"line 00000 of the slowly sent body\n")
        so_far = pane.shown_bytes
        assert 0 < len(so_far) < len(TEXT) and TEXT.startswith(so_far)
        assert "ends early" not in str(pane.border_subtitle)  # still arriving, not cut
        await until(pilot, lambda: view.is_vertical_scroll_end, "Decoded at its live end")

        server.go_on.set()
        await until(pilot, lambda: decoded_text(app) == TEXT, "the whole body decoded")
        await until(pilot, lambda: app.query_one(StatusLine).state is State.DONE, "done")
        size = human_bytes(len(TEXT))
        assert str(pane.border_subtitle) == f"gzip, {size}"  # at 120x36: what fits


@pilot_test
async def test_a_gzip_bomb_shows_in_steps_up_to_the_cap_and_names_it() -> None:
    member = gzip.compress(bytes(1024 * 1024), mtime=0)
    body = member * 100  # 100 MiB of zeros, past the 64 MiB cap
    reply = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
    request = b"GET / HTTP/1.1\r\n\r\n"
    exchange = Exchange(
        Target("127.0.0.1", 80),
        request,
        events=[
            Event(EventType.SEND, 0.001, request, len(request)),
            Event(EventType.RECV, 0.002, reply + body, len(reply) + len(body)),
        ],
        stop=StopReason.PEER_CLOSED,
    )
    app = make_app(exchange)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.query_one(DecodedPane)
        cap = 64 * 1024 * 1024
        # Decoded a few megabytes a step, between frames: part of it shows meanwhile.
        await until(pilot, lambda: 0 < len(pane.shown_bytes) < cap, "part of the body")
        await until(pilot, lambda: "cap" in str(pane.border_subtitle), "the cap named")
        pane.query_one(LineView).focus()
        await pilot.press("f2")  # zoomed: room for the whole badge
        assert str(pane.border_subtitle) == (
            "body: gzip, 64.0 MiB; gzip stopped at the 64.0 MiB decoded-size cap · utf-8"
        )
        assert len(pane.shown_bytes) == cap


@pilot_test
async def test_the_history_shows_each_exchange_body_as_its_own() -> None:
    plain = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain"
    app = make_app(
        exchanges=[
            coded_exchange(b"the first, gzip", "text/plain"),
            one_reply_exchange(b"GET / HTTP/1.1\r\n\r\n", plain),
        ]
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert decoded_text(app).endswith(b"plain\n")
        history = app.query_one(History)
        history.focus()
        history.highlighted = 0
        await pilot.press("enter")
        await until(pilot, lambda: decoded_text(app) == b"the first, gzip\n", "the first body")
        history.highlighted = 1
        await pilot.press("enter")
        await until(pilot, lambda: decoded_text(app).endswith(b"plain\n"), "the second again")
        assert not app.query_one(DecodedPane).shows_body
