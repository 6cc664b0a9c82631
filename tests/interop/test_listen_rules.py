"""redis-cli, a client nobody here wrote, against `sockscope listen --on`: the rule's
reply is what redis-cli prints, and an unmatched command gets the default."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.interop.conftest import program

WAIT = 15.0


def test_redis_cli_ping_gets_the_pong_of_an_on_rule() -> None:
    cli = program("redis-cli", "redis-tools")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "sockscope", "listen", "0", "--json"),
            *("--on", "PING=+PONG\\r\\n", "--default-reply", "-ERR not here\\r\\n"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = str(json.loads(proc.stdout.readline())["listening"]["port"])
        ping = subprocess.run(
            [cli, "-p", port, "PING"], capture_output=True, text=True, timeout=WAIT, check=True
        )
        other = subprocess.run(
            [cli, "-p", port, "GET", "k"], capture_output=True, text=True, timeout=WAIT
        )
    finally:
        proc.kill()
        proc.communicate(timeout=WAIT)
    assert ping.stdout.strip() == "PONG"
    assert "not here" in other.stdout + other.stderr
