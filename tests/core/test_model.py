"""The Exchange model: derived views and a lossless JSON round-trip."""

import json
from dataclasses import replace

from sockscope.core.model import (
    ErrorInfo,
    ErrorKind,
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


def _sample() -> Exchange:
    return Exchange(
        target=Target(
            "example.test", 443, Transport.TLS, 6, TlsOptions(False, "sni.test", ("h2",), "/ca")
        ),
        request=b"GET / HTTP/1.1\r\n\r\n",
        policy=ReadPolicy(delimiter=b"\r\n\r\n", overflow=Overflow.COUNT, idle_timeout=None),
        events=[
            Event(EventType.RESOLVE, 0.001, detail={"addresses": ["::1"]}),
            Event(EventType.CONNECT, 0.003),
            Event(EventType.TLS, 0.010, detail={"version": "TLSv1.3"}),
            Event(EventType.SEND, 0.011, b"GET / HTTP/1.1\r\n\r\n", 18),
            Event(EventType.RECV, 0.020, b"HTTP/1.1 200 OK\r\n", 40, calls=3),
            Event(EventType.CLOSE, 0.021),
        ],
        stop=StopReason.CAPTURE_LIMIT,
        stop_message="kept 17 of 40 bytes",
        error=ErrorInfo(ErrorKind.RESET, "connection reset by peer", "try again"),
        started_at=1700000000.5,
        template="http-get",
    )


def test_json_round_trip_is_lossless() -> None:
    ex = _sample()
    again = Exchange.from_dict(json.loads(json.dumps(ex.to_dict())))
    assert again == ex


def test_counts_every_byte_but_keeps_only_retained_ones() -> None:
    ex = _sample()
    assert ex.received == b"HTTP/1.1 200 OK\r\n"
    assert ex.bytes_in == 40 and ex.bytes_out == 18
    assert ex.truncated


def test_timings_measure_each_step_from_the_one_before() -> None:
    t = _sample().timings()
    assert t.resolve == 0.001
    assert round(t.connect, 6) == 0.002
    assert round(t.tls, 6) == 0.007
    assert round(t.first_byte, 6) == 0.009
    assert t.total == 0.021


def test_timings_take_each_phase_as_measured_around_its_own_call() -> None:
    exchange = _sample()
    measured = {EventType.RESOLVE: 0.0004, EventType.CONNECT: 0.0009, EventType.TLS: 0.005}
    events = [
        replace(e, detail={**e.detail, "duration": measured[e.type]}) if e.type in measured else e
        for e in exchange.events
    ]
    t = replace(exchange, events=events).timings()
    assert (t.resolve, t.connect, t.tls) == (0.0004, 0.0009, 0.005)
    assert round(t.first_byte, 6) == 0.009
    assert t.total == 0.021


def test_unix_target_label_is_the_path_and_ipv6_is_bracketed() -> None:
    assert Target("/run/x.sock", None, Transport.UNIX).label == "/run/x.sock"
    assert Target("::1", 80).label == "[::1]:80"
