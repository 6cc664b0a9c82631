"""Past the capture limit into a file (FileSink), a plain stream's bytes go from the
socket to the file inside the kernel (Linux splice). What a user gets must not change:
the same file, the same kept bytes and events, every limit and cancel honoured, and the
copying path wherever splicing cannot be used."""

from __future__ import annotations

import errno
import io
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sockscope.core.model import (
    Event,
    EventType,
    Exchange,
    Overflow,
    ReadPolicy,
    StopReason,
    Target,
    TlsOptions,
    Transport,
)
from sockscope.engine import FileSink, run_exchange
from sockscope.engine.connection import Sink
from sockscope.lab.services import chargen_stream
from tests.engine.conftest import Servers

# Not a multiple of the lab's blocks nor of the pipe: the last pieces are partial.
BODY = 3 * 1024 * 1024 + 12_345
LIMIT = 64 * 1024
POLICY = ReadPolicy(
    connect_timeout=5.0,
    idle_timeout=5.0,
    deadline=60.0,
    capture_limit=LIMIT,
    overflow=Overflow.COUNT,
)
LINUX_SPLICE = pytest.mark.skipif(not hasattr(os, "splice"), reason="splice(2) is Linux only")


def get(n: int) -> bytes:
    return f"GET /bytes?n={n} HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n".encode()


def chargen(n: int) -> bytes:
    return b"".join(bytes(piece) for piece in chargen_stream(n))


def body_of(raw: bytes) -> bytes:
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    return body


def notes(exchange: Exchange) -> list[str]:
    return [e.detail["message"] for e in exchange.of_type(EventType.INFO)]


def shape(exchange: Exchange) -> list[EventType]:
    """The event types with each run of RECV events as one: what the timeline shows."""
    out: list[EventType] = []
    for event in exchange.events:
        if not (out and out[-1] is EventType.RECV and event.type is EventType.RECV):
            out.append(event.type)
    return out


