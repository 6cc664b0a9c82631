"""Finding bytes: the query in three forms, every match, next and previous, rows."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.find import (
    MAX_MATCHES,
    FindMode,
    Matches,
    find_all,
    query_bytes,
    row_of,
)
from sockscope.core.payload import PayloadError

REPLY = b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\nbody\r\n"


@pytest.mark.parametrize(
    ("query", "mode", "needle"),
    [
        ("OK\\r\\n", FindMode.TEXT, b"OK\\r\\n"),
        ("OK\\r\\n", FindMode.ESCAPES, b"OK\r\n"),
        ("\\x00\\xff", FindMode.ESCAPES, b"\x00\xff"),
        ("0d 0a", FindMode.HEX, b"\r\n"),
        ("0d0a", FindMode.HEX, b"\r\n"),
        ("grüße", FindMode.TEXT, "grüße".encode()),
    ],
)
def test_a_query_stands_for_the_bytes_its_mode_says(
    query: str, mode: FindMode, needle: bytes
) -> None:
    assert query_bytes(query, mode) == needle


@pytest.mark.parametrize(("query", "mode"), [("0g", FindMode.HEX), ("\\x4", FindMode.ESCAPES)])
def test_a_bad_query_names_the_column(query: str, mode: FindMode) -> None:
    with pytest.raises(PayloadError, match="column"):
        query_bytes(query, mode)


def test_the_mode_cycles_text_escapes_hex() -> None:
    assert [FindMode.TEXT.next(), FindMode.ESCAPES.next(), FindMode.HEX.next()] == [
        FindMode.ESCAPES,
        FindMode.HEX,
        FindMode.TEXT,
    ]


def test_every_crlf_is_found_and_counted_k_of_n() -> None:
    matches = find_all(REPLY, b"\r\n")
    assert matches.offsets == [15, 21, 27, 29, 35]
    assert matches.position(None) == "5 matches"
    assert matches.position(1) == "2 of 5"
    assert find_all(REPLY, b"nowhere").position(None) == "no matches"


def test_matches_do_not_overlap() -> None:
    assert find_all(b"aaaa", b"aa").offsets == [0, 2]


def test_next_and_previous_wrap_around() -> None:
    matches = find_all(REPLY, b"\r\n")
    assert matches.next_index(-1) == 0
    assert matches.next_index(15) == 1
    assert matches.next_index(35) == 0
    assert matches.previous_index(15) == 4
    assert matches.previous_index(21) == 0
    assert Matches(b"x", []).next_index(0) is None


def test_the_count_stops_at_the_cap_and_says_so() -> None:
    matches = find_all(b"a" * (MAX_MATCHES + 10), b"a")
    assert len(matches) == MAX_MATCHES and matches.capped
    assert matches.position(0) == "1 of 100,000+"


def test_within_gives_the_matches_a_row_shows_even_across_its_edges() -> None:
    matches = find_all(REPLY, b"\r\n")
    assert matches.within(16, 22) == [(15, 17), (21, 23)]
    assert matches.within(17, 21) == []


def test_a_byte_offset_maps_to_its_row() -> None:
    starts = [0, 17, 23, 29, 31]
    assert [row_of(starts, offset) for offset in (0, 16, 17, 30, 31, 99)] == [0, 0, 1, 3, 4, 4]


@given(st.binary(max_size=200), st.binary(min_size=1, max_size=3))
def test_every_match_is_the_needle_and_none_is_missed(data: bytes, needle: bytes) -> None:
    offsets = find_all(data, needle).offsets
    assert all(data[at : at + len(needle)] == needle for at in offsets)
    assert all(b - a >= len(needle) for a, b in pairwise(offsets))
    assert len(offsets) == data.count(needle)


@given(
    st.binary(max_size=200).map(lambda b: b.replace(b"\x01", b"ab")),
    st.integers(0, 200),
    st.sampled_from([b"a", b"ab", b"aba", b"b\x00"]),
)
def test_matches_extended_to_a_grown_capture_are_those_of_the_whole(
    data: bytes, cut: int, needle: bytes
) -> None:
    cut = min(cut, len(data))
    grown = find_all(data[:cut], needle).extended(data, cut)
    assert grown == find_all(data, needle)
