"""Output that cannot be written ends a command with the shell's usual word, never a crash."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

SEND = [sys.executable, "-m", "sockscope", "send", "127.0.0.1"]


def test_a_reader_that_goes_away_ends_the_command_quietly(lab: Any) -> None:
    # Like `sockscope send ... --full | head -1`: the reader closes after one line.
    command = [*SEND, str(lab.port("chargen")), "-T", "banner", "--full"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(60) == 141
    assert err == b""


def test_a_full_disk_is_named_in_one_line(lab: Any) -> None:
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [*SEND, str(lab.port("chargen")), "-T", "banner", "--full"],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    assert result.returncode == 74
    assert result.stderr == b"sockscope: cannot write the output: No space left on device\n"
