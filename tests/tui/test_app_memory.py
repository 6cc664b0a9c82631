"""What showing a large capture costs in memory beyond the capture itself."""

from __future__ import annotations

import os
import tracemalloc
import weakref
from dataclasses import replace

from sockscope.core.analysis import LiveAnalysis
from sockscope.core.model import (
    VIEWED,
    Event,
    EventType,
    Exchange,
    ReadPolicy,
    ReceiveBuffer,
    StopReason,
    Target,
)
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.widgets.history import History
from sockscope.tui.worker import Tally
from tests.tui.exchanges import http_bytes_exchange
from tests.tui.helpers import make_app, pilot_test, view_text

SIZE = 16 * 1024 * 1024


@pilot_test
async def test_a_large_body_is_not_copied_to_be_shown_and_its_size_is_still_named() -> None:
    exchange = http_bytes_exchange(SIZE)
    app = make_app(exchange)
    tracemalloc.start()
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            await pilot.pause()  # the parsed headers come a frame after the bytes
            memory, _ = tracemalloc.get_traced_memory()
            headers = " ".join(view_text(app, "headers-view").split())  # rows wrap
    finally:
        tracemalloc.stop()
    # The row index and the app's own widgets, not another copy of the body.
    assert memory < SIZE
    assert "body 16.0 MiB" in headers


def test_the_finished_exchange_keeps_the_bytes_its_live_self_had_joined() -> None:
    request = b"GET / HTTP/1.1\r\n\r\n"
    live = Exchange(Target("127.0.0.1", 8080), request, ReadPolicy())
    live.events += [Event(EventType.RECV, 0.001 * n, b"x" * 1000, 1000) for n in range(3)]
    tally = Tally()
    joined = tally.count(live)
    assert joined == b"x" * 3000
    # What the engine hands over at the end: its very events, then the close.
    done = replace(live, events=[*live.events, Event(EventType.CLOSE, 0.004)])
    assert tally.count(done) is joined  # not a second copy
    other = replace(done, events=[Event(EventType.RECV, 0.001, b"y", 1)])
    assert tally.count(other) == b"y"


def test_an_exchange_that_holds_its_bytes_once_is_shown_from_them_not_a_join() -> None:
    live = Exchange(Target("127.0.0.1", 8080), b"GET / HTTP/1.1\r\n\r\n", ReadPolicy())
    live.events += [Event(EventType.RECV, 0.001 * n, b"x" * 1000, 1000) for n in range(3)]
    tally = Tally()
    tally.count(live)
    # The engine's finished exchange: its events' bytes are views of one copy.
    done = replace(live, events=[*live.events, Event(EventType.CLOSE, 0.004)])
    done.keep_once()

    assert tally.count(done) is done.received
    assert tally.bytes_in == 3000 and not tally.truncated


def test_a_finished_exchange_takes_the_apps_join_as_its_one_copy() -> None:
    live = Exchange(Target("127.0.0.1", 8080), b"GET / HTTP/1.1\r\n\r\n", ReadPolicy())
    live.events += [Event(EventType.RECV, 0.001 * n, b"x" * 1000, 1000) for n in range(3)]
    tally = Tally()
    joined = tally.count(live)
    done = replace(live, events=[*live.events, Event(EventType.CLOSE, 0.004)])
    done.stop = StopReason.PEER_CLOSED

    assert tally.count(done) is joined
    # Its events now show views of that join: their own bytes can go.
    assert done.kept_once and done.received is joined
    assert all(e.data.obj is joined for e in done.events if e.type is EventType.RECV)


