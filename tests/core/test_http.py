"""The lenient HTTP/1.x response parser: what a user sees for each server behaviour."""

import string

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sockscope.core.http import (
    MAX_HEADERS,
    PROBLEM_CODES,
    HttpResponse,
    HttpResponseParser,
    looks_like_http,
    parse_response,
)
from tests.core import http_fixtures as fx


def parse(data: bytes, *, eof: bool = True, method: str = "GET") -> HttpResponse:
    response = parse_response(data, eof=eof, method=method)
    assert response is not None
    return response


def codes(response: HttpResponse) -> list[str]:
    return [p.code for p in response.problems]


def problem(response: HttpResponse, code: str):
    found = [p for p in response.problems if p.code == code]
    assert found, f"no {code!r} in {response.problems}"
    return found[0]


# --- well-formed responses ------------------------------------------------------------


def test_well_formed_response_has_status_headers_body_and_no_problems():
    response = parse(fx.OK)
    assert (response.version, response.status, response.reason) == ("HTTP/1.1", 200, "OK")
    assert response.headers == [("Content-Type", "text/plain"), ("Content-Length", "5")]
    assert response.body == b"hello"
    assert response.framing == "content-length"
    assert response.complete
    assert response.problems == []
    assert response.head_size == len(fx.OK) - 5
    assert response.extra == b""


def test_headers_keep_their_order_and_duplicates():
    data = b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX: 1\r\nSet-Cookie: b=2\r\n\r\n"
    assert parse(data).headers == [("Set-Cookie", "a=1"), ("X", "1"), ("Set-Cookie", "b=2")]


def test_header_values_lose_surrounding_whitespace_but_keep_inner():
    data = b"HTTP/1.1 200 OK\r\nX: \t a  b \t\r\nContent-Length: 0\r\n\r\n"
    assert parse(data).header("x") == "a  b"


def test_names_and_values_decode_as_latin1():
    data = b"HTTP/1.1 200 \xe9t\xe9\r\nX-Name: caf\xe9\r\nContent-Length: 0\r\n\r\n"
    response = parse(data)
    assert response.reason == "\xe9t\xe9"
    assert response.header("X-Name") == "caf\xe9"


def test_empty_data_gives_no_response():
    assert parse_response(b"", eof=True) is None


def test_looks_like_http_wants_an_http_1_version_at_the_start():
    assert looks_like_http(b"HTTP/1.1 200 OK\r\n")
    assert looks_like_http(b"HTTP/1.0")
    assert not looks_like_http(b"HTTP/2 200\r\n")
    assert not looks_like_http(b"SSH-2.0-OpenSSH\r\n")
    assert not looks_like_http(b"HTTP")


# --- the HTTP framing table, row by row -------------------------------------------------


def test_bare_lf_is_parsed_and_flagged_with_its_lines():
    response = parse(fx.BARE_LF)
    assert (response.status, response.body, response.complete) == (200, b"hello", True)
    bare = problem(response, "bare-lf")
    assert bare.message == "non-CRLF line endings (bare LF) on lines 1-3"
    assert bare.severity == "warning"


def test_mixed_line_endings_name_only_the_bare_lines():
    response = parse(fx.MIXED_LINE_ENDINGS)
    assert problem(response, "bare-lf").message.endswith("on lines 2, 4")
    assert response.headers == [("A", "1"), ("B", "2"), ("C", "3")]


def test_header_line_without_colon_is_named_and_the_rest_still_shown():
    response = parse(fx.NO_COLON)
    assert problem(response, "malformed-header").message == "malformed header line 3: no colon"
    assert problem(response, "malformed-header").line == 3
    assert response.headers == [("Server", "lab"), ("X-After", "kept"), ("Content-Length", "0")]
    assert response.complete


def test_space_before_colon_is_flagged_invalid():
    response = parse(fx.SPACE_BEFORE_COLON)
    assert problem(response, "space-before-colon").severity == "error"
    assert response.headers[0] == ("X", "y")


