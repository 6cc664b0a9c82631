"""`send --data-file`: an endless source is refused at a named cap, a FIFO waits at most
until the --deadline, and a FIFO whose writer closes sends what was written."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sockscope.cli.data_file import MAX_DATA_FILE


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "payload.fifo"
    os.mkfifo(path)
    return path


@pytest.fixture
def held_writer(fifo: Path) -> Iterator[threading.Event]:
    """A writer that opens the FIFO, writes a little and keeps it open until released."""
    release = threading.Event()

    def write() -> None:
        with open(fifo, "wb") as out:
            out.write(b"partial")
            out.flush()
            release.wait(60)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    yield release
    release.set()
    writer.join(60)


def test_an_endless_file_is_refused_at_the_named_cap(cli) -> None:
    result = cli("send", "127.0.0.1", "9", "--data-file", "/dev/zero")
    assert result.code == 2
    assert _one_line(result.err) == (
        "sockscope send: error: --data-file /dev/zero: more than 64 MiB; "
        "sockscope sends at most 64 MiB from a file or stdin"
    )
    assert MAX_DATA_FILE == 64 * 1024 * 1024


def test_endless_stdin_is_refused_at_the_named_cap() -> None:
    with subprocess.Popen(["yes"], stdout=subprocess.PIPE) as yes:
        proc = subprocess.run(
            [sys.executable, "-m", "sockscope", "send", "127.0.0.1", "9", "--data-file", "-"],
            stdin=yes.stdout,
            capture_output=True,
            text=True,
            timeout=60,
        )
        yes.kill()
    assert proc.returncode == 2
    line = _one_line(proc.stderr)
    assert "--data-file stdin: more than 64 MiB" in line


def test_stdin_is_sent_whole(lab) -> None:
    command = [sys.executable, "-m", "sockscope", "send", "127.0.0.1", str(lab.port("echo"))]
    proc = subprocess.run(
        [*command, "--data-file", "-", "--half-close", "--json"],
        input=b"from stdin\r\n",
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert base64.b64decode(json.loads(proc.stdout)["received_b64"]) == b"from stdin\r\n"


def test_a_file_of_exactly_the_cap_is_read_whole(tmp_path: Path) -> None:
    from sockscope.cli.data_file import read_data_file

    path = tmp_path / "cap.bin"
    with open(path, "wb") as out:
        out.truncate(MAX_DATA_FILE)
    assert len(read_data_file(str(path), 30)) == MAX_DATA_FILE


def test_a_file_over_the_cap_is_refused(cli, tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    with open(path, "wb") as out:
        out.truncate(MAX_DATA_FILE + 1)
    result = cli("send", "127.0.0.1", "9", "--data-file", path)
    assert result.code == 2
    assert f"--data-file {path}: more than 64 MiB" in _one_line(result.err)


def test_a_fifo_with_no_writer_is_refused_at_the_deadline(cli, fifo: Path) -> None:
    result = cli("send", "127.0.0.1", "9", "--data-file", fifo, "--deadline", "0.3")
    assert result.code == 2
    line = _one_line(result.err)
    assert f"--data-file {fifo}: did not end within the --deadline of 0.3 s" in line


def test_a_fifo_whose_writer_never_closes_is_refused_at_the_deadline(
    cli, fifo: Path, held_writer: threading.Event
) -> None:
    result = cli("send", "127.0.0.1", "9", "--data-file", fifo, "--deadline", "0.3")
    assert result.code == 2
    assert "did not end within the --deadline of 0.3 s" in _one_line(result.err)


def test_a_fifo_whose_writer_closes_sends_what_was_written(cli, lab, fifo: Path) -> None:
    def write() -> None:
        with open(fifo, "wb") as out:
            out.write(b"through a fifo\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    result = cli(
        "send", "127.0.0.1", lab.port("echo"), "--data-file", fifo, "--half-close", "--json"
    )
    writer.join(60)
    assert result.code == 0, result.err
    data = result.json()
    assert base64.b64decode(data["received_b64"]) == b"through a fifo\n"
    # The exchange runs on what the payload left of the deadline, never more.
    assert 0 < data["policy"]["deadline"] <= 30


def test_a_missing_file_and_a_directory_are_named(cli, tmp_path: Path) -> None:
    missing = cli("send", "127.0.0.1", "9", "--data-file", tmp_path / "nope\x1b]0;x\x07")
    assert missing.code == 2
    line = _one_line(missing.err)
    assert "No such file" in line and "\x1b" not in line and "\x07" not in line
    directory = cli("send", "127.0.0.1", "9", "--data-file", tmp_path)
    assert directory.code == 2
    assert "is a directory" in _one_line(directory.err)


def test_ctrl_c_ends_the_wait_for_a_fifo(fifo: Path) -> None:
    command = [sys.executable, "-m", "sockscope", "send", "127.0.0.1", "9"]
    proc = subprocess.Popen(
        [*command, "--data-file", str(fifo), "--deadline", "600"],
        stderr=subprocess.PIPE,
        text=True,
    )
    # A writer can open the FIFO without blocking only once sockscope holds it for reading.
    writer = None
    for _ in range(6000):
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            assert proc.poll() is None, proc.stderr
            threading.Event().wait(0.01)
    assert writer is not None
    try:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        os.close(writer)
    assert proc.returncode == 130
    assert "Traceback" not in err


def test_a_closed_stdin_is_named() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sockscope", "send", "127.0.0.1", "9", "--data-file", "-"],
        preexec_fn=lambda: os.close(0),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--data-file stdin: is closed" in _one_line(proc.stderr)