def test_the_live_analysis_parses_the_growing_capture_without_a_copy_of_it() -> None:
    body = 8 * 1024 * 1024
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % body
    whole = head + b"z" * body
    # The app's capture as it grows: each step a new object holding the one before.
    steps = [whole[: len(whole) // 3], whole[: 2 * len(whole) // 3], whole]
    live = Exchange(Target("127.0.0.1", 8080), b"GET / HTTP/1.1\r\n\r\n", ReadPolicy())
    analysis = LiveAnalysis(body=False)  # as the app has it: the panes read the span
    tracemalloc.start()
    try:
        for received in steps:
            result = analysis.update(live, received=received, bytes_in=len(received))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert result.http is not None and result.http.status == 200
    assert result.http.spans.body == (len(head), len(whole))
    # Neither the bytes parsed nor the body are copied beside the capture.
    assert peak < body // 8


def _recorded_live(buffer: ReceiveBuffer, pieces: list[bytes]) -> Exchange:
    """A live exchange as the engine records it into `buffer`: each piece copied in
    once, its RECV event a view of its share."""
    live = Exchange(Target("127.0.0.1", 8080), b"GET / HTTP/1.1\r\n\r\n", ReadPolicy())
    live.record_into(buffer)
    _receive(live, buffer, pieces)
    return live


def _receive(live: Exchange, buffer: ReceiveBuffer, pieces: list[bytes]) -> None:
    for piece in pieces:
        start = buffer.filled
        buffer.append(piece)
        data = buffer.view(start, buffer.filled)
        live.events.append(Event(EventType.RECV, 0.001, data, len(data)))


def test_a_capture_recorded_into_a_buffer_is_shown_from_it_as_it_grows_never_joined() -> None:
    step = 1024 * 1024
    storage = bytearray(8 * step)  # the engine maps its buffer; tracemalloc sees this one
    buffer = ReceiveBuffer(memoryview(storage))
    pieces = [bytes([n]) * step for n in range(8)]
    tally = Tally()
    tracemalloc.start()
    try:
        live = _recorded_live(buffer, pieces[:1])
        shown = [tally.count(live)]
        for piece in pieces[1:]:
            _receive(live, buffer, [piece])
            shown.append(tally.count(live))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert all(isinstance(view, memoryview) and view.obj is storage for view in shown)
    assert [len(view) for view in shown] == [step * n for n in range(1, 9)]
    assert shown[-1] == b"".join(pieces)
    assert peak < step  # events and views of the one buffer: no join, no copy
    assert tally.count(live) is shown[-1]  # nothing new: the same view, nothing to redraw


def test_the_finished_exchange_of_a_buffer_is_shown_from_the_same_buffer() -> None:
    buffer = ReceiveBuffer(memoryview(bytearray(4096)))
    live = _recorded_live(buffer, [b"x" * 1000, b"y" * 1000])
    tally = Tally()
    tally.count(live)
    # What the engine hands over at the end: its very events and buffer, then the close.
    done = replace(live, events=[*live.events, Event(EventType.CLOSE, 0.004)])
    done.record_into(buffer)
    done.stop = StopReason.PEER_CLOSED

    received = tally.count(done)
    assert isinstance(received, memoryview) and received == b"x" * 1000 + b"y" * 1000
    assert received.obj is buffer.view(0, 0).obj
    assert not done.kept_once  # its bytes were not copied into one object of their own
    assert tally.bytes_in == 2000 and not tally.truncated


@pilot_test
async def test_the_app_shows_the_bytes_its_run_recorded_from_the_very_buffer(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        await pilot.pause()
        exchange = app.query_one(History).exchanges[-1]
        shown = app.finder.received  # what Received, Decoded and find read

    assert exchange.received.startswith(b"HTTP/1.1 200")
    assert isinstance(shown, memoryview) and shown == exchange.received
    views = [e.data for e in exchange.of_type(EventType.RECV) if len(e.data) >= VIEWED]
    assert views and all(isinstance(data, memoryview) and data.obj is shown.obj for data in views)


def test_exchanges_recorded_into_buffers_spill_to_disk_and_come_back_byte_for_byte() -> None:
    from sockscope.tui.kept import Kept

    replies = [os.urandom(300_000 + n) for n in range(4)]
    kept = Kept(budget=512 * 1024)
    try:
        for reply in replies:
            buffer = ReceiveBuffer(memoryview(bytearray(len(reply))))
            done = _recorded_live(buffer, [reply[:1000], reply[1000:1100], reply[1100:]])
            done.stop = StopReason.PEER_CLOSED
            kept.append(done)
        assert kept.held <= 512 * 1024 + len(replies[-1])  # the older ones went to disk
        back = list(kept)
    finally:
        kept.close()
    assert [exchange.received for exchange in back] == replies
    assert [[e.size for e in exchange.events] for exchange in back] == [
        [1000, 100, len(reply) - 1100] for reply in replies
    ]


@pilot_test
async def test_a_buffer_of_an_exchange_gone_to_disk_or_replaced_is_unmapped(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    buffers: list[weakref.ref[object]] = []
    async with app.run_test(size=(120, 36)) as pilot:
        app.explorer.kept.budget = 1  # every exchange but the newest goes to disk
        for _ in range(50):
            await pilot.press("ctrl+s")
            await app.wait_for_conversation()
            await pilot.pause()
            # The hex dump and the laid out body read it too.
            app.query_one("#received-view").focus()
            await pilot.press("x")
            app.query_one("#decoded-view").focus()
            await pilot.press("p")
            newest = app.query_one(History).exchanges[-1]
            assert newest.buffer is not None
            buffers.append(weakref.ref(newest.buffer.view(0, 0).obj))  # its mmap
        del newest
        mapped = [ref for ref in buffers if ref() is not None]
        # The exchange shown holds its own; every one before it was let go at once, not
        # when the collector comes to the finished workers.
        assert [buffers.index(ref) for ref in mapped] == [49]
