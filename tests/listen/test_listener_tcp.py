"""The Listener over TCP: real clients (curl, urllib, raw sockets) and what each one sent."""

from __future__ import annotations

import socket
import subprocess
import threading
import urllib.request

from sockscope.core.client_analysis import analyse_client
from sockscope.core.model import EventType, StopReason, Transport
from sockscope.core.responders import Echo, Fixed, HttpOk
from tests.listen.conftest import WAIT


def _request_of(exchange):  # type: ignore[no-untyped-def]
    return analyse_client(exchange.received, eof=True).http


def test_curl_gets_the_http_ok_page_and_its_request_is_parsed(listen) -> None:
    running = listen(HttpOk)
    url = f"http://127.0.0.1:{running.port}/hello?x=1"
    page = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "-A", "probe/1.0", url],
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert page.returncode == 0, page.stderr
    assert "sockscope listen received GET /hello?x=1 HTTP/1.1" in page.stdout
    assert "User-Agent: probe/1.0" in page.stdout
    exchange = running.next_finished()
    request = _request_of(exchange)
    assert (request.method, request.target, request.version) == ("GET", "/hello?x=1", "HTTP/1.1")
    assert request.header("Host") == f"127.0.0.1:{running.port}"
    assert request.header("User-Agent") == "probe/1.0"
    assert request.complete and not request.problems
    assert exchange.sent.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close\r\n" in exchange.sent
    assert exchange.stop is StopReason.PEER_CLOSED


def test_the_exchange_target_is_the_client_as_seen_from_the_listener(listen) -> None:
    running = listen(HttpOk)
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client_port = client.getsockname()[1]
        client.sendall(b"GET / HTTP/1.0\r\n\r\n")
        while client.recv(65536):
            pass
    exchange = running.next_finished()
    assert (exchange.target.host, exchange.target.port) == ("127.0.0.1", client_port)
    assert exchange.target.transport is Transport.TCP
    connect = next(exchange.of_type(EventType.CONNECT))
    assert connect.detail["peer"] == f"127.0.0.1:{client_port}"
    assert exchange.request == exchange.sent  # what a listening conversation sent


def test_urllib_post_body_is_framed_by_content_length(listen) -> None:
    running = listen(HttpOk)
    request = urllib.request.Request(
        f"http://127.0.0.1:{running.port}/form", data=b"name=value&x=%00", method="POST"
    )
    with urllib.request.urlopen(request, timeout=WAIT) as response:
        assert response.status == 200
        assert b"body: 16 bytes (content-length)" in response.read()
    parsed = _request_of(running.next_finished())
    assert parsed.method == "POST"
    assert parsed.framing == "content-length"
    assert parsed.body == b"name=value&x=%00"
    assert parsed.header("User-Agent").startswith("Python-urllib/")


def test_echo_sends_every_byte_back(listen) -> None:
    running = listen(Echo)
    payload = bytes(range(256)) * 4
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.sendall(payload)
        client.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := client.recv(65536):
            got += chunk
    assert got == payload
    exchange = running.next_finished()
    assert exchange.received == payload == exchange.sent


def test_fixed_reply_arrives_byte_for_byte_then_the_listener_closes(listen) -> None:
    reply = b"\x00\xffHELLO\r\n\x1b[2J"
    running = listen(lambda: Fixed(reply))
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.sendall(b"hi\n")
        got = b""
        while chunk := client.recv(65536):
            got += chunk
    assert got == reply
    exchange = running.next_finished()
    types = [e.type for e in exchange.events]
    assert (
        types.index(EventType.RECV) < types.index(EventType.SEND) < types.index(EventType.SHUTDOWN)
    )


def test_watching_only_records_everything_until_the_client_closes(listen) -> None:
    running = listen()
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.sendall(b"first\r\n")
        client.sendall(b"second\r\n")
    exchange = running.next_finished()
    assert exchange.received == b"first\r\nsecond\r\n"
    assert exchange.sent == b""
    assert exchange.stop is StopReason.PEER_CLOSED
    commands = analyse_client(exchange.received, eof=True).commands
    assert [c.verb for c in commands] == ["first", "second"]


