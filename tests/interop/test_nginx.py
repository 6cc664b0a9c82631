"""nginx: a real HTTP/1.1 server's static files, HEAD, keep-alive and chunked replies, as
sockscope parses them, and checked against what curl reports for the same request."""

from __future__ import annotations

import subprocess
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from sockscope.core.analysis import analyse, decoded_body
from sockscope.core.http import HttpResponse, parse_response
from sockscope.core.model import Exchange, ReadPolicy, StopReason, Target
from sockscope.core.views import human_bytes
from sockscope.engine import run_exchange
from tests.interop.conftest import BIG_TEXT, INDEX_HTML, Server, program

POLICY = ReadPolicy(connect_timeout=5.0, idle_timeout=5.0, deadline=15.0)


def http_request(server: Server, path: str, method: str = "GET", *, close: bool = True) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
    return (head + ("Connection: close\r\n" if close else "") + "\r\n").encode()


def exchange(server: Server, request: bytes) -> tuple[Exchange, HttpResponse]:
    done = run_exchange(Target(server.host, server.port), request, POLICY)
    assert done.error is None, done.error
    response = analyse(done).http
    assert response is not None
    return done, response


def serious(response: HttpResponse) -> list[str]:
    return [p.message for p in response.problems if p.severity != "info"]


def test_get_of_a_static_file_returns_the_file_with_its_length(nginx: Server) -> None:
    done, response = exchange(nginx, http_request(nginx, "/index.html"))

    assert done.stop is StopReason.PEER_CLOSED
    assert (response.version, response.status, response.reason) == ("HTTP/1.1", 200, "OK")
    assert (response.header("Server") or "").startswith("nginx")
    assert response.header("Content-Type") == "text/html"
    assert response.header("Content-Length") == str(len(INDEX_HTML))
    assert response.framing == "content-length" and response.complete
    assert response.body == INDEX_HTML
    assert serious(response) == []


def test_head_reply_has_the_length_of_the_file_and_no_body_and_no_problems(
    nginx: Server,
) -> None:
    done, response = exchange(nginx, http_request(nginx, "/index.html", "HEAD"))

    assert response.status == 200
    assert response.header("Content-Length") == str(len(INDEX_HTML))
    assert response.body == b"" and response.extra == b""
    assert response.complete
    assert response.problems == []
    assert done.received.endswith(b"\r\n\r\n")  # nginx sent the head and nothing else


def test_missing_file_is_a_complete_404_page(nginx: Server) -> None:
    _, response = exchange(nginx, http_request(nginx, "/no-such-file"))

    assert response.status == 404
    assert response.complete and b"404 Not Found" in response.body
    assert serious(response) == []


def test_not_modified_reply_has_no_body_and_no_problems(nginx: Server) -> None:
    _, first = exchange(nginx, http_request(nginx, "/index.html"))
    modified = first.header("Last-Modified")
    assert modified is not None
    request = http_request(nginx, "/index.html").replace(
        b"\r\n\r\n", f"\r\nIf-Modified-Since: {modified}\r\n\r\n".encode()
    )
    done, response = exchange(nginx, request)

    assert response.status == 304
    assert response.body == b"" and response.complete and response.problems == []
    assert done.received.endswith(b"\r\n\r\n")


def test_http10_request_for_a_reply_without_length_reads_to_the_close(nginx: Server) -> None:
    request = b"GET /chunked/index.html HTTP/1.0\r\n\r\n"
    done, response = exchange(nginx, request)

    # nginx may not send chunks to HTTP/1.0: no length, the close ends the body.
    assert response.header("Transfer-Encoding") is None
    assert response.header("Content-Length") is None
    assert done.stop is StopReason.PEER_CLOSED
    assert response.framing == "close" and response.complete
    assert response.body == INDEX_HTML
    assert [p.code for p in response.problems] == ["close-delimited"]


def test_two_requests_in_one_send_get_two_responses_on_one_connection(nginx: Server) -> None:
    request = http_request(nginx, "/index.html", close=False) + http_request(nginx, "/big.txt")
    done, first = exchange(nginx, request)

    assert done.stop is StopReason.PEER_CLOSED
    assert first.status == 200 and first.body == INDEX_HTML and first.complete
    assert first.following == 1
    assert [p.code for p in first.problems] == ["more-responses"]
    assert first.problems[0].severity == "info"
    second = parse_response(first.extra, eof=True)
    assert second is not None
    assert second.status == 200 and second.complete
    assert second.body == BIG_TEXT
    assert second.extra == b"" and second.following == 0


def test_chunked_reply_is_decoded_to_the_file_it_carries(nginx: Server) -> None:
    done, response = exchange(nginx, http_request(nginx, "/chunked/big.txt"))

    assert response.header("Transfer-Encoding") == "chunked"
    assert response.header("Content-Length") is None
    assert response.framing == "chunked" and response.complete
    assert response.body == BIG_TEXT
    assert done.received.endswith(b"\r\n0\r\n\r\n")  # the raw view keeps the chunk framing
    assert serious(response) == []


def curl(server: Server, path: str, body_file: Path) -> tuple[list[str], list[str]]:
    """curl's request head and reply head lines (from `-v`), its body written to a file."""
    url = f"http://{server.host}:{server.port}{path}"
    result = subprocess.run(
        [
            program("curl", "curl"),
            "-sv",
            "--http1.1",
            "-H",
            "Connection: close",
            "-o",
            body_file,
            url,
        ],
        capture_output=True,
        check=True,
        timeout=15,
    )
    lines = result.stderr.decode("latin-1").splitlines()
    sent = [line[2:].rstrip("\r") for line in lines if line.startswith("> ")]
    received = [line[2:].rstrip("\r") for line in lines if line.startswith("< ")]
    return sent, [line for line in received if line]


def without_date(headers: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The headers in order, each Date checked and blanked: two requests can straddle a
    second, every other value must be equal."""
    for name, value in headers:
        if name == "Date":
            assert parsedate_to_datetime(value).year >= 2024
    return [(name, "") if name == "Date" else (name, value) for name, value in headers]


@pytest.mark.parametrize("path", ["/index.html", "/big.txt", "/chunked/big.txt"])
def test_parsed_reply_agrees_with_what_curl_reports(
    nginx: Server, path: str, tmp_path: Path
) -> None:
    curl_request, curl_head = curl(nginx, path, tmp_path / "body")
    # The very request curl sent, so nginx has no reason to answer differently.
    request = ("\r\n".join(curl_request) + "\r\n").encode()
    _, response = exchange(nginx, request)

    status_line, *header_lines = curl_head
    assert f"{response.version} {response.status} {response.reason}" == status_line
    curl_headers = [tuple(line.split(": ", 1)) for line in header_lines]
    assert without_date(response.headers) == without_date(curl_headers)
    assert response.body == (tmp_path / "body").read_bytes()
    assert response.complete and serious(response) == []


def test_a_gzip_coded_reply_decodes_to_the_file_with_its_chain_named(nginx: Server) -> None:
    request = http_request(nginx, "/gzip/big.txt").replace(
        b"\r\n\r\n", b"\r\nAccept-Encoding: gzip\r\n\r\n"
    )
    _done, response = exchange(nginx, request)

    assert response.header("Content-Encoding") == "gzip"
    assert response.body[:2] == b"\x1f\x8b" and len(response.body) < len(BIG_TEXT) // 4
    decoded = decoded_body(response)
    assert decoded is not None
    assert decoded.data == BIG_TEXT
    assert decoded.summary() == f"chunked → gzip, {human_bytes(len(BIG_TEXT))}"
