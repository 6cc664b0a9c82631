"""Every hostile stream case behind `sockscope relay`, with a client that is hostile too:
the relay's report of the conversation holds no byte a terminal would act on, whichever
side sent it, and stays a glance."""

from __future__ import annotations

import io
import queue
import socket
from collections.abc import Iterator

import pytest
from rich.console import Console

from sockscope.cli.relay_report import print_conversation
from sockscope.core.model import Exchange, Target
from sockscope.core.relay_analysis import analyse_relay
from sockscope.engine.relay import Relay, RelayConfig
from sockscope.lab import LabThread
from sockscope.lab.hostile import CASES, Case
from sockscope.lab.hostile.display import ATTACKS
from tests.hostile.conftest import case_params, unsafe_characters

WAIT = 15.0
REPORT_LIMIT = 256 * 1024
STREAM_CASES = tuple(c for c in CASES if c.transport == "tcp" and not c.endless)
# The client speaks HTTP carrying every display attack in its request line and a header.
CLIENT_ATTACKS = b"".join(attack.payload for attack in ATTACKS)
REQUEST = b"GET /" + CLIENT_ATTACKS + b" HTTP/1.1\r\nX-Attack: " + CLIENT_ATTACKS + b"\r\n\r\n"


@pytest.fixture
def relayed(hostile_lab: LabThread) -> Iterator[list[Relay]]:
    started: list[Relay] = []
    yield started
    for relay in started:
        relay.stop()


def _through_relay(lab: LabThread, case: Case, started: list[Relay]) -> Exchange:
    finished: queue.Queue[Exchange] = queue.Queue()
    relay = Relay(
        RelayConfig(Target(lab.host, lab.port(case.name)), idle_timeout=1.0),
        on_finished=lambda _session, exchange: finished.put(exchange),
    )
    address = relay.start()
    started.append(relay)
    with socket.create_connection((address.host, address.port), timeout=WAIT) as client:
        try:
            client.sendall(REQUEST)
            while client.recv(1 << 20):
                pass
        except OSError:
            pass  # a reset passed through is one of the cases
    return finished.get(timeout=WAIT)


@pytest.mark.parametrize("case", case_params(STREAM_CASES))
def test_the_relay_report_of_a_hostile_conversation_is_inert_text(
    hostile_lab: LabThread, relayed: list[Relay], case: Case
) -> None:
    exchange = _through_relay(hostile_lab, case, relayed)
    # A bare console, without the sanitising hook of cli.output: the report itself must
    # turn every byte into display text.
    console = Console(file=io.StringIO(), markup=False, highlight=False, emoji=False)
    print_conversation(console, 1, "127.0.0.1:1", exchange, analyse_relay(exchange), "utf-8")
    out = console.file.getvalue()  # type: ignore[attr-defined]

    assert "Traceback" not in out
    assert unsafe_characters(out) == set()
    assert len(out) < REPORT_LIMIT
    assert exchange.sent == REQUEST or exchange.bytes_out <= len(REQUEST)