@pytest.mark.parametrize(
    ("data", "name", "value", "shown"),
    [
        (fx.NUL_IN_VALUE, "X-Nul", "a\x00b", "NUL"),
        (fx.CR_IN_VALUE, "X-Cr", "a\rb", "CR"),
    ],
)
def test_nul_or_cr_in_a_value_is_kept_for_the_display_and_flagged(data, name, value, shown):
    response = parse(data)
    assert response.header(name) == value
    ctl = problem(response, "ctl-in-value")
    assert shown in ctl.message
    assert ctl.severity == "error"


def test_escape_in_a_value_is_kept_and_flagged():
    response = parse(fx.ESC_IN_VALUE)
    assert response.header("X-Esc").startswith("\x1b]52")
    assert "ESC" in problem(response, "ctl-in-value").message


def test_obs_fold_is_unfolded_in_the_parsed_view_and_flagged():
    response = parse(fx.OBS_FOLD)
    assert response.header("X-Long") == "first second third"
    assert [p.line for p in response.problems if p.code == "obs-fold"] == [3, 4]


def test_huge_header_line_is_cut_in_the_parsed_view_and_names_the_limit():
    response = parse(fx.HUGE_HEADER)
    too_long = problem(response, "header-line-too-long")
    assert "102,408 bytes" in too_long.message
    assert "65,536" in too_long.message
    assert len(response.header("X-Huge")) < 65_536
    assert (response.body, response.complete) == (b"ok", True)


def test_5001_headers_list_the_first_5000_and_name_the_limit():
    response = parse(fx.many_headers(MAX_HEADERS))  # plus Content-Length: 5,001
    assert len(response.headers) == MAX_HEADERS
    assert problem(response, "too-many-headers").message == (
        "too many headers: 5,001 (the limit is 5,000); only the first 5,000 are listed"
    )


def test_exactly_5000_headers_are_within_the_limit():
    response = parse(fx.many_headers(MAX_HEADERS - 1))
    assert "too-many-headers" not in codes(response)
    assert response.body == b"ok"


def test_100000_headers_still_frame_the_body_by_the_unlisted_content_length():
    response = parse(fx.many_headers(100_000))
    assert "100,001" in problem(response, "too-many-headers").message
    assert "headers-too-large" in codes(response)
    assert (response.framing, response.body, response.complete) == ("content-length", b"ok", True)


def test_bare_lf_past_the_listing_limit_is_counted():
    response = parse(fx.many_headers(MAX_HEADERS + 10, line_end=b"\n"))
    assert "unlisted" in problem(response, "bare-lf").message
    assert response.body == b"ok"


@pytest.mark.parametrize("data", [fx.HTTPR, fx.BARE_BODY], ids=["HTTPr", "bare body"])
def test_not_http_is_named_and_every_byte_kept_as_the_body(data):
    response = parse(data)
    assert problem(response, "not-http").message.startswith("not an HTTP/1.x response")
    assert (response.status, response.headers, response.body) == (None, [], data)


@pytest.mark.parametrize("code", [b"2000", b"abc", b"-1", b"099"])
def test_invalid_status_code_is_named_and_the_rest_parsed(code):
    response = parse(fx.bad_status(code))
    assert problem(response, "bad-status").message == f"invalid status code '{code.decode()}'"
    assert response.status is None
    assert (response.body, response.complete) == (b"ok", True)


def test_missing_status_code_is_named():
    assert problem(parse(b"HTTP/1.1\r\n\r\n"), "bad-status").message == "missing status code"


def test_short_body_at_eof_is_an_incomplete_body_with_counts():
    response = parse(fx.SHORT_BODY)
    assert problem(response, "incomplete-body").message == "incomplete body: 5 of 10 bytes"
    assert (response.body, response.complete) == (b"12345", False)


def test_short_body_before_eof_is_only_waiting():
    response = parse(fx.SHORT_BODY, eof=False)
    waiting = problem(response, "incomplete-body")
    assert waiting.severity == "info"
    assert "5 of 10 bytes" in waiting.message


