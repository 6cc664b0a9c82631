"""TCP conversations: what comes back, why reading stopped, and how failures read."""

from __future__ import annotations

import fcntl
import os
import selectors
import socket
import struct
import termios
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from sockscope.core.model import (
    ErrorKind,
    Event,
    EventType,
    Overflow,
    ReadPolicy,
    StopReason,
    Target,
)
from sockscope.engine import Connection, Recorder, connection, run_exchange
from sockscope.engine.connection import COALESCE_BYTES, STREAM_BUFFER
from tests.engine.conftest import Servers

# Conversations that end by EOF get a generous idle timeout so a busy machine cannot
# turn them into idle stops; the idle tests use a short one.
POLICY = ReadPolicy(connect_timeout=5.0, idle_timeout=5.0, deadline=20.0)
SHORT_IDLE = replace(POLICY, idle_timeout=0.2)
HTTP_GET = b"GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n"


def types(events: list[Event]) -> list[EventType]:
    return [e.type for e in events]


def hold(conn: socket.socket, release: threading.Event) -> None:
    """Read the request, then never answer."""
    conn.recv(65536)
    release.wait()


def send_then_hold(data: bytes):  # type: ignore[no-untyped-def]
    def handler(conn: socket.socket, release: threading.Event) -> None:
        conn.sendall(data)
        release.wait()

    return handler


def send_then_close(data: bytes):  # type: ignore[no-untyped-def]
    def handler(conn: socket.socket, release: threading.Event) -> None:
        conn.sendall(data)

    return handler


def test_http_get_from_the_lab_reads_the_whole_reply_until_the_server_closes(lab) -> None:
    exchange = run_exchange(Target(lab.host, lab.port("http")), HTTP_GET, POLICY)

    assert exchange.received.startswith(b"HTTP/1.1 200")
    assert exchange.stop is StopReason.PEER_CLOSED
    assert exchange.stop_message.startswith("server finished sending (EOF) after ")
    assert exchange.error is None
    assert types(exchange.events)[:3] == [EventType.RESOLVE, EventType.CONNECT, EventType.SEND]
    assert exchange.events[0].detail["addresses"] == ["127.0.0.1"]
    assert exchange.events[1].detail["peer"] == f"127.0.0.1:{lab.port('http')}"
    assert exchange.events[1].detail["local"].startswith("127.0.0.1:")
    assert exchange.events[-1].type is EventType.CLOSE
    assert exchange.sent == HTTP_GET


def test_echo_with_half_close_returns_the_request_and_ends_at_eof(lab) -> None:
    policy = replace(POLICY, half_close=True)
    exchange = run_exchange(Target(lab.host, lab.port("echo")), b"hello\r\nworld\r\n", policy)

    assert exchange.received == b"hello\r\nworld\r\n"
    assert EventType.SHUTDOWN in types(exchange.events)
    assert exchange.stop is StopReason.PEER_CLOSED
    assert exchange.stop_message == "server finished sending (EOF) after 14 bytes"


def test_daytime_over_tcp_needs_no_request(lab) -> None:
    exchange = run_exchange(Target(lab.host, lab.port("daytime")), b"", POLICY)

    assert exchange.received.endswith(b"\r\n")
    assert EventType.SEND not in types(exchange.events)
    assert exchange.stop is StopReason.PEER_CLOSED


def test_refused_port_is_classified_at_once(free_port: int) -> None:
    exchange = run_exchange(Target("127.0.0.1", free_port), b"x", POLICY)

    assert exchange.stop is StopReason.ERROR
    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.REFUSED
    assert exchange.stop_message == f"connection refused by 127.0.0.1:{free_port}"
    assert exchange.events[-1].type is EventType.ERROR
    assert exchange.events[-1].detail["kind"] == "refused"


def test_an_unknown_name_is_classified_as_a_dns_failure() -> None:
    exchange = run_exchange(Target("nothing.invalid", 80), b"x", POLICY)

    assert exchange.error is not None
    # No network here: the resolver may say "not found" or "try again"; both are named.
    assert exchange.error.kind in (ErrorKind.NAME_NOT_FOUND, ErrorKind.DNS_TEMPORARY)
    assert exchange.stop_message.startswith("could not resolve nothing.invalid: ")
    assert EventType.CONNECT not in types(exchange.events)


