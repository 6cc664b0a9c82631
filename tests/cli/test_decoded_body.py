"""`send` and `listen` show a gzip, deflate or br body decoded, with its codings named;
Received stays the bytes as they came."""

from __future__ import annotations

import base64
import gzip
import socket
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterator

import brotli
import pytest

from tests.listen.conftest import WAIT

TEXT = "grüße from a coded body\n".encode() * 3


def _chunked(body: bytes) -> bytes:
    half = len(body) // 2
    parts = (body[:half], body[half:])
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


@pytest.fixture
def reply_server() -> Iterator[Callable[[bytes], int]]:
    """A loopback server on port 0 that answers one client with the bytes given."""
    threads: list[threading.Thread] = []

    def start(reply: bytes) -> int:
        listener = socket.create_server(("127.0.0.1", 0))

        def serve() -> None:
            with listener, listener.accept()[0] as client:
                client.recv(65536)
                client.sendall(reply)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        threads.append(thread)
        return int(listener.getsockname()[1])

    yield start
    for thread in threads:
        thread.join(WAIT)


def _response(coding: str, body: bytes, *, charset: str = "utf-8") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset={charset}\r\n"
        f"Content-Encoding: {coding}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode() + _chunked(body)


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(TEXT, mtime=0)),  # its ids are the same in every xdist worker
        ("deflate", zlib.compress(TEXT)),
        ("br", brotli.compress(TEXT)),
    ],
)
def test_send_json_carries_the_decoded_body_and_its_codings(
    cli, reply_server, coding: str, body: bytes
) -> None:
    port = reply_server(_response(coding, body))
    data = cli("send", "127.0.0.1", port, "-T", "http-get", "--json").json()
    http = data["http"]
    assert base64.b64decode(http["body_b64"]) == body
    assert http["decoded"]["codings"] == ["chunked", coding]
    assert base64.b64decode(http["decoded"]["body_b64"]) == TEXT
    assert http["decoded"]["size"] == len(TEXT)
    assert http["decoded"]["problem"] is None


def test_send_json_names_a_cut_body(cli, reply_server) -> None:
    port = reply_server(_response("gzip", gzip.compress(TEXT)[:-10]))
    http = cli("send", "127.0.0.1", port, "-T", "http-get", "--json").json()["http"]
    assert http["decoded"]["problem"] == "gzip data ends early (the stream is cut)"


def test_a_plain_body_has_no_decoded_object(cli, reply_server) -> None:
    port = reply_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    http = cli("send", "127.0.0.1", port, "-T", "http-get", "--json").json()["http"]
    assert http["decoded"] is None


def test_send_report_shows_the_text_in_the_charset_and_the_bytes_as_they_came(
    cli, reply_server
) -> None:
    body = gzip.compress(TEXT)
    port = reply_server(_response("gzip", body, charset="iso-8859-1"))
    # The charset is latin-1: each UTF-8 letter reads as two characters, as the server said.
    out = cli("send", "127.0.0.1", port, "-T", "http-get").out
    assert f"Body (decoded)  chunked → gzip, {len(TEXT)} bytes · iso8859-1" in out
    assert "grÃ¼Ã" in out
    assert "\\x1f\\x8b" in out  # Received (repr): the gzip bytes themselves


def test_a_charset_that_is_no_text_encoding_falls_back_to_the_chosen_one(cli, reply_server) -> None:
    # rot13 is a Python codec, but a transform: the report crashed on it.
    port = reply_server(_response("gzip", gzip.compress(TEXT, mtime=0), charset="rot13"))
    result = cli("send", "127.0.0.1", port, "-T", "http-get")
    assert result.code == 0
    assert f"Body (decoded)  chunked → gzip, {len(TEXT)} bytes · utf-8" in result.out


def test_listen_decodes_a_gzip_request_body(reply_server) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sockscope", "listen", "0", "--count", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().split(":")[1].split()[0])
        body = gzip.compress(TEXT)
        head = "POST /up HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n"
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(head.encode() + body)
        out, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"Body (decoded)  gzip, {len(TEXT)} bytes · utf-8" in out
    assert "grüße from a coded body" in out
