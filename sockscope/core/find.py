"""Finding bytes in a capture: the query, every match, the next and previous one, and
the row of a view that holds a match.

A query is text (its UTF-8 bytes, as typed), text with escapes (the request editor's
payload syntax: `\\r\\n`, `\\x00`), or hex bytes (`0d 0a`). Matches do not overlap, as in
an editor, and are counted up to `MAX_MATCHES`: a one-byte query in 64 MiB of the same
byte would otherwise list 64 million offsets.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sockscope.core.payload import parse_hex, parse_text

MAX_MATCHES = 100_000


class FindMode(StrEnum):
    """How the query is read; its value is what the find bar shows."""

    TEXT = "text"
    ESCAPES = "text with escapes"
    HEX = "hex"

    def next(self) -> FindMode:
        modes = list(FindMode)
        return modes[(modes.index(self) + 1) % len(modes)]


def query_bytes(query: str, mode: FindMode) -> bytes:
    """The bytes `query` stands for; ValueError (a PayloadError naming the column) for
    an escape or hex digit that is not valid."""
    if mode is FindMode.HEX:
        return parse_hex(query)
    if mode is FindMode.ESCAPES:
        return parse_text(query)
    return query.encode("utf-8", errors="surrogatepass")


@dataclass(frozen=True)
class Matches:
    """Where `needle` occurs in the searched bytes: ascending, non-overlapping offsets."""

    needle: bytes
    offsets: list[int]
    capped: bool = False  # MAX_MATCHES were found and the search stopped there

    def __len__(self) -> int:
        return len(self.offsets)

    def count_text(self) -> str:
        """`12`, or `100,000+` when the search stopped at the cap."""
        return f"{len(self.offsets):,}{'+' if self.capped else ''}"

    def position(self, index: int | None) -> str:
        """`k of N` for the match at `index` (0-based), `N matches` with none chosen,
        `no matches` when there are none."""
        if not self.offsets:
            return "no matches"
        if index is None:
            return f"{self.count_text()} {'match' if len(self) == 1 else 'matches'}"
        return f"{index + 1:,} of {self.count_text()}"

    def next_index(self, offset: int) -> int | None:
        """The first match that starts after `offset` (-1: the first of all), wrapping
        around to the first; None with no matches."""
        if not self.offsets:
            return None
        index = bisect_right(self.offsets, offset)
        return index if index < len(self.offsets) else 0

    def previous_index(self, offset: int) -> int | None:
        """The last match that starts before `offset`, wrapping around to the last."""
        if not self.offsets:
            return None
        index = bisect_left(self.offsets, offset) - 1
        return index if index >= 0 else len(self.offsets) - 1

    def extended(self, data: bytes | memoryview, searched: int) -> Matches:
        """The matches of `data`, a capture grown from the `searched` bytes these are of:
        only what came after (and the needle's length before it, for a match across
        the old end) is read, so a live capture costs its new bytes."""
        if self.capped or not self.needle:
            return self
        step = len(self.needle)
        start = max(0, searched - step + 1, self.offsets[-1] + step if self.offsets else 0)
        more = find_all(memoryview(data)[start:], self.needle, MAX_MATCHES - len(self.offsets))
        offsets = self.offsets + [start + offset for offset in more.offsets]
        return Matches(self.needle, offsets, more.capped)

    def span(self, index: int) -> tuple[int, int]:
        """The bytes of match `index`: (start, end)."""
        start = self.offsets[index]
        return start, start + len(self.needle)

    def within(self, start: int, end: int) -> list[tuple[int, int]]:
        """The spans of the matches that touch bytes [start, end): what a row shows."""
        first = max(0, bisect_left(self.offsets, start - len(self.needle) + 1))
        last = bisect_left(self.offsets, end)
        return [self.span(index) for index in range(first, last)]


def find_all(data: bytes | memoryview, needle: bytes, limit: int = MAX_MATCHES) -> Matches:
    """Every non-overlapping occurrence of `needle` in `data`, up to `limit` of them."""
    offsets: list[int] = []
    if not needle:
        return Matches(needle, offsets)
    # A regular expression of the needle reads a view of a buffer where it lies (a
    # memoryview has no find, and a copy would be as large as the capture).
    for match in re.finditer(re.escape(needle), data):
        if len(offsets) == limit:
            return Matches(needle, offsets, capped=True)
        offsets.append(match.start())
    return Matches(needle, offsets)


def row_of(starts: Sequence[int], offset: int) -> int:
    """The row holding byte `offset`, given each row's first byte (ascending, from 0)."""
    return max(0, bisect_right(starts, offset) - 1)