def test_a_dead_first_address_is_skipped_and_named(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = servers.tcp(send_then_close(b"hi"))
    addresses = [("127.0.0.2", port), ("127.0.0.1", port)]  # the server listens on .1 only
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *args: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", a) for a in addresses],
    )
    exchange = run_exchange(Target("dual.example", port), b"", POLICY)

    notes = [e.detail["message"] for e in exchange.of_type(EventType.INFO)]
    assert notes == [f"127.0.0.2:{port} refused, trying next"]
    assert exchange.events[0].detail["addresses"] == ["127.0.0.2", "127.0.0.1"]
    connect = next(exchange.of_type(EventType.CONNECT))
    assert connect.detail["peer"] == f"127.0.0.1:{port}"
    assert exchange.received == b"hi"


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A port whose accept queue is full, so the kernel drops further SYNs unanswered."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    filler = socket.socket()
    filler.connect(listener.getsockname())
    yield listener.getsockname()[1]
    filler.close()
    listener.close()


def test_a_silent_port_times_out_with_the_timeout_named(blackhole: int) -> None:
    policy = replace(POLICY, connect_timeout=0.2)
    exchange = run_exchange(Target("127.0.0.1", blackhole), b"x", policy)

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.CONNECT_TIMEOUT
    assert exchange.stop_message.startswith("connect timed out after 0.2 s")


def test_cancel_while_connecting_stops_without_an_error(blackhole: int) -> None:
    cancel = threading.Event()

    def on_event(event: Event) -> None:
        if event.type is EventType.RESOLVE:
            cancel.set()

    exchange = run_exchange(
        Target("127.0.0.1", blackhole), b"x", POLICY, on_event=on_event, cancel=cancel
    )

    assert exchange.stop is StopReason.CANCELLED
    assert exchange.stop_message == f"cancelled while connecting to 127.0.0.1:{blackhole}"
    assert exchange.error is None


def test_a_server_that_never_answers_ends_at_the_idle_timeout(servers: Servers) -> None:
    port = servers.tcp(hold)
    exchange = run_exchange(Target("127.0.0.1", port), b"hello?\r\n", SHORT_IDLE)

    assert exchange.stop is StopReason.IDLE
    assert exchange.stop_message == "idle: no data for 0.2 s (0 bytes received)"
    assert exchange.error is None
    assert exchange.events[-1].type is EventType.CLOSE


def test_a_server_that_closes_at_once_is_named(servers: Servers) -> None:
    port = servers.tcp(lambda conn, release: None)
    exchange = run_exchange(Target("127.0.0.1", port), b"", POLICY)

    assert exchange.stop is StopReason.PEER_CLOSED
    assert exchange.stop_message == "closed by server, 0 bytes received"


def reset_after(data: bytes):  # type: ignore[no-untyped-def]
    def handler(conn: socket.socket, release: threading.Event) -> None:
        conn.sendall(data)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return handler


def test_reset_mid_body_keeps_the_data_and_says_how_much_came(servers: Servers) -> None:
    body = bytes(range(256)) * 3 + b"x" * 232
    port = servers.tcp(reset_after(body))
    exchange = run_exchange(Target("127.0.0.1", port), b"", POLICY)

    assert exchange.stop is StopReason.RESET
    assert exchange.stop_message == "connection reset by peer after 1,000 bytes"
    assert exchange.received == body
    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.RESET


def test_reading_stops_at_the_delimiter(servers: Servers) -> None:
    port = servers.tcp(send_then_hold(b"HTTP/1.0 200 OK\r\nA: b\r\n\r\nbody"))
    policy = replace(POLICY, delimiter=b"\r\n\r\n")
    exchange = run_exchange(Target("127.0.0.1", port), b"", policy)

    assert exchange.stop is StopReason.DELIMITER
    assert exchange.stop_message.startswith("delimiter found")
    assert b"\r\n\r\n" in exchange.received


def test_reading_stops_after_max_bytes_exactly(servers: Servers) -> None:
    port = servers.tcp(send_then_hold(b"z" * 5000))
    exchange = run_exchange(Target("127.0.0.1", port), b"", replace(POLICY, max_bytes=1234))

    assert exchange.stop is StopReason.BYTE_COUNT
    assert exchange.received == b"z" * 1234
    assert exchange.stop_message == "stopped after 1,234 bytes (the byte limit)"


PATTERN = bytes(range(256)) * 400  # 102,400 bytes


