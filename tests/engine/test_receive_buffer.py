"""Recording into a receive buffer (the app's runs): each kept byte is in the buffer once,
the RECV events are views of it, and the limits hold as without one."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import replace

import pytest

from sockscope.core.model import VIEWED, EventType, Overflow, StopReason, Target
from sockscope.core.steps import step_outcomes
from sockscope.core.templates import builtin_templates
from sockscope.engine import receive_buffer, run_exchange, run_steps
from sockscope.engine.connection import FileSink
from tests.engine.conftest import Servers
from tests.engine.test_tcp import POLICY, send_then_close

PAYLOAD = os.urandom(3 * 1024 * 1024 + 17)


def test_every_kept_byte_is_in_the_buffer_once_and_each_event_is_a_view_of_it(
    servers: Servers,
) -> None:
    port = servers.tcp(send_then_close(PAYLOAD))
    buffer = receive_buffer(POLICY.capture_limit)
    assert buffer is not None

    exchange = run_exchange(Target("127.0.0.1", port), b"", POLICY, buffer=buffer)

    assert exchange.stop is StopReason.PEER_CLOSED
    assert exchange.received == PAYLOAD
    whole = exchange.kept_bytes
    assert isinstance(whole, memoryview) and whole == PAYLOAD and whole.readonly
    storage = whole.obj
    for event in exchange.of_type(EventType.RECV):
        if len(event.data) >= VIEWED:
            assert isinstance(event.data, memoryview) and event.data.obj is storage
        else:
            assert isinstance(event.data, bytes)  # a view would cost more than the bytes
    assert buffer.filled == len(PAYLOAD)


def test_the_capture_limit_stops_the_read_at_the_same_byte_with_a_buffer(
    servers: Servers,
) -> None:
    port = servers.tcp(send_then_close(PAYLOAD))
    policy = replace(POLICY, capture_limit=100_000)

    exchange = run_exchange(
        Target("127.0.0.1", port), b"", policy, buffer=receive_buffer(policy.capture_limit)
    )

    assert exchange.stop is StopReason.CAPTURE_LIMIT
    assert exchange.kept_bytes == PAYLOAD[:100_000]
    assert exchange.stop_message == "stopped at the capture limit (97.7 KiB kept)"


def test_past_the_limit_the_sink_still_gets_every_byte_and_the_buffer_the_first(
    servers: Servers,
) -> None:
    port = servers.tcp(send_then_close(PAYLOAD))
    policy = replace(POLICY, capture_limit=10_000, overflow=Overflow.COUNT)
    written = io.BytesIO()

    exchange = run_exchange(
        Target("127.0.0.1", port),
        b"",
        policy,
        sink=FileSink(written),
        buffer=receive_buffer(policy.capture_limit),
    )

    assert written.getvalue() == PAYLOAD
    assert exchange.kept_bytes == PAYLOAD[:10_000] and exchange.bytes_in == len(PAYLOAD)


def test_a_buffer_smaller_than_the_limit_bounds_what_the_reads_keep(servers: Servers) -> None:
    port = servers.tcp(send_then_close(PAYLOAD))
    exchange = run_exchange(Target("127.0.0.1", port), b"", POLICY, buffer=receive_buffer(5000))

    assert exchange.stop is StopReason.CAPTURE_LIMIT
    assert exchange.kept_bytes == PAYLOAD[:5000]
    # The limit did not stop it: the stop line says what did.
    assert exchange.stop_message == (
        "stopped at 5,000 bytes kept: the memory the system would map for the capture "
        "(its limit is 8.0 MiB)"
    )


def test_a_dialogue_keeps_every_steps_reply_in_one_buffer(lab) -> None:  # type: ignore[no-untyped-def]
    template = builtin_templates()["smtp-dialogue"]
    port = lab.port("smtp")
    buffer = receive_buffer(POLICY.capture_limit)
    exchange = run_steps(
        Target(lab.host, port), template.dialogue(lab.host, port), POLICY, buffer=buffer
    )

    assert all(outcome.ok for outcome in step_outcomes(exchange))
    received = exchange.received
    assert received.startswith(b"220 ") and b"\r\n250" in received
    assert exchange.kept_bytes == received
    assert buffer is not None and buffer.filled == len(received)


def test_no_capacity_gives_no_buffer_and_one_the_system_will_not_map_gives_less() -> None:
    assert receive_buffer(0) is None
    huge = receive_buffer(1 << 48)  # 256 TiB: more than any address space maps at once
    assert huge is not None and 0 < huge.room < 1 << 48


@pytest.mark.skipif(sys.platform != "linux", reason="reads the resident size in /proc")
def test_a_gib_of_capacity_costs_memory_only_for_the_bytes_written() -> None:
    def resident() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    before = resident()
    buffer = receive_buffer(1 << 30)
    assert buffer is not None
    buffer.append(PAYLOAD)
    grown = resident() - before
    assert len(PAYLOAD) <= grown < len(PAYLOAD) + 16 * 1024 * 1024
