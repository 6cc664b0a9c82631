"""The parser says where each part of a response is: the status line, each header, the
body as it came and each chunk size line, so a view can highlight exactly those bytes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.http import HttpResponseParser, parse_response
from tests.core.http_fixtures import CHUNKED, OBS_FOLD, OK


def _bytes(data: bytes, span: tuple[int, int] | None) -> bytes:
    assert span is not None
    return data[span[0] : span[1]]


def test_each_part_of_a_response_with_a_length_is_where_its_bytes_are() -> None:
    response = parse_response(OK, eof=True)
    assert response is not None
    spans = response.spans
    assert _bytes(OK, spans.status_line) == b"HTTP/1.1 200 OK\r\n"
    assert [_bytes(OK, span) for span in spans.headers] == [
        b"Content-Type: text/plain\r\n",
        b"Content-Length: 5\r\n",
    ]
    assert _bytes(OK, spans.body) == b"hello"
    assert spans.chunk_lines == []


def test_a_chunked_body_spans_its_size_lines_and_each_size_line_is_named() -> None:
    response = parse_response(CHUNKED, eof=True)
    assert response is not None
    spans = response.spans
    assert [_bytes(CHUNKED, span) for span in spans.chunk_lines] == [
        b"5\r\n",
        b"7;ext=1\r\n",
        b"0\r\n",
    ]
    assert _bytes(CHUNKED, spans.body) == (
        b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Sum: 42\r\n\r\n"
    )


def test_a_folded_header_spans_its_continuation_lines() -> None:
    response = parse_response(OBS_FOLD, eof=True)
    assert response is not None
    assert (
        _bytes(OBS_FOLD, response.spans.headers[0]) == b"X-Long: first\r\n  second\r\n\tthird\r\n"
    )


def test_a_head_still_arriving_has_the_spans_of_its_whole_lines() -> None:
    response = parse_response(b"HTTP/1.1 200 OK\r\nA: 1\r\nB:", eof=False)
    assert response is not None
    assert response.spans.status_line == (0, 17)
    assert response.spans.headers == [(17, 23)]


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=8))
def test_spans_are_the_same_whatever_the_split(cuts: list[int]) -> None:
    whole = parse_response(CHUNKED, eof=True)
    parser = HttpResponseParser()
    at = 0
    for cut in cuts:
        parser.feed(CHUNKED[at : at + cut])
        at += cut
    parser.feed(CHUNKED[at:])
    fed = parser.result(True)
    assert whole is not None and fed is not None
    assert fed.spans == whole.spans
