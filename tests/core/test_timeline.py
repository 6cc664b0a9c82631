"""Timeline rows read the way the connection went."""

from __future__ import annotations

from sockscope.core.model import Event, EventType, Exchange, Target
from sockscope.core.timeline import timeline_rows


def _connect_detail(detail: dict[str, str]) -> str:
    exchange = Exchange(
        Target("127.0.0.1", 80), b"", events=[Event(EventType.CONNECT, 0.0, detail=detail)]
    )
    return timeline_rows(exchange)[0].detail


def test_a_connection_we_opened_names_the_server_and_our_port() -> None:
    detail = {"peer": "127.0.0.1:80", "local": "127.0.0.1:5000"}
    assert _connect_detail(detail) == "127.0.0.1:80 from 127.0.0.1:5000"


def test_a_client_that_reached_us_names_the_client_and_where_it_came_to() -> None:
    detail = {"peer": "127.0.0.1:5000", "local": "127.0.0.1:8080", "listener": "127.0.0.1:8080"}
    assert _connect_detail(detail) == "127.0.0.1:5000 to 127.0.0.1:8080"
