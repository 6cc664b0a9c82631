"""Views of received bytes: hex dump, repr, decoded text and sizes, all safe to show."""

from __future__ import annotations

import codecs
import shutil
import subprocess
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.sanitize import Segment
from sockscope.core.views import (
    CANONICAL,
    ENCODINGS,
    HEX_WIDTH,
    check_encoding,
    decode_segments,
    decoded_lines,
    decoded_row,
    hex_width_for,
    hexdump_columns,
    hexdump_line,
    hexdump_row_length,
    hexdump_rows,
    human_bytes,
    line_spans,
    repr_line,
    repr_lines,
    row_spans,
    row_starts,
)

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"

# The display attacks of hostile-servers.md, as the bytes a server sends.
ATTACKS = {
    "clipboard write (OSC 52)": b"A\x1b]52;c;cHduZWQ=\x1b\\B",
    "window title (OSC 0)": b"\x1b]0;pwned\x07",
    "cursor up and clear (CSI)": b"\x1b[2A\x1b[2J\x1b[H\x1b[8m",
    "hyperlink (OSC 8)": b"\x1b]8;;https://evil.test\x1b\\click\x1b]8;;\x1b\\",
    "raw 8-bit CSI (0x9b)": b"\x9b2J",
    "U+009B as UTF-8": "\x9b2J".encode(),
    "terminal reset (ESC c)": b"\x1bc",
    "bidi override (U+202E)": "invoice\u202etxt.exe".encode(),
}


def _shown(segments: list[Segment]) -> str:
    return "".join(chunk for chunk, _ in segments)


def _tokens(segments: list[Segment]) -> list[str]:
    return [chunk for chunk, is_token in segments if is_token]


# ---- hex ---------------------------------------------------------------------------------


def test_a_hexdump_row_looks_like_hexdump_c() -> None:
    assert hexdump_line(RESPONSE, 0) == (
        "00000000  48 54 54 50 2f 31 2e 31  20 32 30 30 20 4f 4b 0d  |HTTP/1.1 200 OK.|"
    )


def test_a_short_last_row_keeps_its_gutter_aligned() -> None:
    rows = list(hexdump_rows(b"HTTP/1.1 200 OK\r\nab"))
    assert rows[1] == "00000010  0a 61 62" + " " * 42 + "|.ab|"
    assert rows[0].index("|") == rows[1].index("|")


def test_the_gutter_shows_only_printable_ascii() -> None:
    row = hexdump_line(bytes(range(0x7C, 0x8C)), 0)
    assert row.endswith("  ||}~.............|")
    assert all(" " <= ch <= "~" for ch in row)


def test_any_row_can_be_formatted_on_its_own() -> None:
    data = bytes(range(256)) * 4
    assert hexdump_line(data, 5 * HEX_WIDTH) == list(hexdump_rows(data))[5]
    assert hexdump_line(data, 5 * HEX_WIDTH).startswith("00000050  50 51")


