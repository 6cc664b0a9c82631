"""`sockscope lab`: the port table or one JSON line, then a clean exit on a signal."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys

import pytest

from sockscope.lab import LabThread, serve
from sockscope.lab.console import table

SERVE = "import sys; from sockscope.lab import serve; sys.exit(serve('127.0.0.1', None, True))"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_json_prints_the_ports_first_and_exits_cleanly_on_a_signal(signum: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        ports = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        with socket.create_connection(("127.0.0.1", ports["echo"]["tcp"]), timeout=10) as sock:
            sock.sendall(b"up?")
            assert sock.recv(3) == b"up?"
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert ports["https"] == {"tls": ports["https"]["tls"]}
    assert ports["qotd"]["udp"] > 0
    assert (proc.returncode, out, err) == (0, b"", b"")


def test_table_shows_a_send_command_for_every_port(lab: LabThread) -> None:
    text = table(lab.lab)
    for service, transports in lab.ports.items():
        for port in transports.values():
            assert f"{service} " in text
            assert f"$ sockscope send 127.0.0.1 {port} " in text
    assert lab.ca_file in text


def test_serve_names_a_busy_port_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert serve("127.0.0.1", port - 1, as_json=True) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"sockscope lab: greeter (tcp) cannot listen on 127.0.0.1 port {port}: "
        "Address already in use\n"
    )
