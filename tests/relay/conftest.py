"""Relays started in-process on port 0, in front of small loopback servers the tests drive."""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from sockscope.core.model import Exchange, Target
from sockscope.engine.relay import Relay, RelayConfig, RelaySession
from sockscope.engine.serving import ListenAddress

WAIT = 15.0  # a safety net for a broken build, never a way to synchronise


@dataclass
class Running:
    relay: Relay
    address: ListenAddress
    finished: queue.Queue[Exchange] = field(default_factory=queue.Queue)
    notes: queue.Queue[str] = field(default_factory=queue.Queue)
    clients: queue.Queue[RelaySession] = field(default_factory=queue.Queue)

    @property
    def port(self) -> int:
        assert self.address.port is not None
        return self.address.port

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        return sock

    def next_finished(self) -> Exchange:
        return self.finished.get(timeout=WAIT)


@pytest.fixture
def relay() -> Iterator[Callable[..., Running]]:
    """Start a Relay with `RelayConfig(target, **fields)`; every one is stopped afterwards."""
    started: list[Relay] = []

    def start(target: Target, **fields: Any) -> Running:
        finished: queue.Queue[Exchange] = queue.Queue()
        notes: queue.Queue[str] = queue.Queue()
        clients: queue.Queue[RelaySession] = queue.Queue()
        running = Relay(
            RelayConfig(target, **fields),
            on_client=clients.put,
            on_finished=lambda _session, exchange: finished.put(exchange),
            on_note=lambda message, _facts: notes.put(message),
        )
        address = running.start()
        started.append(running)
        return Running(running, address, finished, notes, clients)

    yield start
    for running in started:
        running.stop()


class Server:
    """A loopback TCP server on port 0 whose one connection the test drives by hand."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._accepted: queue.Queue[socket.socket] = queue.Queue()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with self.sock:
            conn, _ = self.sock.accept()
            conn.settimeout(WAIT)
            self._accepted.put(conn)

    def target(self) -> Target:
        return Target("127.0.0.1", self.port)

    def accepted(self) -> socket.socket:
        return self._accepted.get(timeout=WAIT)


@pytest.fixture
def server() -> Server:
    return Server()


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data