def test_capture_limit_stop_keeps_the_limit_and_says_so(servers: Servers) -> None:
    port = servers.tcp(send_then_hold(PATTERN))
    policy = replace(POLICY, capture_limit=10_000, overflow=Overflow.STOP)
    exchange = run_exchange(Target("127.0.0.1", port), b"", policy)

    assert exchange.stop is StopReason.CAPTURE_LIMIT
    assert exchange.received == PATTERN[:10_000]
    assert exchange.stop_message == "stopped at the capture limit (10,000 bytes kept)"


def test_capture_limit_count_keeps_reading_and_the_sink_gets_every_byte(
    servers: Servers,
) -> None:
    port = servers.tcp(send_then_close(PATTERN))
    written: list[bytes] = []
    policy = replace(POLICY, capture_limit=10_000, overflow=Overflow.COUNT)
    exchange = run_exchange(Target("127.0.0.1", port), b"", policy, sink=written.append)

    assert exchange.stop is StopReason.PEER_CLOSED
    assert b"".join(written) == PATTERN
    assert exchange.received == PATTERN[:10_000]
    assert exchange.bytes_in == len(PATTERN)
    assert exchange.truncated
    assert (
        exchange.stop_message == "server finished sending (EOF) after 100.0 KiB (10,000 bytes kept)"
    )
    notes = [e.detail["message"] for e in exchange.of_type(EventType.INFO)]
    assert notes == ["capture limit of 10,000 bytes reached: counting the rest without keeping it"]


def flood(conn: socket.socket, release: threading.Event) -> None:
    block = b"f" * 65536
    while not release.is_set():
        conn.sendall(block)


def test_cancel_mid_stream_stops_promptly_and_keeps_what_came(servers: Servers) -> None:
    port = servers.tcp(flood)
    cancel = threading.Event()

    def on_event(event: Event) -> None:
        if event.type is EventType.RECV:
            cancel.set()

    exchange = run_exchange(
        Target("127.0.0.1", port), b"", POLICY, on_event=on_event, cancel=cancel
    )

    assert exchange.stop is StopReason.CANCELLED
    assert exchange.stop_message.startswith("cancelled after ")
    assert exchange.received and set(exchange.received) == {ord("f")}
    assert exchange.error is None


def test_a_deadline_ends_a_stream_that_never_stops(servers: Servers) -> None:
    port = servers.tcp(flood)
    policy = replace(POLICY, deadline=0.2, capture_limit=1000, overflow=Overflow.COUNT)
    exchange = run_exchange(Target("127.0.0.1", port), b"", policy)

    assert exchange.stop is StopReason.DEADLINE
    assert exchange.stop_message.startswith("deadline of 0.2 s reached after ")
    assert exchange.stop_message.endswith("(1,000 bytes kept)")


def queued(sock: socket.socket) -> int:
    """Bytes waiting in the socket's receive queue."""
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0" * 4))[0]


def test_a_flood_of_small_reads_is_coalesced_into_few_events_with_intact_bytes(
    servers: Servers,
) -> None:
    """The server writes small pieces, each only after the previous one was read, so the
    engine makes one recv() per piece: many calls, few events."""
    pieces = [b"%05d|" % i for i in range(2000)]
    accepted: list[socket.socket] = []
    ready = threading.Event()

    def keep(conn: socket.socket, release: threading.Event) -> None:
        accepted.append(conn)
        ready.set()
        release.wait()

    port = servers.tcp(keep)
    recorder = Recorder()
    connection = Connection(Target("127.0.0.1", port), recorder)
    connection.open(5.0)
    ready.wait(5)
    server = accepted[0]
    server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    assert connection.sock is not None
    client = connection.sock

    def write() -> None:
        for piece in pieces:
            server.sendall(piece)
            while queued(client):
                os.sched_yield()
        server.shutdown(socket.SHUT_WR)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        outcome = connection.read(POLICY)
    finally:
        writer.join()
        connection.close()

    recvs = [e for e in recorder.events if e.type is EventType.RECV]
    calls = sum(e.calls for e in recvs)
    assert outcome.stop is StopReason.PEER_CLOSED
    assert b"".join(e.data for e in recvs) == b"".join(pieces)
    assert calls >= len(pieces) // 2
    assert len(recvs) * 10 <= calls


