"""Starting, stopping, fixed ports, and surviving clients that misbehave."""

from __future__ import annotations

import logging
import socket
import ssl
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sockscope.lab import LabError, LabThread
from sockscope.lab.catalog import MAX_OFFSET, SERVICES

Connect = Callable[..., socket.socket]


def reset(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN, as a crashed or impatient client does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.fixture
def listening() -> Iterator[int]:
    """A port that something else is already listening on."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock.getsockname()[1]


def test_client_reset_mid_request_does_not_hurt_the_next_client(
    connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    first = connect("http")
    first.sendall(b"GET /bytes?n=1000000000 HTTP/1.1\r\nHost: loc")
    reset(first)
    second = connect("http")
    second.sendall(b"GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert second.makefile("rb").read().startswith(b"HTTP/1.1 200 OK\r\n")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_client_reset_mid_download_does_not_hurt_the_next_client(
    connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    first = connect("http")
    first.sendall(b"GET /bytes?n=1000000000 HTTP/1.1\r\n\r\n")
    first.recv(65536)
    reset(first)
    second = connect("http")
    second.sendall(b"GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert second.makefile("rb").read().startswith(b"HTTP/1.1 200 OK\r\n")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_plaintext_on_the_https_port_does_not_hurt_the_next_client(
    lab: LabThread, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    plain = connect("https")
    plain.sendall(b"GET / HTTP/1.1\r\n\r\n")
    plain.makefile("rb").read()
    context = ssl.create_default_context(cafile=lab.ca_file)
    with context.wrap_socket(connect("https"), server_hostname="localhost") as sock:
        sock.sendall(b"GET /hello HTTP/1.0\r\n\r\n")
        assert sock.makefile("rb").read().startswith(b"HTTP/1.1 200 OK\r\n")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def read_to_end(sock: socket.socket) -> bytes:
    try:
        return sock.makefile("rb").read()
    except ConnectionResetError:
        return b""


def test_stop_closes_connections_even_to_clients_that_stopped_reading(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with LabThread() as lab:
        trickle = socket.create_connection((lab.host, lab.port("trickle")), timeout=10)
        stalled = socket.create_connection((lab.host, lab.port("http")), timeout=10)
        stalled.sendall(b"GET /bytes?n=1000000000 HTTP/1.1\r\n\r\n")
        trickle.recv(100)
        stalled.recv(100)
    with trickle, stalled:
        # Both reads end: the lab closed the connections instead of leaving them open.
        read_to_end(trickle)
        assert len(read_to_end(stalled)) < 1_000_000_000
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_stop_removes_the_ca_file() -> None:
    with LabThread() as lab:
        ca_file = Path(lab.ca_file)
        assert ca_file.exists()
    assert not ca_file.exists()


def test_a_busy_port_is_named_when_the_lab_starts(listening: int) -> None:
    # greeter comes first in the table and sits at offset 1.
    with pytest.raises(
        LabError, match=rf"greeter \(tcp\) cannot listen on 127.0.0.1 port {listening}"
    ):
        LabThread(port_base=listening - 1).start()


def test_port_base_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="port base"):
        LabThread(port_base=65535 - MAX_OFFSET + 1)


def test_port_base_puts_each_service_at_its_documented_offset() -> None:
    # Fixed ports can be taken by someone else: try a few free-looking bases, else skip.
    for _ in range(3):
        with socket.create_server(("127.0.0.1", 0)) as probe:
            base = probe.getsockname()[1] - MAX_OFFSET
        try:
            lab = LabThread(port_base=base).start()
        except LabError:
            continue
        try:
            expected = {s.name: dict.fromkeys(s.transports, base + s.offset) for s in SERVICES}
            assert lab.ports == expected
            assert (expected["echo"]["tcp"], expected["http"]["tcp"]) == (base + 7, base + 80)
            with socket.create_connection((lab.host, base + 13), timeout=10) as sock:
                assert sock.makefile("rb").read().endswith(b"-UTC\r\n")
        finally:
            lab.stop()
        return
    pytest.skip("no free range of ports for a fixed port base")


def test_a_running_lab_thread_refuses_a_second_start(lab: LabThread) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        lab.start()