@pytest.fixture
def splices(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """What each os.splice call moved: proof that the kernel path ran (or did not)."""
    moved: list[int] = []
    real = os.splice

    def spy(*args: Any, **kwargs: Any) -> int:
        n = real(*args, **kwargs)
        moved.append(n)
        return n

    monkeypatch.setattr(os, "splice", spy)
    return moved


def run_into(
    path: Path,
    target: Target,
    request: bytes,
    policy: ReadPolicy = POLICY,
    mode: str = "wb",
    make_sink: Callable[[io.BufferedWriter], Sink] = FileSink,
    **options: Any,
) -> Exchange:
    with open(path, mode) as file:
        return run_exchange(target, request, policy, sink=make_sink(file), **options)


@LINUX_SPLICE
def test_a_capture_past_the_limit_is_the_same_spliced_or_copied(
    lab: Any, tmp_path: Path, splices: list[int]
) -> None:
    target = Target(lab.host, lab.port("http"))
    copied = run_into(tmp_path / "copied", target, get(BODY), make_sink=lambda f: f.write)
    assert splices == []
    spliced = run_into(tmp_path / "spliced", target, get(BODY))
    assert sum(splices) > 2 * BODY * 0.9  # socket -> pipe and pipe -> file: nearly all of it

    raw = (tmp_path / "spliced").read_bytes()
    body = body_of(raw)
    assert body[:74] == bytes(range(0x20, 0x20 + 72)) + b"\r\n"  # RFC 864's first line
    assert body == chargen(BODY) == body_of((tmp_path / "copied").read_bytes())
    assert spliced.received == raw[:LIMIT]
    assert spliced.bytes_in == copied.bytes_in == len(raw)
    assert spliced.stop is copied.stop is StopReason.PEER_CLOSED
    assert spliced.stop_message == copied.stop_message
    assert notes(spliced) == notes(copied)
    assert shape(spliced) == shape(copied)
    recvs = list(spliced.of_type(EventType.RECV))
    assert all(e.calls >= 1 for e in recvs)
    assert sum(e.size for e in recvs) == len(raw)


@LINUX_SPLICE
def test_dev_null_takes_the_copying_path_which_is_faster_there(
    lab: Any, splices: list[int]
) -> None:
    target = Target(lab.host, lab.port("http"))
    exchange = run_into(Path(os.devnull), target, get(BODY))
    assert splices == []  # into a character device the bytes are read and written
    assert exchange.bytes_in > BODY and exchange.stop is StopReason.PEER_CLOSED


@LINUX_SPLICE
def test_the_byte_limit_stops_a_spliced_read_exactly(
    lab: Any, tmp_path: Path, splices: list[int]
) -> None:
    policy = replace(POLICY, max_bytes=1_000_003)
    exchange = run_into(tmp_path / "out", Target(lab.host, lab.port("http")), get(BODY), policy)

    assert splices
    assert exchange.stop is StopReason.BYTE_COUNT
    assert exchange.bytes_in == 1_000_003
    raw = (tmp_path / "out").read_bytes()
    assert len(raw) == 1_000_003
    assert chargen(BODY).startswith(body_of(raw))


def flood(conn: socket.socket, release: threading.Event) -> None:
    block = b"f" * 65536
    while not release.is_set():
        conn.sendall(block)


@LINUX_SPLICE
def test_cancel_stops_a_spliced_read_and_the_file_holds_every_byte_counted(
    servers: Servers, tmp_path: Path, splices: list[int]
) -> None:
    port = servers.tcp(flood)
    cancel = threading.Event()
    past_limit = threading.Event()

    def on_event(event: Event) -> None:
        # The first RECV after the capture-limit note stands for spliced reads only.
        if event.type is EventType.INFO:
            past_limit.set()
        elif event.type is EventType.RECV and past_limit.is_set():
            cancel.set()

    exchange = run_into(
        tmp_path / "out", Target("127.0.0.1", port), b"", on_event=on_event, cancel=cancel
    )

    assert splices
    assert exchange.stop is StopReason.CANCELLED
    assert exchange.stop_message.startswith("cancelled after ")
    raw = (tmp_path / "out").read_bytes()
    assert len(raw) == exchange.bytes_in > LIMIT
    assert set(raw) == {ord("f")}


@LINUX_SPLICE
def test_a_unix_stream_is_spliced_too(
    servers: Servers, short_dir: Path, tmp_path: Path, splices: list[int]
) -> None:
    data = os.urandom(2 * 1024 * 1024)

    def send(conn: socket.socket, release: threading.Event) -> None:
        conn.sendall(data)

    path = servers.unix(short_dir / "s", send)
    exchange = run_into(tmp_path / "out", Target(str(path), None, Transport.UNIX), b"")

    assert splices
    assert exchange.stop is StopReason.PEER_CLOSED
    assert exchange.received == data[:LIMIT]
    assert (tmp_path / "out").read_bytes() == data


def test_tls_goes_through_python_and_the_file_is_the_same(
    lab: Any, tmp_path: Path, splices: list[int]
) -> None:
    target = Target(lab.host, lab.port("https"), Transport.TLS, tls=TlsOptions(ca_file=lab.ca_file))
    exchange = run_into(tmp_path / "out", target, get(BODY))

    assert splices == []  # the bytes must be decrypted in Python
    assert exchange.stop is StopReason.PEER_CLOSED, exchange.stop_message
    assert body_of((tmp_path / "out").read_bytes()) == chargen(BODY)


def test_without_splice_the_bytes_are_copied_as_before(
    lab: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "splice", raising=False)  # as on macOS
    exchange = run_into(tmp_path / "out", Target(lab.host, lab.port("http")), get(BODY))

    assert exchange.stop is StopReason.PEER_CLOSED
    assert body_of((tmp_path / "out").read_bytes()) == chargen(BODY)


@pytest.mark.parametrize("code", [errno.EINVAL, errno.ENOSYS])
def test_a_refused_first_splice_falls_back_to_copying(
    lab: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    refused: list[int] = []

    def refuse(*args: Any, **kwargs: Any) -> int:
        refused.append(code)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "splice", refuse)
    exchange = run_into(tmp_path / "out", Target(lab.host, lab.port("http")), get(BODY))

    assert refused == [code]  # tried once, then never again
    assert exchange.stop is StopReason.PEER_CLOSED
    assert exchange.error is None
    assert body_of((tmp_path / "out").read_bytes()) == chargen(BODY)


@LINUX_SPLICE
def test_a_file_opened_for_appending_takes_the_bytes_through_python(
    lab: Any, tmp_path: Path
) -> None:
    """Linux refuses to splice into an O_APPEND file after the socket side has moved
    bytes into the pipe: those bytes must still reach the file, in order."""
    path = tmp_path / "out"
    path.write_bytes(b"earlier\n")
    exchange = run_into(path, Target(lab.host, lab.port("http")), get(BODY), mode="ab")

    assert exchange.stop is StopReason.PEER_CLOSED
    assert exchange.error is None
    raw = path.read_bytes()
    assert raw.startswith(b"earlier\n")
    assert body_of(raw[len(b"earlier\n") :]) == chargen(BODY)


@LINUX_SPLICE
def test_bytes_the_file_object_still_buffers_come_first_and_tell_follows(
    lab: Any, tmp_path: Path, splices: list[int]
) -> None:
    path = tmp_path / "out"
    before, after = b"# a note the caller wrote first\n", b"# and one after\n"
    # A buffer larger than the capture limit: the note and every byte kept are still in
    # the file object, not on the descriptor, when splicing starts.
    with open(path, "wb", buffering=4 * LIMIT) as file:
        file.write(before)
        exchange = run_exchange(
            Target(lab.host, lab.port("http")), get(BODY), POLICY, sink=FileSink(file)
        )
        file.write(after)
        told = file.tell()

    assert splices
    raw = path.read_bytes()
    assert told == len(raw)
    assert raw.startswith(before + b"HTTP/1.1 200 OK\r\n")
    assert raw.endswith(chargen(BODY) + after)
    assert exchange.bytes_in == len(raw) - len(before + after)


def test_a_file_sink_without_a_descriptor_is_written_through_python(lab: Any) -> None:
    memory = io.BytesIO()
    exchange = run_exchange(
        Target(lab.host, lab.port("http")), get(BODY), POLICY, sink=FileSink(memory)
    )

    assert exchange.stop is StopReason.PEER_CLOSED
    assert body_of(memory.getvalue()) == chargen(BODY)
