"""What every benchmark shares: the table's rows, the one way a figure is measured
(`alternate`: tools alternated run by run, each checked, the median and the spread),
whole processes timed from a small launcher, the machine, the lab."""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
RUNS = 5  # every figure is the median of this many alternated runs
SPREAD = 2.0  # runs further apart than this (slowest over fastest) are run again
CACHE = Path.home() / ".cache" / "sockscope-bench"  # big files and peer apps' venvs
SBIN = "/usr/local/sbin:/usr/sbin:/sbin"


class Failed(Exception):
    """A run that does not count: a wrong byte count, an exit status, a timeout. The row
    prints it instead of a figure."""


@dataclass(frozen=True)
class Measured:
    """One run of one tool: its figure, the bytes it delivered (transfer rows), the path
    it took when it says (splice or copy), and any other figures of the same run."""

    value: float
    count: int | None = None
    path: str = ""
    more: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Tool:
    """A tool to run: `expect` is the byte count every correct run delivers."""

    name: str
    run: Callable[[], Measured]
    expect: int | None = None


@dataclass(frozen=True)
class Stats:
    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def spread(self) -> float:
        """Highest over lowest: 2.0 means one run took twice as long as another."""
        low, high = min(self.values), max(self.values)
        return high / low if low > 0 else (1.0 if high == 0 else float("inf"))

    def show(
        self, fmt: Callable[[float], str], bounds: Callable[[float], str] | None = None
    ) -> str:
        """The median, then [lowest-highest] (in `bounds`' format if given)."""
        if len(self.values) == 1:
            return fmt(self.median)
        edge = bounds or fmt
        return f"{fmt(self.median)} [{edge(min(self.values))}-{edge(max(self.values))}]"


@dataclass
class Sample:
    """Every run of one tool, or why it failed."""

    name: str
    runs: list[Measured] = field(default_factory=list)
    failure: str | None = None

    def stats(self, key: str | None = None) -> Stats:
        values = [run.value if key is None else run.more[key] for run in self.runs]
        return Stats(tuple(values))

    @property
    def path(self) -> str:
        return "/".join(sorted({run.path for run in self.runs if run.path}))


def alternate(tools: Sequence[Tool]) -> dict[str, Sample]:
    """Run each tool RUNS times, one run of each in turn (reversed every other round),
    so that a noisy moment on the shared machine hurts all of them alike; when a tool's
    runs then differ by more than SPREAD, all run RUNS times more (once), and every run
    counts. A tool whose run fails (wrong byte count, error) is not run again: its
    sample says why."""
    samples = {tool.name: Sample(tool.name) for tool in tools}
    _rounds(tools, samples)
    if any(s.failure is None and s.runs and s.stats().spread > SPREAD for s in samples.values()):
        _rounds(tools, samples)
    return samples


def _rounds(tools: Sequence[Tool], samples: dict[str, Sample]) -> None:
    for round_ in range(RUNS):
        for tool in tools if round_ % 2 == 0 else list(reversed(tools)):
            sample = samples[tool.name]
            if sample.failure is not None:
                continue
            try:
                measured = tool.run()
            except Failed as exc:
                sample.failure = f"{tool.name}: {exc}"
                continue
            if tool.expect is not None and measured.count != tool.expect:
                got = "no count" if measured.count is None else f"{measured.count:,}"
                sample.failure = f"{tool.name} got {got} of {tool.expect:,} bytes"
                continue
            sample.runs.append(measured)


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
    path: str = ""
    runs: str = ""

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: ""}[self.met]


def compared(
    area: str,
    measure: str,
    ours: Sample,
    peer: Sample | None,
    fmt: Callable[[float], str],
    *,
    ratio_of: Callable[[float, float], float] | None = None,
    target: str = "",
    meets: Callable[[float], bool] | None = None,
    key: str | None = None,
    per: float | None = None,
    bounds: Callable[[float], str] | None = None,
) -> Row:
    """A row from alternated samples: each tool's median [min-max], the ratio of the
    medians (or of ours to `per`), and the verdict on the ratio (on our median when
    there is none). A failed sample fails the row: no ratio is printed."""
    failures = [s.failure for s in (ours, peer) if s is not None and s.failure is not None]
    peer_cell = (
        "" if peer is None or peer.failure else f"{peer.name}: {peer.stats(key).show(fmt, bounds)}"
    )
    if failures:
        return Row(
            area,
            measure,
            "" if ours.failure else ours.stats(key).show(fmt, bounds),
            peer_cell,
            "FAILED: " + "; ".join(failures),
            target,
            False,
            ours.path,
            _counted(ours, peer),
        )
    value = None
    if peer is not None and ratio_of is not None:
        value = ratio_of(ours.stats(key).median, peer.stats(key).median)
    elif per is not None:
        value = ours.stats(key).median / per
    verdict: bool | None = None
    if meets is not None:
        verdict = meets(ours.stats(key).median if value is None or per is not None else value)
    return Row(
        area,
        measure,
        ours.stats(key).show(fmt, bounds),
        peer_cell,
        "" if value is None else ratio(value),
        target,
        verdict,
        ours.path,
        _counted(ours, peer),
    )


