"""Listeners started in-process (engine) or as `python -m sockscope listen` (CLI), on port 0."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from sockscope.core.model import Exchange
from sockscope.engine.listener import ClientSession, ListenConfig, Listener
from sockscope.engine.serving import ListenAddress

WAIT = 15.0  # a safety net for a broken build, never a way to synchronise


@dataclass
class Running:
    listener: Listener
    address: ListenAddress
    clients: queue.Queue[ClientSession] = field(default_factory=queue.Queue)
    finished: queue.Queue[Exchange] = field(default_factory=queue.Queue)
    notes: queue.Queue[str] = field(default_factory=queue.Queue)

    @property
    def port(self) -> int:
        assert self.address.port is not None
        return self.address.port

    def next_finished(self) -> Exchange:
        return self.finished.get(timeout=WAIT)

    def next_client(self) -> ClientSession:
        return self.clients.get(timeout=WAIT)


@pytest.fixture
def listen() -> Iterator[Callable[..., Running]]:
    """Start a Listener with `ListenConfig(**fields)`; every one is stopped afterwards."""
    started: list[Listener] = []

    def start(responder: Any = None, **fields: Any) -> Running:
        clients: queue.Queue[ClientSession] = queue.Queue()
        finished: queue.Queue[Exchange] = queue.Queue()
        notes: queue.Queue[str] = queue.Queue()
        listener = Listener(
            ListenConfig(**fields),
            responder=responder,
            on_client=clients.put,
            on_finished=lambda _session, exchange: finished.put(exchange),
            on_note=lambda message, _facts: notes.put(message),
        )
        address = listener.start()
        started.append(listener)
        return Running(listener, address, clients, finished, notes)

    yield start
    for listener in started:
        listener.stop()


@dataclass
class CliListener:
    proc: subprocess.Popen[str]
    listening: dict[str, Any]

    def next_json(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read() if self.proc.stderr else "no output"
        return json.loads(line)


@pytest.fixture
def listen_cli() -> Iterator[Callable[..., CliListener]]:
    """`python -m sockscope listen ARGS --json` as a subprocess, killed in teardown."""
    procs: list[subprocess.Popen[str]] = []

    def start(*args: object) -> CliListener:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sockscope", "listen", *map(str, args), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first, proc.stderr.read() if proc.stderr else "no output"
        return CliListener(proc, json.loads(first)["listening"])

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=WAIT)
