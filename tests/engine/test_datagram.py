"""UDP and Unix datagram conversations: one datagram out, datagrams (or silence) back."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sockscope.core.model import ErrorKind, EventType, ReadPolicy, StopReason, Target, Transport
from sockscope.engine import run_exchange
from tests.engine.conftest import Servers

POLICY = ReadPolicy(connect_timeout=5.0, idle_timeout=5.0, deadline=20.0)


def test_qotd_over_udp_answers_with_one_datagram(lab) -> None:
    target = Target(lab.host, lab.port("qotd", "udp"), Transport.UDP)
    exchange = run_exchange(target, b"", POLICY)

    assert exchange.stop is StopReason.DATAGRAM
    assert exchange.received
    assert exchange.stop_message == f"one datagram of {len(exchange.received):,} bytes"
    send = next(exchange.of_type(EventType.SEND))
    assert send.size == 0  # the empty request still went out, as one datagram


def test_an_empty_datagram_is_a_reply_not_the_end_of_a_stream(servers: Servers) -> None:
    port = servers.udp(lambda request: [b""])
    exchange = run_exchange(Target("127.0.0.1", port, Transport.UDP), b"ping", POLICY)

    assert exchange.stop is StopReason.DATAGRAM
    assert "0-byte datagram" in exchange.stop_message
    recvs = list(exchange.of_type(EventType.RECV))
    assert [e.size for e in recvs] == [0]


def test_a_full_size_udp_datagram_arrives_whole(servers: Servers) -> None:
    payload = bytes(range(256)) * 255 + b"x" * 227  # 65,507 bytes: the IPv4 maximum
    port = servers.udp(lambda request: [payload])
    exchange = run_exchange(Target("127.0.0.1", port, Transport.UDP), b"big?", POLICY)

    assert exchange.received == payload
    assert exchange.stop_message == "one datagram of 65,507 bytes"


def test_an_oversize_datagram_says_how_much_is_shown(servers: Servers, short_dir: Path) -> None:
    payload = b"d" * 100_000  # Unix datagrams may exceed what one receive shows
    path = servers.unix_dgram(short_dir / "big.sock", lambda request: [payload])
    exchange = run_exchange(Target(str(path), None, Transport.UNIX_DGRAM), b"big?", POLICY)

    assert exchange.stop is StopReason.DATAGRAM
    assert "showing 65,536 of" in exchange.stop_message
    assert "100,000 bytes" in exchange.stop_message
    assert exchange.received == payload[:65_536]


def test_several_datagrams_are_kept_apart_until_the_idle_timeout(servers: Servers) -> None:
    port = servers.udp(lambda request: [b"one", b"", b"three"])
    policy = replace(POLICY, first_datagram=False, idle_timeout=0.2)
    exchange = run_exchange(Target("127.0.0.1", port, Transport.UDP), b"go", policy)

    assert [e.data for e in exchange.of_type(EventType.RECV)] == [b"one", b"", b"three"]
    assert exchange.stop is StopReason.IDLE
    assert exchange.stop_message == "idle: no datagram for 0.2 s (3 datagrams, 8 bytes received)"


def test_silence_over_udp_is_not_an_error(servers: Servers) -> None:
    port = servers.udp(lambda request: [])
    policy = replace(POLICY, idle_timeout=0.2)
    exchange = run_exchange(Target("127.0.0.1", port, Transport.UDP), b"hello?", policy)

    assert exchange.stop is StopReason.IDLE
    assert exchange.error is None
    assert exchange.stop_message == (
        "no reply in 0.2 s (UDP has no connection: silence is not an error)"
    )


def test_icmp_port_unreachable_reads_as_refused(free_udp_port: int) -> None:
    target = Target("127.0.0.1", free_udp_port, Transport.UDP)
    exchange = run_exchange(target, b"anyone?", POLICY)

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.REFUSED
    assert exchange.stop_message.startswith("refused (ICMP port unreachable)")


def test_unix_datagram_echo(servers: Servers, short_dir: Path) -> None:
    path = servers.unix_dgram(short_dir / "echo.sock", lambda request: [request])
    exchange = run_exchange(Target(str(path), None, Transport.UNIX_DGRAM), b"ping", POLICY)

    assert exchange.received == b"ping"
    assert exchange.stop is StopReason.DATAGRAM


def test_a_request_too_large_for_one_datagram_is_named(servers: Servers) -> None:
    port = servers.udp(lambda request: [])
    exchange = run_exchange(Target("127.0.0.1", port, Transport.UDP), b"x" * 70_000, POLICY)

    assert exchange.error is not None
    assert exchange.stop_message.startswith("the request is too large for one datagram")
