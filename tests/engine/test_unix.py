"""Unix stream sockets, and each way a socket path can be wrong."""

from __future__ import annotations

import json
import os
import socket
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from sockscope.core.model import ErrorKind, EventType, ReadPolicy, StopReason, Target, Transport
from sockscope.engine import run_exchange
from tests.engine.conftest import Servers

POLICY = ReadPolicy(connect_timeout=5.0, idle_timeout=5.0, deadline=20.0)


def echo_until_eof(conn: socket.socket, release: threading.Event) -> None:
    while data := conn.recv(65536):
        conn.sendall(data)


def test_unix_stream_echo_with_half_close(servers: Servers, short_dir: Path) -> None:
    path = servers.unix(short_dir / "echo.sock", echo_until_eof)
    policy = replace(POLICY, half_close=True)
    exchange = run_exchange(Target(str(path), None, Transport.UNIX), b"over unix\n", policy)

    assert exchange.received == b"over unix\n"
    assert exchange.stop is StopReason.PEER_CLOSED
    connect = next(exchange.of_type(EventType.CONNECT))
    assert connect.detail["peer"] == str(path)
    assert EventType.RESOLVE not in [e.type for e in exchange.events]


def unix_error(path: str, transport: Transport = Transport.UNIX) -> tuple[ErrorKind, str]:
    exchange = run_exchange(Target(path, None, transport), b"x", POLICY)
    assert exchange.stop is StopReason.ERROR
    assert exchange.error is not None
    return exchange.error.kind, exchange.stop_message


def test_a_missing_path_is_named(short_dir: Path) -> None:
    path = short_dir / "nobody-here.sock"
    assert unix_error(str(path)) == (
        ErrorKind.UNIX_PATH,
        f"no socket at {path}: the path does not exist",
    )


def test_a_regular_file_is_not_a_socket(short_dir: Path) -> None:
    path = short_dir / "plain.txt"
    path.write_text("not a socket")
    assert unix_error(str(path)) == (
        ErrorKind.UNIX_PATH,
        f"{path} is not a socket (it is a regular file)",
    )


def test_a_stale_socket_file_is_named(short_dir: Path) -> None:
    path = short_dir / "stale.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as gone:
        gone.bind(str(path))  # the file stays after the server is gone
    kind, message = unix_error(str(path))
    assert kind is ErrorKind.UNIX_PATH
    assert message == f"connection refused by {path}: stale socket file (no server is listening)"


def test_a_too_long_path_names_the_limit_before_connecting() -> None:
    path = "/tmp/" + "x" * 150
    assert unix_error(path) == (
        ErrorKind.UNIX_PATH,
        "Unix socket path too long: 155 bytes, the limit is 107 bytes",
    )


def test_a_stream_client_on_a_datagram_socket_is_told_which_transport_fits(
    servers: Servers, short_dir: Path
) -> None:
    path = servers.unix_dgram(short_dir / "dgram.sock", lambda request: [])
    kind, message = unix_error(str(path))
    assert kind is ErrorKind.UNIX_PATH
    assert message == f"{path} is a datagram socket"


def _unprivileged_kind(path: Path) -> dict[str, str]:
    """run_exchange as user nobody (root may connect anywhere), in a forked child."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop privileges, report through the pipe, never return
        try:
            os.setgid(65534)
            os.setuid(65534)
            exchange = run_exchange(Target(str(path), None, Transport.UNIX), b"x", POLICY)
            error = exchange.error
            result = {"kind": error.kind.value, "message": error.message} if error else {}
            os.write(write_end, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(report)


def test_a_socket_without_permission_is_named(servers: Servers, short_dir: Path) -> None:
    path = servers.unix(short_dir / "private.sock", echo_until_eof)
    os.chmod(path, 0o600)
    if os.geteuid() == 0:
        report = _unprivileged_kind(path)
    else:
        os.chmod(path, 0o000)
        exchange = run_exchange(Target(str(path), None, Transport.UNIX), b"x", POLICY)
        assert exchange.error is not None
        report = {"kind": exchange.error.kind.value, "message": exchange.error.message}
    assert report == {"kind": "permission", "message": f"permission denied for {path}"}


@pytest.mark.parametrize("transport", [Transport.UNIX, Transport.UNIX_DGRAM])
def test_unix_errors_are_the_same_for_both_kinds_of_socket(
    transport: Transport, short_dir: Path
) -> None:
    kind, _ = unix_error(str(short_dir / "absent.sock"), transport)
    assert kind is ErrorKind.UNIX_PATH
