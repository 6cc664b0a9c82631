"""The lab under load: `ab -c 50 -n 1000` against the lab's HTTP service, nginx and
`python -m http.server`, each serving the lab's index page (the same bytes)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.bench.common import HOST, PYTHON, LabProcess, Row, missing, program

CONCURRENCY = 50
REQUESTS = 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    """Connect until the server accepts (a peer server gives no readiness signal)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited at start"
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


@contextmanager
def _server(argv: list[str], port: int, cwd: Path) -> Iterator[int]:
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port, process)
        yield port
    finally:
        process.terminate()
        process.wait()


def _nginx_conf(directory: Path, www: Path, port: int) -> Path:
    temp = "\n".join(
        f"    {kind}_temp_path {directory}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root root;" if os.geteuid() == 0 else ""  # workers must read the tmp dir
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""{user}
worker_processes 1;
error_log {directory}/error.log;
pid {directory}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
{temp}
    types {{ text/html html; }}
    server {{ listen {HOST}:{port}; root {www}; }}
}}
"""
    )
    return conf


def _ab(port: int) -> tuple[float, int, int]:
    """Requests per second, failed requests, and non-2xx replies."""
    out = subprocess.run(
        [
            program("ab"),
            "-q",
            "-c",
            str(CONCURRENCY),
            "-n",
            str(REQUESTS),
            f"http://{HOST}:{port}/",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    failed = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    return rate, failed, int(non_2xx.group(1)) if non_2xx else 0


def under_load(lab: LabProcess) -> list[Row]:
    absent = missing("ab", "apache2-utils")
    measure = f"ab -c {CONCURRENCY} -n {REQUESTS}: requests/s"
    if absent:
        return [Row("Lab", measure, absent)]
    lab_port = lab.port("http")
    rate, failed, non_2xx = _ab(lab_port)
    peers: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        www = directory / "www"
        www.mkdir()
        with urllib.request.urlopen(f"http://{HOST}:{lab_port}/") as reply:
            (www / "index.html").write_bytes(reply.read())
        no_nginx = missing("nginx", "nginx-light")
        if no_nginx:
            peers.append(f"nginx: {no_nginx}")
        else:
            port = _free_port()
            conf = _nginx_conf(directory, www, port)
            argv = [program("nginx"), "-p", str(directory), "-c", str(conf), "-g", "daemon off;"]
            with _server(argv, port, directory):
                peers.append(f"nginx: {_ab(port)[0]:,.0f}")
        port = _free_port()
        argv = [PYTHON, "-m", "http.server", "-b", HOST, str(port)]
        with _server(argv, port, www):
            peers.append(f"http.server: {_ab(port)[0]:,.0f}")
    return [
        Row(
            "Lab",
            f"{measure} (failed {failed}, non-2xx {non_2xx})",
            f"{rate:,.0f}",
            ", ".join(peers),
            "",
            "0 failed",
            failed == 0 and non_2xx == 0,
        )
    ]
