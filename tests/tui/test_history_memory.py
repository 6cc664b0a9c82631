"""The history holds its exchanges' bytes in memory up to a budget, the rest on disk,
and gives back every exchange as it was."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from sockscope.core.model import Event, EventType, Exchange, ReadPolicy, StopReason, Target
from sockscope.core.templates import builtin_templates
from sockscope.export import transcript
from sockscope.export.transcript import TranscriptError, load_transcript
from sockscope.tui import kept as kept_module
from sockscope.tui.explorer import Explorer
from sockscope.tui.kept import Kept

SIZE = 256 * 1024
BUDGET = 4 * 1024 * 1024


def exchange(n: int, size: int = SIZE) -> Exchange:
    request = f"GET /{n} HTTP/1.1\r\n\r\n".encode()
    reply = bytes([n % 256]) * size  # a fresh object each time: nothing shared
    return Exchange(
        Target("127.0.0.1", 8080),
        request,
        ReadPolicy(capture_limit=size),
        events=[
            Event(EventType.SEND, 0.001, request, len(request)),
            Event(EventType.RECV, 0.002, reply, len(reply)),
        ],
        stop=StopReason.PEER_CLOSED,
        stop_message="server finished sending (EOF)",
    )


def test_a_hundred_exchanges_take_the_budget_in_memory_not_their_sum() -> None:
    kept = Kept(budget=BUDGET)
    tracemalloc.start()
    try:
        for n in range(100):
            kept.append(exchange(n))
        memory, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        kept.close()
    assert 100 * SIZE > 6 * BUDGET
    assert memory < BUDGET + 2 * SIZE  # not 25 MiB


def test_an_exchange_on_disk_comes_back_as_it_was_and_the_disk_copy_goes_at_close() -> None:
    kept = Kept(budget=BUDGET)
    for n in range(40):
        kept.append(exchange(n))
    assert kept.held <= BUDGET
    assert kept[3] == exchange(3)  # read back from its transcript
    assert kept.held <= BUDGET + SIZE  # the one asked for stays, others went
    assert [e.received for e in kept] == [exchange(n).received for n in range(40)]
    written = next(Path(p) for p in kept._files.values())
    assert written.exists()
    kept.close()
    assert not written.parent.exists()


def test_the_shown_exchange_read_back_from_disk_still_has_its_history_number() -> None:
    explorer = Explorer(builtin_templates(), None)
    explorer.kept.budget = BUDGET
    for n in range(40):
        explorer.add(exchange(n))
    shown = explorer.history[0].exchange  # long gone to disk: read back
    assert shown.received == exchange(0).received
    explorer.current = shown
    assert explorer.shown_with_number() == (1, shown)
    explorer.kept.close()


def test_an_exchange_past_the_caps_on_a_transcript_from_elsewhere_comes_back_from_disk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A session of a million events writes more than a file from elsewhere may hold
    # (64 MiB besides its bytes): the history reads back what it wrote all the same.
    monkeypatch.setattr(transcript, "MAX_STRUCTURE", 4096)
    trickled = exchange(0, size=200)
    trickled.events[1:] = [
        Event(EventType.RECV, 0.002 + i / 1000, bytes([i]), 1) for i in range(200)
    ]
    kept = Kept(budget=0)
    try:
        kept.append(trickled)
        kept.append(exchange(1))  # the first goes to disk
        written = kept._files[0]
        with pytest.raises(TranscriptError, match="besides its kept bytes"):
            load_transcript(written)
        assert kept[0] == trickled
    finally:
        kept.close()


def test_each_exchange_s_bytes_are_counted_once_however_often_the_history_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Counting walks every event: an exchange of a million events took a tenth of a
    # second at each addition and each selection of any entry.
    counted: list[Exchange] = []
    count = kept_module.held

    def counting(exchange: Exchange) -> int:
        counted.append(exchange)
        return count(exchange)

    monkeypatch.setattr(kept_module, "held", counting)
    kept = Kept(budget=BUDGET)
    try:
        for n in range(40):
            kept.append(exchange(n))
        for n in (3, 30, 3):
            assert kept[n].received == exchange(n).received
        assert len(counted) == 40
    finally:
        kept.close()
