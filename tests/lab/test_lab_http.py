"""The lab's HTTP pages: framed as each page says, keep-alive honoured, checked with h11."""

from __future__ import annotations

import socket
from collections.abc import Callable

import h11
import pytest

from sockscope.lab import services
from sockscope.lab.http import CHUNKS, MAX_HEAD, MAX_REQUEST_BODY

Connect = Callable[..., socket.socket]

# Longer than the in-memory file the lab sends /bytes from, so the body takes several
# sendfile calls, and a multiple of nothing.
LONG = 2 * services.CHUNK * services.CHARGEN_FILE_BLOCKS + 12_345
RFC_864_FIRST_LINE = bytes(range(0x20, 0x20 + 72)) + b"\r\n"


def chargen(n: int) -> bytes:
    return b"".join(bytes(piece) for piece in services.chargen_stream(n))


def exchange(
    sock: socket.socket, conn: h11.Connection, target: str, method: str = "GET"
) -> tuple[h11.Response, list[h11.Data]]:
    """One request through h11, which raises on anything that is not well-formed HTTP/1.1."""
    request = h11.Request(method=method, target=target, headers=[("Host", "localhost")])
    sock.sendall(conn.send(request) + conn.send(h11.EndOfMessage()))
    response, data = None, []
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(sock.recv(65536))
        elif isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            data.append(event)
        elif isinstance(event, h11.EndOfMessage):
            assert response is not None
            return response, data


def test_keep_alive_serves_two_requests_on_one_connection(connect: Connect) -> None:
    sock = connect("http")
    conn = h11.Connection(h11.CLIENT)
    first, _ = exchange(sock, conn, "/hello")
    conn.start_next_cycle()
    second, body = exchange(sock, conn, "/hello")
    assert (first.status_code, second.status_code) == (200, 200)
    assert b"".join(d.data for d in body) == b"Hello from the sockscope lab!\n"


def test_chunked_page_is_well_formed_chunked_encoding(connect: Connect) -> None:
    response, data = exchange(connect("http"), h11.Connection(h11.CLIENT), "/chunked")
    assert (b"transfer-encoding", b"chunked") in response.headers
    assert [d.data for d in data] == list(CHUNKS)
    assert all(d.chunk_start and d.chunk_end for d in data)


def test_head_answers_with_headers_and_no_body(connect: Connect) -> None:
    sock = connect("http")
    sock.sendall(b"HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    reply = sock.makefile("rb").read()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nContent-Length: " in head
    assert body == b""


def test_bytes_page_sends_exactly_n_bytes(connect: Connect) -> None:
    response, data = exchange(connect("http"), h11.Connection(h11.CLIENT), "/bytes?n=200000")
    assert (b"content-length", b"200000") in response.headers
    assert sum(len(d.data) for d in data) == 200_000


def test_a_long_bytes_body_is_the_chargen_pattern_to_the_last_byte(connect: Connect) -> None:
    response, data = exchange(connect("http"), h11.Connection(h11.CLIENT), f"/bytes?n={LONG}")
    body = b"".join(d.data for d in data)
    assert (b"content-length", str(LONG).encode()) in response.headers
    assert body.startswith(RFC_864_FIRST_LINE)
    assert body == chargen(LONG)


def test_the_bytes_are_the_same_without_an_in_memory_file(
    connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "chargen_file", lambda: None)  # as where memfd is missing
    _, data = exchange(connect("http"), h11.Connection(h11.CLIENT), f"/bytes?n={LONG}")
    assert b"".join(d.data for d in data) == chargen(LONG)


def test_keep_alive_goes_on_after_a_long_bytes_body(connect: Connect) -> None:
    sock = connect("http")
    conn = h11.Connection(h11.CLIENT)
    _, first = exchange(sock, conn, f"/bytes?n={LONG}")
    conn.start_next_cycle()
    response, second = exchange(sock, conn, "/hello")
    assert sum(len(d.data) for d in first) == LONG
    assert response.status_code == 200
    assert b"".join(d.data for d in second) == b"Hello from the sockscope lab!\n"


def test_http10_bytes_body_is_framed_by_its_length_then_closed(connect: Connect) -> None:
    sock = connect("http")
    sock.sendall(f"GET /bytes?n={LONG} HTTP/1.0\r\n\r\n".encode())
    head, _, body = sock.makefile("rb").read().partition(b"\r\n\r\n")
    assert f"\r\nContent-Length: {LONG}\r\n".encode() in head
    assert head.endswith(b"\r\nConnection: close")
    assert body == chargen(LONG)


def test_head_of_bytes_gives_the_length_and_no_body(connect: Connect) -> None:
    sock = connect("http")
    sock.sendall(f"HEAD /bytes?n={LONG} HTTP/1.1\r\nConnection: close\r\n\r\n".encode())
    head, _, body = sock.makefile("rb").read().partition(b"\r\n\r\n")
    assert f"\r\nContent-Length: {LONG}\r\n".encode() in head + b"\r\n"
    assert body == b""


def test_responses_name_the_lab_server_and_carry_a_date(connect: Connect) -> None:
    response, _ = exchange(connect("http"), h11.Connection(h11.CLIENT), "/")
    headers = dict(response.headers)
    assert headers[b"server"] == b"sockscope-lab"
    assert headers[b"date"].endswith(b" GMT")


def test_unknown_path_is_not_found(connect: Connect) -> None:
    response, _ = exchange(connect("http"), h11.Connection(h11.CLIENT), "/nope")
    assert response.status_code == 404


def test_a_request_body_over_the_cap_is_refused_with_413(connect: Connect) -> None:
    sock = connect("http")
    too_long = MAX_REQUEST_BODY + 1
    sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % too_long)
    reply = sock.makefile("rb").read()
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"request bodies are capped at %d bytes" % MAX_REQUEST_BODY in reply


