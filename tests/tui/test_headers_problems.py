"""The Headers pane's problem rows: each says where it is once, as the text report does."""

import re

from sockscope.core.http import parse_request, parse_response
from sockscope.tui.widgets.panes import framing_rows

# Every kind of head and framing problem that is on a numbered line.
BROKEN_RESPONSE = (
    b"HTTP/1.2 2x0 OK\x01\n"
    b"Bad Header\r\n"
    b"X: a\x00b\r\n"
    b"\tfolded\r\n"
    b"Name : value\r\n"
    b"Content-Length: 3\r\n"
    b"Content-Length: 4\r\n"
    b"Transfer-Encoding: gzip, chunked, chunked\r\n"
    b"\r\n"
)
BROKEN_REQUEST = b"G@T /a b HTTP/1.0\r\nContent-Length: x\r\nTransfer-Encoding: gzip\r\n\r\n"


def problem_rows(message: object) -> list[str]:
    return [row.plain for row in framing_rows(message)[1:]]  # type: ignore[arg-type]


def test_no_problem_row_names_its_line_twice() -> None:
    response = parse_response(BROKEN_RESPONSE, eof=True)
    request = parse_request(BROKEN_REQUEST, eof=True)
    rows = problem_rows(response) + problem_rows(request)
    assert len(rows) >= 12
    for row in rows:
        named = re.findall(r"\blines? (\d+)", row)
        assert len(named) == len(set(named)), row
        assert not re.search(r"\(line \d+\)", row), row
    assert "✗ malformed header line 2: no colon" in rows


def test_a_framing_problem_row_names_the_header_line_it_comes_from() -> None:
    rows = problem_rows(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", eof=True))
    assert rows[0] == (
        "✗ invalid framing: Content-Length 'x' on header line 2"
        " (the body runs until the connection closes)"
    )
