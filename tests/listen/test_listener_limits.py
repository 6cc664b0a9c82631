"""What one client can cost the listener, and how slots come back: the capture limit in
both directions, the idle timeout, the client limit, a load tool beside silent clients."""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from sockscope.core.model import EventType, StopReason, Transport
from sockscope.core.responders import Echo, HttpOk
from sockscope.core.timeline import timeline_rows
from sockscope.engine.connection import COALESCE_SECONDS
from sockscope.engine.listen_conversation import OVERFLOW_SECONDS
from sockscope.engine.listener import ListenConfig
from tests.listen.conftest import WAIT

LIMIT = 64 * 1024
SILENT = 16  # the silent clients that locked every slot of the old default


@contextlib.contextmanager
def _silent_clients(port: int, count: int = SILENT) -> Iterator[list[socket.socket]]:
    """`count` clients that connect and never send a byte."""
    clients = [socket.create_connection(("127.0.0.1", port), WAIT) for _ in range(count)]
    try:
        yield clients
    finally:
        for client in clients:
            client.close()


def _still_open(client: socket.socket) -> bool:
    """True when the server has neither closed nor reset `client` (nothing to read yet)."""
    client.setblocking(False)
    try:
        client.recv(1)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def _limit_notes(exchange) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        e.detail["message"]
        for e in exchange.of_type(EventType.INFO)
        if e.detail["message"].startswith("capture limit of")
    ]


def test_an_echoed_flood_keeps_the_capture_limit_each_way_and_counts_every_byte(listen) -> None:
    running = listen(Echo, capture_limit=LIMIT)
    payload = bytes(range(256)) * (10 * 1024 * 1024 // 256)  # 10 MiB
    echoed = 0
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.settimeout(WAIT)

        def flood() -> None:
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=flood)
        sender.start()
        while chunk := client.recv(1024 * 1024):
            echoed += len(chunk)
        sender.join(WAIT)
    exchange = running.next_finished()
    assert echoed == len(payload)
    assert exchange.bytes_in == len(payload) and exchange.bytes_out == len(payload)
    assert exchange.received == payload[:LIMIT] and exchange.sent == payload[:LIMIT]
    assert sum(len(e.data) for e in exchange.events) == 2 * LIMIT
    assert _limit_notes(exchange) == [
        "capture limit of 64.0 KiB reached: counting the rest without keeping it",
        "capture limit of 64.0 KiB reached for our replies: counting the rest without keeping it",
    ]
    assert exchange.stop is StopReason.PEER_CLOSED and "64.0 KiB kept" in exchange.stop_message
    cut = {row.event for row in timeline_rows(exchange) if row.detail.endswith("bytes not kept")}
    assert cut == {"recv", "send"}


def test_udp_replies_past_the_capture_limit_are_counted_not_kept(listen) -> None:
    running = listen(Echo, transport=Transport.UDP, capture_limit=1000, idle_timeout=0.2)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(WAIT)
        for n in range(3):
            client.sendto(bytes([n]) * 600, ("127.0.0.1", running.port))
            assert client.recv(1000) == bytes([n]) * 600
    exchange = running.next_finished()
    assert exchange.bytes_out == 1800 and exchange.sent == b"\0" * 600 + b"\1" * 400
    assert [e.size for e in exchange.of_type(EventType.SEND)] == [600, 600, 600]
    assert _limit_notes(exchange)[-1].endswith(
        "reached for our replies: counting the rest without keeping it"
    )


def test_a_client_trickling_single_bytes_costs_a_few_events_not_one_per_write(listen) -> None:
    running = listen(Echo, capture_limit=1024)
    writes = 20_000
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.settimeout(WAIT)
        drain = threading.Thread(target=lambda: b"".join(iter(lambda: client.recv(65536), b"")))
        drain.start()
        started = time.monotonic()
        for _ in range(writes):
            client.send(b"x")
        client.shutdown(socket.SHUT_WR)
        exchange = running.next_finished()
        elapsed = time.monotonic() - started
        drain.join(WAIT)
    assert exchange.bytes_in == writes and exchange.bytes_out == writes
    # Each direction makes at most one event per coalescing window (50 ms, 1 s past the
    # limit), whatever the number of writes; one event per write would be thousands.
    windows = math.ceil(elapsed / COALESCE_SECONDS) + 2
    assert len(exchange.events) <= 10 + 2 * windows, len(exchange.events)


