"""Engine throughput: 1 GiB from the lab's /bytes over loopback, sockscope beside curl,
socat and ncat, each the median of alternating runs against the same server; and
sockscope's peak memory at 64 MiB and 1 GiB (it must not grow with the size)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.bench.common import (
    HOST,
    PYTHON,
    REPO,
    LabProcess,
    Row,
    compile_bytecode,
    median,
    mib,
    missing,
    ms,
    program,
    ratio,
    run_child,
)

GIB = 1 << 30
MEMORY_CEILING = 100 * 2**20


def _request(size: int) -> bytes:
    return f"GET /bytes?n={size} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()


def _sockscope(port: int, size: int, *extra: str) -> list[str]:
    path = f"/bytes?n={size}"
    return [
        PYTHON,
        "-m",
        "sockscope",
        "send",
        HOST,
        str(port),
        "-T",
        "http-get",
        "--path",
        path,
        *extra,
    ]


def _curl(port: int, size: int, out: str, *extra: str) -> list[str]:
    return [program("curl"), "-s", "-o", out, *extra, f"http://{HOST}:{port}/bytes?n={size}"]


Client = Callable[[], float]


def _timed(argv: list[str], stdin: bytes | None = None) -> Client:
    def run() -> float:
        result = run_child(argv, stdin=stdin, cwd=REPO)
        assert result.returncode == 0, (argv, result.returncode)
        return result.seconds

    return run


def _medians(clients: dict[str, Client], rounds: int) -> dict[str, float]:
    """Alternate the clients round by round, so a noisy moment hurts all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(rounds):
        for name, client in clients.items():
            times[name].append(client())
    return {name: median(values) for name, values in times.items()}


def _transfer_seconds(port: int, size: int) -> tuple[float, float]:
    """Each tool's own clock for the transfer alone (no interpreter start-up):
    sockscope's `total` timing and curl's `time_total`."""
    out = subprocess.run(
        _sockscope(port, size, "-o", "/dev/null", "--json"),
        capture_output=True,
        check=True,
        cwd=REPO,
    ).stdout
    ours = json.loads(out)["timings"]["total"]
    theirs = subprocess.run(
        _curl(port, size, "/dev/null", "-w", "%{time_total}"),
        capture_output=True,
        check=True,
    ).stdout
    return ours, float(theirs)


def throughput(lab: LabProcess, size: int = GIB, rounds: int = 3) -> list[Row]:
    compile_bytecode()
    port = lab.port("http")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as scratch:
        ours_file = str(Path(scratch) / "sockscope.bin")
        curl_file = str(Path(scratch) / "curl.bin")
        clients: dict[str, Client] = {
            "sockscope -o /dev/null": _timed(_sockscope(port, size, "-o", "/dev/null")),
            "sockscope -o FILE": _timed(_sockscope(port, size, "-o", ours_file)),
            "curl -o /dev/null": _timed(_curl(port, size, "/dev/null")),
            "curl -o FILE": _timed(_curl(port, size, curl_file)),
        }
        peers = {"socat": "socat", "ncat": "ncat"}
        absent = {name: missing(name, package) for name, package in peers.items()}
        if absent["socat"] is None:
            argv = [program("socat"), "-t", "60", "-", f"TCP:{HOST}:{port}"]
            clients["socat"] = _timed(argv, _request(size))
        if absent["ncat"] is None:
            clients["ncat"] = _timed([program("ncat"), HOST, str(port)], _request(size))
        got = _medians(clients, rounds)

    curl = got["curl -o /dev/null"]
    gib = size / GIB

    def speed(seconds: float) -> str:
        return f"{ms(seconds)} ({gib / seconds:.2f} GiB/s)"

    for name, peer_name in (
        ("sockscope -o /dev/null", "curl -o /dev/null"),
        ("sockscope -o FILE", "curl -o FILE"),
    ):
        value = curl / got[name] if peer_name == "curl -o /dev/null" else got[peer_name] / got[name]
        rows.append(
            Row(
                "Engine",
                f"{mib(size)} via lab /bytes, whole process: {name}",
                speed(got[name]),
                f"{peer_name}: {speed(got[peer_name])}",
                ratio(value),
                ">= 1.0x",
                value >= 1.0,
            )
        )
    for peer in ("socat", "ncat"):
        if peer in got:
            rows.append(
                Row(
                    "Engine",
                    f"{mib(size)}, whole process: sockscope -o /dev/null vs {peer}",
                    speed(got["sockscope -o /dev/null"]),
                    f"{peer}: {speed(got[peer])}",
                    ratio(got[peer] / got["sockscope -o /dev/null"]),
                )
            )
        else:
            rows.append(Row("Engine", f"{mib(size)} vs {peer}", str(absent[peer])))

    ours, theirs = _transfer_seconds(port, size)
    value = theirs / ours
    rows.append(
        Row(
            "Engine",
            f"{mib(size)}, transfer only (each tool's own clock, one run)",
            speed(ours),
            f"curl: {speed(theirs)}",
            ratio(value),
            ">= 1.0x",
            value >= 1.0,
        )
    )
    return rows


# A process's peak resident size (ru_maxrss) survives exec, and a child spawned from
# this process starts as a copy of it: measured straight from here, `sockscope send`
# would report this benchmark's own ~70 MiB whatever it used itself. This launcher, a
# bare interpreter, forks the command from a small process and prints its peak and exit.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status))
"""


def _peak_rss(argv: list[str]) -> int:
    """The peak resident memory of `argv` run to the end, in bytes."""
    out = subprocess.run(
        [PYTHON, "-S", "-c", _LAUNCHER, *argv], capture_output=True, text=True, cwd=REPO
    ).stdout
    peak, code = map(int, out.split())
    assert code == 0, (argv, code)
    return peak


def memory(lab: LabProcess, sizes: tuple[int, int] = (64 << 20, GIB)) -> list[Row]:
    """Peak resident memory of the whole `sockscope send` process, small and large."""
    compile_bytecode()
    port = lab.port("http")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as scratch:
        capture = str(Path(scratch) / "capture.bin")
        for label, extra in (
            ("-o /dev/null", ("-o", "/dev/null")),
            ("--capture-file FILE", ("--capture-file", capture, "--deadline", "600")),
        ):
            small, large = (_peak_rss(_sockscope(port, size, *extra)) for size in sizes)
            rows.append(
                Row(
                    "Engine",
                    f"peak memory, send {label}: {mib(sizes[0])} vs {mib(sizes[1])}",
                    f"{mib(small)} vs {mib(large)}",
                    "",
                    ratio(large / small),
                    "flat, < 100 MiB",
                    large < MEMORY_CEILING and large / small < 1.2,
                )
            )
    return rows
