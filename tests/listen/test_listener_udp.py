"""UDP listening: a conversation per client address, every datagram exactly as sent."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from sockscope.core.model import EventType, StopReason, Transport
from sockscope.core.responders import Echo, Fixed, HttpOk
from sockscope.core.timeline import timeline_rows
from sockscope.engine import listen_udp
from sockscope.engine.listener import ListenError
from tests.listen.conftest import WAIT

UDP = Transport.UDP


@pytest.fixture
def client() -> Iterator[socket.socket]:
    """A UDP client socket bound on loopback, so the listener can answer it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(WAIT)
        yield sock


def _datagrams(exchange):  # type: ignore[no-untyped-def]
    return [(e.data, e.size) for e in exchange.of_type(EventType.RECV)]


def test_each_client_address_is_its_own_conversation(listen) -> None:
    running = listen(transport=UDP)
    where = ("127.0.0.1", running.port)
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b,
    ):
        a.sendto(b"from a 1", where)
        b.sendto(b"from b", where)
        a.sendto(b"from a 2", where)
        sent = {a.getsockname()[1]: [b"from a 1", b"from a 2"], b.getsockname()[1]: [b"from b"]}
        for _ in sent:
            running.next_client()
        b.sendto(b"last", where)
        a.sendto(b"last", where)
        sent[a.getsockname()[1]].append(b"last")
        sent[b.getsockname()[1]].append(b"last")
        running.listener.stop()  # whatever arrived is kept
        finished = [running.next_finished() for _ in range(2)]
    for exchange in finished:
        assert exchange.target.transport is UDP and exchange.target.host == "127.0.0.1"
        assert [data for data, _ in _datagrams(exchange)] == sent[exchange.target.port]
        connect = next(exchange.of_type(EventType.CONNECT))
        assert connect.detail["peer"] == f"127.0.0.1:{exchange.target.port}"
    assert sorted(s.number for s in running.listener.sessions) == [1, 2]


def test_an_empty_datagram_is_an_event_of_zero_bytes_not_an_end(listen, client) -> None:
    running = listen(transport=UDP)
    client.sendto(b"", ("127.0.0.1", running.port))
    client.sendto(b"after", ("127.0.0.1", running.port))
    running.next_client()
    running.listener.stop()
    exchange = running.next_finished()
    assert _datagrams(exchange) == [(b"", 0), (b"after", 5)]
    first = timeline_rows(exchange)[1]
    assert (first.event, first.size, first.detail) == ("recv", "0", "0-byte datagram")


def test_a_60000_byte_datagram_is_one_event_then_silence_ends_the_conversation(
    listen, client
) -> None:
    running = listen(transport=UDP, idle_timeout=0.2)
    payload = bytes(range(256)) * 234 + b"tail"  # 59,908 bytes
    payload += b"x" * (60_000 - len(payload))
    client.sendto(payload, ("127.0.0.1", running.port))
    exchange = running.next_finished()
    assert _datagrams(exchange) == [(payload, 60_000)]
    assert exchange.stop_message == (
        "idle: no datagram from the client for 0.2 s (1 datagram, 58.6 KiB)"
    )


def test_a_datagram_longer_than_the_buffer_is_named_cut(listen, client, monkeypatch) -> None:
    monkeypatch.setattr(listen_udp, "DATAGRAM_SHOWN", 1000)
    running = listen(transport=UDP, idle_timeout=0.2)
    client.sendto(b"y" * 3000, ("127.0.0.1", running.port))
    exchange = running.next_finished()
    recv = next(exchange.of_type(EventType.RECV))
    assert recv.data == b"y" * 1000 and recv.size == 1000
    assert recv.detail["note"] in (
        "showing 1,000 of 3,000 bytes",
        "showing 1,000 of at least 1,001 bytes",
    )


