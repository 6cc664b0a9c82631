"""A ReceiveBuffer holds a capture's bytes once; what reads views of it (the parsers, the
row index, find, the decoded rows) says exactly what it says of the same bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockscope.core import views
from sockscope.core.analysis import LiveAnalysis, analyse
from sockscope.core.find import find_all
from sockscope.core.http import parse_response
from sockscope.core.model import (
    VIEWED,
    Event,
    EventType,
    Exchange,
    ReceiveBuffer,
    StopReason,
    Target,
)
from tests.core.test_analysis_live import FIXTURES, REQUESTS

PARSERS = (None, "http", "smtp", "ftp", "pop3", "imap", "nntp", "redis", "telnet")
REPLIES = (
    b"$5\r\nhello\r\n*2\r\n$3\r\nfoo\r\n:42\r\n-ERR no\r\n+OK\r\n$-1\r\n",
    b"* OK ready\r\n* 1 FETCH (BODY[] {5}\r\nhello)\r\na1 OK done\r\n",
    b"200 news\r\n215 list\r\nmisc.test 1 2 y\r\n.\r\n",
    b"\xff\xfb\x01login: \xff\xfd\x18\xff\xfa\x18\x01\xff\xf0",
)
NEEDLES = (b"\r\n", b"HTTP", b"x", b"\n\n", b"hello")


def buffer_of(capacity: int) -> ReceiveBuffer:
    return ReceiveBuffer(memoryview(bytearray(capacity)))


def filled(pieces: list[bytes]) -> tuple[ReceiveBuffer, list[Event]]:
    """A buffer filled piece by piece, as the engine fills it, and a RECV event per piece
    holding its share (a view, or a copy under VIEWED bytes)."""
    buffer = buffer_of(sum(map(len, pieces)) + 1)
    events = []
    for piece in pieces:
        start = buffer.filled
        buffer.append(piece)
        data = buffer.view(start, buffer.filled)
        events.append(Event(EventType.RECV, 0.002, bytes(data) if len(data) < VIEWED else data))
    return buffer, events


def pieces_of(data: bytes, cuts: list[float]) -> list[bytes]:
    ends = sorted({int(cut * len(data)) for cut in cuts} | {len(data)})
    return [data[start:end] for start, end in zip([0, *ends], ends, strict=False) if end > start]


@given(data=st.binary(max_size=3000), cuts=st.lists(st.floats(0, 1), max_size=12))
def test_a_buffer_filled_in_any_pieces_holds_the_bytes_in_order(
    data: bytes, cuts: list[float]
) -> None:
    buffer, events = filled(pieces_of(data, cuts))
    assert buffer.view(0, buffer.filled) == data
    assert b"".join(e.data for e in events) == data
    assert buffer.room == 1


def test_a_view_of_the_buffer_cannot_be_written_and_bytes_past_its_room_are_refused() -> None:
    buffer = buffer_of(4)
    buffer.append(b"abc")
    with pytest.raises(TypeError):
        buffer.view(0, 3)[0] = 0  # type: ignore[index]
    with pytest.raises(ValueError, match="do not fit"):
        buffer.append(b"de")
    assert buffer.view(0, buffer.filled) == b"abc"


def test_an_exchange_recorded_into_a_buffer_gives_its_bytes_as_a_view_of_it() -> None:
    buffer, events = filled([b"HTTP/1.1 200 OK\r\n\r\n", b"x" * 5000, b"y" * 5000])
    exchange = Exchange(Target("example.com", 80), b"GET / HTTP/1.1\r\n\r\n", events=events)
    exchange.record_into(buffer)

    kept = exchange.kept_bytes
    assert isinstance(kept, memoryview) and kept.obj is buffer.view(0, 0).obj
    assert kept == exchange.received == b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 5000 + b"y" * 5000


@given(
    data=st.sampled_from(FIXTURES + list(REPLIES)),
    request=st.sampled_from(REQUESTS),
    parser=st.sampled_from(PARSERS),
    cuts=st.lists(st.floats(min_value=0, max_value=1), max_size=8),
    needle=st.sampled_from(NEEDLES),
)
def test_a_reply_read_from_views_of_its_buffer_reads_as_its_bytes_at_every_step(
    data: bytes, request: bytes, parser: str | None, cuts: list[float], needle: bytes
) -> None:
    pieces = pieces_of(data, cuts)
    buffer, events = filled(pieces)
    live = LiveAnalysis(parser)
    for count in range(1, len(pieces) + 1):
        grown = Exchange(Target("example.com", 80), request, events=events[:count])
        grown.record_into(buffer)
        view = grown.kept_bytes
        same = Exchange(
            Target("example.com", 80),
            request,
            events=[Event(EventType.RECV, 0.002, bytes(view))],
            stop=StopReason.PEER_CLOSED if count == len(pieces) else None,
        )
        grown.stop = same.stop
        assert live.update(grown, received=view) == analyse(same, parser)
        assert analyse(grown, parser) == analyse(same, parser)
        assert views.row_starts(view, "latin-1") == views.row_starts(bytes(view), "latin-1")
        assert views.row_starts(view, "utf-16") == views.row_starts(bytes(view), "utf-16")
        assert find_all(view, needle) == find_all(bytes(view), needle)
        rows = views.row_spans(bytes(view), "utf-8")
        assert [views.decoded_row(view, *row, "utf-8") for row in rows] == [
            views.decoded_row(bytes(view), *row, "utf-8") for row in rows
        ]


@pytest.mark.parametrize("data", FIXTURES)
def test_every_fixture_parses_alike_from_a_view_and_from_bytes(data: bytes) -> None:
    view = memoryview(data).toreadonly()
    for eof in (False, True):
        assert parse_response(view, eof=eof) == parse_response(data, eof=eof)
        assert parse_response(view, eof=eof, body=False) == parse_response(
            data, eof=eof, body=False
        )


def test_views_of_one_buffer_go_on_from_each_other_without_a_compare() -> None:
    buffer = buffer_of(16)
    buffer.append(b"abc")
    before = buffer.view(0, 3)
    buffer.append(b"def")
    assert views.goes_on(buffer.view(0, 6), before)
    assert not views.goes_on(before, buffer.view(0, 6))  # shorter: not grown
    assert views.goes_on(b"abcdef", before) and not views.goes_on(b"abXdef", before)
    assert views.goes_on(memoryview(b"abcdef"), b"abc")


def test_reply_lines_are_parsed_from_a_view_of_the_capture_without_a_copy_of_it() -> None:
    import tracemalloc

    from sockscope.core.replies import MAX_LINES, parse_replies

    tail = 32 * 1024 * 1024  # past the lines listed: named, never read
    capture = b"250-x\r\n" * MAX_LINES + b"y" * tail
    view = memoryview(capture).toreadonly()
    tracemalloc.start()
    try:
        replies = parse_replies(view, "smtp")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert replies[-1].lines[0].startswith("… 32.0 MiB more not parsed")
    assert peak < tail // 2  # the lines' own objects, not a copy of the capture
