"""A real telnetd (Debian's inetutils-telnetd), started by this test's own xinetd:
`connect --telnet` answers its negotiation and gets the login prompt."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.interop.conftest import HOST, IS_ROOT, Server, free_ports, program, running, skip_server


@pytest.fixture(scope="module")
def telnetd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    xinetd = program("xinetd", "xinetd")
    daemon = program("telnetd", "inetutils-telnetd")
    if not IS_ROOT:
        skip_server("telnetd", "telnetd runs login, which needs root: run the tests as root")
    directory = tmp_path_factory.mktemp("telnetd")
    (port,) = free_ports()
    (directory / "xinetd.conf").write_text(
        f"""defaults
{{
    instances = 10
}}
service sockscope-telnet
{{
    type = UNLISTED
    id = sockscope-telnet
    socket_type = stream
    protocol = tcp
    wait = no
    user = root
    server = {daemon}
    bind = {HOST}
    port = {port}
}}
"""
    )
    argv = [
        *(xinetd, "-dontfork", "-f", str(directory / "xinetd.conf")),
        *("-pidfile", str(directory / "xinetd.pid"), "-filelog", str(directory / "xinetd.log")),
    ]
    with running("telnetd", argv, directory, [port]):
        yield Server("telnetd", port, directory)


def connect(server: Server, *options: str) -> list[str]:
    run = subprocess.run(
        [sys.executable, "-m", "sockscope", "connect", server.host, str(server.port), *options],
        input=b":wait login:\n",
        capture_output=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.decode("utf-8").splitlines()


def test_refusing_every_option_still_reaches_the_login_prompt(telnetd: Server) -> None:
    lines = connect(telnetd, "--telnet")

    assert "← IAC DO TERMINAL-TYPE" in lines and "→ IAC WONT TERMINAL-TYPE" in lines
    assert "← IAC WILL ENCRYPT" in lines and "→ IAC DONT ENCRYPT" in lines
    assert not any(line.startswith("→ IAC WILL") or line.startswith("→ IAC DO ") for line in lines)
    prompt = next(line for line in lines if line.endswith("login: "))
    assert "\\xff" not in prompt  # the text, without the commands


def test_accepting_the_common_options_answers_the_terminal_type_request(telnetd: Server) -> None:
    lines = connect(telnetd, "--telnet-accept")

    assert "→ IAC WILL TERMINAL-TYPE" in lines
    assert "← IAC SB TERMINAL-TYPE SEND IAC SE" in lines
    assert "→ IAC SB TERMINAL-TYPE IS 'dumb' IAC SE" in lines
    assert "→ IAC DO SUPPRESS-GO-AHEAD" in lines
    assert any(line.endswith("login: ") for line in lines)


def test_the_telnet_template_lists_telnetds_opening_commands(telnetd: Server) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sockscope",
            "send",
            telnetd.host,
            str(telnetd.port),
            "-T",
            "telnet",
        ],
        capture_output=True,
        timeout=60,
    )
    out = run.stdout.decode()
    assert run.returncode == 0, run.stderr
    assert "IAC WILL AUTHENTICATION" in out and "IAC DO TERMINAL-TYPE" in out