def test_headers_page_sends_back_the_request_head(connect: Connect) -> None:
    sock = connect("http")
    head = b"GET /headers HTTP/1.1\r\nHost: localhost\r\nX-Odd: [@click=app.quit]\r\n"
    sock.sendall(head + b"Connection: close\r\n\r\n")
    reply = sock.makefile("rb").read()
    assert reply.endswith(head + b"Connection: close\r\n")


def test_http10_request_gets_a_body_delimited_by_close(connect: Connect) -> None:
    sock = connect("http")
    sock.sendall(b"GET /chunked HTTP/1.0\r\n\r\n")
    head, _, body = sock.makefile("rb").read().partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head
    assert b"\r\nConnection: close" in head
    assert body == b"".join(CHUNKS)


def test_connection_close_request_is_answered_then_closed(connect: Connect) -> None:
    sock = connect("http")
    sock.sendall(b"GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n")
    reply = sock.makefile("rb").read()
    assert reply.endswith(b"\r\n\r\nHello from the sockscope lab!\n")


def test_bare_lf_request_is_served(connect: Connect) -> None:
    sock = connect("http")
    sock.sendall(b"GET /hello HTTP/1.1\nConnection: close\n\n")
    assert sock.makefile("rb").read().startswith(b"HTTP/1.1 200 OK\r\n")


def test_request_body_is_skipped_so_the_next_request_stays_in_step(connect: Connect) -> None:
    sock = connect("http")
    sock.sendall(b"POST /hello HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
    sock.sendall(b"GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n")
    reply = sock.makefile("rb").read()
    assert reply.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n")
    assert reply.endswith(b"\r\n\r\nHello from the sockscope lab!\n")


def test_oversized_head_is_refused_with_431_and_closed(connect: Connect) -> None:
    sock = connect("http")
    sock.sendall(b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"a" * MAX_HEAD + b"\r\n\r\n")
    reply = sock.makefile("rb").read()
    assert reply.startswith(b"HTTP/1.1 431 ")
    assert b"\r\nConnection: close\r\n" in reply


def test_garbage_request_is_refused_with_400_and_closed(connect: Connect) -> None:
    sock = connect("http")
    sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")
    assert sock.makefile("rb").read().startswith(b"HTTP/1.1 400 Bad Request\r\n")
