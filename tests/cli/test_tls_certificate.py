"""The peer certificate in `send`'s report: its facts, or words on why they cannot be read."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from tests.clirun import CliResult
from tests.engine.conftest import Servers, unreadable_certificate


@pytest.fixture
def unreadable_server(tmp_path: Path) -> Iterator[int]:
    """A TLS server whose certificate `cryptography` cannot read; it answers one page."""

    def serve_page(conn: socket.socket, release: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello")

    context, _ = unreadable_certificate(trustme.CA(), tmp_path)
    servers = Servers()
    try:
        yield servers.tls(context, serve_page)
    finally:
        servers.close()


def test_a_certificate_that_cannot_be_read_is_a_line_of_the_report_and_the_reply_is_shown(
    cli: Callable[..., CliResult], unreadable_server: int
) -> None:
    result = cli("send", "127.0.0.1", unreadable_server, "-t", "tls", "-k", "-d", "GET /\\r\\n")

    assert result.code == 0
    assert "hello" in result.out
    problem = "problem  malformed certificate: 5 is not a valid X509 version"
    assert [line.strip() for line in result.out.splitlines() if "problem" in line] == [problem]
    assert "Traceback" not in result.err


def test_json_names_the_certificate_that_cannot_be_read_beside_its_fingerprint(
    cli: Callable[..., CliResult], unreadable_server: int
) -> None:
    result = cli(
        "send", "127.0.0.1", unreadable_server, "-t", "tls", "-k", "-d", "GET /\\r\\n", "--json"
    )

    assert result.code == 0
    tls = next(event for event in result.json()["events"] if event["type"] == "tls")
    certificate = tls["detail"]["certificate"]
    assert certificate["parse_error"] == "malformed certificate: 5 is not a valid X509 version"
    assert len(certificate["sha256"]) == 95
