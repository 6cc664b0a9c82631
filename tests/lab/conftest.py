"""Connections to the session's lab (the `lab` fixture of tests/conftest.py)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from sockscope.lab import LabThread

# Long enough for a loaded machine; a test that waits this long has already failed.
TIMEOUT = 10.0


@pytest.fixture
def connect(lab: LabThread) -> Iterator[Callable[..., socket.socket]]:
    """`connect(service, transport=None)`: a TCP socket to the service, closed after the test."""
    opened: list[socket.socket] = []

    def open_connection(service: str, transport: str | None = None) -> socket.socket:
        sock = socket.create_connection((lab.host, lab.port(service, transport)), timeout=TIMEOUT)
        opened.append(sock)
        return sock

    yield open_connection
    for sock in opened:
        sock.close()


@pytest.fixture
def udp() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT)
        yield sock
