"""Pictures of the Relay screen in a fixed state: a recorded relayed HTTP conversation
(fixed times, peers and ports), no socket, no clock. Review every changed SVG (as PNG)
before `--snapshot-update`."""

from __future__ import annotations

from typing import Any

from sockscope.cli.relay_plan import plan_relay
from sockscope.core.model import (
    Direction,
    Event,
    EventType,
    Exchange,
    Overflow,
    ReadPolicy,
    StopReason,
    Target,
    Transport,
)
from sockscope.engine.serving import ListenAddress
from sockscope.tui.screens.relay import RelayScreen, default_args
from sockscope.tui.widgets.clients import Client
from tests.tui.exchanges import STARTED
from tests.tui.helpers import make_app

LISTEN = "127.0.0.1:8080"
TARGET = "127.0.0.1:8000"
CLIENT, SERVER = Direction.CLIENT, Direction.SERVER

GET = (
    b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
)
PAGE = b"Hello from the sockscope lab.\n"
OK = (
    b"HTTP/1.1 200 OK\r\nServer: sockscope-lab\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: " + str(len(PAGE)).encode() + b"\r\nConnection: close\r\n\r\n" + PAGE
)


def relayed_get() -> Exchange:
    """curl's GET through the relay to an HTTP server, answered, both sides closed."""
    events = [
        Event(EventType.CONNECT, 0.0001, detail={"peer": "127.0.0.1:51000"}, direction=CLIENT),
        Event(EventType.RESOLVE, 0.0003, detail={"addresses": ["127.0.0.1"]}, direction=SERVER),
        Event(EventType.CONNECT, 0.0006, detail={"peer": TARGET}, direction=SERVER),
        Event(EventType.SEND, 0.0008, GET, len(GET), direction=CLIENT),
        Event(EventType.RECV, 0.0021, OK, len(OK), direction=SERVER),
        Event(
            EventType.SHUTDOWN,
            0.0030,
            detail={"message": "the client finished sending (EOF); passed on to the server"},
            direction=CLIENT,
        ),
        Event(
            EventType.SHUTDOWN,
            0.0034,
            detail={"message": "the server finished sending (EOF); passed on to the client"},
            direction=SERVER,
        ),
        Event(EventType.CLOSE, 0.0035, direction=SERVER),
        Event(EventType.CLOSE, 0.0035, direction=CLIENT),
    ]
    return Exchange(
        Target("127.0.0.1", 8000, Transport.TCP),
        b"",
        ReadPolicy(capture_limit=1 << 20, overflow=Overflow.COUNT),
        events,
        stop=StopReason.PEER_CLOSED,
        stop_message="both sides finished sending",
        started_at=STARTED,
    )


def recorded(tab: str | None = None) -> Any:
    """A run_before: the screen relaying 8080 to 8000 with one recorded connection,
    selected; `tab` (narrow layout) is the view shown."""

    async def show(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = RelayScreen(default_args(LISTEN, TARGET))
        await pilot.app.push_screen(screen)
        plan = plan_relay(screen.query_one("#relay-bar").args())  # type: ignore[attr-defined]
        screen.relaying_on(ListenAddress("127.0.0.1", 8080, Transport.TCP), plan)
        screen.add_connection(Client(1, "127.0.0.1:51000", relayed_get()))
        screen.query_one("#connections").highlighted = 0  # type: ignore[attr-defined]
        screen.query_one("#connections").focus()
        if tab is not None:
            screen.query_one("#relay-tabs").active = f"tab-{tab}"  # type: ignore[attr-defined]
        screen.redraw()
        await pilot.pause()

    return show


def test_relay_screen_shows_both_sides_parsed_side_by_side(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=recorded())


def test_relay_screen_at_80x24_shows_the_connections_as_a_tab(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=recorded())


def test_relay_screen_at_80x24_shows_both_sides_parsed_under_one_tab(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=recorded("relay-parsed"))