def _counted(*samples: Sample | None) -> str:
    counts = sorted({len(s.runs) for s in samples if s is not None})
    return "/".join(str(n) for n in counts)


def missing(program: str, package: str) -> str | None:
    """ "n/a (install X)" when `program` is not on PATH, else None."""
    found = shutil.which(program) or shutil.which(program, path=SBIN)
    return None if found else f"n/a (install {package})"


def program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=SBIN)
    assert found is not None, name
    return found


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {load}"
    )


# A process's peak resident size (ru_maxrss) survives exec, and a child spawned from
# the bench starts as a copy of it: measured straight from here, a command would report
# the bench's own memory whatever it used itself. This launcher, a bare interpreter,
# forks the command from a small process, times it from fork to exit, and prints the
# seconds, its peak memory and its exit status.
_LAUNCHER = """
import os, sys, time
stdin, stdout, stderr = sys.argv[1:4]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(stdin, os.O_RDONLY), 0)
    os.dup2(os.open(stdout, os.O_WRONLY), 1)
    os.dup2(os.open(stderr, os.O_WRONLY), 2)
    os.execv(sys.argv[4], sys.argv[4:])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - started, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status))
"""


@dataclass(frozen=True)
class Process:
    seconds: float
    peak_rss: int  # bytes, the command's own maximum resident set
    stdout: bytes  # empty unless kept
    stderr: bytes


def run_process(
    argv: Sequence[str],
    *,
    stdin: Path | None = None,
    keep_stdout: bool = False,
    stdout: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> Process:
    """Run a command to the end from the launcher: wall time from fork to exit, and its
    own peak memory. Its stdout goes to `stdout`, or is kept, or is dropped. A non-zero
    exit or a timeout raises Failed."""
    with tempfile.TemporaryDirectory(prefix="sockscope-bench-") as scratch:
        out = stdout or (Path(scratch) / "stdout" if keep_stdout else Path(os.devnull))
        err = Path(scratch) / "stderr"
        out.touch()
        err.touch()
        try:
            result = subprocess.run(
                [
                    PYTHON,
                    "-S",
                    "-c",
                    _LAUNCHER,
                    str(stdin or os.devnull),
                    str(out),
                    str(err),
                    *argv,
                ],
                capture_output=True,
                text=True,
                cwd=REPO,
                env=None if env is None else {**os.environ, **env},
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise Failed(f"no exit after {timeout:.0f} s") from None
        seconds, peak, code = result.stdout.split()
        errors = err.read_bytes()
        if int(code) != 0:
            raise Failed(f"exit {code}: {last_words(errors.decode(errors='replace'))}")
        kept = out.read_bytes() if keep_stdout and stdout is None else b""
        return Process(float(seconds), int(peak), kept, errors)


def last_words(stderr: str, most: int = 300) -> str:
    """What a failed command said last, for a table cell: its last line, without an
    exception's class name, cut at a word under `most` characters."""
    lines = stderr.strip().splitlines() or ["no message"]
    said = lines[-1].rpartition("Error: ")[2]
    return said if len(said) <= most else said[:most].rpartition(" ")[0] + " ..."


def compile_bytecode() -> None:
    """Compile sockscope's modules before timing whole processes. A pip install compiles
    them when it installs; an editable one relies on the first run to write them, and
    these machines set PYTHONDONTWRITEBYTECODE, which would make every timed run compile
    every module again (~130 ms). Python still reads bytecode that exists."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", "sockscope"], check=True, cwd=REPO)


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


def reply_head(port: int, path: str) -> int:
    """The length of an HTTP server's reply head to a GET of `path` (the same for every
    GET of it): raw clients count it in what they receive, curl does not."""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
    with socket.create_connection((HOST, port)) as sock:
        sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                raise Failed(f"no reply head from {HOST}:{port}{path}")
            head += chunk
    return head.index(b"\r\n\r\n") + 4
