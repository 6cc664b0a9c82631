"""A transcript holds each received byte once: `received_b64`, with each RECV event's
count of the bytes it kept; transcripts that also gave every event its own copy load."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest

from sockscope.cli import main
from sockscope.core.json_stream import Base64, base64_pieces, json_pieces
from sockscope.core.model import RELEASE_EVERY, VIEWED, EventType
from sockscope.export.transcript import (
    TranscriptError,
    load_transcript,
    parse_transcript,
    save_transcript,
)
from tests.export.conftest import made_exchange

MIB = 1024 * 1024


def _chunks(total: int, size: int) -> list[bytes]:
    return [os.urandom(min(size, total - at)) for at in range(0, total, size)]


def test_a_saved_transcript_is_the_kept_bytes_once_as_base64(tmp_path: Path) -> None:
    kept = 8 * MIB
    exchange = made_exchange([b"GET / HTTP/1.1\r\n\r\n"], _chunks(kept, 64 * 1024))
    path = tmp_path / "once.json"

    save_transcript(exchange, path)

    assert kept * 4 // 3 < path.stat().st_size < kept * 4 // 3 + 64 * 1024
    assert load_transcript(path) == exchange


def test_recv_events_count_their_bytes_and_received_b64_holds_them(tmp_path: Path) -> None:
    exchange = made_exchange([b"ping\n"], [b"po", b"ng\n", b""])
    path = tmp_path / "small.json"
    save_transcript(exchange, path)
    doc = json.loads(path.read_text())

    recvs = [e for e in doc["events"] if e["type"] == "recv"]
    assert [(e["kept"], "data_b64" in e) for e in recvs] == [(2, False), (3, False), (0, False)]
    assert base64.b64decode(doc["received_b64"]) == b"pong\n"
    sends = [e for e in doc["events"] if e["type"] == "send"]
    assert base64.b64decode(sends[0]["data_b64"]) == b"ping\n"


def _old_format(doc: dict) -> dict:
    """The transcript as sockscope wrote it before `kept`: each event's own bytes too."""
    received = base64.b64decode(doc["received_b64"])
    at = 0
    for event in doc["events"]:
        if event["type"] == "recv":
            kept = event.pop("kept")
            event["data_b64"] = base64.b64encode(received[at : at + kept]).decode()
            at += kept
    return doc


def test_a_transcript_with_each_event_holding_its_bytes_still_opens() -> None:
    exchange = made_exchange([b"EHLO x\r\n"], [b"220 hi\r\n", b"\xff\x00 250 ok\r\n"])
    doc = _old_format(exchange.to_dict())
    assert "kept" not in json.dumps(doc)

    assert parse_transcript(json.dumps(doc, indent=2).encode(), "old.json") == exchange


def test_recv_events_claiming_more_than_received_b64_holds_are_refused() -> None:
    doc = made_exchange([b"x"], [b"abc", b"def"]).to_dict()
    recvs = [i for i, e in enumerate(doc["events"]) if e["type"] == "recv"]
    doc["events"][recvs[1]]["kept"] = 4

    with pytest.raises(TranscriptError) as caught:
        parse_transcript(json.dumps(doc).encode(), "short.json")

    assert str(caught.value) == (
        f"transcript short.json: events[{recvs[1]}].kept: must be at most the 3 bytes left "
        "in received_b64 after the events before it, got 4"
    )


def test_a_recv_event_keeping_more_than_its_size_is_refused() -> None:
    doc = made_exchange([b"x"], [b"abc"]).to_dict()
    index = next(i for i, e in enumerate(doc["events"]) if e["type"] == "recv")
    doc["events"][index]["size"] = 2

    with pytest.raises(TranscriptError) as caught:
        parse_transcript(json.dumps(doc).encode(), "size.json")

    assert str(caught.value) == (
        f"transcript size.json: events[{index}].size: must count at least the 3 bytes in "
        "kept, got 2"
    )


@pytest.mark.parametrize("sizes", [[0], [1], [2, 1], [1, 1, 1, 5], [200_000, 7, 196_609]])
def test_base64_written_in_pieces_is_the_base64_of_the_joined_bytes(sizes: list[int]) -> None:
    chunks = [os.urandom(n) for n in sizes]

    assert "".join(base64_pieces(chunks)) == base64.b64encode(b"".join(chunks)).decode()


def test_a_document_written_in_pieces_is_its_json() -> None:
    body = os.urandom(1000)
    doc = {"a": [1, {"b": Base64([body[:10], body[10:]])}], "c": '"quoted" \x1b', "d": None}

    text = "".join(json_pieces(doc, indent=2))

    assert json.loads(text) == {**doc, "a": [1, {"b": base64.b64encode(body).decode()}]}


def test_a_finished_exchange_keeps_its_received_bytes_once() -> None:
    chunks = [b"one ", b"two ", b"", b"three"]
    exchange = made_exchange([b"x"], chunks)
    assert not exchange.kept_once

    exchange.keep_once()

    assert exchange.kept_once
    assert exchange.received == b"one two three" and exchange.received is exchange.received
    recvs = [e for e in exchange.events if e.type is EventType.RECV]
    assert [bytes(e.data) for e in recvs] == chunks
    assert [e.size for e in recvs] == [len(c) for c in chunks]


def test_an_event_added_after_keep_once_is_in_received_all_the_same() -> None:
    exchange = made_exchange([b"x"], [b"ab"])
    exchange.keep_once()
    exchange.events.append(replace(exchange.events[-2], data=b"cd", size=2))

    assert not exchange.kept_once
    assert exchange.received == b"abcd"


def test_keep_once_takes_a_join_the_caller_made_of_these_very_events() -> None:
    chunks = [b"a" * VIEWED, b"small", b"c" * 1000]
    exchange = made_exchange([b"x"], chunks)
    joined = b"".join(chunks)

    exchange.keep_once(joined)

    assert exchange.received is joined
    big, small, last = (e.data for e in exchange.events if e.type is EventType.RECV)
    assert isinstance(big, memoryview) and big.obj is joined and last.obj is joined
    assert small == b"small" and isinstance(small, bytes)  # a view would cost more
    with pytest.raises(ValueError, match="joined"):
        made_exchange([b"x"], chunks).keep_once(joined + b"!")


def test_keep_once_releases_freed_memory_after_every_slice_it_copies() -> None:
    exchange = made_exchange([b"x"], [bytes(MIB)] * 20)
    calls: list[int] = []

    exchange.keep_once(release=lambda: calls.append(exchange.kept))

    assert len(calls) == 20 * MIB // RELEASE_EVERY


def test_send_keeping_32_mib_holds_them_once(lab, tmp_path: Path) -> None:
    kept = 32 * MIB
    args = ["send", lab.host, str(lab.port("http")), "-T", "http-get"]
    args += ["--path", f"/bytes?n={kept}", "--capture-limit", "1G"]
    tracemalloc.start()
    try:
        with (tmp_path / "report.txt").open("w") as out, contextlib.redirect_stdout(out):
            assert main(args) == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The events' bytes while they arrive, then the one copy they are moved into.
    assert peak < kept * 5 // 4 + 16 * MIB
