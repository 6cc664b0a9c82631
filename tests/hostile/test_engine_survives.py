"""Every hostile case through the engine: it ends as the table says, keeps what arrived,
names the problems, puts no raw control character in a message, and Cancel stops it."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from sockscope.core.analysis import analyse
from sockscope.core.model import Event, EventType, Overflow, StopReason
from sockscope.core.sanitize import sanitize
from sockscope.engine import run_exchange
from sockscope.lab import LabThread
from sockscope.lab.hostile import CASES, Case
from tests.hostile.conftest import ExchangeOf, case_params, send_plan, unsafe_characters

# Seconds the lab may take to end a connection after its client left (the slow trickle
# notices at its next byte, a second later). Only a leak ever waits this long.
SERVER_GONE = 10.0


@pytest.mark.parametrize("case", case_params())
def test_each_case_ends_as_its_table_row_says(exchange_of: ExchangeOf, case: Case) -> None:
    plan, exchange = exchange_of(case)

    expect = case.expect
    assert exchange.stop is expect.stop, exchange.stop_message
    assert expect.says in exchange.stop_message
    assert (exchange.error.kind if exchange.error else None) is expect.error
    if exchange.error is not None:
        assert exchange.error.message in exchange.stop_message
    analysis = analyse(exchange, plan.template.parser if plan.template else None)
    codes = {p.code for p in analysis.http.problems} if analysis.http else set()
    assert set(expect.problems) <= codes


@pytest.mark.parametrize("case", case_params())
def test_each_case_keeps_every_byte_that_arrived(exchange_of: ExchangeOf, case: Case) -> None:
    plan, exchange = exchange_of(case)

    handshake_failed = exchange.error is not None and not any(exchange.of_type(EventType.TLS))
    if case.sends is None:  # endless: what was kept is the start of the stream
        assert len(exchange.received) <= plan.policy.capture_limit
        assert exchange.bytes_in >= len(exchange.received)
    elif exchange.error is None or exchange.stop is StopReason.RESET:
        assert exchange.received == case.sends
    else:
        assert handshake_failed
        assert exchange.received == b""


@pytest.mark.parametrize("case", case_params())
def test_no_message_of_any_case_carries_a_raw_control_character(
    exchange_of: ExchangeOf, case: Case
) -> None:
    _, exchange = exchange_of(case)

    messages = [exchange.stop_message]
    if exchange.error is not None:
        messages += [exchange.error.message, exchange.error.hint or ""]
    messages += [str(e.detail.get("message", "")) for e in exchange.events]
    for message in messages:
        assert unsafe_characters(message) == set(), message
        assert sanitize(message) == message


ENDLESS = tuple(case for case in CASES if case.endless or case.name == "firehose")


@pytest.mark.parametrize("case", case_params(ENDLESS))
def test_cancel_from_another_thread_stops_an_endless_case_and_keeps_its_bytes(
    hostile_lab: LabThread, case: Case
) -> None:
    plan = send_plan(hostile_lab, case)
    # Only Cancel may end it: no idle timeout, bytes past the capture limit only counted,
    # and the safety deadline far away.
    policy = replace(
        plan.policy,
        connect_timeout=60,
        idle_timeout=None,
        deadline=60,
        overflow=Overflow.COUNT,
    )
    speaks = case.sends is None or bool(case.sends)
    trigger = EventType.RECV if speaks else EventType.CONNECT
    arrived, cancel = threading.Event(), threading.Event()

    def on_event(event: Event) -> None:
        if event.type is trigger:
            arrived.set()

    def press_cancel() -> None:
        arrived.wait()
        cancel.set()

    presser = threading.Thread(target=press_cancel, daemon=True)
    presser.start()
    exchange = run_exchange(plan.target, plan.request, policy, on_event=on_event, cancel=cancel)
    arrived.set()  # lets the presser finish whatever happened
    presser.join()

    assert exchange.stop is StopReason.CANCELLED, exchange.stop_message
    assert exchange.stop_message.startswith("cancelled")
    if speaks:
        assert exchange.received
        assert exchange.received == b"".join(e.data for e in exchange.of_type(EventType.RECV))
    hostile_lab.wait_idle(SERVER_GONE)


@pytest.mark.parametrize("case", case_params(ENDLESS))
def test_the_lab_ends_an_endless_case_once_its_client_leaves(
    hostile_lab: LabThread, case: Case
) -> None:
    plan = send_plan(hostile_lab, case)
    exchange = run_exchange(plan.target, plan.request, plan.policy)

    assert exchange.finished
    hostile_lab.wait_idle(SERVER_GONE)
