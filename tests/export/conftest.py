"""Exchanges to export: recorded against the lab, or built by hand with fixed facts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sockscope.core.model import Event, EventType, Exchange, ReadPolicy, Target, Transport


@pytest.fixture
def record(lab) -> Callable[..., Exchange]:
    """Run one real exchange against a lab service, as `sockscope send` would."""
    from sockscope.engine import run_exchange

    def run(
        service: str,
        request: bytes,
        transport: Transport = Transport.TCP,
        policy: ReadPolicy = ReadPolicy(),  # noqa: B008 (frozen)
    ) -> Exchange:
        port = lab.port(service, "udp" if transport is Transport.UDP else "tcp")
        exchange = run_exchange(Target(lab.host, port, transport), request, policy)
        assert exchange.error is None, exchange.stop_message
        return exchange

    return run


def made_exchange(
    sent: list[bytes],
    received: list[bytes] = (),  # type: ignore[assignment]
    *,
    target: Target | None = None,
    policy: ReadPolicy | None = None,
) -> Exchange:
    """A finished TCP exchange with fixed times: connect, the sends, the replies, close."""
    events = [
        Event(EventType.RESOLVE, 0.001, detail={"addresses": ["192.0.2.7"]}),
        Event(
            EventType.CONNECT,
            0.002,
            detail={"local": "192.0.2.1:40000", "peer": "192.0.2.7:8080"},
        ),
    ]
    t = 0.002
    for data in sent:
        t += 0.001
        events.append(Event(EventType.SEND, t, data, len(data)))
    for data in received:
        t += 0.001
        events.append(Event(EventType.RECV, t, data, len(data)))
    events.append(Event(EventType.CLOSE, t + 0.001))
    return Exchange(
        target=target or Target("192.0.2.7", 8080),
        request=b"".join(sent),
        policy=policy or ReadPolicy(),
        events=events,
        stop=None,
        started_at=1_700_000_000.25,
    )
