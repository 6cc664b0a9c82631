"""Reading a JSON document whose few large strings are base64, without holding them as text.

`json.loads` of a transcript would hold its kept bytes several times over: the file, its
text, the parsed string, and the decoded bytes. Here the file is read a slice at a time;
every string that starts with `LARGE` base64 characters and is strict base64 to its end
is decoded as it is read, straight into one bytes object, and stands in the rest of the
document (the *structure*, copied a region at a time and parsed by `json` as usual) as a
placeholder string no file can guess. So the kept bytes cost their own size once, and
the structure what `json` makes of it.

A large string that turns out not to be strict base64 (an escape, a character outside
the alphabet, padding before its end) is kept as text, as `json` would read it: whatever
reads the document then sees the value that is in the file.
"""

from __future__ import annotations

import binascii
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

LARGE = 64 * 1024  # base64 characters that start a string decoded as it is read
_SLICE = 1 << 20  # bytes read at a time
_ESCAPE = re.compile(rb"\\.", re.DOTALL)


class TooLarge(Exception):
    """The structure or the decoded bytes passed their cap; `str()` says which."""


@dataclass(frozen=True)
class Bulk:
    """A large base64 string of the file: its bytes, and how it was written."""

    data: bytes
    padded: bytes  # its last group of 4 characters when that one holds padding, else b""

    def text(self) -> str:
        """The string as the file has it (base64 decodes one way, so this encodes back
        to it, but for the free bits of a padded last group, kept as written)."""
        if not self.padded:
            return binascii.b2a_base64(self.data, newline=False).decode("ascii")
        whole = len(self.data) - len(binascii.a2b_base64(self.padded))
        head = binascii.b2a_base64(self.data[:whole], newline=False)
        return (head + self.padded).decode("ascii")


@dataclass
class Read:
    """A document read: `structure` is its text with each Bulk replaced by the JSON
    string `"<token>:<index>"`; `cuts` map positions in `structure` back to the file."""

    structure: bytes
    bulks: list[Bulk]
    token: str
    cuts: list[tuple[int, int]]  # (offset in structure after a placeholder, bytes removed)

    def file_offset(self, offset: int) -> int:
        return offset + sum(removed for at, removed in self.cuts if at <= offset)

    def removed_before(self, offset: int, line_start: int) -> int:
        """File bytes taken out by placeholders between `line_start` and `offset`."""
        return sum(removed for at, removed in self.cuts if line_start <= at <= offset)


class _String:
    """A string that starts with at least `large` base64 characters, being read: decoded
    while it stays strict base64, else passed on as text from where that ends."""

    def __init__(self) -> None:
        self.decoded: io.BytesIO | None = io.BytesIO()
        self.carry = b""  # characters after the last whole group decoded

    def feed(self, raw: bytes, spill: Callable[[bytes], None]) -> None:
        """Take `raw` (none of it the closing quote); text goes to `spill`."""
        if self.decoded is None:
            spill(raw)
        elif not self._decode(raw):
            self._as_text(raw, spill)

    @property
    def held(self) -> int:
        """Bytes decoded so far."""
        return 0 if self.decoded is None else self.decoded.tell()

    def _decode(self, raw: bytes) -> bool:
        """Decode the whole groups that `raw` completes; False, changing nothing, when
        the string is not strict base64 (padding may only end it)."""
        assert self.decoded is not None
        if b"=" in self.carry:  # padding began: only the rest of its group may follow
            if len(self.carry) + len(raw) > 4:
                return False
            self.carry += raw
            return True
        need = -len(self.carry) % 4  # characters of `raw` that complete the carried group
        if len(raw) < need:
            self.carry += raw
            return True
        group = self.carry + raw[:need]
        if b"=" in group:
            if len(raw) > need:
                return False
            self.carry = group
            return True
        padding = raw.find(b"=", need)
        whole = len(raw) if padding < 0 else padding
        whole = need + (whole - need) // 4 * 4
        if len(raw) - whole > 4:
            return False
        try:
            first = binascii.a2b_base64(group, strict_mode=True) if group else b""
            with memoryview(raw)[need:whole] as groups:
                rest = binascii.a2b_base64(groups, strict_mode=True)
        except binascii.Error:
            return False
        self.decoded.write(first)
        self.decoded.write(rest)
        self.carry = raw[whole:]
        return True

    def _as_text(self, raw: bytes, spill: Callable[[bytes], None]) -> None:
        """From now on pass the string on as text, starting with what was decoded (whole
        groups without padding encode back to exactly the characters read)."""
        assert self.decoded is not None
        spill(binascii.b2a_base64(self.decoded.getvalue(), newline=False) + self.carry)
        self.decoded, self.carry = None, b""
        spill(raw)

    def end(self) -> Bulk | bytes:
        """The string read: a Bulk, or the text not yet passed on (without the quote)."""
        if self.decoded is None:
            return b""
        tail = self.carry
        try:
            last = binascii.a2b_base64(tail, strict_mode=True) if len(tail) == 4 else None
        except binascii.Error:
            last = None
        if tail and last is None:  # an incomplete or bad last group: text after all
            return binascii.b2a_base64(self.decoded.getvalue(), newline=False) + tail
        self.decoded.write(last or b"")
        return Bulk(self.decoded.getvalue(), tail)


