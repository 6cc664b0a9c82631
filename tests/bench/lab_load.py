"""Servers under load, `ab -c 50 -n 1000`: the lab's HTTP service beside nginx and
`python -m http.server` serving the same page, and `sockscope listen --reply-template
http-ok` with 16 silent clients holding connections open meanwhile."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace

from tests.bench.common import (
    HOST,
    PYTHON,
    REPO,
    Failed,
    LabProcess,
    Measured,
    Row,
    Tool,
    alternate,
    compared,
    last_words,
    missing,
    program,
)
from tests.bench.servers import Nginx
from tests.interop.conftest import free_ports, running

CONCURRENCY = 50
REQUESTS = 1000
SILENT = 16  # clients that connect and never send, held open during the run
AB = f"ab -r -c {CONCURRENCY} -n {REQUESTS}"


def _ab(port: int, path: str = "/") -> Measured:
    """Requests per second; failed requests (and why) and non-2xx replies as more.
    With -r a reset connection is a failed request, where ab would stop the run."""
    done = subprocess.run(
        [
            program("ab"),
            "-q",
            "-c",
            str(CONCURRENCY),
            "-n",
            str(REQUESTS),
            f"http://{HOST}:{port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout

    def number(pattern: str) -> float:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else 0.0

    if done.returncode != 0 or "Requests per second" not in out:
        completed = re.search(r"Total of (\d+) requests completed", done.stderr)
        after = f" after {completed.group(1)} of {REQUESTS} requests" if completed else ""
        raise Failed(f"ab stopped{after} (exit {done.returncode}): {last_words(done.stderr)}")
    return Measured(
        number(r"Requests per second:\s+([\d.]+)"),
        more={
            "failed": number(r"Failed requests:\s+(\d+)"),
            "connect": number(r"Connect: (\d+)"),
            "receive": number(r"Receive: (\d+)"),
            "length": number(r"Length: (\d+)"),
            "exceptions": number(r"Exceptions: (\d+)"),
            "non-2xx": number(r"Non-2xx responses:\s+(\d+)"),
        },
    )


def _rate(value: float) -> str:
    return f"{value:,.0f}/s"


def _count(value: float) -> str:
    return f"{value:.0f}"


def under_load(lab: LabProcess, server: Nginx | str) -> list[Row]:
    absent = missing("ab", "apache2-utils")
    if absent:
        return [Row("Lab", f"{AB}: requests/s", absent)]
    lab_port = lab.port("http")
    tools = [Tool("lab", lambda: _ab(lab_port))]
    with ExitStack() as stack:
        if isinstance(server, Nginx):
            with urllib.request.urlopen(f"http://{HOST}:{lab_port}/") as reply:
                (server.www / "lab.html").write_bytes(reply.read())
            tools.append(Tool("nginx", lambda: _ab(server.port, "/lab.html")))
            (port,) = free_ports()
            argv = [PYTHON, "-m", "http.server", "-b", HOST, str(port)]
            stack.enter_context(running("http.server", argv, server.www, [port]))
            tools.append(Tool("http.server", lambda: _ab(port, "/lab.html")))
        tools.append(Tool("sockscope listen", _listen_under_load))
        got = alternate(tools)
    peers = ", ".join(
        f"{name}: {got[name].stats().show(_rate)}"
        for name in ("nginx", "http.server")
        if name in got
    )
    lab_row = compared(
        "Lab",
        f"{AB} against the lab's HTTP page: requests/s; failed requests (max of the runs)",
        got["lab"],
        None,
        _rate,
        target="0 failed",
        meets=lambda _: max(got["lab"].stats("failed").values, default=1) == 0,
    )
    listen = got["sockscope listen"]
    listen_row = compared(
        "Lab",
        f"{AB} against `sockscope listen --reply-template http-ok` (defaults), "
        f"{SILENT} silent clients held open: failed requests",
        listen,
        None,
        _count,
        target="0 failed",
        meets=lambda _: max(listen.stats("failed").values) == 0,
        key="failed",
    )
    if listen.failure is None:
        why = ", ".join(
            f"{kind} {listen.stats(kind).show(_count)}"
            for kind in ("connect", "receive", "length", "exceptions", "non-2xx")
        )
        listen_row = replace(listen_row, peer=f"{listen.stats().show(_rate)}; {why}")
    if got["lab"].failure is None:
        lab_row = replace(
            lab_row, peer=f"{peers}; failed {got['lab'].stats('failed').show(_count)}"
        )
    return [lab_row, listen_row]


@contextmanager
def _listening() -> Iterator[int]:
    """`sockscope listen 127.0.0.1 0 --reply-template http-ok --json`: its port, while
    its report (a JSON line per client) is read and dropped."""
    process = subprocess.Popen(
        [PYTHON, "-m", "sockscope", "listen", HOST, "0", "--reply-template", "http-ok", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    assert process.stdout is not None
    try:
        first = json.loads(process.stdout.readline() or b"{}")
        if "listening" not in first:
            raise Failed("listen did not say where it listens")
        drain = threading.Thread(target=process.stdout.read, daemon=True)
        drain.start()
        yield int(first["listening"]["port"])
    finally:
        process.terminate()
        process.wait()


def _listen_under_load() -> Measured:
    with _listening() as port, ExitStack() as stack:
        for _ in range(SILENT):
            stack.enter_context(socket.create_connection((HOST, port)))
        return _ab(port)