def test_datagrams_past_the_capture_limit_are_counted_in_few_events(listen) -> None:
    running = listen(transport=Transport.UDP, capture_limit=10, idle_timeout=0.2)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        started = time.monotonic()
        for _ in range(200):
            client.sendto(b"12345", ("127.0.0.1", running.port))
        exchange = running.next_finished()
        elapsed = time.monotonic() - started
    recvs = list(exchange.of_type(EventType.RECV))
    assert exchange.bytes_in == 1000 and exchange.received == b"1234512345"
    assert sum(e.calls for e in recvs) == 200  # every datagram counted
    # Three events up to and across the limit, then one per window.
    assert len(recvs) <= 3 + math.ceil(elapsed / OVERFLOW_SECONDS) + 1, len(recvs)


@pytest.mark.parametrize("transport", [Transport.TCP, Transport.TLS, Transport.UNIX])
def test_stream_clients_are_closed_after_30_idle_seconds_unless_told(transport) -> None:
    assert ListenConfig(transport=transport).idle == 30.0
    assert ListenConfig(transport=transport, idle_timeout=2.0).idle == 2.0
    assert ListenConfig(transport=Transport.UDP).idle == 5.0


def test_a_silent_client_is_closed_after_the_idle_timeout(listen) -> None:
    running = listen(idle_timeout=0.2)
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.settimeout(WAIT)
        exchange = running.next_finished()
        assert client.recv(1) == b""  # we closed it
    assert exchange.stop is StopReason.IDLE
    assert "nothing sent either way for 0.2 s (the idle timeout)" in exchange.stop_message


def test_a_slot_is_free_the_moment_its_client_disconnects(listen) -> None:
    running = listen(Echo, max_clients=1)  # the 30 s idle timeout is longer than WAIT
    with socket.create_connection(("127.0.0.1", running.port)):
        running.next_client()
    assert running.next_finished().stop is StopReason.PEER_CLOSED
    with socket.create_connection(("127.0.0.1", running.port)) as second:
        second.settimeout(WAIT)
        second.sendall(b"my turn")
        assert second.recv(100) == b"my turn"


def test_past_the_client_limit_a_client_waits_and_is_served_when_a_slot_frees(listen) -> None:
    running = listen(Echo, max_clients=1)
    holder = socket.create_connection(("127.0.0.1", running.port))
    running.next_client()
    with socket.create_connection(("127.0.0.1", running.port)) as waiting:
        waiting.settimeout(WAIT)
        waiting.sendall(b"waited")
        note = running.notes.get(timeout=WAIT)
        assert note == (
            "the max-clients limit of 1 is reached: new clients wait in the backlog until one ends"
        )
        assert running.clients.empty() and _still_open(waiting)  # not admitted, not refused
        waiting.setblocking(True)
        holder.close()
        assert waiting.recv(100) == b"waited"
    assert running.listener.turned_away == 0


def test_silent_clients_do_not_keep_further_clients_out(listen) -> None:
    running = listen(HttpOk)  # the defaults: 100 clients, 30 s idle
    with _silent_clients(running.port):
        for _ in range(SILENT):
            running.next_client()
        pages: list[bytes] = []

        def fetch() -> None:
            with socket.create_connection(("127.0.0.1", running.port), WAIT) as client:
                client.settimeout(WAIT)
                client.sendall(b"GET / HTTP/1.0\r\n\r\n")
                pages.append(b"".join(iter(lambda: client.recv(65536), b"")))

        fetchers = [threading.Thread(target=fetch) for _ in range(50)]
        for fetcher in fetchers:
            fetcher.start()
        for fetcher in fetchers:
            fetcher.join(WAIT)
    assert len(pages) == 50 and all(p.startswith(b"HTTP/1.1 200 OK\r\n") for p in pages)


@pytest.mark.skipif(shutil.which("ab") is None, reason="ab (Debian apache2-utils) is not installed")
def test_ab_has_no_failed_request_while_16_silent_clients_hold_connections() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sockscope", "listen", "0", "--reply-template", "http-ok", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith('{"listening"'), proc.stderr.read() if proc.stderr else first
        port = int(first.split('"port": ')[1].split(",")[0])
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout or ()))
        reader.start()
        with _silent_clients(port) as silent:
            ab = subprocess.run(
                ["ab", "-q", "-c", "50", "-n", "1000", f"http://127.0.0.1:{port}/"],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert all(_still_open(client) for client in silent)
            proc.send_signal(signal.SIGTERM)
            proc.wait(WAIT)
        reader.join(WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert ab.returncode == 0, ab.stderr
    assert "Complete requests:      1000" in ab.stdout
    assert "Failed requests:        0" in ab.stdout, ab.stdout
    # The silent clients were conversations all along, ended by the stop.
    stops = [json.loads(line).get("stop_reason") for line in lines]
    assert stops.count("cancelled") == SILENT, stops
