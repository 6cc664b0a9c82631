"""A relay between a client and a server over TCP and Unix sockets: both directions on one
timeline, half-close and reset passed through, backpressure, the capture limit, the idle
timeout, an unreachable server and the client limit."""

from __future__ import annotations

import hashlib
import os
import select
import socket
import threading

from sockscope.core.model import Direction, ErrorKind, EventType, StopReason, Target, Transport
from tests.relay.conftest import WAIT, Server, read_all


def test_both_directions_are_relayed_and_recorded_with_the_side_of_every_event(
    relay, server: Server
) -> None:
    running = relay(server.target())
    client = running.connect()
    client_address = f"127.0.0.1:{client.getsockname()[1]}"
    upstream = server.accepted()
    client.sendall(b"PING\r\n")
    assert upstream.recv(100) == b"PING\r\n"
    upstream.sendall(b"+PONG\r\n")
    assert client.recv(100) == b"+PONG\r\n"
    client.close()
    assert upstream.recv(100) == b""
    upstream.close()
    exchange = running.next_finished()

    assert exchange.sent == b"PING\r\n" and exchange.received == b"+PONG\r\n"
    assert exchange.request == b"PING\r\n"
    assert exchange.target == server.target()
    sides = [(e.type, e.direction) for e in exchange.events]
    assert sides[0] == (EventType.CONNECT, Direction.CLIENT)
    assert (EventType.CONNECT, Direction.SERVER) in sides
    send = sides.index((EventType.SEND, Direction.CLIENT))
    recv = sides.index((EventType.RECV, Direction.SERVER))
    assert send < recv  # who spoke first
    assert all(e.direction is not None for e in exchange.events)
    connects = list(exchange.of_type(EventType.CONNECT))
    assert connects[0].detail["peer"] == client_address
    assert connects[1].detail["peer"] == f"127.0.0.1:{server.port}"
    assert exchange.stop is StopReason.PEER_CLOSED


def test_a_client_half_close_reaches_the_server_and_the_reply_after_it_still_arrives(
    relay, server: Server
) -> None:
    running = relay(server.target())
    client = running.connect()
    upstream = server.accepted()
    client.sendall(b"all of the request")
    client.shutdown(socket.SHUT_WR)
    assert read_all(upstream) == b"all of the request"  # EOF passed on
    upstream.sendall(b"the answer, after the client's EOF")
    upstream.close()
    assert read_all(client) == b"the answer, after the client's EOF"
    exchange = running.next_finished()

    shutdowns = [e.direction for e in exchange.of_type(EventType.SHUTDOWN)]
    assert shutdowns == [Direction.CLIENT, Direction.SERVER]
    assert exchange.stop is StopReason.PEER_CLOSED


def test_a_server_reset_reaches_the_client_as_a_reset(relay, server: Server) -> None:
    running = relay(server.target())
    client = running.connect()
    upstream = server.accepted()
    client.sendall(b"hello")
    assert upstream.recv(100) == b"hello"
    _reset(upstream)
    try:
        got = client.recv(100)
    except ConnectionResetError:
        got = None
    assert got is None
    exchange = running.next_finished()

    assert exchange.stop is StopReason.RESET
    assert exchange.error is not None and exchange.error.kind is ErrorKind.RESET
    error = next(exchange.of_type(EventType.ERROR))
    assert error.direction is Direction.SERVER
    assert "server reset" in exchange.stop_message


def test_a_client_reset_reaches_the_server_as_a_reset(relay, server: Server) -> None:
    running = relay(server.target())
    client = running.connect()
    upstream = server.accepted()
    client.sendall(b"hello")
    assert upstream.recv(100) == b"hello"
    _reset(client)
    try:
        got = upstream.recv(100)
    except ConnectionResetError:
        got = None
    assert got is None
    exchange = running.next_finished()

    assert exchange.stop is StopReason.RESET
    assert next(exchange.of_type(EventType.ERROR)).direction is Direction.CLIENT


