"""What showing a large capture costs in memory beyond the capture itself."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace

from sockscope.core.analysis import LiveAnalysis
from sockscope.core.model import Event, EventType, Exchange, ReadPolicy, StopReason, Target
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
