"""The request-editing syntax: what the user types is exactly what is sent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.payload import (
    PayloadError,
    bare_lf_lines,
    escape_text,
    format_hex,
    format_text,
    parse_hex,
    parse_text,
    to_crlf,
)

# ---- parse_text --------------------------------------------------------------------------


def test_an_http_request_reads_one_header_per_editor_line() -> None:
    text = "GET / HTTP/1.1\\r\nHost: example.com\\r\n\\r\n"
    assert parse_text(text) == b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"


def test_a_literal_newline_is_a_bare_lf() -> None:
    assert parse_text("a\nb") == b"a\nb"


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("\\r", b"\r"),
        ("\\n", b"\n"),
        ("\\t", b"\t"),
        ("\\0", b"\x00"),
        ("\\\\", b"\\"),
        ("\\x1b", b"\x1b"),
        ("\\xFF", b"\xff"),
    ],
)
def test_each_escape_sends_its_byte(text: str, data: bytes) -> None:
    assert parse_text(text) == data


def test_other_characters_are_sent_as_utf8() -> None:
    assert parse_text("café ☕") == "café ☕".encode()


def test_the_empty_text_sends_nothing() -> None:
    assert parse_text("") == b""


def test_an_unknown_escape_names_its_column_and_the_fix() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_text("GET /\\q")
    assert caught.value.column == 6
    assert str(caught.value).startswith('column 6: unknown escape "\\q"')
    assert 'write "\\\\" for a backslash' in str(caught.value)


def test_a_short_hex_escape_says_two_digits_are_needed() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_text("GET / HTTP/1.1\\x0")
    message = str(caught.value)
    assert message.startswith("column 15: \\x needs two hex digits, e.g. \\x0d")
    assert '"\\x0"' in message


def test_a_hex_escape_with_a_non_hex_digit_is_refused() -> None:
    with pytest.raises(PayloadError, match=r'column 1: .*"\\xg1"'):
        parse_text("\\xg1")


def test_errors_on_later_lines_name_the_line_too() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_text("GET / HTTP/1.1\\r\nHost: x\\y\\r\n")
    error = caught.value
    assert (error.line, error.column) == (2, 8)
    assert str(error).startswith("line 2, column 8: ")
    assert error.text == "GET / HTTP/1.1\\r\nHost: x\\y\\r\n"


def test_a_trailing_backslash_is_explained() -> None:
    with pytest.raises(PayloadError, match=r'column 4: .*lone "\\"'):
        parse_text("abc\\")


def test_a_lone_surrogate_is_a_payload_error_not_a_crash() -> None:
    with pytest.raises(PayloadError, match="column 2: U\\+D800"):
        parse_text("a\ud800")


def test_the_quoted_excerpt_in_an_error_is_sanitised() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_text("\\\x1b[2J")
    assert "\x1b" not in str(caught.value)
    assert "␛" in str(caught.value)


def test_a_payload_error_is_a_value_error() -> None:
    assert issubclass(PayloadError, ValueError)


@given(st.text())
def test_any_text_either_parses_or_raises_a_payload_error(text: str) -> None:
    try:
        parse_text(text)
    except PayloadError as error:
        assert 1 <= error.column <= len(text)


@given(st.text(alphabet=st.sampled_from("\\xrnt0aF1g\n")))
def test_escape_heavy_text_either_parses_or_raises_a_payload_error(text: str) -> None:
    try:
        parse_text(text)
    except PayloadError as error:
        assert text[error.offset] == "\\"


# ---- format_text -------------------------------------------------------------------------


def test_a_request_is_formatted_with_visible_cr_and_real_line_breaks() -> None:
    assert (
        format_text(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") == "GET / HTTP/1.1\\r\nHost: x\\r\n\\r\n"
    )


def test_non_printable_bytes_are_formatted_as_hex_escapes() -> None:
    assert format_text(b"\x00\x1b\x7f\xff\t\\") == "\\x00\\x1b\\x7f\\xff\\t\\\\"


def test_printable_utf8_is_shown_as_text() -> None:
    assert format_text("café".encode()) == "café"


def test_invisible_unicode_is_shown_as_its_bytes() -> None:
    # A bidi override or a no-break space must not hide in the editor.
    assert format_text("a\u202eb\u00a0".encode()) == "a\\xe2\\x80\\xaeb\\xc2\\xa0"


@given(st.binary())
def test_formatted_text_parses_back_to_the_same_bytes(data: bytes) -> None:
    assert parse_text(format_text(data)) == data


@given(st.binary())
def test_formatted_text_holds_no_control_characters_but_newlines(data: bytes) -> None:
    text = format_text(data)
    assert all(ch == "\n" or ch.isprintable() for ch in text)


# ---- escape_text (a paste into the editor) ---------------------------------------------


def test_pasted_control_characters_become_the_escapes_of_the_same_bytes() -> None:
    pasted = "GET / HTTP/1.1\r\nX: \x1b]52;c;cHduZWQ=\x07 \u202e \x9b\tend\\n"
    escaped = escape_text(pasted)
    assert escaped == (
        "GET / HTTP/1.1\\r\nX: \\x1b]52;c;cHduZWQ=\\x07 \\xe2\\x80\\xae \\xc2\\x9b\tend\\n"
    )
    # Backslashes stay: pasted payload syntax (sockscope's own copy) means what it says.
    assert parse_text(escaped) == parse_text(pasted)


@given(st.text().filter(lambda t: not any(0xD800 <= ord(c) <= 0xDFFF for c in t)))
def test_escaped_text_draws_no_control_character_and_sends_the_same_bytes(text: str) -> None:
    escaped = escape_text(text)
    assert all(ch in "\n\t" or ch.isprintable() for ch in escaped)
    plain = text.replace("\\", "")  # no escapes of its own
    assert parse_text(escape_text(plain)) == plain.encode()


# ---- hex ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "48 65 6c",
        "48656C",
        "48:65:6c",
        "48,65,6c",
        "0x48 0x65 0x6C",
        "0x48,0x65,0x6c",
        " 48\n65\t6c ",
    ],
)
def test_hex_accepts_the_usual_spellings(text: str) -> None:
    assert parse_hex(text) == b"Hel"


def test_empty_hex_is_no_bytes() -> None:
    assert parse_hex("  \n") == b""


def test_a_bad_hex_digit_is_named_with_its_column() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_hex("48 6g")
    assert caught.value.column == 5
    assert str(caught.value).startswith('column 5: "g" is not a hex digit')


def test_an_odd_number_of_hex_digits_is_refused() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_hex("48 656")
    assert caught.value.column == 6
    assert "odd number of hex digits" in str(caught.value)


def test_a_bare_0x_prefix_asks_for_digits() -> None:
    with pytest.raises(PayloadError, match='column 4: "0x" needs hex digits'):
        parse_hex("41 0x")


def test_hex_is_formatted_sixteen_bytes_to_a_line() -> None:
    assert format_hex(b"GET ") == "47 45 54 20"
    assert format_hex(bytes(range(17))) == ("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n10")
    assert format_hex(b"") == ""


@given(st.binary())
def test_formatted_hex_parses_back_to_the_same_bytes(data: bytes) -> None:
    assert parse_hex(format_hex(data)) == data


@given(st.text())
def test_any_text_as_hex_either_parses_or_raises_a_payload_error(text: str) -> None:
    try:
        parse_hex(text)
    except PayloadError as error:
        assert 1 <= error.column <= max(len(text), 1)


# ---- line endings ------------------------------------------------------------------------


def test_to_crlf_fixes_bare_lf_and_leaves_crlf_alone() -> None:
    assert to_crlf(b"GET / HTTP/1.1\nHost: x\r\n\n") == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def test_to_crlf_is_idempotent() -> None:
    once = to_crlf(b"a\nb\r\n\r\nc\n")
    assert to_crlf(once) == once


def test_bare_lf_lines_names_the_lines_a_server_might_reject() -> None:
    assert bare_lf_lines(b"GET / HTTP/1.1\r\nHost: x\nAccept: */*\r\n\n") == [2, 4]
    assert bare_lf_lines(b"GET / HTTP/1.1\r\n\r\n") == []
    assert bare_lf_lines(b"\n\n") == [1, 2]
