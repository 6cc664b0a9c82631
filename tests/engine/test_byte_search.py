"""The delimiter search over a large read buffer finds what bytes.find finds, and only
within the bytes read."""

from __future__ import annotations

import random

import pytest

from sockscope.engine.byte_search import LARGE, contains

SIZE = 1 << 20


@pytest.mark.parametrize("needle", [b"\r\n\r\n", b"\x00\x00", b"x", b"never-there" * 5])
def test_a_delimiter_is_found_wherever_it_ends_within_the_bytes_read(needle: bytes) -> None:
    buffer = bytearray(b"." * SIZE)
    n = SIZE - 100
    for end in (len(needle), LARGE + 7, n):
        buffer[:] = b"." * SIZE
        buffer[end - len(needle) : end] = needle
        assert contains(buffer, n, needle)


@pytest.mark.parametrize("needle", [b"\r\n\r\n", b"\x00\x00", b"never-there" * 5])
def test_a_delimiter_past_the_bytes_read_or_cut_by_their_end_is_not_found(
    needle: bytes,
) -> None:
    n = SIZE - 100
    buffer = bytearray(b"." * SIZE)
    buffer[n + 10 : n + 10 + len(needle)] = needle
    assert not contains(buffer, n, needle)
    buffer[:] = b"." * SIZE
    buffer[n - 1 : n - 1 + len(needle)] = needle  # only its first byte was read
    assert not contains(buffer, n, needle)


def test_random_bytes_give_the_answer_bytes_find_gives() -> None:
    chooser = random.Random(14)
    buffer = bytearray(chooser.randbytes(SIZE))
    for _ in range(50):
        start = chooser.randrange(SIZE - 8)
        needle = bytes(buffer[start : start + chooser.randrange(1, 8)])
        n = chooser.randrange(LARGE, SIZE)
        assert contains(buffer, n, needle) == (buffer.find(needle, 0, n) >= 0)