def test_long_body_names_the_extra_bytes():
    response = parse(fx.LONG_BODY)
    assert problem(response, "extra-bytes").message == "2 extra bytes after the message end"
    assert (response.body, response.extra, response.complete) == (b"123", b"45", True)


def test_negative_content_length_is_invalid_framing_read_until_close():
    response = parse(fx.NEGATIVE_LENGTH)
    assert problem(response, "bad-content-length").message.startswith(
        "invalid framing: Content-Length '-1'"
    )
    assert (response.framing, response.body) == ("close", b"abc")


def test_two_different_content_lengths_are_invalid_framing():
    message = problem(parse(fx.TWO_LENGTHS), "bad-content-length").message
    assert message.startswith("invalid framing: different Content-Length values '10' and '12'")


def test_the_same_content_length_twice_is_only_a_warning():
    response = parse(fx.SAME_LENGTH_TWICE)
    assert problem(response, "bad-content-length").severity == "warning"
    assert (response.body, response.complete) == (b"abc", True)


def test_content_length_of_thousands_of_digits_is_invalid_not_a_crash():
    response = parse(fx.HUGE_LENGTH)
    assert "bad-content-length" in codes(response)
    assert "..." in problem(response, "bad-content-length").message


def test_chunked_body_is_decoded_and_trailers_kept():
    response = parse(fx.CHUNKED)
    assert (response.framing, response.body, response.complete) == (
        "chunked",
        b"hello, world",
        True,
    )
    assert response.trailers == [("X-Sum", "42")]
    assert response.problems == []


def test_bad_chunk_size_is_named_and_the_data_before_it_kept():
    response = parse(fx.CHUNK_BAD_HEX)
    assert problem(response, "chunk-size").message == (
        f"invalid chunk size 'zz' at byte {len(fx.CHUNKED_HEAD) + 10}"
    )
    assert (response.body, response.complete) == (b"hello", False)


def test_22_digit_chunk_size_is_too_long():
    response = parse(fx.CHUNK_22_DIGITS)
    assert "22 digits" in problem(response, "chunk-size-too-long").message
    assert response.body == b"hello"


def test_chunk_data_without_crlf_is_named():
    response = parse(fx.CHUNK_MISSING_CRLF)
    assert "not followed by CRLF (found 'XX')" in problem(response, "chunk-missing-crlf").message
    assert response.body == b"hello"


def test_chunk_data_without_crlf_is_named_the_same_however_the_bytes_arrive():
    after_data = fx.CHUNK_MISSING_CRLF.index(b"XX") + 1
    parser = HttpResponseParser()
    parser.feed(fx.CHUNK_MISSING_CRLF[:after_data])
    parser.feed(fx.CHUNK_MISSING_CRLF[after_data:])
    response = parser.result(eof=True)
    assert "not followed by CRLF (found 'XX')" in problem(response, "chunk-missing-crlf").message
    assert response == parse(fx.CHUNK_MISSING_CRLF)


def test_chunk_data_followed_by_one_byte_then_close_is_named():
    data = fx.CHUNKED_HEAD + b"5\r\nhelloX"
    response = parse(data)
    assert "not followed by CRLF (found 'X')" in problem(response, "chunk-missing-crlf").message
    assert "waiting" in problem(parse(data, eof=False), "incomplete-body").message


def test_chunked_body_closed_without_the_last_chunk_is_named():
    response = parse(fx.CHUNK_NO_LAST)
    assert problem(response, "no-last-chunk").severity == "error"
    assert (response.body, response.complete) == (b"hello", False)


def test_chunked_body_cut_inside_a_chunk_says_how_much_arrived():
    assert "(5 of 10 bytes)" in problem(parse(fx.CHUNK_CUT_INSIDE), "no-last-chunk").message


def test_last_chunk_without_the_final_blank_line_is_named():
    assert "blank line" in problem(parse(fx.CHUNK_NO_FINAL_BLANK), "chunk-missing-crlf").message


def test_chunked_body_still_arriving_is_only_waiting():
    response = parse(fx.CHUNK_NO_LAST, eof=False)
    assert [(p.code, p.severity) for p in response.problems] == [("incomplete-body", "info")]


