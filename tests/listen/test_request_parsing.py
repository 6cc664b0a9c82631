"""What a client sent, parsed: HTTP requests, command lines, and the reply templates' answers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.client_analysis import analyse_client
from sockscope.core.commands import parse_commands
from sockscope.core.http import PROBLEM_CODES, parse_request
from sockscope.core.responders import Echo, Fixed, HttpOk, SmtpGreeting, make_responder

CURL = (
    b"GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
)


def _codes(request) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.code for p in request.problems]


def test_a_curl_request_has_its_line_and_headers_and_no_problems() -> None:
    request = parse_request(CURL, eof=False)
    assert request is not None
    assert (request.method, request.target, request.version) == ("GET", "/path?q=1", "HTTP/1.1")
    assert request.header("user-agent") == "curl/8.5.0"
    assert request.framing == "none" and request.complete and request.problems == []
    assert request.head_size == len(CURL)


def test_a_request_waits_for_its_content_length_body() -> None:
    head = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
    waiting = parse_request(head + b"ab", eof=False)
    assert not waiting.complete and _codes(waiting) == ["incomplete-body"]
    assert waiting.problems[0].severity == "info"
    cut = parse_request(head + b"ab", eof=True)
    assert cut.problems[0].severity == "error"
    whole = parse_request(head + b"abcde", eof=False)
    assert whole.complete and whole.body == b"abcde"


def test_a_chunked_request_body_is_decoded_with_trailers() -> None:
    data = (
        b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n"
    )
    request = parse_request(data, eof=False)
    assert request.framing == "chunked" and request.complete
    assert request.body == b"abcde" and request.trailers == [("X-Sum", "5")]


def test_request_smuggling_shapes_are_named() -> None:
    both = parse_request(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n",
        eof=True,
    )
    assert "te-and-content-length" in _codes(both)
    two = parse_request(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        eof=True,
    )
    assert "bad-content-length" in _codes(two) and two.framing == "none"
    assert "400" in two.problems[0].message


def test_host_problems_and_pipelined_requests_are_named() -> None:
    assert _codes(parse_request(b"GET / HTTP/1.1\r\n\r\n", eof=True)) == ["missing-host"]
    assert _codes(parse_request(b"GET / HTTP/1.0\r\n\r\n", eof=True)) == []
    repeated = parse_request(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", eof=True)
    assert _codes(repeated) == ["repeated-host"]
    piped = parse_request(CURL + CURL, eof=False)
    assert _codes(piped) == ["more-requests"] and piped.extra == CURL


def test_odd_request_lines_keep_what_was_sent_and_say_what_is_wrong() -> None:
    spaced = parse_request(b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", eof=True)
    assert spaced.target == "/a b" and _codes(spaced) == ["bad-request-line"]
    bare = parse_request(b"GET / HTTP/1.1\nHost: a\n\n", eof=True)
    assert _codes(bare) == ["bare-lf"] and bare.complete
    tls_hello = parse_request(b"\x16\x03\x01\x02\x00\x01", eof=False)
    assert _codes(tls_hello) == ["not-http"] and tls_hello.method == ""


@given(st.binary(max_size=300), st.booleans())
def test_the_request_parser_never_raises_and_names_only_known_problems(data, eof) -> None:
    request = parse_request(data, eof=eof)
    assert (request is None) == (not data)
    if request is not None:
        assert set(_codes(request)) <= set(PROBLEM_CODES)


@given(st.binary(max_size=300))
def test_command_parsing_never_raises_and_accounts_for_every_byte(data) -> None:
    commands = parse_commands(data, smtp=True)
    assert sum(c.size for c in commands) == len(data)


def test_smtp_message_text_is_one_entry_with_dots_unstuffed() -> None:
    commands = parse_commands(b"DATA\r\nline\r\n..dot\r\n.\r\nQUIT\r\n", smtp=True)
    assert [(c.verb, c.message) for c in commands] == [
        ("DATA", False),
        ("", True),
        ("QUIT", False),
    ]
    assert commands[1].argument == "line\r\n.dot\r\n"


def test_client_analysis_prefers_http_then_the_template_then_command_lines() -> None:
    assert analyse_client(CURL, eof=True, protocol="smtp").protocol == "http"
    assert analyse_client(b"USER bob\r\n", eof=True).protocol == "commands"
    assert analyse_client(b"\x00\x01binary", eof=True).protocol is None


def test_http_ok_answers_once_the_whole_request_is_in() -> None:
    responder = HttpOk()
    assert responder.received(CURL[:20]).data == b""
    answer = responder.received(CURL[20:])
    head, _, page = answer.data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and answer.close
    assert f"Content-Length: {len(page)}".encode() in head
    assert b"GET /path?q=1 HTTP/1.1" in page


def test_http_ok_answers_head_without_a_body_and_non_http_with_400() -> None:
    head_only = HttpOk().received(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n").data
    assert head_only.endswith(b"\r\n\r\n") and b"Content-Length: " in head_only
    assert HttpOk().received(b"\x16\x03\x01").data.startswith(b"HTTP/1.1 400 ")
    big = HttpOk(limit=100)
    assert big.received(b"POST / HTTP/1.1\r\nContent-Length: 999\r\n\r\n" + b"x" * 100).data[
        :12
    ] == (b"HTTP/1.1 413")


def test_smtp_greeting_answers_a_whole_dialogue() -> None:
    smtp = SmtpGreeting()
    assert smtp.opening().data.startswith(b"220 ")
    answer = smtp.received(b"EHLO me\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhi\r\n.\r\n")
    codes = [line[:4] for line in answer.data.split(b"\r\n") if line]
    assert codes == [b"250-", b"250-", b"250 ", b"250 ", b"250 ", b"354 ", b"250 "]
    assert smtp.received(b"BOGUS\r\n").data.startswith(b"502 ")
    assert smtp.received(b"QUIT\r\n").close


def test_echo_and_fixed_replies() -> None:
    assert Echo().received(b"\x00abc").data == b"\x00abc"
    fixed = Fixed(b"once")
    assert fixed.received(b"a").data == b"once" and fixed.received(b"b").data == b""
    assert make_responder("echo").protocol is None
