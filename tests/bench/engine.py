"""Engine rows: 1 GiB from nginx over loopback, sockscope beside curl, socat and ncat,
all alternated in one series and each run's byte count checked; then the peak memory of
`send` keeping N bytes (text report, `--json`) and of `open` on their transcript.

Which path sockscope took is not guessed from its options: each run goes through a
wrapper that counts the bytes `os.splice` moves out of the socket (as
tests/engine/test_splice.py tells), so a row says "splice" only when the kernel moved
them.
"""

from __future__ import annotations

import json
import operator
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from tests.bench.common import (
    HOST,
    PYTHON,
    REPO,
    Failed,
    Measured,
    Row,
    Tool,
    alternate,
    compared,
    compile_bytecode,
    mib,
    missing,
    ms,
    program,
    run_process,
)
from tests.bench.servers import GIB, KEPT, Nginx
from tests.bench.splice_spy import path
from tests.bench.startup import said

# `python -m sockscope ARGS` with os.splice counted; the count goes to stderr as the
# process ends. One wrapped call per MiB spliced.
_SPY = """
import atexit, os, runpy, sys
from tests.bench.splice_spy import install
spliced = install()
atexit.register(lambda: os.write(2, b"bench-spliced %d\\n" % spliced()))
sys.argv = ["sockscope", *sys.argv[1:]]
runpy.run_module("sockscope", run_name="__main__", alter_sys=True)
"""
NEVER = "sockscope-bench: a delimiter that never arrives"
MEMORY_CEILING = 100 * 2**20  # moving bytes without keeping them
SCRATCH = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())


def _spliced(stderr: bytes) -> int:
    for line in stderr.decode(errors="replace").splitlines():
        if line.startswith("bench-spliced "):
            return int(line.split()[1])
    raise Failed("the splice counter did not report")


def _sockscope(
    server: Nginx, name: str, *extra: str, to_file: Path | None = None
) -> Callable[[], Measured]:
    """`sockscope send` of /name to /dev/null or a file, with --json: its own count
    (bytes_in, or the file's size), its transfer time, its path, its peak memory."""
    tls = ("-t", "tls", "-k") if "--tls" in extra else ()
    options = [x for x in extra if x != "--tls"]
    port = server.tls_port if tls else server.port
    out = str(to_file) if to_file else os.devnull
    argv = [PYTHON, "-c", _SPY, "send", HOST, str(port), *tls, "-T", "http-get"]
    argv += ["--path", f"/{name}", "-o", out, "--json", *options]

    def run() -> Measured:
        done = run_process(argv, keep_stdout=True)
        report = json.loads(done.stdout)
        total = int(report["bytes_in"])
        count = to_file.stat().st_size if to_file else total
        if to_file:
            to_file.unlink()
        return Measured(
            done.seconds,
            count,
            path(_spliced(done.stderr), total),
            {"transfer": float(report["timings"]["total"]), "peak": done.peak_rss},
        )

    return run


def _curl(
    server: Nginx, name: str, *, tls: bool = False, to_file: Path | None = None
) -> Callable[[], Measured]:
    out = str(to_file) if to_file else os.devnull
    argv = [program("curl"), "-s", *(["-k"] if tls else []), "-o", out]
    argv += ["-w", "%{size_download} %{time_total}", server.url(name, tls)]

    def run() -> Measured:
        done = run_process(argv, keep_stdout=True)
        size, seconds = done.stdout.split()
        count = to_file.stat().st_size if to_file else int(size)
        if to_file:
            to_file.unlink()
        return Measured(done.seconds, count, "copy", {"transfer": float(seconds)})

    return run


def _raw(argv: Sequence[str], request: Path, to_file: Path) -> Callable[[], Measured]:
    """socat or ncat: the request on stdin, the whole reply on stdout into a file."""

    def run() -> Measured:
        done = run_process(argv, stdin=request, stdout=to_file)
        count = to_file.stat().st_size
        to_file.unlink()
        return Measured(done.seconds, count, "copy")

    return run