@pytest.mark.parametrize("size", [1, 15, 65_535, 65_536, 65_537, 2 * 65_536 + 5])
@pytest.mark.parametrize("width", [16, 8, 4])
def test_rows_made_a_block_at_a_time_are_each_rows_own_formatting(size: int, width: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    rows = list(hexdump_rows(data, width))
    assert len(rows) == -(-size // width)
    assert all(row == hexdump_line(data, i * width, width) for i, row in enumerate(rows))


def test_the_columns_of_some_bytes_are_their_hex_digits_and_their_gutter_characters() -> None:
    row = hexdump_line(RESPONSE, 0)
    (hex_start, hex_end), (text_start, text_end) = hexdump_columns(9, 12)
    assert row[hex_start:hex_end] == "32 30 30"
    assert row[text_start:text_end] == "200"


def test_bytes_across_the_middle_take_the_gap_between_the_groups() -> None:
    row = hexdump_line(RESPONSE, 8, 8)
    (hex_start, hex_end), (text_start, text_end) = hexdump_columns(3, 5, 8)
    assert row[hex_start:hex_end] == "30  20"
    assert row[text_start:text_end] == "0 "


@given(st.sampled_from((16, 8, 4)), st.data())
def test_each_byte_s_columns_show_that_byte(width: int, data: st.DataObject) -> None:
    chunk = bytes(range(0x41, 0x41 + width))
    index = data.draw(st.integers(0, width - 1))
    row = hexdump_line(chunk, 0, width)
    (hex_start, hex_end), (text_start, text_end) = hexdump_columns(index, index + 1, width)
    assert row[hex_start:hex_end] == f"{chunk[index]:02x}"
    assert row[text_start:text_end] == chr(chunk[index])


def test_no_bytes_make_no_rows() -> None:
    assert list(hexdump_rows(b"")) == []


def test_narrower_rows_keep_the_offset_the_two_groups_and_the_gutter() -> None:
    assert hexdump_line(RESPONSE, 8, 8) == "00000008  20 32 30 30  20 4f 4b 0d  | 200 OK.|"
    assert hexdump_line(RESPONSE, 4, 4) == "00000004  2f 31  2e 31  |/1.1|"
    assert list(hexdump_rows(b"abcdef", 4)) == [
        "00000000  61 62  63 64  |abcd|",
        "00000004  65 66         |ef|",
    ]


@pytest.mark.parametrize("width", [16, 8, 4])
def test_every_full_row_has_the_announced_length(width: int) -> None:
    rows = list(hexdump_rows(bytes(range(256)), width))
    assert {len(row) for row in rows} == {hexdump_row_length(width)}
    assert all(row.index("|") == rows[0].index("|") for row in hexdump_rows(b"abc", width))


def test_other_row_widths_are_refused() -> None:
    with pytest.raises(ValueError, match="16, 8, 4"):
        hexdump_line(b"x", 0, 12)


@pytest.mark.parametrize(
    ("columns", "width"), [(200, 16), (78, 16), (77, 8), (46, 8), (45, 4), (30, 4), (10, 4)]
)
def test_the_widest_row_that_fits_is_chosen(columns: int, width: int) -> None:
    assert hex_width_for(columns) == width


@pytest.mark.skipif(shutil.which("hexdump") is None, reason="needs util-linux hexdump")
def test_the_layout_matches_the_real_hexdump_c() -> None:
    data = bytes(range(256)) + b"\r\nshort tail"  # no repeated rows, so no "*" lines
    real = subprocess.run(["hexdump", "-C"], input=data, capture_output=True, check=True)
    expected = real.stdout.decode("ascii").splitlines()[:-1]  # drop the final offset line
    assert list(hexdump_rows(data)) == expected


# ---- lines and repr ----------------------------------------------------------------------


def test_lines_end_after_each_lf() -> None:
    assert line_spans(b"a\r\nbc\n\nd") == [(0, 3), (3, 6), (6, 7), (7, 8)]


def test_a_long_line_is_cut_into_bounded_spans() -> None:
    spans = line_spans(b"x" * 600 + b"\n", max_len=256)
    assert spans == [(0, 256), (256, 512), (512, 601)]


@given(st.binary(max_size=600), st.integers(min_value=1, max_value=40))
def test_spans_cover_the_bytes_exactly_once_and_stay_bounded(data: bytes, max_len: int) -> None:
    spans = line_spans(data, max_len)
    assert b"".join(data[start:end] for start, end in spans) == data
    assert all(0 < end - start <= max_len for start, end in spans)
    assert all(b"\n" not in data[start : end - 1] for start, end in spans)


def test_a_zero_max_len_is_refused() -> None:
    with pytest.raises(ValueError, match="max_len"):
        line_spans(b"x", 0)


def test_repr_lines_are_python_reprs_of_each_line() -> None:
    assert repr_lines(RESPONSE) == [
        "b'HTTP/1.1 200 OK\\r\\n'",
        "b'Content-Length: 2\\r\\n'",
        "b'\\r\\n'",
        "b'hi'",
    ]


@given(st.binary())
def test_repr_is_plain_ascii_whatever_the_bytes(data: bytes) -> None:
    line = repr_line(data)
    assert line == repr(data)
    assert all(" " <= ch <= "~" for ch in line)


# ---- encodings ---------------------------------------------------------------------------


def test_the_offered_encodings_include_the_common_ones() -> None:
    assert {"utf-8", "ascii", "latin-1", "cp1252", "utf-16"} <= set(ENCODINGS)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("UTF8", "utf-8"),
        ("utf_8", "utf-8"),
        ("ISO-8859-1", "latin-1"),
        ("latin1", "latin-1"),
        ("windows-1252", "cp1252"),
        ("us-ascii", "ascii"),
        ("UTF-16", "utf-16"),
        ("utf-16le", "utf-16-le"),
    ],
)
def test_encoding_aliases_are_accepted(typed: str, name: str) -> None:
    assert check_encoding(typed) == name


def test_each_offered_encoding_is_known_by_the_name_python_gives_it() -> None:
    assert {codecs.lookup(name).name: name for name in ENCODINGS} == CANONICAL


def test_an_unknown_encoding_names_the_choices() -> None:
    with pytest.raises(ValueError) as caught:
        check_encoding("klingon")
    assert 'unknown encoding "klingon"' in str(caught.value)
    assert "utf-8, ascii, latin-1" in str(caught.value)


def test_a_real_codec_that_is_not_offered_is_refused() -> None:
    with pytest.raises(ValueError, match="choose one of"):
        check_encoding("rot13")