def test_a_server_that_does_not_read_stops_the_client_and_the_relay_keeps_only_the_limit(
    relay, server: Server
) -> None:
    limit = 64 * 1024
    running = relay(server.target(), capture_limit=limit)
    client = running.connect()
    upstream = server.accepted()
    payload = os.urandom(64 * 1024 * 1024)
    client.setblocking(False)
    sent = 0
    # Push until the client cannot send for a while: the relay stopped reading it.
    while sent < len(payload):
        _, writable, _ = select.select([], [client], [], 1.0)
        if not writable:
            break
        try:
            sent += client.send(payload[sent : sent + 1024 * 1024])
        except BlockingIOError:
            continue
    assert sent < 32 * 1024 * 1024, "the relay read on while the server read nothing"
    session = running.clients.get(timeout=WAIT)
    kept = sum(len(e.data) for e in list(session.exchange.events) if e.type is EventType.SEND)
    assert kept <= limit

    # The server now reads everything: every byte arrives, in order.
    received = hashlib.sha256()
    count = [0]

    def drain() -> None:
        while chunk := upstream.recv(1 << 20):
            received.update(chunk)
            count[0] += len(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    client.setblocking(True)
    client.sendall(payload[sent:])
    client.shutdown(socket.SHUT_WR)
    while count[0] < len(payload):  # the relay passes the EOF on once all is delivered
        reader.join(0.1)
        if not reader.is_alive():
            break
    upstream.close()
    reader.join(WAIT)
    assert count[0] == len(payload)
    assert received.digest() == hashlib.sha256(payload).digest()
    client.close()
    exchange = running.next_finished()
    assert exchange.bytes_out == len(payload)
    assert len(exchange.sent) == limit
    notes = [e.detail["message"] for e in exchange.of_type(EventType.INFO)]
    assert any("capture limit" in n and "client's bytes" in n for n in notes)


def test_nothing_relayed_for_the_idle_time_closes_both_sides(relay, server: Server) -> None:
    running = relay(server.target(), idle_timeout=0.2)
    client = running.connect()
    upstream = server.accepted()
    assert client.recv(100) == b""
    assert upstream.recv(100) == b""
    exchange = running.next_finished()
    assert exchange.stop is StopReason.IDLE
    assert "idle" in exchange.stop_message


def test_an_unreachable_server_is_a_classified_error_of_the_server_side(relay) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    running = relay(Target("127.0.0.1", closed_port))
    client = running.connect()
    assert client.recv(100) == b""
    exchange = running.next_finished()

    assert exchange.stop is StopReason.ERROR
    assert exchange.error is not None and exchange.error.kind is ErrorKind.REFUSED
    assert next(exchange.of_type(EventType.ERROR)).direction is Direction.SERVER
    assert "could not reach the server" in exchange.stop_message


def test_unix_sockets_on_both_sides(relay, tmp_path) -> None:
    server_path = str(tmp_path / "server.sock")
    listen_path = str(tmp_path / "relay.sock")
    backend = socket.socket(socket.AF_UNIX)
    backend.bind(server_path)
    backend.listen()
    running = relay(
        Target(server_path, None, Transport.UNIX), host=listen_path, port=None, listen_unix=True
    )
    assert running.address.transport is Transport.UNIX
    client = socket.socket(socket.AF_UNIX)
    client.settimeout(WAIT)
    client.connect(listen_path)
    upstream, _ = backend.accept()
    upstream.settimeout(WAIT)
    client.sendall(b"over unix")
    assert upstream.recv(100) == b"over unix"
    upstream.sendall(b"and back")
    upstream.close()
    assert read_all(client) == b"and back"
    client.close()
    exchange = running.next_finished()
    assert exchange.received == b"and back"
    assert next(exchange.of_type(EventType.CONNECT)).detail["peer"].startswith("pid ")
    running.relay.stop()
    assert not os.path.exists(listen_path)  # our socket file is removed at stop


def test_past_max_clients_a_new_client_waits_until_one_ends(relay) -> None:
    backend = socket.create_server(("127.0.0.1", 0))
    running = relay(Target("127.0.0.1", backend.getsockname()[1]), max_clients=1)
    first = running.connect()
    upstream_first, _ = backend.accept()
    second = running.connect()
    assert "max-clients" in running.notes.get(timeout=WAIT)
    backend.settimeout(0.2)
    try:
        backend.accept()
        admitted_early = True
    except TimeoutError:
        admitted_early = False
    assert not admitted_early
    first.close()
    upstream_first.close()
    backend.settimeout(WAIT)
    upstream_second, _ = backend.accept()  # the slot freed: the second is relayed
    second.sendall(b"second")
    upstream_second.settimeout(WAIT)
    assert upstream_second.recv(100) == b"second"
    second.close()
    upstream_second.close()
    backend.close()


def _reset(sock: socket.socket) -> None:
    import struct

    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_a_client_trickling_bytes_past_the_limit_costs_a_few_events_not_one_per_byte(
    relay, server: Server
) -> None:
    running = relay(server.target(), capture_limit=16)
    client = running.connect()
    upstream = server.accepted()
    for _ in range(3000):
        client.send(b"x")
    client.shutdown(socket.SHUT_WR)
    assert read_all(upstream) == b"x" * 3000
    upstream.close()
    client.close()
    exchange = running.next_finished()

    assert exchange.bytes_out == 3000 and len(exchange.sent) == 16
    assert len(list(exchange.of_type(EventType.SEND))) < 50


def test_closing_a_session_ends_both_sides_as_closed(relay, server: Server) -> None:
    running = relay(server.target())
    client = running.connect()
    upstream = server.accepted()
    session = running.clients.get(timeout=WAIT)
    session.close()
    assert client.recv(100) == b""
    assert upstream.recv(100) == b""
    exchange = running.next_finished()
    assert exchange.stop is StopReason.CLOSED and session.finished
