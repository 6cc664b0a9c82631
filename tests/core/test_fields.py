"""Field parsers take any text: a value, or a FieldError naming the field, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.fields import FieldError, parse_port, parse_seconds, parse_size
from sockscope.core.sanitize import sanitize

PARSERS = [parse_port, parse_seconds, parse_size]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("text", ["9" * 5000, "²", "1" * 19 + "k", "\x1b]0;x\x07", "1e999"])
def test_odd_numbers_are_refused_with_the_field_named(parse, text: str) -> None:
    with pytest.raises(FieldError) as refused:
        parse(text, "the field")
    message = str(refused.value)
    assert "the field" in message
    assert len(message) < 200
    assert sanitize(message) == message


@pytest.mark.parametrize("parse", [parse_port, parse_size])
def test_ports_and_sizes_are_written_in_ascii_digits(parse) -> None:
    with pytest.raises(FieldError, match="the field"):
        parse("١٢٣", "the field")


def test_a_timeout_longer_than_a_transcript_holds_is_refused() -> None:
    """A transcript holds times up to 1e9 s: a longer timeout would be saved in a
    transcript that `open` then refuses."""
    assert parse_seconds("1e9", "--idle") == 1e9
    for text in ("1e308", "1000000001", "inf"):
        with pytest.raises(FieldError, match=r"--idle: \S+ is over 1,000,000,000 seconds"):
            parse_seconds(text, "--idle")


def test_a_size_larger_than_a_transcript_holds_is_refused() -> None:
    assert parse_size("8388608G", "--max-bytes") == 2**53
    with pytest.raises(FieldError, match=r"--max-bytes: '8388609G' is over 8 PiB"):
        parse_size("8388609G", "--max-bytes")


@given(st.text(max_size=60), st.sampled_from(PARSERS))
def test_any_text_is_a_value_or_a_named_refusal(text: str, parse) -> None:
    try:
        parse(text, "the field")
    except FieldError as refused:
        assert sanitize(str(refused)) == str(refused)