def test_the_encoding_error_does_not_echo_control_characters() -> None:
    with pytest.raises(ValueError) as caught:
        check_encoding("x\x1b[2J")
    assert "\x1b" not in str(caught.value)


# ---- decoded text ------------------------------------------------------------------------


def test_valid_utf8_decodes_to_plain_text() -> None:
    assert decode_segments("café ☕\n".encode(), "utf-8") == [("café ☕\n", False)]


def test_undecodable_bytes_become_hex_tokens() -> None:
    assert decode_segments(b"ok \xff\xfe!", "utf-8") == [
        ("ok ", False),
        ("\\xff\\xfe", True),
        ("!", False),
    ]


def test_a_literal_backslash_x_in_the_text_is_not_a_token() -> None:
    segments = decode_segments(b"\\xff\xff", "utf-8")
    assert segments == [("\\xff", False), ("\\xff", True)]


def test_bytes_outside_ascii_are_tokens_when_decoding_as_ascii() -> None:
    assert _tokens(decode_segments(b"caf\xc3\xa9", "ascii")) == ["\\xc3\\xa9"]


def test_cp1252_shows_its_punctuation_and_marks_its_holes() -> None:
    assert decode_segments(b"\x93quoted\x94 \x81", "cp1252") == [
        ("\u201cquoted\u201d ", False),
        ("\\x81", True),
    ]


def test_latin1_shows_c1_bytes_as_tokens() -> None:
    assert decode_segments(b"\x9b2J \xe9", "latin-1") == [("\\x9b", True), ("2J é", False)]


def test_utf16_with_a_byte_order_mark_decodes_either_order() -> None:
    text = "hello ☕"
    for encoded in (b"\xff\xfe" + text.encode("utf-16-le"), b"\xfe\xff" + text.encode("utf-16-be")):
        assert decode_segments(encoded, "utf-16") == [(text, False)]


def test_utf16_without_a_byte_order_mark_is_still_readable() -> None:
    text = "Hello, world\r\n"
    for codec in ("utf-16-le", "utf-16-be"):
        assert _shown(decode_segments(text.encode(codec), "utf-16")) == "Hello, world␍\n"


def test_broken_utf16_shows_the_bytes_it_could_not_decode() -> None:
    # A lone high surrogate (00 d8) and an odd last byte (41).
    assert decode_segments(b"h\x00\x00\xd8i\x00A", "utf-16-le") == [
        ("h", False),
        ("\\x00\\xd8", True),
        ("i", False),
        ("\\x41", True),
    ]


@pytest.mark.parametrize("payload", ATTACKS.values(), ids=ATTACKS.keys())
@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "cp1252", "ascii"])
def test_display_attacks_decode_to_inert_text(payload: bytes, encoding: str) -> None:
    shown = _shown(decode_segments(payload, encoding))
    assert "\x1b" not in shown
    assert not any("\x80" <= ch <= "\x9f" for ch in shown)
    assert "\u202e" not in shown


def test_a_clipboard_write_is_visible_as_text() -> None:
    segments = decode_segments(ATTACKS["clipboard write (OSC 52)"], "utf-8")
    assert _shown(segments) == "A␛]52;c;cHduZWQ=␛\\B"
    assert _tokens(segments) == ["␛", "␛"]


@given(st.binary(), st.sampled_from(ENCODINGS))
def test_any_bytes_in_any_encoding_decode_to_safe_text(data: bytes, encoding: str) -> None:
    shown = _shown(decode_segments(data, encoding))
    assert all(
        ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
        for ch in shown
    )


def test_decoded_lines_split_at_lf_and_show_cr_as_a_token() -> None:
    assert decoded_lines(RESPONSE, "utf-8") == [
        [("HTTP/1.1 200 OK", False), ("␍", True)],
        [("Content-Length: 2", False), ("␍", True)],
        [("␍", True)],
        [("hi", False)],
    ]


def test_an_empty_line_is_kept_and_a_final_lf_adds_no_line() -> None:
    assert decoded_lines(b"a\n\nb\n", "utf-8") == [[("a", False)], [], [("b", False)]]
    assert decoded_lines(b"", "utf-8") == []


def test_a_huge_decoded_line_is_cut_into_bounded_pieces() -> None:
    lines = decoded_lines(b"y" * 1000, "utf-8", max_len=256)
    assert [len(_shown(line)) for line in lines] == [256, 256, 256, 232]


def test_utf16_lines_split_on_the_decoded_newline() -> None:
    data = "one\ntwo\u010a".encode("utf-16-le")  # U+010A holds a 0x0a byte
    assert decoded_lines(data, "utf-16") == [[("one", False)], [("two\u010a", False)]]


# ---- decoded rows ------------------------------------------------------------------------


def _row_texts(data: bytes, encoding: str, max_len: int = 256) -> list[str]:
    return [
        _shown(decoded_row(data, s, e, encoding)) for s, e in row_spans(data, encoding, max_len)
    ]


