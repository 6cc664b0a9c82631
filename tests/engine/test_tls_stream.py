"""TLS through memory: large socket reads, records decrypted from memory, and the signals
an SSLSocket gives (want read, want write, the close_notify, a truncation) kept."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import ssl
from collections.abc import Iterator

import pytest
import trustme

from sockscope.engine.tls_stream import TlsStream


@pytest.fixture
def pair() -> Iterator[tuple[TlsStream, TlsStream]]:
    """A client and a server TlsStream over a socket pair, their handshake done."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    left, right = socket.socketpair()
    left.setblocking(False)
    right.setblocking(False)
    client = TlsStream(left, client_context, "localhost")
    server = TlsStream(right, server_context, None, server_side=True)
    done: set[TlsStream] = set()
    while len(done) < 2:
        for side in (client, server):
            if side not in done:
                with contextlib.suppress(ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    side.do_handshake()
                    done.add(side)
    yield client, server
    client.close()
    server.close()


def _read(stream: TlsStream, size: int = 1 << 20) -> tuple[bytes, int]:
    """A read as the engine makes it: told to wait, it reads again once the socket has
    something; SSLWantReadError when it has nothing."""
    buffer = bytearray(size)
    while True:
        try:
            n, records = stream.read_into(memoryview(buffer), size)
        except ssl.SSLWantReadError:
            if not select.select([stream.raw], [], [], 0)[0]:
                raise
            continue
        return bytes(buffer[:n]), records


def test_one_read_gathers_every_record_that_has_arrived_and_counts_them(
    pair: tuple[TlsStream, TlsStream],
) -> None:
    client, server = pair
    for piece in (b"one ", b"two ", b"three"):
        assert server.send(piece) == len(piece)  # a record each

    assert _read(client) == (b"one two three", 3)
    with pytest.raises(ssl.SSLWantReadError):
        _read(client)


def test_a_close_notify_that_came_with_the_last_bytes_is_pending_then_read_as_the_end(
    pair: tuple[TlsStream, TlsStream],
) -> None:
    client, server = pair
    server.send(b"bye")
    with contextlib.suppress(ssl.SSLWantReadError):
        server.unwrap()  # the close_notify goes out; the client's has not come

    assert _read(client) == (b"bye", 1)
    # The socket has nothing left to say: a relay waiting on it would wait forever.
    assert client.pending()
    assert _read(client) == (b"", 0)


def test_bytes_before_a_close_without_close_notify_come_first_then_the_truncation(
    pair: tuple[TlsStream, TlsStream],
) -> None:
    client, server = pair
    server.send(b"cut")
    server.raw.close()

    assert _read(client) == (b"cut", 1)
    with pytest.raises(ssl.SSLEOFError):
        _read(client)


def test_a_send_the_socket_cannot_take_is_repeated_and_its_bytes_arrive_once(
    pair: tuple[TlsStream, TlsStream],
) -> None:
    client, server = pair
    data = os.urandom(4 << 20)
    view = memoryview(data)
    sent = refused = 0
    received = bytearray()
    while len(received) < len(data):
        if sent < len(data):
            try:
                sent += client.send(view[sent:])
                continue
            except ssl.SSLWantWriteError:
                refused += 1
        with contextlib.suppress(ssl.SSLWantReadError):
            received += _read(server)[0]

    assert refused  # the socket pair's buffers were full at least once
    assert sent == len(data)
    assert received == data


class _CountingSocket:
    """A socket that counts the reads that found nothing."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.empty_reads = 0

    def fileno(self) -> int:
        return self.sock.fileno()

    def recv_into(self, buffer: memoryview, size: int) -> int:
        try:
            return self.sock.recv_into(buffer, size)
        except BlockingIOError:
            self.empty_reads += 1
            raise

    def close(self) -> None:
        self.sock.close()


def test_a_read_that_emptied_the_socket_sends_the_caller_to_wait_without_asking_it_again(
    pair: tuple[TlsStream, TlsStream],
) -> None:
    client, server = pair
    counting = _CountingSocket(client.raw)
    client.raw = counting  # type: ignore[assignment]
    for _ in range(3):
        server.send(b"x" * 20_000)

        assert _read(client) == (b"x" * 20_000, 2)
        with pytest.raises(ssl.SSLWantReadError):
            _read(client)

    assert counting.empty_reads == 0
