"""`sockscope relay` as a user runs it: addresses read and refused in one line, the human
report of a conversation (both sides, each parsed) with every hostile byte made visible."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest

from sockscope.cli import main
from sockscope.cli.parsing import build_parser
from sockscope.cli.relay_plan import plan_relay
from sockscope.core.model import Transport
from tests.relay.conftest import WAIT

HOSTILE = "\x1b]52;c;cHduZWQ=\x07"


def _plan(*argv: str):  # type: ignore[no-untyped-def]
    return plan_relay(build_parser("relay").parse_args(list(argv)))


def test_listen_and_target_addresses_are_read_as_a_user_writes_them() -> None:
    plain = _plan("8080", "example.com:80")
    assert (plain.config.host, plain.config.port) == ("127.0.0.1", 8080)
    assert (plain.config.target.host, plain.config.target.port) == ("example.com", 80)
    assert not plain.warnings
    v6 = _plan("[::1]:0", "[::1]:6379")
    assert (v6.config.host, v6.config.target.host) == ("::1", "::1")
    unix = _plan("unix:/tmp/relay.sock", "/run/app.sock")
    assert unix.config.listen_unix and unix.config.host == "/tmp/relay.sock"
    assert unix.config.target.transport is Transport.UNIX
    everywhere = _plan("0.0.0.0:8080", "127.0.0.1:80")
    assert "not a loopback address" in everywhere.warnings[0]


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["8080"], "TARGET"),
        (["8080", "example.com"], "TARGET"),
        (["8080", "127.0.0.1:80", "--cert", "x.pem"], "--cert"),
        (["8080", "127.0.0.1:0"], "TARGET"),
        (["8080", "/tmp/x.sock", "-t", "tls"], "--transport"),
    ],
)
def test_bad_input_is_one_line_naming_the_field_and_exit_2(
    argv: list[str], names: str, capsys
) -> None:
    assert main(["relay", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and names in err and "Traceback" not in err


def test_the_report_shows_both_sides_parsed_with_hostile_bytes_made_visible() -> None:
    backend = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = backend.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(
                f"HTTP/1.1 200 OK\r\nX-Evil: {HOSTILE}\r\nContent-Length: 0\r\n\r\n".encode()
            )

    threading.Thread(target=serve, daemon=True).start()
    target = f"127.0.0.1:{backend.getsockname()[1]}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sockscope", "relay", "0", target, "--count", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("relaying 127.0.0.1:") and target in first
        port = int(first.split(":")[1].split()[0])
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
            client.sendall(f"GET /{HOSTILE} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            while client.recv(4096):
                pass
        out, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        backend.close()
    assert proc.returncode == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "␛]52;c;cHduZWQ=␇" in out
    for section in ("Timeline", "Client -> server", "HTTP request", "Server -> client", "HTTP"):
        assert section in out
    assert "client send" in out and "server recv" in out  # who spoke, on one timeline
    assert "stopped: 1 connection" in out


def test_sigterm_stops_the_relay_with_its_summary_and_exit_0() -> None:
    import json
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "sockscope", "relay", "0", "127.0.0.1:9", "--json"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "relaying" in json.loads(proc.stdout.readline())
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert json.loads(out.splitlines()[-1]) == {"stopped": {"connections": 0, "turned_away": 0}}