def test_sequential_clients_are_separate_conversations(listen) -> None:
    running = listen(HttpOk)
    for path in ("/one", "/two", "/three"):
        with urllib.request.urlopen(f"http://127.0.0.1:{running.port}{path}", timeout=WAIT) as r:
            assert path.encode() in r.read()
    targets = [_request_of(running.next_finished()).target for _ in range(3)]
    assert targets == ["/one", "/two", "/three"]
    assert [s.number for s in running.listener.sessions] == [1, 2, 3]


def test_concurrent_clients_each_get_their_own_page_and_conversation(listen) -> None:
    running = listen(HttpOk)
    pages: dict[str, bytes] = {}
    barrier = threading.Barrier(6)

    def fetch(path: str) -> None:
        barrier.wait(WAIT)
        with urllib.request.urlopen(f"http://127.0.0.1:{running.port}{path}", timeout=WAIT) as r:
            pages[path] = r.read()

    paths = [f"/client/{n}" for n in range(6)]
    threads = [threading.Thread(target=fetch, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert all(f"GET {p} HTTP/1.1".encode() in pages[p] for p in paths)
    seen = sorted(_request_of(running.next_finished()).target for _ in paths)
    assert seen == sorted(paths)


def test_bytes_past_the_capture_limit_are_counted_not_kept(listen) -> None:
    running = listen(capture_limit=64 * 1024)
    payload = b"x" * (1024 * 1024)
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.sendall(payload)
    exchange = running.next_finished()
    assert exchange.bytes_in == len(payload)
    assert len(exchange.received) == 64 * 1024
    assert exchange.truncated
    notes = [e.detail["message"] for e in exchange.of_type(EventType.INFO)]
    assert any("capture limit of 64.0 KiB reached" in n for n in notes), notes
    assert "64.0 KiB kept" in exchange.stop_message


def test_the_app_can_type_replies_and_close_through_the_session(listen) -> None:
    running = listen()
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.settimeout(WAIT)
        session = running.next_client()
        client.sendall(b"HELLO?\r\n")
        session.send(b"typed by hand\r\n")
        assert client.recv(100) == b"typed by hand\r\n"
        session.close()
        assert client.recv(100) == b""  # we finished sending
        client.sendall(b"bye\r\n")  # the client may still talk
    exchange = running.next_finished()
    assert exchange.received == b"HELLO?\r\nbye\r\n"
    assert exchange.sent == b"typed by hand\r\n"
    assert EventType.SHUTDOWN in [e.type for e in exchange.events]
    assert session.finished and session.exchange is exchange


def test_a_client_that_stays_after_our_last_reply_is_closed_after_the_linger(listen) -> None:
    running = listen(lambda: Fixed(b"bye\r\n"), linger=0.2)
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.sendall(b"x")
        exchange = running.next_finished()  # while the client still holds the connection
    assert exchange.stop is StopReason.IDLE
    assert "stayed 0.2 s after our last reply" in exchange.stop_message


def test_stopping_the_listener_ends_open_conversations_as_cancelled(listen) -> None:
    running = listen()
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.sendall(b"partial")
        running.next_client()
        running.listener.stop()
        exchange = running.next_finished()
    assert exchange.stop is StopReason.CANCELLED
    assert exchange.received == b"partial"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", running.port)) != 0  # the port is released


def test_the_connect_time_is_the_accept_call_not_the_work_done_for_a_new_client(listen) -> None:
    slow = 0.2

    def slow_echo() -> Echo:  # work the listener does for each new client, not the network
        threading.Event().wait(slow)
        return Echo()

    running = listen(slow_echo)
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.sendall(b"x")
    timings = running.next_finished().timings()
    assert timings.connect is not None and timings.connect < slow
