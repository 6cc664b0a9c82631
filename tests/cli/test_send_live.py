"""`send` at a terminal shows the exchange as it happens: each timeline row and received
line while the server is still sending, a progress line on stderr for a transfer into a
file; `--quiet`, `--json` and output that is not a terminal stay as they were."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

HOST = "127.0.0.1"
TERMINAL = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}


@dataclass
class Terminal:
    shown: str  # what the terminal showed
    code: int
    piped: bytes  # stdout, when it went to a pipe
    running_at_mark: bool | None = None  # whether the run was going on when `mark` showed


def at_terminal(args: list[str], *, stdout_too: bool = True, mark: str | None = None) -> Terminal:
    """Run `sockscope send ARGS` with stderr (and stdout) on a pseudo-terminal. Once the
    terminal shows `mark`, note whether the run is still going, and press Ctrl-C."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "sockscope", "send", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower if stdout_too else subprocess.PIPE,
        stderr=follower,
        env=TERMINAL,
    )
    os.close(follower)
    shown = b""
    running: bool | None = None
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        shown += chunk
        if mark is not None and running is None and mark.encode() in shown:
            running = process.poll() is None
            process.send_signal(signal.SIGINT)
    os.close(leader)
    piped = process.stdout.read() if process.stdout is not None else b""
    process.wait(60)
    return Terminal(shown.decode("utf-8", "replace"), process.returncode, piped, running)


def test_a_slow_servers_lines_show_while_it_is_still_sending(lab: Any) -> None:
    # The trickle sends a line every 0.25 s for ten minutes: its second line on the
    # terminal while the run goes on means lines are printed as they come.
    run = at_terminal(
        [HOST, str(lab.port("trickle")), "-T", "banner", "--deadline", "60"],
        mark="trickle 2 of 2400",
    )

    assert run.running_at_mark is True
    live, report = run.shown.split("Timeline", 1)
    assert "Live" in live and "┆ trickle 1 of 2400" in live and "recv" in live
    assert "cancelled after" in report  # Ctrl-C: then the whole report, as always


def test_quiet_shows_nothing_until_the_report(lab: Any) -> None:
    run = at_terminal(
        [HOST, str(lab.port("trickle")), "-T", "banner", "--deadline", "0.6", "--quiet"]
    )
    assert run.code == 0
    assert "Live" not in run.shown and "┆" not in run.shown
    assert "trickle 1 of 2400" in run.shown  # in the report


def test_a_transfer_into_a_file_gets_a_progress_line_on_stderr(lab: Any, tmp_path: Any) -> None:
    target = tmp_path / "body.bin"
    path = "/bytes?n=3000000"
    run = at_terminal(
        [HOST, str(lab.port("http")), "-T", "http-get", "--path", path, "-o", str(target)],
        stdout_too=False,
    )
    assert run.code == 0
    assert "received" in run.shown and "MB" in run.shown and "/s" in run.shown  # bytes, rate
    assert "Live" not in run.shown
    assert target.stat().st_size > 3_000_000
    assert b"server finished sending" in run.piped  # the report, on stdout as always


def test_output_that_is_not_a_terminal_is_the_report_alone(lab: Any) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "sockscope", "send", HOST, str(lab.port("echo", "tcp")), "-d", "hi"],
        capture_output=True,
        timeout=60,
    )
    assert run.returncode == 0
    assert run.stdout.decode().startswith("127.0.0.1:") and b"Live" not in run.stdout