def test_headers_then_close_is_headers_incomplete_with_what_arrived():
    response = parse(fx.HEADERS_THEN_CLOSE)
    incomplete = problem(response, "headers-incomplete")
    assert incomplete.severity == "error"
    assert (response.status, response.headers) == (200, [("Server", "lab")])
    assert not response.complete


def test_headers_without_their_blank_line_before_eof_are_only_waiting():
    response = parse(fx.HEADERS_THEN_CLOSE, eof=False)
    assert [(p.code, p.severity) for p in response.problems] == [("headers-incomplete", "info")]


def test_read_until_close_is_complete_at_eof_and_says_so():
    response = parse(fx.READ_UNTIL_CLOSE)
    assert (response.framing, response.body, response.complete) == (
        "close",
        b"body until close",
        True,
    )
    assert problem(response, "close-delimited").message == "length delimited by close"


def test_read_until_close_is_incomplete_while_the_connection_is_open():
    assert not parse(fx.READ_UNTIL_CLOSE, eof=False).complete


# --- framing rules beyond the table ---------------------------------------------------


def test_transfer_encoding_with_content_length_is_flagged_and_chunked_wins():
    response = parse(fx.TE_AND_CL)
    assert problem(response, "te-and-content-length").severity == "error"
    assert (response.framing, response.body) == ("chunked", b"hello")


def test_a_framing_problem_names_the_header_lines_it_comes_from():
    assert "Transfer-Encoding on header line 3 and Content-Length on header line 2" in (
        problem(parse(fx.TE_AND_CL), "te-and-content-length").message
    )
    two = problem(parse(fx.TWO_LENGTHS), "bad-content-length").message
    assert "values '10' and '12' on header lines 2-3 (" in two
    gzip = problem(parse(fx.TE_GZIP), "bad-transfer-encoding").message
    assert "'gzip' on header line 2 does not end with chunked" in gzip


def test_transfer_encoding_not_ending_in_chunked_reads_until_close():
    response = parse(fx.TE_GZIP)
    assert "bad-transfer-encoding" in codes(response)
    assert (response.framing, response.body) == ("close", b"zipped until close")


def test_head_reply_has_no_body_despite_its_content_length():
    response = parse(fx.HEAD_REPLY, method="HEAD", eof=False)
    assert (response.framing, response.body, response.complete) == ("none", b"", True)


@pytest.mark.parametrize("status", [204, 304])
def test_204_and_304_have_no_body(status):
    response = parse(b"HTTP/1.1 %d X\r\nContent-Length: 9\r\n\r\n" % status, eof=False)
    assert (response.framing, response.complete) == ("none", True)


def test_interim_100_continue_precedes_the_final_response():
    response = parse(fx.CONTINUE_THEN_OK)
    assert [(i.status, i.reason) for i in response.interim] == [(100, "Continue")]
    assert (response.status, response.body) == (200, b"ok")
    assert response.head_size == len(fx.CONTINUE_THEN_OK) - 2


def test_only_an_interim_response_waits_for_the_final_one():
    response = parse(fx.ONLY_CONTINUE, eof=False)
    assert (response.status, response.complete) == (100, False)
    assert problem(response, "no-final-response").severity == "info"
    assert problem(parse(fx.ONLY_CONTINUE), "no-final-response").severity == "error"


def test_bytes_after_101_switching_protocols_belong_to_the_new_protocol():
    response = parse(fx.SWITCHING)
    assert (response.status, response.complete, response.extra) == (101, True, b"\x81\x05hello")
    assert "extra-bytes" not in codes(response)
    assert problem(response, "upgraded").severity == "info"


def test_keep_alive_responses_after_the_first_are_counted_not_errors():
    response = parse(fx.KEEP_ALIVE, eof=False)
    assert response.body == b"hello"
    assert response.following == 2
    assert [(p.code, p.message, p.severity) for p in response.problems] == [
        ("more-responses", "2 more responses follow", "info")
    ]
    assert response.extra == fx.KEEP_ALIVE[len(fx.OK) :]


