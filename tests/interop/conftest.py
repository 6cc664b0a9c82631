"""Real servers nobody here wrote, from Debian's packages, for the interop tests.

Each one is started once per session on free loopback ports, in its own tmp dir with its
own config, waited for by polling connect() a bounded number of times, and killed (its
whole process group) at teardown whatever happened. A server that is not installed, or
will not start, makes its tests skip with the command that fixes it, and the session's
closing summary lists every such server so that a CI log shows which checks did not run.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
import trustme

HOST = "127.0.0.1"
INSTALL = "run bash .ci/install-servers"
# Daemons live in sbin, which a non-root PATH (or CI's environment) may leave out.
SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")
# Bounded wait for a server to accept: at most CONNECT_ATTEMPTS polls, each pausing up to
# ATTEMPT_PAUSE seconds by waiting on the process (so an early exit is noticed at once).
CONNECT_ATTEMPTS = 200
ATTEMPT_PAUSE = 0.05
STOP_GRACE = 5.0
IS_ROOT = os.geteuid() == 0

# What nginx serves: a small page, and a larger text file also served chunked.
INDEX_HTML = b"<!doctype html>\n<title>sockscope interop</title>\n<p>hello from nginx</p>\n"
BIG_TEXT = b"".join(b"line %05d of a file nginx sends in chunks\n" % i for i in range(3000))

_started: list[str] = []
_skipped: dict[str, str] = {}


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    directory: Path
    host: str = HOST


@dataclass(frozen=True)
class TlsServer(Server):
    ca_file: Path = Path()
    leaf_file: Path = Path()


@dataclass(frozen=True)
class Inetd:
    echo: Server
    daytime: Server


def skip_server(name: str, reason: str) -> NoReturn:
    _skipped[name] = reason
    pytest.skip(reason)


def program(name: str, package: str) -> str:
    """The path of `name`, or skip naming the package that provides it."""
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))
    if found is None:
        skip_server(name, f"{name} not installed: {INSTALL} (apt-get install {package})")
    return found


def free_ports(count: int = 1) -> list[int]:
    """Ports the OS picks, all held open until each is chosen so that none repeats."""
    with ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind((HOST, 0))
        return [probe.getsockname()[1] for probe in probes]


@contextmanager
def running(
    name: str, argv: Sequence[str], directory: Path, ports: Sequence[int]
) -> Iterator[None]:
    """CliResult `argv` in its own process group until the block ends, once every port accepts."""
    log = directory / f"{Path(argv[0]).name}.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=directory,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        for port in ports:
            _wait_accepting(name, process, port, log)
        _started.append(name)
        yield
    finally:
        _stop(process)


def _wait_accepting(name: str, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    for _ in range(CONNECT_ATTEMPTS):
        try:
            socket.create_connection((HOST, port), timeout=1.0).close()
            return
        except OSError:
            pass
        try:
            status = process.wait(ATTEMPT_PAUSE)
        except subprocess.TimeoutExpired:
            continue
        skip_server(name, f"{name} exited at start (status {status}): {_tail(log)}")
    skip_server(name, f"{name} never accepted on {HOST}:{port}: {_tail(log)}")


def _tail(log: Path) -> str:
    lines = log.read_text(errors="replace").strip().splitlines()
    return " | ".join(lines[-3:]) or "no output"


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The group, not just the pid: nginx's workers and xinetd's children go too.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(STOP_GRACE)
            break
        except subprocess.TimeoutExpired:
            continue
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # workers that outlived their master


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Under pytest-xdist one worker runs every interop test, so each server starts once.
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.xdist_group("interop"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    # A pytest-xdist worker cannot write to the run's summary: it hands the line over
    # to the controller, which prints it (tests/conftest.py).
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and (_started or _skipped):
        workeroutput.setdefault("summary", []).append(_summary_line())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _started or _skipped:
        line, alarming = _summary_line()
        terminalreporter.write_line(line, yellow=alarming, bold=True)


def _summary_line() -> tuple[str, bool]:
    """The servers that ran and those skipped, and whether any was skipped."""
    ran = ", ".join(_started) or "none"
    skipped = "; ".join(_skipped.values()) or "none"
    return f"interop servers: ran {ran}; SKIPPED: {skipped}", bool(_skipped)


# ---- the servers ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """nginx serving /index.html, /big.txt, /chunked/big.txt (the same file, with its
    length removed by sub_filter so that HTTP/1.1 replies are chunked), and /gzip/big.txt
    (gzip-coded, and so chunked, for a client that accepts gzip)."""
    binary = program("nginx", "nginx-light")
    directory = tmp_path_factory.mktemp("nginx")
    www = directory / "www"
    www.mkdir()
    (www / "index.html").write_bytes(INDEX_HTML)
    (www / "big.txt").write_bytes(BIG_TEXT)
    (port,) = free_ports()
    temp = "\n".join(
        f"    {kind}_temp_path {directory}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root the workers would run as nobody, who cannot read a 0700 pytest tmp dir.
    user = "user root root;" if IS_ROOT else ""
    (directory / "nginx.conf").write_text(
        f"""{user}
