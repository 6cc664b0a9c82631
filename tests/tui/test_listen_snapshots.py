"""Pictures of the Listen screen in a fixed state: recorded clients (fixed times, peers
and ports), no socket, no clock. Review every changed SVG before `--snapshot-update`."""

from __future__ import annotations

from typing import Any

from sockscope.core.model import (
    Event,
    EventType,
    Exchange,
    Overflow,
    ReadPolicy,
    StopReason,
    Target,
    TlsOptions,
    Transport,
)
from sockscope.engine.listener import ListenConfig
from sockscope.engine.serving import ListenAddress
from sockscope.tui.screens.listen import ListenScreen
from sockscope.tui.widgets.clients import Client
from sockscope.tui.widgets.listen_bar import ListenForm
from tests.tui.exchanges import STARTED
from tests.tui.helpers import make_app

HOST = "127.0.0.1"
PORT = 8080
POLICY = ReadPolicy(capture_limit=1 << 20, overflow=Overflow.COUNT)
LISTENING = f"{HOST}:{PORT}"

GET = (
    b"GET /hello?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8.5.0\r\n"
    b"Accept: */*\r\n\r\n"
)
PAGE = b"sockscope listen received GET /hello?x=1 HTTP/1.1\n"
OK = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: " + str(len(PAGE)).encode() + b"\r\nConnection: close\r\n"
    b"Server: sockscope-listen\r\n\r\n" + PAGE
)
SMTP = b"EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@exa"


def _connect(peer: str, t: float = 0.0) -> Event:
    return Event(EventType.CONNECT, t, detail={"peer": peer, "listener": LISTENING})


def http_client() -> Exchange:
    """curl's GET answered by the http-ok template; curl closed after the page."""
    return Exchange(
        Target(HOST, 51000, Transport.TCP),
        OK,
        POLICY,
        [
            _connect("127.0.0.1:51000"),
            Event(EventType.RECV, 0.00031, GET, len(GET)),
            Event(EventType.SEND, 0.00052, OK, len(OK)),
            Event(EventType.SHUTDOWN, 0.00055),
            Event(EventType.CLOSE, 0.00120),
        ],
        stop=StopReason.PEER_CLOSED,
        stop_message=f"the client finished sending (EOF) after {len(GET)} bytes",
        started_at=STARTED,
    )


def tls_client() -> Exchange:
    """A TLS client that asked for `localhost` and h2/http1.1, still open."""
    partial = b"GET / HTTP/1.1\r\nHost: localhost\r\n"
    return Exchange(
        Target(
            HOST,
            51002,
            Transport.TLS,
            tls=TlsOptions(verify=False, server_name="localhost", alpn=("http/1.1",)),
        ),
        b"",
        POLICY,
        [
            _connect("127.0.0.1:51002"),
            Event(
                EventType.TLS,
                0.0021,
                detail={
                    "version": "TLSv1.3",
                    "cipher": "TLS_AES_256_GCM_SHA384",
                    "bits": 256,
                    "alpn": "http/1.1",
                    "sni": "localhost",
                },
            ),
            Event(EventType.RECV, 0.0030, partial, len(partial)),
        ],
        started_at=STARTED,
    )


def smtp_client() -> Exchange:
    """Command lines, the last one cut mid-line; still open."""
    return Exchange(
        Target(HOST, 51001, Transport.TCP),
        b"",
        POLICY,
        [_connect("127.0.0.1:51001"), Event(EventType.RECV, 0.0004, SMTP, len(SMTP))],
        started_at=STARTED,
    )


def recorded(form: ListenForm, clients: list[tuple[str, Exchange]], select: int) -> Any:
    """A run_before that shows `clients` as if a listener on 127.0.0.1:8080 had them."""

    async def show(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = ListenScreen(form, cursor_blink=False)
        await pilot.app.push_screen(screen)
        config = ListenConfig(HOST, PORT, form.transport)
        ca = "/tmp/sockscope-listen-x/ca.pem" if form.transport is Transport.TLS else None
        address = ListenAddress(HOST, PORT, form.transport, ca)
        screen.listening_on(address, config, form.reply, None)
        for number, (peer, exchange) in enumerate(clients, 1):
            screen.add_client(Client(number, peer, exchange))
        screen.query_one("#clients").highlighted = select
        screen.redraw()
        await pilot.pause()

    return show


def test_listen_screen_shows_clients_and_the_parsed_request(snap_compare) -> None:
    clients = [
        ("127.0.0.1:51000", http_client()),
        ("127.0.0.1:51001", smtp_client()),
        ("127.0.0.1:51002", tls_client()),
    ]
    form = ListenForm(port=str(PORT), reply="http-ok")
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=recorded(form, clients, 0))


def test_listen_screen_by_hand_shows_the_reply_editor(snap_compare) -> None:
    clients = [("127.0.0.1:51001", smtp_client())]
    form = ListenForm(port=str(PORT), reply="hand")
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=recorded(form, clients, 0))


def test_listen_screen_at_80x24_shows_the_clients_as_a_tab(snap_compare) -> None:
    clients = [("127.0.0.1:51000", http_client()), ("127.0.0.1:51002", tls_client())]
    form = ListenForm(port=str(PORT), reply="http-ok")
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=recorded(form, clients, 0))


def test_listen_screen_at_80x24_shows_the_parsed_request_under_its_tab(snap_compare) -> None:
    clients = [("127.0.0.1:51000", http_client())]
    show = recorded(ListenForm(port=str(PORT), reply="http-ok"), clients, 0)

    async def request_tab(pilot) -> None:  # type: ignore[no-untyped-def]
        await show(pilot)
        pilot.app.screen.query_one("#listen-tabs").active = "tab-client-request"
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=request_tab)
