"""`sockscope connect` in a script against real servers: `printf ... | sockscope connect`."""

from __future__ import annotations

import subprocess
import sys

from tests.interop.conftest import Inetd, Server


def piped(server: Server, stdin: bytes) -> list[str]:
    run = subprocess.run(
        [sys.executable, "-m", "sockscope", "connect", server.host, str(server.port)],
        input=stdin,
        capture_output=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.decode("utf-8").splitlines()


def test_printf_ping_to_redis_server_prints_pong(redis: Server) -> None:
    lines = piped(redis, b"PING\r\n")

    assert "  +PONG␍" in lines
    # redis closes once we half-close at the end of the input, so the command ends.
    assert lines[-1].startswith("* both sides finished sending: closed")


def test_several_redis_commands_get_their_replies_in_order(redis: Server) -> None:
    lines = piped(
        redis, b"SET sockscope:connect 42\r\nGET sockscope:connect\r\nDEL sockscope:connect\r\n"
    )

    replies = [line.strip() for line in lines if line.startswith("  ")]
    assert replies == ["+OK␍", "$2␍", "42␍", ":1␍"]


def test_xinetd_echo_returns_each_line(inetd: Inetd) -> None:
    lines = piped(inetd.echo, b"first\nsecond\n")

    replies = [line.strip() for line in lines if line.startswith("  ")]
    assert replies == ["first␍", "second␍"]