def test_rows_of_a_bytewise_encoding_are_the_line_spans() -> None:
    assert row_spans(RESPONSE, "latin-1") == line_spans(RESPONSE)
    assert _row_texts(RESPONSE, "utf-8") == ["HTTP/1.1 200 OK␍", "Content-Length: 2␍", "␍", "hi"]


def test_a_utf8_character_cut_by_the_row_limit_stays_whole() -> None:
    data = "aé😀b".encode()
    texts = _row_texts(data, "utf-8", max_len=2)
    assert "".join(texts) == "aé😀b"
    assert "aé" in texts and "😀" in texts


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_rows_split_at_an_encoded_lf_only(codec: str) -> None:
    data = "one\ntwo\u010a\u0a05\nend".encode(codec)  # U+010A and U+0A05 hold 0x0a bytes
    for encoding in (codec, "utf-16"):
        assert _row_texts(data, encoding) == ["one", "two\u010a\u0a05", "end"]


def test_a_utf16_byte_order_mark_is_not_shown() -> None:
    data = codecs.BOM_UTF16_BE + "hi\nyo".encode("utf-16-be")
    assert _row_texts(data, "utf-16") == ["hi", "yo"]


def test_a_surrogate_pair_cut_by_the_row_limit_stays_whole() -> None:
    data = "ab😀c".encode("utf-16-le")
    texts = _row_texts(data, "utf-16-le", max_len=6)
    assert "".join(texts) == "ab😀c"
    assert "😀" in texts[0]


def test_rows_of_a_growing_buffer_continue_from_the_last_row() -> None:
    data = "one\ntwo\nthr".encode("utf-16-le")
    first = row_spans(data, "utf-16")
    more = data + "ee\n".encode("utf-16-le")
    assert [*first[:-1], *row_spans(more, "utf-16", start=first[-1][0])] == row_spans(
        more, "utf-16"
    )


@given(
    st.text(max_size=200),
    st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "utf-16"]),
    st.integers(min_value=2, max_value=40),
)
def test_rows_show_every_character_once(text: str, encoding: str, max_len: int) -> None:
    codec = "utf-16-le" if encoding == "utf-16" else encoding
    data = (codecs.BOM_UTF16_LE if encoding == "utf-16" else b"") + text.encode(
        codec, "surrogatepass"
    )
    spans = row_spans(data, encoding, max_len)
    assert b"".join(data[s:e] for s, e in spans) == data
    nl = "\n".encode(codec)
    shown = "".join(
        _shown(decoded_row(data, s, e, encoding)) + ("\n" if data[s:e].endswith(nl) else "")
        for s, e in spans
    )
    assert shown == _shown(decode_segments(data, encoding))


@given(st.binary(max_size=300), st.sampled_from(ENCODINGS), st.integers(min_value=2, max_value=40))
def test_any_bytes_make_bounded_printable_rows(data: bytes, encoding: str, max_len: int) -> None:
    spans = row_spans(data, encoding, max_len)
    assert b"".join(data[s:e] for s, e in spans) == data
    for start, end in spans:
        assert end - start <= max_len + 2
        shown = _shown(decoded_row(data, start, end, encoding))
        assert all(
            ch == "\t" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
            for ch in shown
        )


@given(
    st.lists(st.sampled_from([b"a", b"\n", b"\x00", b"\n\x00", b"xyz"]), max_size=80).map(b"".join),
    st.sampled_from(ENCODINGS),
    st.integers(min_value=2, max_value=12),
    st.lists(st.integers(min_value=1, max_value=40), max_size=8),
)
def test_rows_indexed_a_block_at_a_time_are_the_rows_of_the_whole(
    data: bytes, encoding: str, max_len: int, blocks: list[int]
) -> None:
    starts: list[int] = []
    resume = stop = 0
    for block in blocks:
        stop += block
        done, resume = row_starts(data, encoding, max_len, resume, stop)
        starts.extend(done)
    done, resume = row_starts(data, encoding, max_len, resume)
    whole = row_spans(data, encoding, max_len)
    assert [*starts, *done] + ([resume] if resume < len(data) else []) == [s for s, _ in whole]


def test_a_long_line_is_cut_every_max_len_bytes_and_its_rest_stays_open() -> None:
    assert row_starts(b"x" * 10 + b"\n" + b"y" * 7, "latin-1", 4) == ([0, 4, 8, 11], 15)


# ---- sizes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1000, "1,000 bytes"),
        (1024, "1,024 bytes"),
        (10239, "10,239 bytes"),
        (10240, "10.0 KiB"),
        (1536 * 1024, "1.5 MiB"),
        (8 * 1024**3, "8.0 GiB"),
    ],
)
def test_sizes_read_naturally(n: int, text: str) -> None:
    assert human_bytes(n) == text
