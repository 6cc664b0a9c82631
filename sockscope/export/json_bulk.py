"""Reading a JSON document whose few large strings are base64, without holding them as text.

`json.loads` of a transcript would hold its kept bytes several times over: the file, its
text, the parsed string, and the decoded bytes. Here the file is read a slice at a time;
every string value of at least `LARGE` characters that is strict base64 is decoded as it
is read, straight into one bytes object, and stands in the rest of the document (the
*structure*, parsed by `json` as usual) as a placeholder string no file can guess. So the
kept bytes cost their own size once, and the structure what `json` makes of it.

A large string that is not strict base64 (an escape, a character outside the alphabet,
padding before its end) is kept as text, as `json` would read it: whatever reads the
document then sees the value that is in the file.
"""

from __future__ import annotations

import binascii
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

LARGE = 64 * 1024  # characters from which a string is decoded as it is read
_SLICE = 1 << 20  # bytes read at a time


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
    string `"<token>:<index>"`; `locate` turns a position in `structure` (bytes) into
    the position in the file."""

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
    """The string being read: small ones are collected; from `large` characters on, one
    that is base64 so far is decoded, else passed on as text."""

    def __init__(self, large: int) -> None:
        self.large = large
        self.parts: list[bytes] = []
        self.size = 0
        self.text = False  # an escape or a failed decode: read as text, never decoded
        self.decoded: io.BytesIO | None = None
        self.carry = b""  # characters after the last whole group decoded

    def feed(self, raw: bytes, spill: Callable[[bytes], None]) -> None:
        """Take `raw`; text past `large` characters goes to `spill` as it comes."""
        if self.decoded is None:
            if self.size < self.large:
                self.parts.append(raw)
                self.size += len(raw)
                if self.size < self.large:
                    return
                raw, self.parts = b"".join(self.parts), []
                if not self.text:
                    self.decoded = io.BytesIO()
            if self.decoded is None:
                spill(raw)
                return
        if not self._decode(raw):
            self._as_text(raw, spill)

    @property
    def held(self) -> int:
        """Bytes decoded so far."""
        return 0 if self.decoded is None else self.decoded.tell()

    def _decode(self, raw: bytes) -> bool:
        """Decode the whole groups that `raw` completes; False, changing nothing, when
        the string is not strict base64 (padding may only end it)."""
        assert self.decoded is not None
        if b"=" in self.carry:
            return not raw  # the padded last group: nothing may follow it
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
        if self.decoded is not None:
            spill(binascii.b2a_base64(self.decoded.getvalue(), newline=False) + self.carry)
            self.decoded, self.carry = None, b""
        self.text = True
        spill(raw)

    def end(self) -> Bulk | bytes:
        """The string read: a Bulk, or the raw text not yet passed on (no quotes)."""
        if self.decoded is None:
            return b"".join(self.parts)
        tail = self.carry
        try:
            last = binascii.a2b_base64(tail, strict_mode=True) if len(tail) == 4 else None
        except binascii.Error:
            last = None
        if tail and last is None:  # an incomplete or bad last group: text after all
            return binascii.b2a_base64(self.decoded.getvalue(), newline=False) + tail
        self.decoded.write(last or b"")
        return Bulk(self.decoded.getvalue(), tail)


def read_document(
    file: BinaryIO,
    *,
    max_structure: int,
    max_decoded: int,
    describe: Callable[[str], str],
    large: int = LARGE,
    slice_size: int = _SLICE,
) -> Read:
    """Read `file` to its end, `slice_size` bytes at a time, decoding strings of at least
    `large` characters. Raises TooLarge, with `describe("structure")` or
    `describe("decoded")` as its message, as soon as either cap is passed."""
    token = os.urandom(16).hex()
    pieces: list[bytes] = []
    bulks: list[Bulk] = []
    cuts: list[tuple[int, int]] = []
    structure = decoded = 0
    string: _String | None = None
    started = 0  # the file offset of the string's opening quote
    at = 0  # the file offset of `chunk`
    escaped = False  # the last chunk ended with a backslash inside a string

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

    while chunk := file.read(slice_size):
        pos = 0
        if escaped:  # the escaped character, which cannot end the string
            feed(chunk[:1])
            pos, escaped = 1, False
        while pos < len(chunk):
            if string is None:
                quote = chunk.find(b'"', pos)
                if quote < 0:
                    keep(chunk[pos:])
                    break
                keep(chunk[pos : quote + 1])
                string, started, pos = _String(large), at + quote, quote + 1
                continue
            # Two searches for one byte each (memchr) outrun one for either of them.
            end = chunk.find(b'"', pos)
            backslash = chunk.find(b"\\", pos, len(chunk) if end < 0 else end)
            if backslash >= 0:
                end = backslash
            elif end < 0:
                feed(chunk[pos:])
                break
            if backslash >= 0:  # it and the character it escapes
                string.text = True
                escaped = end + 1 == len(chunk)
                feed(chunk[pos : end + 2])
                pos = end + 2
                continue
            if pos < end:
                feed(chunk[pos:end])
            read = string.end()
            if isinstance(read, Bulk):
                decoded += len(read.data)
                placeholder = f'{token}:{len(bulks)}"'.encode("ascii")
                bulks.append(read)
                keep(placeholder)
                cuts.append((structure, at + end - started - len(placeholder)))
            else:
                keep(read + b'"')
            string, pos = None, end + 1
        at += len(chunk)
    if string is not None:  # the file ends inside a string: json says where
        read = string.end()
        keep(read.text().encode("ascii") if isinstance(read, Bulk) else read)
    return Read(b"".join(pieces), bulks, token, cuts)
