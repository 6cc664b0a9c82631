"""What every benchmark shares: the table's rows, the machine, child processes, the lab."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, the peer's figure, their ratio, and the verdict."""

    area: str
    measure: str
    ours: str
    peer: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None  # None: informational, or the peer is missing

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: ""}[self.met]


def missing(program: str, package: str) -> str | None:
    """ "n/a (install X)" when `program` is not on PATH, else None."""
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    return None if found else f"n/a (install {package})"


def program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    assert found is not None, name
    return found


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss: int  # bytes, the child's own maximum resident set
    returncode: int


def run_child(argv: Sequence[str], *, stdin: bytes | None = None, cwd: Path | None = None) -> Run:
    """Run a command to the end; wall time and its own peak memory (wait4, not the sum)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
    )
    if stdin is not None:
        assert process.stdin is not None
        process.stdin.write(stdin)
        process.stdin.close()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss * 1024, process.returncode)


def compile_bytecode() -> None:
    """Compile sockscope's modules before timing whole processes. A pip install compiles
    them when it installs; an editable one relies on the first run to write them, and
    these machines set PYTHONDONTWRITEBYTECODE, which would make every timed run compile
    every module again (~130 ms). Python still reads bytecode that exists."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", "sockscope"], check=True, cwd=REPO)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def mib(size: float) -> str:
    return f"{size / 2**20:.0f} MiB"


def ratio(value: float) -> str:
    return f"{value:.2f}x"


@dataclass(frozen=True)
class LabProcess:
    ports: dict[str, dict[str, int]]

    def port(self, service: str, transport: str = "tcp") -> int:
        return self.ports[service][transport]


@contextmanager
def lab_process() -> Iterator[LabProcess]:
    """`sockscope lab --json` in a process of its own, so a client measured in this
    process (the app) does not share its interpreter with the servers."""
    process = subprocess.Popen(
        [PYTHON, "-m", "sockscope", "lab", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        text=True,
    )
    try:
        assert process.stdout is not None
        ports = json.loads(process.stdout.readline())  # printed once every service listens
        yield LabProcess(ports)
    finally:
        process.terminate()
        process.wait()
