"""LiveAnalysis, fed a reply as it grows, says at every step exactly what analyse says."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from sockscope.core.analysis import LiveAnalysis, analyse
from sockscope.core.model import Event, EventType, Exchange, StopReason, Target
from tests.core import http_fixtures as fx

GET = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
HEAD = b"HEAD / HTTP/1.1\r\nHost: example.com\r\n\r\n"
REQUESTS = (GET, HEAD, b"", b"hello\r\n")
PARSERS = (None, "http", "smtp")
STOPS = (None, StopReason.PEER_CLOSED, StopReason.IDLE)


def _chunked(pieces: int) -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (n + 1, b"x" * (n + 1)) for n in range(pieces))
    return fx.CHUNKED_HEAD + body + b"0\r\nX-Sum: 1\r\n\r\n"


def _content_length(size: int) -> bytes:
    body = bytes(range(256)) * (size // 256) + b"\n" * (size % 256)
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (size, body)


FIXTURES = [
    *(value for name, value in vars(fx).items() if name.isupper() and isinstance(value, bytes)),
    fx.many_headers(50),
    fx.many_headers(20, line_end=b"\n"),
    fx.bad_status(b"20"),
    _chunked(40),
    _chunked(3) + _chunked(2),
    _content_length(3000),
    _content_length(700) + _content_length(10) + b"junk",
    b"HTTP/1.1 200 OK\r\n\r\n" + b"close-delimited " * 100,
    b"HTT",
    b"220 smtp.example.com ESMTP\r\n250-PIPELINING\r\n250 OK\r\n",
]


def _exchange(request: bytes, received: bytes, kept: int, stop: StopReason | None) -> Exchange:
    """An exchange that received `received` and kept its first `kept` bytes, in two reads
    (the engine's events are coalesced however the timing fell)."""
    half = len(received) // 2
    events = [Event(EventType.SEND, 0.001, request, len(request))]
    for start, end in ((0, half), (half, len(received))):
        if end > start:
            events.append(
                Event(
                    EventType.RECV, 0.002, received[start:end][: max(0, kept - start)], end - start
                )
            )
    return Exchange(Target("example.com", 80), request, events=events, stop=stop)


@given(
    data=st.sampled_from(FIXTURES),
    request=st.sampled_from(REQUESTS),
    parser=st.sampled_from(PARSERS),
    cuts=st.lists(st.floats(min_value=0, max_value=1), max_size=8),
    limit=st.none() | st.integers(min_value=0, max_value=4000),
    stops=st.lists(st.sampled_from(STOPS), min_size=10, max_size=10),
)
def test_growing_reply_analysed_live_matches_analyse_at_every_step(
    data: bytes,
    request: bytes,
    parser: str | None,
    cuts: list[float],
    limit: int | None,
    stops: list[StopReason | None],
) -> None:
    ends = sorted({int(cut * len(data)) for cut in cuts} | {len(data)})
    live = LiveAnalysis(parser)
    for step, end in enumerate(ends):
        kept = end if limit is None else min(end, limit)
        exchange = _exchange(request, data[:end], kept, stops[step])
        assert live.update(exchange) == analyse(exchange, parser)


@example(  # the chunk's data arrives first, then the two bytes where its CRLF should be
    first=fx.CHUNK_MISSING_CRLF,
    second=fx.CHUNK_MISSING_CRLF,
    request=GET,
    cut=(fx.CHUNK_MISSING_CRLF.index(b"XX") + 1.5) / len(fx.CHUNK_MISSING_CRLF),
)
@given(
    first=st.sampled_from(FIXTURES),
    second=st.sampled_from(FIXTURES),
    request=st.sampled_from(REQUESTS),
    cut=st.floats(min_value=0, max_value=1),
)
def test_bytes_that_do_not_extend_the_last_ones_are_analysed_afresh(
    first: bytes, second: bytes, request: bytes, cut: float
) -> None:
    live = LiveAnalysis()
    start = _exchange(request, first[: int(cut * len(first))], len(first), None)
    live.update(start)
    other = _exchange(request, second, len(second), StopReason.PEER_CLOSED)
    assert live.update(other) == analyse(other)


def test_another_request_is_analysed_afresh() -> None:
    live = LiveAnalysis()
    live.update(_exchange(GET, fx.HEAD_REPLY, len(fx.HEAD_REPLY), None))
    head = _exchange(HEAD, fx.HEAD_REPLY, len(fx.HEAD_REPLY), StopReason.PEER_CLOSED)
    analysis = live.update(head)
    assert analysis == analyse(head)
    assert analysis.http is not None and analysis.http.complete


def test_counts_passed_by_the_caller_give_the_same_analysis() -> None:
    exchange = _exchange(GET, fx.CHUNKED, 30, None)
    live = LiveAnalysis()
    analysis = live.update(exchange, received=exchange.received, bytes_in=exchange.bytes_in)
    assert analysis == analyse(exchange)
    assert analysis.http is not None
    assert "capture-truncated" in [p.code for p in analysis.http.problems]
