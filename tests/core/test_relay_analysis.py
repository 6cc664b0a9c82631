"""Which parser reads each direction of a relayed conversation: guessed from the bytes
(HTTP request line, a RESP array, a 220 greeting answered by commands), or named."""

from __future__ import annotations

from sockscope.core.model import Direction, Event, EventType, Exchange, StopReason, Target
from sockscope.core.relay_analysis import analyse_relay, relay_analysis_to_dict


def _relayed(*said: tuple[Direction, bytes]) -> Exchange:
    events = [
        Event(
            EventType.SEND if side is Direction.CLIENT else EventType.RECV,
            float(i),
            data,
            len(data),
            direction=side,
        )
        for i, (side, data) in enumerate(said)
    ]
    exchange = Exchange(Target("127.0.0.1", 25), b"", events=events)
    exchange.stop = StopReason.PEER_CLOSED
    exchange.request = exchange.sent
    return exchange


C, S = Direction.CLIENT, Direction.SERVER


def test_http_both_ways() -> None:
    analysis = analyse_relay(
        _relayed(
            (C, b"HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n"),
            (S, b"HTTP/1.1 204 No Content\r\nServer: s\r\n\r\n"),
        )
    )
    assert analysis.protocol == "http"
    assert analysis.client.http is not None and analysis.client.http.method == "HEAD"
    assert analysis.server.http is not None and analysis.server.http.status == 204


def test_smtp_commands_and_replies() -> None:
    analysis = analyse_relay(
        _relayed((S, b"220 mx ready\r\n"), (C, b"EHLO me\r\n"), (S, b"250 mx\r\n"))
    )
    assert analysis.protocol == "smtp"
    assert [(c.verb, c.argument) for c in analysis.client.commands] == [("EHLO", "me")]
    assert [r.code for r in analysis.server.replies] == ["220", "250"]


def test_redis_read_both_ways_with_one_resp_reader() -> None:
    analysis = analyse_relay(_relayed((C, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), (S, b"$-1\r\n")))
    assert analysis.protocol == "redis"
    assert analysis.client_values[0].lines == ["GET", "k"]
    assert len(analysis.server.replies) == 1
    as_json = relay_analysis_to_dict(analysis)
    assert as_json["request"]["values"][0]["lines"] == ["GET", "k"]


def test_a_named_protocol_wins_over_the_guess_and_unknown_bytes_stay_raw() -> None:
    raw = _relayed((C, b"\x00\x01binary"), (S, b"\xff\xfe"))
    assert analyse_relay(raw).protocol is None
    assert analyse_relay(raw).server.http is None
    assert analyse_relay(_relayed((C, b"PING\r\n"), (S, b"+PONG\r\n")), "redis").protocol == "redis"
