"""redis, memcached and xinetd's built-in echo and daytime: line protocols from real
servers, through `sockscope send` as a user would type it."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

from tests.clirun import CliResult
from tests.interop.conftest import Inetd, Server


def received(run: CliResult) -> bytes:
    return base64.b64decode(run.json()["received_b64"])


def test_redis_ping_template_gets_pong_parsed_as_a_redis_reply(
    cli: Callable[..., CliResult], redis: Server
) -> None:
    run = cli("send", redis.host, redis.port, "-T", "redis-ping", "--json")
    assert run.code == 0, run.err
    data = run.json()

    assert received(run) == b"+PONG\r\n"
    assert data["stop_reason"] == "delimiter"  # redis keeps the connection open
    assert data["protocol"] == "redis" and data["http"] is None
    assert data["replies"] == [
        {"code": "+", "lines": ["PONG"], "multiline": False, "complete": True}
    ]


def test_redis_error_reply_is_parsed_as_an_error(
    cli: Callable[..., CliResult], redis: Server
) -> None:
    run = cli("send", redis.host, redis.port, "-T", "redis-ping", "-d", "NOSUCHCOMMAND\\r\\n")
    assert run.code == 0, run.err

    assert "redis replies" in run.out
    assert re.search(r"^\s+- ERR unknown command 'NOSUCHCOMMAND'", run.out, re.M), run.out


def test_memcached_version_answers_with_its_version_line(
    cli: Callable[..., CliResult], memcached: Server
) -> None:
    run = cli(
        "send", memcached.host, memcached.port, "-d", "version\\r\\n", "--until", "\\r\\n", "--json"
    )
    assert run.code == 0, run.err

    assert re.fullmatch(rb"VERSION \d+\.\d+\.\d+\r\n", received(run)), received(run)
    assert run.json()["stop_reason"] == "delimiter"


def test_inetd_echo_returns_the_exact_bytes_sent(
    cli: Callable[..., CliResult], inetd: Inetd
) -> None:
    echo = inetd.echo
    payload = "ping\\r\\n\\x00\\xff\\x1b[31m"
    run = cli("send", echo.host, echo.port, "-d", payload, "--half-close", "--json")
    assert run.code == 0, run.err

    assert received(run) == b"ping\r\n\x00\xff\x1b[31m"
    assert run.json()["stop_reason"] == "peer-closed"


def test_inetd_daytime_sends_one_line_then_closes(
    cli: Callable[..., CliResult], inetd: Inetd
) -> None:
    daytime = inetd.daytime
    run = cli("send", daytime.host, daytime.port, "-T", "daytime", "--json")
    assert run.code == 0, run.err

    line = received(run)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert re.search(rb"\d{1,2}:\d{2}:\d{2}", line), line
    assert run.json()["stop_reason"] == "peer-closed"


def test_inetd_daytime_report_says_the_server_finished_sending(
    cli: Callable[..., CliResult], inetd: Inetd
) -> None:
    run = cli("send", inetd.daytime.host, inetd.daytime.port, "-T", "daytime")

    assert run.code == 0
    assert "server finished sending (EOF)" in run.out