def test_a_crlf_after_the_body_is_extra_bytes():
    response = parse(fx.GARBAGE_AFTER)
    assert problem(response, "extra-bytes").message == "2 extra bytes after the message end"


def test_junk_after_keep_alive_responses_is_extra_after_the_last_one():
    response = parse(fx.GARBAGE_AFTER_KEEP_ALIVE)
    assert response.following == 1
    assert problem(response, "extra-bytes").message == "4 extra bytes after the last response"


def test_long_server_text_is_quoted_briefly():
    response = parse(fx.bad_status(b"9" * 500))
    message = problem(response, "bad-status").message
    assert message.endswith("...'")
    assert len(message) < 80


def test_every_code_the_parser_emits_is_documented():
    fixtures = [v for v in vars(fx).values() if isinstance(v, bytes)]
    seen = {
        p.code for data in fixtures for eof in (True, False) for p in parse(data, eof=eof).problems
    }
    assert seen <= set(PROBLEM_CODES)


# --- incremental parsing --------------------------------------------------------------


def test_incremental_parser_gives_the_same_result_byte_by_byte():
    parser = HttpResponseParser()
    for i in range(len(fx.CHUNKED)):
        parser.feed(fx.CHUNKED[i : i + 1])
        parser.result(eof=False)
    assert parser.result(eof=True) == parse(fx.CHUNKED)


def test_incremental_parser_has_no_result_before_any_bytes():
    assert HttpResponseParser().result(eof=False) is None


def test_incremental_parser_reports_progress_while_the_body_streams():
    parser = HttpResponseParser()
    parser.feed(fx.SHORT_BODY[:-3])
    assert parser.result(eof=False).body == b"12"
    parser.feed(fx.SHORT_BODY[-3:] + b"67890")
    response = parser.result(eof=False)
    assert (response.body, response.complete) == (b"1234567890", True)


# --- properties -----------------------------------------------------------------------

TOKEN = st.text(alphabet=string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~", min_size=1)
NAMES = TOKEN.filter(lambda n: n.lower() not in ("content-length", "transfer-encoding"))
VALUE_WORD = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF, exclude_characters="\x7f"),
    min_size=1,
    max_size=12,
)
VALUES = st.lists(VALUE_WORD, max_size=4).map(" ".join)
OWS = st.sampled_from(["", " ", "\t", "  "])
STATUSES = st.integers(200, 599).filter(lambda s: s not in (204, 304))
REASONS = st.text(alphabet=string.ascii_letters + " ", max_size=20)


@st.composite
def well_formed(draw):
    """A valid response: (bytes, status, reason, headers, body, trailers)."""
    status = draw(STATUSES)
    reason = draw(REASONS)
    headers = draw(st.lists(st.tuples(NAMES, VALUES), max_size=8))
    body = draw(st.binary(max_size=300))
    chunked = draw(st.booleans())
    head = f"HTTP/1.1 {status} {reason}\r\n"
    for name, value in headers:
        head += f"{name}:{draw(OWS)}{value}{draw(OWS)}\r\n"
    trailers: list[tuple[str, str]] = []
    if chunked:
        head += "Transfer-Encoding: chunked\r\n\r\n"
        cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=5)))
        payload = b""
        for start, end in zip([0, *cuts], [*cuts, len(body)], strict=True):
            if end > start:
                extension = draw(st.sampled_from([b"", b";a=b", b";x"]))
                payload += b"%x%s\r\n%s\r\n" % (end - start, extension, body[start:end])
        trailers = draw(st.lists(st.tuples(NAMES, VALUES), max_size=3))
        payload += b"0\r\n" + b"".join(f"{n}: {v}\r\n".encode("latin-1") for n, v in trailers)
        payload += b"\r\n"
        headers = [*headers, ("Transfer-Encoding", "chunked")]
    else:
        head += f"Content-Length: {len(body)}\r\n\r\n"
        headers = [*headers, ("Content-Length", str(len(body)))]
        payload = body
    return head.encode("latin-1") + payload, status, reason, headers, body, trailers