worker_processes 1;
error_log {directory}/error.log;
pid {directory}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
{temp}
    types {{ text/html html; text/plain txt; }}
    default_type application/octet-stream;
    server {{
        listen {HOST}:{port};
        root {www};
        location /chunked/ {{
            alias {www}/;
            sub_filter_types *;
            sub_filter "no such text" "";
        }}
        location /gzip/ {{
            alias {www}/;
            gzip on;
            gzip_types text/plain;
        }}
    }}
}}
"""
    )
    argv = [binary, "-p", str(directory), "-c", str(directory / "nginx.conf")]
    with running("nginx", [*argv, "-g", "daemon off;"], directory, [port]):
        yield Server("nginx", port, directory)


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """`openssl s_server -www` (an HTTP status page for any GET) with a leaf for
    localhost and 127.0.0.1 signed by a CA made here."""
    binary = program("openssl", "openssl")
    directory = tmp_path_factory.mktemp("s_server")
    ca = trustme.CA(organization_name="sockscope interop CA")
    leaf = ca.issue_cert("localhost", "127.0.0.1", common_name="sockscope interop leaf")
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    leaf.private_key_pem.write_to_path(str(directory / "key.pem"))
    leaf.cert_chain_pems[0].write_to_path(str(directory / "leaf.pem"))
    (port,) = free_ports()
    argv = [
        binary,
        "s_server",
        "-accept",
        f"{HOST}:{port}",
        "-cert",
        str(directory / "leaf.pem"),
        "-key",
        str(directory / "key.pem"),
        "-www",
    ]
    with running("openssl s_server", argv, directory, [port]):
        yield TlsServer(
            "openssl s_server",
            port,
            directory,
            ca_file=directory / "ca.pem",
            leaf_file=directory / "leaf.pem",
        )


@pytest.fixture(scope="session")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    binary = program("redis-server", "redis-server")
    directory = tmp_path_factory.mktemp("redis")
    (port,) = free_ports()
    argv = [
        binary,
        "--port",
        str(port),
        "--bind",
        HOST,
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--dir",
        str(directory),
    ]
    with running("redis", argv, directory, [port]):
        yield Server("redis", port, directory)


@pytest.fixture(scope="session")
def memcached(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    binary = program("memcached", "memcached")
    directory = tmp_path_factory.mktemp("memcached")
    (port,) = free_ports()
    # memcached refuses to run as root unless told whom to become.
    user = ["-u", "nobody"] if IS_ROOT else []
    argv = [binary, "-l", HOST, "-p", str(port), "-U", "0", *user]
    with running("memcached", argv, directory, [port]):
        yield Server("memcached", port, directory)


@pytest.fixture(scope="session")
def inetd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inetd]:
    """xinetd's built-in echo and daytime (TCP) on free ports: `port =` with
    `type = INTERNAL UNLISTED` needs no /etc/services entry."""
    binary = program("xinetd", "xinetd")
    directory = tmp_path_factory.mktemp("xinetd")
    ports = dict(zip(("echo", "daytime"), free_ports(2), strict=True))
    # xinetd insists on a user when it runs as root; otherwise it serves as itself.
    user = "user = root" if IS_ROOT else ""
    services = "".join(
        f"""
service {name}
{{
    type = INTERNAL UNLISTED
    id = {name}-stream
    socket_type = stream
    protocol = tcp
    wait = no
    {user}
    bind = {HOST}
    port = {port}
}}
"""
        for name, port in ports.items()
    )
    (directory / "xinetd.conf").write_text(f"defaults\n{{\n    instances = 10\n}}\n{services}")
    argv = [
        binary,
        "-dontfork",
        "-f",
        str(directory / "xinetd.conf"),
        "-pidfile",
        str(directory / "xinetd.pid"),
        "-filelog",
        str(directory / "xinetd.log"),
    ]
    with running("xinetd", argv, directory, list(ports.values())):
        yield Inetd(
            echo=Server("xinetd echo", ports["echo"], directory),
            daytime=Server("xinetd daytime", ports["daytime"], directory),
        )