def test_a_bulk_reply_arrives_intact_in_events_of_bounded_size(servers: Servers) -> None:
    data = os.urandom(3 * 1024 * 1024)
    port = servers.tcp(send_then_close(data))
    exchange = run_exchange(Target("127.0.0.1", port), b"", POLICY)

    recvs = list(exchange.of_type(EventType.RECV))
    assert exchange.received == data
    assert len(recvs) <= sum(e.calls for e in recvs)
    # an event closes once it holds 64 KiB, so none is more than one read beyond that
    assert all(e.size < COALESCE_BYTES + STREAM_BUFFER for e in recvs)


def test_a_failing_sink_stops_the_exchange_and_keeps_the_bytes(servers: Servers) -> None:
    port = servers.tcp(send_then_hold(b"abc"))

    def sink(data: bytes) -> None:
        raise OSError(28, "No space left on device")

    exchange = run_exchange(Target("127.0.0.1", port), b"", POLICY, sink=sink)

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.OS
    assert exchange.stop_message == "the output sink failed: No space left on device"
    assert exchange.events[-1].type is EventType.CLOSE


def test_a_failing_event_callback_is_dropped_and_the_exchange_still_completes(
    servers: Servers,
) -> None:
    port = servers.tcp(send_then_close(b"abc"))
    seen: list[Event] = []

    def on_event(event: Event) -> None:
        seen.append(event)
        if event.type is EventType.CONNECT:
            raise RuntimeError("widget gone")

    exchange = run_exchange(Target("127.0.0.1", port), b"", POLICY, on_event=on_event)

    assert exchange.error is not None
    assert exchange.stop_message.startswith("the event callback failed: ")
    assert types(seen) == [EventType.RESOLVE, EventType.CONNECT]
    assert types(exchange.events)[-2:] == [EventType.ERROR, EventType.CLOSE]


def test_an_unexpected_exception_becomes_a_sanitised_error(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = servers.tcp(send_then_close(b"abc"))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bad \x1b]52;c;cHduZWQ=\x07 state")

    monkeypatch.setattr(Connection, "read", broken)
    exchange = run_exchange(Target("127.0.0.1", port), b"", POLICY)

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.OS
    assert exchange.stop_message.startswith("internal error: RuntimeError: bad ")
    assert "\x1b" not in exchange.stop_message and "\x07" not in exchange.stop_message


def test_a_connection_serves_several_turns(lab) -> None:
    """Persistent sessions: connect once, then send and read more than once."""
    recorder = Recorder()
    connection = Connection(Target(lab.host, lab.port("echo")), recorder)
    connection.open(5.0)
    try:
        turns = []
        for word in (b"one\n", b"two\n"):
            connection.send(word)
            turns.append(connection.read(replace(POLICY, delimiter=b"\n")))
    finally:
        connection.close()

    assert [t.stop for t in turns] == [StopReason.DELIMITER, StopReason.DELIMITER]
    assert b"".join(e.data for e in recorder.events if e.type is EventType.RECV) == b"one\ntwo\n"
    assert types(recorder.events).count(EventType.CONNECT) == 1
    assert recorder.events[-1].type is EventType.CLOSE


def test_a_stream_read_in_batches_still_gets_the_last_bytes_of_a_burst(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past a large read, a wait asks the kernel for a batch (SO_RCVLOWAT) instead of a
    wake-up per segment. A tail smaller than a batch still arrives, and each wait gives
    the low-water mark back: what comes after is read as it comes."""
    monkeypatch.setattr(connection, "STREAMING", 1)  # every read counts as a fast stream's
    waited = threading.Event()
    marks: list[int] = []
    ask = connection._batch_arrives

    def batch_arrives(sock: socket.socket, selector: selectors.BaseSelector) -> bool:
        arrived = ask(sock, selector)
        marks.append(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT))
        waited.set()
        return arrived

    monkeypatch.setattr(connection, "_batch_arrives", batch_arrives)
    burst = b"x" * (4 * STREAM_BUFFER)  # random bytes may hold the delimiter themselves

    def handler(conn: socket.socket, release: threading.Event) -> None:
        conn.sendall(burst)
        waited.wait(10)  # the client has read the burst and waits for a batch
        conn.sendall(b"END")
        release.wait()

    policy = replace(POLICY, idle_timeout=15.0, delimiter=b"END", capture_limit=8 * STREAM_BUFFER)
    exchange = run_exchange(Target("127.0.0.1", servers.tcp(handler)), b"x", policy)

    assert exchange.stop is StopReason.DELIMITER, exchange.stop_message
    assert exchange.received == burst + b"END"
    assert marks and set(marks) == {1}