def transfers(server: Nginx | str) -> list[Row]:
    if isinstance(server, str):
        return [Row("Engine", "1 GiB from nginx", server)]
    compile_bytecode()
    name = "gib.bin"
    body = server.size(name)
    whole = body + server.header_bytes(name)  # what a raw client receives
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(dir=SCRATCH, prefix="sockscope-bench-") as scratch:
        files = Path(scratch)
        request = files / "request"
        request.write_bytes(
            f"GET /{name} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
        )
        tools = [
            Tool("sockscope -o /dev/null", _sockscope(server, name), whole),
            Tool("curl -o /dev/null", _curl(server, name), body),
            Tool("sockscope -o FILE", _sockscope(server, name, to_file=files / "ours"), whole),
            Tool("curl -o FILE", _curl(server, name, to_file=files / "curl"), body),
            Tool(
                "sockscope --until NEVER -o /dev/null",
                _sockscope(server, name, "--until", NEVER),
                whole,
            ),
            Tool("sockscope -t tls -k -o /dev/null", _sockscope(server, name, "--tls"), whole),
            Tool("curl -k https:// -o /dev/null", _curl(server, name, tls=True), body),
        ]
        # In their usual form (stdin at EOF) both half-close, and nginx then stops
        # sending: they must keep the write side open to get the whole reply.
        absent = {"socat": missing("socat", "socat"), "ncat": missing("ncat", "ncat")}
        if absent["socat"] is None:
            argv = [program("socat"), "-t", "0", "STDIO,ignoreeof", f"TCP:{HOST}:{server.port}"]
            tools.append(Tool("socat > FILE", _raw(argv, request, files / "socat"), whole))
        if absent["ncat"] is None:
            argv = [program("ncat"), "--no-shutdown", HOST, str(server.port)]
            tools.append(Tool("ncat > FILE", _raw(argv, request, files / "ncat"), whole))
        got = alternate(tools)

    def speed(seconds: float) -> str:
        return f"{ms(seconds)} ({body / GIB / seconds:.2f} GiB/s)"

    def faster(ours: float, peer: float) -> float:
        return peer / ours

    def row(
        measure: str, ours: str, peer: str, target: float | None, key: str | None = None
    ) -> Row:
        return compared(
            "Engine",
            measure,
            got[ours],
            got[peer],
            speed,
            ratio_of=faster,
            bounds=ms,
            target="" if target is None else f">= {target:.1f}x",
            meets=None if target is None else (lambda value: value >= target),
            key=key,
        )

    size = mib(body)
    rows += [
        row(
            f"{size} from nginx, whole process, to /dev/null",
            "sockscope -o /dev/null",
            "curl -o /dev/null",
            1.0,
        ),
        row(
            f"{size}, transfer only (each tool's own clock, same runs)",
            "sockscope -o /dev/null",
            "curl -o /dev/null",
            1.0,
            key="transfer",
        ),
        row(
            f"{size}, whole process, to a file on {SCRATCH}",
            "sockscope -o FILE",
            "curl -o FILE",
            1.0,
        ),
        row(
            f"{size}, whole process, `--until` that never matches",
            "sockscope --until NEVER -o /dev/null",
            "curl -o /dev/null",
            1.0,
        ),
        row(
            f"{size}, `--until` that never matches, transfer only (own clocks)",
            "sockscope --until NEVER -o /dev/null",
            "curl -o /dev/null",
            None,
            key="transfer",
        ),
        row(
            f"{size} over TLS, whole process",
            "sockscope -t tls -k -o /dev/null",
            "curl -k https:// -o /dev/null",
            0.9,
        ),
        row(
            f"{size} over TLS, transfer only (own clocks)",
            "sockscope -t tls -k -o /dev/null",
            "curl -k https:// -o /dev/null",
            None,
            key="transfer",
        ),
    ]
    for peer in ("socat", "ncat"):
        if absent[peer] is None:
            rows.append(
                row(
                    f"{size}, whole process, to a file, vs {peer}",
                    "sockscope -o FILE",
                    f"{peer} > FILE",
                    None,
                )
            )
        else:
            rows.append(Row("Engine", f"{size} vs {peer}", str(absent[peer])))
    for name in (
        "sockscope -o /dev/null",
        "sockscope --until NEVER -o /dev/null",
        "sockscope -t tls -k -o /dev/null",
    ):
        rows.append(
            compared(
                "Memory",
                f"peak while moving {size}, nothing kept: {name.removeprefix('sockscope ')}",
                got[name],
                None,
                mib,
                target="< 100 MiB",
                meets=lambda peak: peak < MEMORY_CEILING,
                key="peak",
            )
        )
    return rows


