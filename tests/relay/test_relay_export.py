"""A relayed conversation saved and exported: the transcript keeps every event's direction
(and transcripts without one still load), the pcap shows the real client talking to the
real server both ways, and the Python export replays the client's side."""

from __future__ import annotations

import ast
import contextlib
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import dpkt
import pytest

from sockscope.core.model import Direction, Exchange, Target
from sockscope.export.pcap import to_pcap
from sockscope.export.python_script import to_python
from sockscope.export.transcript import TranscriptError, parse_transcript, transcript_text
from tests.relay.conftest import WAIT, read_all


@pytest.fixture
def echo_server() -> Iterator[Target]:
    """Answers each read with `echo: ` and the bytes, until the client's EOF, then closes;
    one connection after another."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.settimeout(WAIT)
                while data := conn.recv(4096):
                    conn.sendall(b"echo: " + data)

    threading.Thread(target=serve, daemon=True).start()
    yield Target("127.0.0.1", listener.getsockname()[1])
    listener.close()


def _relayed(relay, target: Target) -> tuple[Exchange, str]:  # type: ignore[no-untyped-def]
    running = relay(target)
    with running.connect() as client:
        client_address = f"127.0.0.1:{client.getsockname()[1]}"
        client.sendall(b"first")
        assert client.recv(100) == b"echo: first"
        client.sendall(b"second")
        assert client.recv(100) == b"echo: second"
        client.shutdown(socket.SHUT_WR)
        assert read_all(client) == b""
    return running.next_finished(), client_address


def test_the_transcript_keeps_each_events_direction(relay, echo_server: Target) -> None:
    exchange, _ = _relayed(relay, echo_server)
    loaded = parse_transcript(transcript_text(exchange).encode(), "relay.json")
    assert [e.direction for e in loaded.events] == [e.direction for e in exchange.events]
    assert {e.direction for e in loaded.events} == {Direction.CLIENT, Direction.SERVER}


def test_a_transcript_without_directions_loads_with_none(relay, echo_server: Target) -> None:
    exchange, _ = _relayed(relay, echo_server)
    doc = exchange.to_dict()
    for event in doc["events"]:
        del event["direction"]
    loaded = parse_transcript(json.dumps(doc).encode(), "old.json")
    assert all(e.direction is None for e in loaded.events)
    assert "direction" not in json.dumps(loaded.to_dict()["events"])


def test_a_direction_other_than_client_or_server_is_refused_naming_the_field(
    relay, echo_server: Target
) -> None:
    exchange, _ = _relayed(relay, echo_server)
    doc = exchange.to_dict()
    doc["events"][0]["direction"] = "\x1b]52;c;x\x07"
    with pytest.raises(TranscriptError) as refused:
        parse_transcript(json.dumps(doc).encode(), "bad.json")
    assert "events[0].direction" in str(refused.value)
    assert "\x1b" not in str(refused.value)


def test_the_pcap_shows_the_real_client_talking_to_the_real_server_both_ways(
    relay, echo_server: Target, tmp_path: Path
) -> None:
    exchange, client_address = _relayed(relay, echo_server)
    path = tmp_path / "relay.pcap"
    path.write_bytes(to_pcap(exchange))
    with path.open("rb") as f:
        segments = [dpkt.ethernet.Ethernet(buf).data.data for _ts, buf in dpkt.pcap.Reader(f)]

    client_port = int(client_address.rpartition(":")[2])
    syn = segments[0]
    assert (syn.sport, syn.dport) == (client_port, echo_server.port)
    sent = b"".join(s.data for s in segments if s.sport == client_port)
    received = b"".join(s.data for s in segments if s.sport == echo_server.port)
    assert sent == b"firstsecond" and received == b"echo: firstecho: second"
    fins = [s.sport for s in segments if s.flags & dpkt.tcp.TH_FIN]
    assert fins == [client_port, echo_server.port]  # the client half-closed first


def test_the_python_export_replays_the_client_side_against_the_server(
    relay, echo_server: Target, tmp_path: Path
) -> None:
    exchange, _ = _relayed(relay, echo_server)
    script = tmp_path / "replay.py"
    script.write_text(to_python(exchange))
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    chunks = [ast.literal_eval(line) for line in out.stdout.splitlines() if line[:2] == "b'"]
    assert b"".join(chunks) == b"echo: firstecho: second"


def test_the_app_opens_a_relayed_conversation_with_the_servers_reply(
    relay, echo_server: Target
) -> None:
    from sockscope.tui.app import SockscopeApp
    from tests.tui.helpers import pilot_test, view_text

    exchange, _ = _relayed(relay, echo_server)

    @pilot_test
    async def opened() -> None:
        app = SockscopeApp(exchanges=[exchange], cursor_blink=False)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            assert app.explorer.current is exchange
            assert "echo: first" in view_text(app, "decoded-view")

    opened()
