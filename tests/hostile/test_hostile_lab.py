"""The hostile lab itself: one port per case, a table that explains each, a JSON line
for scripts, and a clean stop even with clients stuck inside endless cases."""

from __future__ import annotations

import json
import logging
import signal
import socket
import subprocess
import sys

import pytest

from sockscope.lab import LabThread
from sockscope.lab.catalog import MAX_OFFSET
from sockscope.lab.console import table
from sockscope.lab.hostile import CASES, MAX_HOSTILE_OFFSET

TIMEOUT = 10.0


def test_every_case_listens_on_its_own_port_over_its_transport(hostile_lab: LabThread) -> None:
    # TCP and UDP number their ports apart, so a UDP case may share a TCP case's number.
    ports = {
        (case.transport == "udp", hostile_lab.port(case.name, case.transport)) for case in CASES
    }

    assert len(ports) == len(CASES)
    assert len({case.name for case in CASES}) == len(CASES)


def test_the_table_explains_every_case_and_how_to_try_it(hostile_lab: LabThread) -> None:
    text = table(hostile_lab.lab)

    for case in CASES:
        port = hostile_lab.port(case.name)
        assert f"{case.name} " in text
        assert case.does in text
        assert f"shows: {case.shows}" in text
        assert f"$ sockscope send 127.0.0.1 {port} " in text
    assert "{ca_file}" not in text
    assert f"--ca-file {hostile_lab.ca_file}" in text


def test_the_classic_lab_serves_no_hostile_case(lab: LabThread) -> None:
    assert not set(lab.ports) & {case.name for case in CASES}
    assert "Hostile cases" not in table(lab.lab)


def test_port_base_leaves_room_for_every_hostile_case() -> None:
    base = 65535 - MAX_HOSTILE_OFFSET + 1
    assert base <= 65535 - MAX_OFFSET
    LabThread(port_base=base)  # room enough for the classic services alone
    with pytest.raises(ValueError, match="port base"):
        LabThread(port_base=base, hostile=True)


def test_sockscope_lab_hostile_json_lists_every_case_then_stops_cleanly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sockscope", "lab", "--hostile", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        ports = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for case in CASES:
        assert list(ports[case.name]) == [case.transport]
    assert ports["http"]["tcp"] > 0
    assert (proc.returncode, out, err) == (0, b"", b"")


def _read_to_end(sock: socket.socket) -> None:
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass


def test_stop_ends_connections_stuck_inside_endless_cases(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with LabThread(hostile=True) as lab:
        flooded = socket.create_connection((lab.host, lab.port("never-ending")), TIMEOUT)
        trickled = socket.create_connection((lab.host, lab.port("slow-trickle")), TIMEOUT)
        ignored = socket.create_connection((lab.host, lab.port("idle")), TIMEOUT)
        stalled = socket.create_connection((lab.host, lab.port("tls-handshake-stall")), TIMEOUT)
        flooded.recv(1)  # then never reads again: the server is stuck in a full buffer
        trickled.recv(1)
        ignored.sendall(b"hello\n")
        stalled.sendall(b"\x16\x03\x01\x00\x05hello")
    with flooded, trickled, ignored, stalled:
        for sock in (flooded, trickled, ignored, stalled):
            _read_to_end(sock)  # each ends: the lab closed it rather than leaving it open
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