def h11_view(data: bytes):
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method="GET", target="/", headers=[("Host", "lab")]))
    client.send(h11.EndOfMessage())
    client.receive_data(data)
    response, body, trailers = None, b"", []
    while True:
        event = client.next_event()
        if isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            trailers = [
                (n.decode("latin-1"), v.decode("latin-1")) for n, v in event.headers.raw_items()
            ]
            break
        else:
            raise AssertionError(f"h11 stopped at {event!r}")
    headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in response.headers.raw_items()]
    return response.status_code, response.reason.decode("latin-1"), headers, body, trailers


@given(well_formed())
def test_well_formed_responses_agree_with_h11(case):
    data, status, reason, headers, body, trailers = case
    response = parse(data, eof=False)
    assert response.problems == []
    assert response.complete
    ours = (response.status, response.reason, response.headers, response.body, response.trailers)
    assert ours == h11_view(data)
    assert ours == (status, reason, headers, body, trailers)


def check_invariants(data: bytes, response: HttpResponse | None) -> None:
    if not data:
        assert response is None
        return
    assert response is not None
    assert data.endswith(response.extra)
    if response.framing in ("content-length", "close"):
        start = response.head_size
        assert data[start : start + len(response.body)] == response.body
    for found in response.problems:
        assert found.code in PROBLEM_CODES
        assert found.severity in ("error", "warning", "info")
        assert len(found.message) < 250


@given(st.binary(max_size=400), st.sampled_from([b"", b"HTTP/1.1 ", b"HTTP/1.1 200 OK\r\n"]))
def test_any_bytes_never_raise(tail, prefix):
    data = prefix + tail
    for eof in (True, False):
        for method in ("GET", "HEAD"):
            check_invariants(data, parse_response(data, eof=eof, method=method))


@st.composite
def mutated(draw):
    data = bytearray(draw(well_formed())[0])
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "cut"]))
        if action == "insert":
            data[at:at] = draw(st.sampled_from([b"\r", b"\n", b"\r\n", b":", b" ", b"\x00", b"0"]))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 4))]
        elif action == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif action == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 20))]
        elif action == "cut":
            del data[at:]
    return bytes(data)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_responses_never_raise(data):
    for eof in (True, False):
        check_invariants(data, parse_response(data, eof=eof))


RESPONSES = st.one_of(
    well_formed().map(lambda case: case[0]),
    mutated(),
    st.sampled_from([v for v in vars(fx).values() if isinstance(v, bytes) and len(v) < 2000]),
    st.lists(well_formed().map(lambda case: case[0]), min_size=2, max_size=3).map(b"".join),
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(RESPONSES, st.lists(st.integers(0, 10_000), max_size=8), st.booleans())
def test_any_split_gives_the_same_result_as_the_whole(data, cuts, eof):
    parser = HttpResponseParser()
    previous = 0
    for cut in sorted(c % (len(data) + 1) for c in cuts):
        parser.feed(data[previous:cut])
        check_invariants(data[:cut], parser.result(eof=False))
        previous = cut
    parser.feed(data[previous:])
    assert parser.result(eof) == parse_response(data, eof=eof)


def test_every_split_in_two_of_each_small_fixture_gives_the_same_result_as_the_whole():
    fixtures = [v for v in vars(fx).values() if isinstance(v, bytes) and len(v) < 2000]
    for data in fixtures:
        for eof in (True, False):
            whole = parse_response(data, eof=eof)
            for cut in range(len(data) + 1):
                parser = HttpResponseParser()
                parser.feed(data[:cut])
                parser.feed(data[cut:])
                assert parser.result(eof) == whole, (data, cut, eof)


@pytest.mark.parametrize("line_end", [b"\r\n", b"\n"])
def test_streaming_thousands_of_headers_matches_the_whole(line_end):
    data = fx.many_headers(MAX_HEADERS + 50, line_end=line_end)
    for size in (1, 7, 4096):
        parser = HttpResponseParser()
        for start in range(0, len(data), size):
            parser.feed(data[start : start + size])
        assert parser.result(eof=True) == parse(data)
