"""Endless and huge replies cost bounded memory: the Exchange keeps at most the capture
limit, and the whole process's peak allocation stays far below the bytes received."""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from sockscope.core.model import Event, EventType, Overflow, StopReason
from sockscope.engine import run_exchange
from sockscope.lab import LabThread
from sockscope.lab.hostile import case
from sockscope.lab.hostile.transport import FIREHOSE_BYTES
from tests.hostile.conftest import send_plan

CAPTURE_LIMIT = 256 * 1024
PEAK_LIMIT = 64 * 1024 * 1024
NEVER_ENDING_READ = 64 * 1024 * 1024  # counted before Cancel, a quarter of it past the peak


@pytest.fixture
def peak_memory() -> Iterator[Callable[[], int]]:
    """The peak of traced allocations (every thread, the lab's too) since the test began."""
    tracemalloc.start()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_never_ending_counted_past_the_capture_limit_keeps_only_the_limit(
    hostile_lab: LabThread, peak_memory: Callable[[], int], record_property
) -> None:
    plan = send_plan(hostile_lab, case("never-ending"))
    policy = replace(
        plan.policy, capture_limit=CAPTURE_LIMIT, overflow=Overflow.COUNT, deadline=120
    )
    counted = 0
    cancel = threading.Event()

    def on_event(event: Event) -> None:
        nonlocal counted
        if event.type is EventType.RECV:
            counted += event.size
            if counted >= NEVER_ENDING_READ:
                cancel.set()

    exchange = run_exchange(plan.target, plan.request, policy, on_event=on_event, cancel=cancel)
    peak = peak_memory()
    record_property("tracemalloc_peak", peak)

    assert exchange.stop is StopReason.CANCELLED
    assert exchange.bytes_in >= NEVER_ENDING_READ
    assert len(exchange.received) <= CAPTURE_LIMIT
    assert exchange.truncated
    assert peak < PEAK_LIMIT


def test_the_whole_firehose_is_counted_while_only_the_capture_limit_is_kept(
    hostile_lab: LabThread, peak_memory: Callable[[], int], record_property
) -> None:
    plan = send_plan(hostile_lab, case("firehose"))
    policy = replace(
        plan.policy,
        capture_limit=CAPTURE_LIMIT,
        overflow=Overflow.COUNT,
        idle_timeout=30,
        deadline=None,
    )

    exchange = run_exchange(plan.target, plan.request, policy)
    peak = peak_memory()
    record_property("tracemalloc_peak", peak)

    assert exchange.stop is StopReason.PEER_CLOSED, exchange.stop_message
    assert exchange.bytes_in == FIREHOSE_BYTES
    assert len(exchange.received) == CAPTURE_LIMIT
    assert "95.4 MiB" in exchange.stop_message and "256.0 KiB kept" in exchange.stop_message
    assert peak < PEAK_LIMIT


def test_a_capture_limit_that_stops_keeps_no_more_than_the_limit(
    hostile_lab: LabThread,
) -> None:
    plan = send_plan(hostile_lab, case("never-ending"))
    exchange = run_exchange(plan.target, plan.request, plan.policy)

    assert exchange.stop is StopReason.CAPTURE_LIMIT
    assert len(exchange.received) == plan.policy.capture_limit == CAPTURE_LIMIT
