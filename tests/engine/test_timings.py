"""Each reported phase is timed around its own system call, not the time before it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sockscope.core.model import EventType, ReadPolicy, Target, TlsOptions, Transport
from sockscope.engine import connection
from sockscope.engine.run import run_exchange

HTTP_GET = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
POLICY = ReadPolicy(idle_timeout=5.0, deadline=10.0)
DELAY = 0.5  # work before the resolver runs, which the old window counted as "dns"


@pytest.fixture
def slow_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the engine lose DELAY seconds between its start and each phase's call."""
    real = connection.Connection._in_thread

    def delayed(self: connection.Connection, work: Any, phase: str) -> Any:
        time.sleep(DELAY)
        return real(self, work, phase)

    monkeypatch.setattr(connection.Connection, "_in_thread", delayed)


def test_dns_connect_and_tls_exclude_the_work_before_each_call(lab, slow_start) -> None:
    target = Target(
        "127.0.0.1", lab.port("https"), Transport.TLS, tls=TlsOptions(ca_file=lab.ca_file)
    )
    exchange = run_exchange(target, HTTP_GET, POLICY)

    assert exchange.error is None
    timings = exchange.timings()
    resolve = next(exchange.of_type(EventType.RESOLVE))
    assert resolve.t >= DELAY  # the slow start happened inside the exchange...
    assert timings.resolve is not None and timings.resolve < DELAY  # ...but is not "dns"
    assert timings.resolve == resolve.detail["duration"]
    connect = next(exchange.of_type(EventType.CONNECT))
    tls = next(exchange.of_type(EventType.TLS))
    assert timings.connect == connect.detail["duration"] <= connect.t - resolve.t
    assert timings.tls == tls.detail["duration"] <= tls.t - connect.t
