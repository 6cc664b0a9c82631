"""nginx on loopback, plain and TLS, serving the files the rows fetch from the page
cache: a peer server nobody here wrote, started the way tests/interop starts it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from tests.bench.common import CACHE, HOST, missing, program, reply_head
from tests.interop.conftest import IS_ROOT, free_ports, running

GIB = 1 << 30
KEPT = ("keep.bin", "keep16.bin")  # the bodies the memory rows keep
LINE = 5_000_000  # one line, no newline, for `--full`

# name -> size: random bytes (.bin), one printable line (.txt), a page (.html); made
# once in CACHE and reused
FILES = {
    "gib.bin": GIB,
    "keep.bin": 64 << 20,
    "keep16.bin": 16 << 20,
    "line.txt": LINE,
    "index.html": 0,
}


@dataclass(frozen=True)
class Nginx:
    port: int
    tls_port: int
    www: Path

    def url(self, name: str, tls: bool = False) -> str:
        scheme, port = ("https", self.tls_port) if tls else ("http", self.port)
        return f"{scheme}://{HOST}:{port}/{name}"

    def size(self, name: str) -> int:
        return (self.www / name).stat().st_size

    def header_bytes(self, name: str) -> int:
        return reply_head(self.port, f"/{name}")


def _make(path: Path, size: int) -> None:
    if path.exists() and path.stat().st_size == size and size:
        return
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as out:
        if path.name == "index.html":
            out.write(b"<!doctype html>\n<title>sockscope bench</title>\n<p>hello</p>\n")
        elif path.suffix == ".txt":
            pattern = bytes(range(0x21, 0x7F))
            out.write((pattern * (size // len(pattern) + 1))[:size])
        else:
            left = size
            while left:
                n = min(left, 8 << 20)
                out.write(os.urandom(n))
                left -= n
    tmp.replace(path)


def www() -> Path:
    directory = CACHE / "www"
    directory.mkdir(parents=True, exist_ok=True)
    for name, size in FILES.items():
        _make(directory / name, size)
    return directory


@contextmanager
def nginx() -> Iterator[Nginx | str]:
    """nginx serving www() over HTTP and HTTPS (a leaf for 127.0.0.1 from a CA made
    here, which the clients do not check: -k), or why it is not running."""
    absent = missing("nginx", "nginx-light")
    if absent:
        yield absent
        return
    root = www()
    directory = CACHE / "nginx"
    directory.mkdir(parents=True, exist_ok=True)
    leaf = trustme.CA().issue_cert(HOST)
    leaf.private_key_pem.write_to_path(str(directory / "key.pem"))
    leaf.cert_chain_pems[0].write_to_path(str(directory / "leaf.pem"))
    port, tls_port = free_ports(2)
    temp = "\n".join(
        f"    {kind}_temp_path {directory}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root root;" if IS_ROOT else ""  # workers must read the cache dir
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""{user}
worker_processes 1;
error_log {directory}/error.log;
pid {directory}/nginx.pid;
events {{ worker_connections 512; }}
http {{
    access_log off;
    sendfile on;
{temp}
    types {{ text/html html; text/plain txt; }}
    default_type application/octet-stream;
    server {{ listen {HOST}:{port}; root {root}; }}
    server {{
        listen {HOST}:{tls_port} ssl;
        ssl_certificate {directory}/leaf.pem;
        ssl_certificate_key {directory}/key.pem;
        root {root};
    }}
}}
"""
    )
    argv = [program("nginx"), "-p", str(directory), "-c", str(conf), "-g", "daemon off;"]
    with ExitStack() as stack:
        try:
            stack.enter_context(running("nginx", argv, directory, [port, tls_port]))
        except pytest.skip.Exception as exc:
            yield f"n/a (nginx: {exc})"
            return
        yield Nginx(port, tls_port, root)
