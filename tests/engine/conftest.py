"""Tiny servers the engine tests talk to: one thread each, on loopback ports the OS picks.

Each server plays one behaviour of hostile-servers.md. Handlers get the accepted socket
and a `release` event that is set at teardown, so a server that "never answers" holds
its connection exactly as long as the test needs it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

Handler = Callable[[socket.socket, threading.Event], None]


class Servers:
    def __init__(self) -> None:
        self.release = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    def _run(self, work: Callable[[], None]) -> None:
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _serve_stream(self, listener: socket.socket, handler: Handler) -> None:
        self._sockets.append(listener)

        def serve(conn: socket.socket) -> Callable[[], None]:
            def run() -> None:
                with conn, contextlib.suppress(OSError):
                    handler(conn, self.release)

            return run

        def work() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                self._run(serve(conn))

        self._run(work)

    def tcp(self, handler: Handler) -> int:
        """A TCP server running `handler` for each connection; returns its port."""
        listener = socket.create_server(("127.0.0.1", 0))
        self._serve_stream(listener, handler)
        return listener.getsockname()[1]

    def tls(self, context: ssl.SSLContext, handler: Handler) -> int:
        """A TLS server (the handshake done before `handler`)."""

        def wrapped(conn: socket.socket, release: threading.Event) -> None:
            with context.wrap_socket(conn, server_side=True) as tls_conn:
                handler(tls_conn, release)

        return self.tcp(wrapped)

    def unix(self, path: Path, handler: Handler) -> Path:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        listener.listen()
        self._serve_stream(listener, handler)
        return path

    def _serve_datagrams(self, sock: socket.socket, reply: Callable[[bytes], list[bytes]]) -> None:
        self._sockets.append(sock)
        sock.settimeout(0.05)  # to notice teardown; replies go out as soon as a request lands

        def work() -> None:
            while not self.release.is_set():
                try:
                    data, address = sock.recvfrom(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                for datagram in reply(data):
                    sock.sendto(datagram, address)

        self._run(work)

    def udp(self, reply: Callable[[bytes], list[bytes]]) -> int:
        """A UDP server answering each datagram with the datagrams `reply` returns."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        self._serve_datagrams(sock, reply)
        return sock.getsockname()[1]

    def unix_dgram(self, path: Path, reply: Callable[[bytes], list[bytes]]) -> Path:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(path))
        self._serve_datagrams(sock, reply)
        return path

    def close(self) -> None:
        self.release.set()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept()
            sock.close()
        for thread in list(self._threads):
            thread.join(5)


@pytest.fixture
def servers() -> Iterator[Servers]:
    running = Servers()
    yield running
    running.close()


@pytest.fixture
def free_port() -> int:
    """A TCP port nothing listens on: bound by us, then closed."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


@pytest.fixture
def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="sockscope engine tests")


@pytest.fixture(scope="session")
def self_signed_context(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server presenting the CA's own (self-signed) certificate as its identity."""
    pem = tmp_path_factory.mktemp("self-signed") / "identity.pem"
    pem.write_bytes(ca.private_key_pem.bytes() + ca.cert_pem.bytes())
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(pem))
    return context


@pytest.fixture(scope="session")
def wrong_host_context(ca: trustme.CA) -> ssl.SSLContext:
    """A server whose certificate, signed by `ca`, names other hosts only."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("other.example", "*.other.example").configure_cert(context)
    return context


def unreadable_certificate(ca: trustme.CA, directory: Path) -> tuple[ssl.SSLContext, bytes]:
    """A server context whose certificate OpenSSL serves but `cryptography` cannot read
    (it claims X.509 version 6), and that certificate's DER."""
    leaf = ca.issue_cert("localhost")
    der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
    version = bytes.fromhex("a003020102")  # [0] EXPLICIT INTEGER 2: version 3
    assert der.count(version) == 1
    der = der.replace(version, bytes.fromhex("a003020105"))
    pem = directory / "unreadable.pem"
    pem.write_text(ssl.DER_cert_to_PEM_cert(der))
    key = directory / "unreadable.key"
    leaf.private_key_pem.write_to_path(str(key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pem), str(key))
    return context, der


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path (Unix socket paths are limited), readable by anyone."""
    path = Path(tempfile.mkdtemp(prefix="ss-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield path
    for child in path.iterdir():
        child.unlink()
    path.rmdir()