def _quotes(region: bytes) -> int:
    """The quotes in `region` that open or close a string: not those escaped."""
    if b"\\" in region:
        region = _ESCAPE.sub(b"", region)
    return region.count(b'"')


def read_document(
    file: BinaryIO,
    *,
    max_structure: int,
    max_decoded: int,
    describe: Callable[[str], str],
    large: int = LARGE,
    slice_size: int = _SLICE,
) -> Read:
    """Read `file` to its end, `slice_size` bytes at a time, decoding the strings that
    start with at least `large` base64 characters. Raises TooLarge, with
    `describe("structure")` or `describe("decoded")` as its message, as soon as either
    cap is passed."""
    # Everything else is copied a region at a time: where a string starts, or whether a
    # quote opens or closes one, is told by counting the quotes that are not escaped.
    start = re.compile(b'"[A-Za-z0-9+/]{%d}' % large)
    token = os.urandom(16).hex()
    pieces: list[bytes] = []
    bulks: list[Bulk] = []
    cuts: list[tuple[int, int]] = []
    structure = decoded = 0
    string: _String | None = None  # a large string being read
    started = 0  # the file offset of its opening quote
    inside = False  # whether the region at `pos` starts inside a (small) string
    escaped = False  # the last slice ended with a backslash inside the large string
    buffer = b""  # read and not yet placed: the start of the next slice
    at = 0  # the file offset of `buffer`

    def keep(raw: bytes) -> None:
        nonlocal structure
        structure += len(raw)
        if structure > max_structure:
            raise TooLarge(describe("structure"))
        pieces.append(raw)

    def feed(raw: bytes) -> None:
        assert string is not None
        string.feed(raw, keep)
        if decoded + string.held > max_decoded:
            raise TooLarge(describe("decoded"))

    while True:
        chunk = file.read(slice_size)
        ended = not chunk
        buffer = buffer + chunk if buffer else chunk
        pos = search = 0
        if escaped and buffer:  # the escaped character, which cannot end the string
            feed(buffer[:1])
            pos, escaped = 1, False
        while pos < len(buffer):
            if string is None:
                match = start.search(buffer, search)
                if match is None:
                    # Placed up to what could still begin a large string, and never
                    # between a backslash and the character it escapes.
                    # A run of backslashes pairs from its start (`pos` is never inside a
                    # pair): an odd one ends with a backslash whose character is to come.
                    cut = len(buffer) if ended else max(pos, len(buffer) - large)
                    if not ended:
                        cut -= (cut - pos - len(buffer[pos:cut].rstrip(b"\\"))) % 2
                    region = buffer[pos:cut]
                    keep(region)
                    inside ^= _quotes(region) % 2 == 1
                    pos = cut
                    break
                quote = match.start()
                region = buffer[pos:quote]
                escaped_quote = (len(region) - len(region.rstrip(b"\\"))) % 2 == 1
                opened = inside ^ (_quotes(region) % 2 == 1)  # `quote` is in a string
                if escaped_quote or opened:
                    # Placed with what is before it, so no region is counted twice.
                    keep(buffer[pos : quote + 1])
                    inside = opened and escaped_quote
                    pos = search = quote + 1
                    continue
                keep(buffer[pos : quote + 1])
                string, started, pos = _String(), at + quote, quote + 1
                continue
            # Two searches for one byte each (memchr) outrun one for either of them.
            end = buffer.find(b'"', pos)
            backslash = buffer.find(b"\\", pos, len(buffer) if end < 0 else end)
            if backslash >= 0:  # it and the character it escapes
                stop = min(backslash + 2, len(buffer))
                escaped = backslash + 1 == len(buffer)
                feed(buffer[pos:stop])
                pos = stop
                continue
            if end < 0:
                feed(buffer[pos:])
                pos = len(buffer)
                break
            if pos < end:
                feed(buffer[pos:end])
            read = string.end()
            if isinstance(read, Bulk):
                decoded += len(read.data)
                if decoded > max_decoded:
                    raise TooLarge(describe("decoded"))
                placeholder = f'{token}:{len(bulks)}"'.encode("ascii")
                bulks.append(read)
                keep(placeholder)
                cuts.append((structure, at + end - started - len(placeholder)))
            else:
                keep(read + b'"')
            string, inside, pos = None, False, end + 1
            search = pos
        at += pos
        buffer = buffer[pos:]
        if ended:
            break
    if string is not None:  # the file ends inside a string: json says where
        read = string.end()
        keep(read.text().encode("ascii") if isinstance(read, Bulk) else read)
    return Read(b"".join(pieces), bulks, token, cuts)