def test_echo_sends_every_datagram_back_byte_for_byte(listen, client) -> None:
    running = listen(Echo, transport=UDP)
    payloads = [bytes(range(256)), b"\x00\r\n\x1b[2J", b"z" * 60_000]
    for payload in payloads:
        client.sendto(payload, ("127.0.0.1", running.port))
        assert client.recvfrom(65536) == (payload, ("127.0.0.1", running.port))
    running.listener.stop()
    exchange = running.next_finished()
    assert [data for data, _ in _datagrams(exchange)] == payloads
    assert [e.data for e in exchange.of_type(EventType.SEND)] == payloads


def test_a_fixed_reply_answers_the_first_datagram_then_the_conversation_ends(
    listen, client
) -> None:
    reply = b"\x00\xffQUOTE\r\n"
    running = listen(lambda: Fixed(reply), transport=UDP, linger=0.2)
    client.sendto(b"?", ("127.0.0.1", running.port))
    assert client.recv(65536) == reply
    first = running.next_finished()
    assert first.stop is StopReason.IDLE
    assert first.stop_message.startswith("we ended the conversation 0.2 s after our last reply")
    client.sendto(b"again?", ("127.0.0.1", running.port))  # a new conversation, a new reply
    assert client.recv(65536) == reply
    assert running.next_finished().received == b"again?"


def test_the_app_can_send_datagrams_through_the_session(listen, client) -> None:
    running = listen(transport=UDP)
    client.sendto(b"hello?", ("127.0.0.1", running.port))
    session = running.next_client()
    session.send(b"typed by hand")
    assert client.recv(65536) == b"typed by hand"
    running.listener.stop()
    exchange = running.next_finished()
    assert exchange.sent == b"typed by hand" and exchange.received == b"hello?"


def test_a_new_address_past_max_clients_is_dropped_and_noted_once(listen, client) -> None:
    running = listen(Echo, transport=UDP, max_clients=1)
    where = ("127.0.0.1", running.port)
    client.sendto(b"first", where)
    assert client.recv(100) == b"first"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as extra:
        extra.sendto(b"dropped 1", where)
        extra.sendto(b"dropped 2", where)
        note = running.notes.get(timeout=WAIT)
        client.sendto(b"still me", where)  # the admitted client is still served
        assert client.recv(100) == b"still me"
    assert "turned away" in note and "max-clients" in note
    assert running.notes.empty()  # noted once per address
    assert running.listener.turned_away == 1
    running.listener.stop()
    assert running.next_finished().received == b"firststill me"
    assert len(running.listener.sessions) == 1


def test_datagrams_past_the_capture_limit_are_counted_not_kept(listen, client) -> None:
    running = listen(Echo, transport=UDP, capture_limit=1000)
    for _ in range(3):
        client.sendto(b"d" * 600, ("127.0.0.1", running.port))
        assert client.recv(1000) == b"d" * 600  # echoed whole, kept or not
    running.listener.stop()
    exchange = running.next_finished()
    assert exchange.bytes_in == 1800 and len(exchange.received) == 1000
    assert [e.size for e in exchange.of_type(EventType.RECV)] == [600, 600, 600]
    notes = [e.detail["message"] for e in exchange.of_type(EventType.INFO)]
    assert any("capture limit" in n for n in notes)
    assert "1,000 bytes kept" in exchange.stop_message


def test_stream_only_reply_templates_are_refused_over_udp(listen) -> None:
    with pytest.raises(ListenError) as caught:
        listen(HttpOk, transport=UDP)
    assert caught.value.field == "--reply-template"
    assert "needs a stream" in caught.value.message


def test_stopping_ends_udp_conversations_as_cancelled_and_frees_the_port(listen, client) -> None:
    running = listen(transport=UDP)
    client.sendto(b"partial", ("127.0.0.1", running.port))
    running.next_client()
    running.listener.stop()
    exchange = running.next_finished()
    assert exchange.stop is StopReason.CANCELLED and exchange.received == b"partial"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", running.port))
