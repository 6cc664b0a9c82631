"""A TLS relay (the client's TLS ended with a certificate made at start, TLS opened to the
server and verified) and a UDP relay (one conversation per client address)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator

import pytest
import trustme

from sockscope.core.model import (
    Direction,
    ErrorKind,
    EventType,
    StopReason,
    Target,
    TlsOptions,
    Transport,
)
from tests.relay.conftest import WAIT, read_all


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_backend(ca: trustme.CA, tmp_path) -> Iterator[tuple[int, str]]:
    """A TLS server for `localhost` that answers "hello <what came>" and closes; its port
    and the CA file that trusts it."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    context.set_alpn_protocols(["http/1.1"])
    listener = socket.create_server(("127.0.0.1", 0))
    ca_file = str(tmp_path / "backend-ca.pem")
    ca.cert_pem.write_to_path(ca_file)

    def serve() -> None:
        with listener:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            raw.settimeout(WAIT)
            try:
                with context.wrap_socket(raw, server_side=True) as conn:
                    conn.sendall(b"hello " + conn.recv(100))
            except (OSError, ssl.SSLError):
                pass

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], ca_file
    listener.close()


def test_tls_both_handshakes_are_shown_with_sni_and_alpn_and_the_bytes_relayed(
    relay, tls_backend: tuple[int, str]
) -> None:
    port, ca_file = tls_backend
    target = Target(
        "127.0.0.1",
        port,
        Transport.TLS,
        tls=TlsOptions(server_name="localhost", alpn=("http/1.1",), ca_file=ca_file),
    )
    running = relay(target)
    assert running.address.transport is Transport.TLS and running.address.ca_file
    context = ssl.create_default_context(cafile=running.address.ca_file)
    context.set_alpn_protocols(["http/1.1"])
    with context.wrap_socket(running.connect(), server_hostname="localhost") as client:
        assert client.selected_alpn_protocol() == "http/1.1"
        client.sendall(b"relay")
        assert read_all(client) == b"hello relay"
    exchange = running.next_finished()

    handshakes = {e.direction: e.detail for e in exchange.of_type(EventType.TLS)}
    assert handshakes[Direction.CLIENT]["sni"] == "localhost"
    assert handshakes[Direction.CLIENT]["alpn"] == "http/1.1"
    assert handshakes[Direction.SERVER]["verified"] is True
    assert handshakes[Direction.SERVER]["alpn"] == "http/1.1"
    assert handshakes[Direction.SERVER]["certificate"]["san"] == ["DNS:localhost"]
    assert exchange.sent == b"relay" and exchange.received == b"hello relay"


def test_a_target_certificate_nobody_trusts_is_a_verify_error_of_the_server_side(
    relay, tls_backend: tuple[int, str]
) -> None:
    port, _ca_file = tls_backend
    target = Target("127.0.0.1", port, Transport.TLS, tls=TlsOptions(server_name="localhost"))
    running = relay(target)
    context = ssl.create_default_context(cafile=running.address.ca_file)
    with context.wrap_socket(running.connect(), server_hostname="localhost") as client:
        assert read_all(client) == b""
    exchange = running.next_finished()

    assert exchange.stop is StopReason.ERROR
    assert exchange.error is not None and exchange.error.kind is ErrorKind.TLS_VERIFY
    assert next(exchange.of_type(EventType.ERROR)).direction is Direction.SERVER


def test_udp_each_client_address_is_a_conversation_of_datagrams_both_ways(relay) -> None:
    backend = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    backend.bind(("127.0.0.1", 0))
    backend.settimeout(WAIT)
    running = relay(Target("127.0.0.1", backend.getsockname()[1], Transport.UDP), idle_timeout=0.3)
    assert running.address.transport is Transport.UDP
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(WAIT)
    client.sendto(b"one", ("127.0.0.1", running.port))
    data, relayed_from = backend.recvfrom(100)
    assert data == b"one"
    backend.sendto(b"reply one", relayed_from)
    assert client.recv(100) == b"reply one"
    client.sendto(b"two", ("127.0.0.1", running.port))
    assert backend.recvfrom(100) == (b"two", relayed_from)  # the same client's socket
    running.clients.get(timeout=WAIT).close()
    exchange = running.next_finished()

    datagrams = [
        (e.type, e.direction, e.data) for e in exchange.of_type(EventType.SEND, EventType.RECV)
    ]
    assert datagrams == [
        (EventType.SEND, Direction.CLIENT, b"one"),
        (EventType.RECV, Direction.SERVER, b"reply one"),
        (EventType.SEND, Direction.CLIENT, b"two"),
    ]
    assert exchange.stop is StopReason.CLOSED
    connects = {e.direction: e.detail for e in exchange.of_type(EventType.CONNECT)}
    assert connects[Direction.CLIENT]["peer"] == f"127.0.0.1:{client.getsockname()[1]}"
    assert connects[Direction.SERVER]["local"] == f"{relayed_from[0]}:{relayed_from[1]}"
    client.close()
    backend.close()


def test_closing_a_udp_session_ends_its_conversation(relay) -> None:
    backend = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    backend.bind(("127.0.0.1", 0))
    running = relay(Target("127.0.0.1", backend.getsockname()[1], Transport.UDP))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.sendto(b"one", ("127.0.0.1", running.port))
        running.clients.get(timeout=WAIT).close()
        exchange = running.next_finished()
    assert exchange.stop is StopReason.CLOSED and exchange.sent == b"one"
    backend.close()


def test_a_udp_conversation_ends_after_the_idle_time_without_a_datagram(relay) -> None:
    backend = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    backend.bind(("127.0.0.1", 0))
    target = Target("127.0.0.1", backend.getsockname()[1], Transport.UDP)
    running = relay(target, idle_timeout=0.2)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.sendto(b"one", ("127.0.0.1", running.port))
        exchange = running.next_finished()
    assert exchange.stop is StopReason.IDLE and "idle" in exchange.stop_message
    backend.close()