def _opened(transcript: Path) -> Callable[[], Measured]:
    """`sockscope open` of a transcript, headless, until the capture is on screen."""
    argv = [PYTHON, str(REPO / "tests" / "bench" / "startup.py"), "open", str(transcript)]

    def run() -> Measured:
        done = run_process(argv, keep_stdout=True)
        kept = int(said(done.stdout.decode(errors="replace"), "bench-kept"))
        return Measured(done.peak_rss, kept, "", {"seconds": done.seconds})

    return run


def _app_kept(server: Nginx, name: str) -> Callable[[], Measured]:
    """The explorer, headless, receiving and showing `name` with a 1 GiB capture limit."""
    script = REPO / "tests" / "bench" / "app_keeping.py"
    argv = [PYTHON, str(script), HOST, str(server.port), f"/{name}"]
    return _kept(argv, lambda out: int(said(out.decode(errors="replace"), "bench-kept")))


def _kept(argv: Sequence[str], count_of: Callable[[bytes], int]) -> Callable[[], Measured]:
    def run() -> Measured:
        done = run_process(argv, keep_stdout=True)
        return Measured(done.peak_rss, count_of(done.stdout), "", {"seconds": done.seconds})

    return run


def _received_line(report: bytes) -> int:
    """The bytes the text report's timeline gives the reads ("recv  131,072" rows)."""
    total = 0
    for line in report.decode(errors="replace").splitlines():
        words = line.split()  # "3.07 ms 0.89 ms recv 98,561 ..."
        if len(words) > 5 and words[4] == "recv" and words[5].replace(",", "").isdigit():
            total += int(words[5].replace(",", ""))
    if not total:
        raise Failed("no recv row in the report's timeline")
    return total


def keeping(server: Nginx | str) -> list[Row]:
    """Peak memory when N bytes are kept, against 1.5 x N + 60 MiB: the reports and the
    app receiving them at 64 MiB; `open` of their transcripts at 64 MiB and 16 MiB (its
    fixed cost shows more at 16)."""
    if isinstance(server, str):
        return [Row("Memory", "keeping N bytes", server)]
    compile_bytecode()

    def send(name: str, *extra: str) -> list[str]:
        argv = [PYTHON, "-m", "sockscope", "send", HOST, str(server.port), "-T", "http-get"]
        return [*argv, "--path", f"/{name}", "--capture-limit", "1G", *extra]

    whole = {name: server.size(name) + server.header_bytes(name) for name in KEPT}
    big = KEPT[0]
    with tempfile.TemporaryDirectory(dir=SCRATCH, prefix="sockscope-bench-") as scratch:
        transcripts = {name: Path(scratch) / f"{name}.json" for name in KEPT}
        for name, transcript in transcripts.items():
            run_process(send(name, "--json", "--save", str(transcript)))
        tools = {
            "text report": Tool("text report", _kept(send(big), _received_line), whole[big]),
            "--json": Tool(
                "--json",
                _kept(send(big, "--json"), lambda out: int(json.loads(out)["bytes_in"])),
                whole[big],
            ),
            "the app": Tool("the app", _app_kept(server, big), whole[big]),
        }
        for name in KEPT:
            what = f"`open` of the transcript, N = {mib(whole[name])}"
            tools[what] = Tool(what, _opened(transcripts[name]), whole[name])
        got = alternate(list(tools.values()))
        stored = transcripts[big].stat().st_size
    rows = []
    for what, tool in tools.items():
        kept = tool.expect or 1
        limit = 1.5 * kept + 60 * 2**20
        row = compared(
            "Memory",
            f"peak keeping N bytes: {what}"
            if what.startswith("`open`")
            else f"peak keeping N bytes: {what}, N = {mib(kept)}",
            got[what],
            None,
            mib,
            per=kept,
            target=f"<= 1.5x N + 60 MiB ({mib(limit)})",
            meets=partial(operator.ge, limit),
        )
        if got[what].failure is None:
            row = replace(row, peer=f"time {got[what].stats('seconds').show(ms)}")
        rows.append(row)
    rows.append(
        Row(
            "Memory",
            f"transcript file for N = {mib(whole[big])}",
            mib(stored),
            "",
            f"{stored / whole[big]:.2f}x",
            "each byte once (base64: ~1.34x)",
            stored <= 1.4 * whole[big],
        )
    )
    return rows
