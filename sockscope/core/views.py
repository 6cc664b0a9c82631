"""Views of received bytes: hex dump, Python repr, decoded text, sizes.

Pure functions of the bytes. The hex and repr views work a row at a time from an offset
or a span, so a pane can format only the rows it shows however large the capture.
"""

from __future__ import annotations

import codecs
import re

from sockscope.core.sanitize import Segment, display_segments, sanitize

HEX_WIDTH = 16
_HALF = HEX_WIDTH // 2
# Bytes 0x20-0x7E as themselves, everything else a dot, as `hexdump -C` does.
_GUTTER = bytes(b if 0x20 <= b <= 0x7E else 0x2E for b in range(256))


def hexdump_line(data: bytes, offset: int) -> str:
    """The `hexdump -C` row for the HEX_WIDTH bytes at `offset` (a short last row is
    padded so that its gutter lines up with the rows above)."""
    chunk = data[offset : offset + HEX_WIDTH]
    left = chunk[:_HALF].hex(" ")
    right = chunk[_HALF:].hex(" ")
    gutter = chunk.translate(_GUTTER).decode("ascii")
    width = 3 * _HALF - 1
    return f"{offset:08x}  {left:<{width}}  {right:<{width}}  |{gutter}|"


def hexdump_lines(data: bytes) -> list[str]:
    return [hexdump_line(data, offset) for offset in range(0, len(data), HEX_WIDTH)]


def line_spans(data: bytes, max_len: int = 256) -> list[tuple[int, int]]:
    """(start, end) of each line: a span ends after an LF, or after `max_len` bytes."""
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    spans: list[tuple[int, int]] = []
    start = 0
    size = len(data)
    while start < size:
        newline = data.find(b"\n", start, start + max_len)
        end = newline + 1 if newline != -1 else min(start + max_len, size)
        spans.append((start, end))
        start = end
    return spans


def repr_line(chunk: bytes) -> str:
    """Python's repr of the bytes: ASCII only, so safe on any terminal as it is."""
    return repr(chunk)


def repr_lines(data: bytes, max_len: int = 256) -> list[str]:
    return [repr_line(data[start:end]) for start, end in line_spans(data, max_len)]


# ---- decoded text ------------------------------------------------------------------------

ENCODINGS: tuple[str, ...] = (
    "utf-8",
    "ascii",
    "latin-1",
    "cp1252",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
)
# Python's canonical codec name -> the name sockscope shows, so aliases such as "utf8",
# "ISO-8859-1" or "windows-1252" are accepted.
_CANONICAL = {codecs.lookup(name).name: name for name in ENCODINGS}


def check_encoding(name: str) -> str:
    """The sockscope name of encoding `name`, or ValueError naming the choices."""
    try:
        canonical = codecs.lookup(name.strip()).name
    except LookupError:
        canonical = ""
    if canonical not in _CANONICAL:
        raise ValueError(
            f'unknown encoding "{sanitize(name[:40])}"; choose one of {", ".join(ENCODINGS)}'
        )
    return _CANONICAL[canonical]


# Undecodable bytes become lone surrogates U+DC00 + byte, which the sanitiser shows as
# `\xNN` tokens. "surrogateescape" does that for bytes from 0x80 up, the only ones that
# UTF-8, ASCII and cp1252 can reject; UTF-16 may reject any byte (an odd last byte, half a
# surrogate pair), so it gets a handler that marks the low ones too. The strict decoders
# never produce lone surrogates themselves, so the marks are unambiguous.
_UTF16_ERRORS = "sockscope.utf16-bytes"


def _mark_bytes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + byte) for byte in bad), error.end


codecs.register_error(_UTF16_ERRORS, _mark_bytes)

# The sanitiser shows the marks of bytes below 0x80 as `\udcNN`, like any lone surrogate.
_LOW_MARK_TOKEN = re.compile(r"\\udc([0-7][0-9a-f])")


def _decode(data: bytes, encoding: str) -> str:
    encoding = check_encoding(encoding)
    if encoding == "utf-16":
        encoding, data = _utf16_order(data)
    if encoding.startswith("utf-16"):
        return data.decode(encoding, _UTF16_ERRORS)
    return data.decode(encoding, "surrogateescape")


def _utf16_order(data: bytes) -> tuple[str, bytes]:
    """The byte order of UTF-16 `data`, and the data without its byte order mark."""
    if data[:2] == codecs.BOM_UTF16_LE:
        return "utf-16-le", data[2:]
    if data[:2] == codecs.BOM_UTF16_BE:
        return "utf-16-be", data[2:]
    # No mark: mostly-Latin text has its zero bytes on the high side of each unit.
    if data[1::2].count(0) > data[0::2].count(0):
        return "utf-16-le", data
    return "utf-16-be", data  # RFC 2781's default


def _segments(text: str) -> list[Segment]:
    return [
        (_LOW_MARK_TOKEN.sub(r"\\x\1", chunk) if is_token else chunk, is_token)
        for chunk, is_token in display_segments(text)
    ]


def decode_segments(data: bytes, encoding: str) -> list[Segment]:
    """`data` decoded and sanitised; each undecodable byte becomes a `\\xNN` token.

    `utf-16` follows a byte order mark, else guesses the order from the zero bytes.
    """
    return _segments(_decode(data, encoding))


def decoded_lines(data: bytes, encoding: str, max_len: int = 256) -> list[list[Segment]]:
    """The decoded text as lines (without their LF), each cut every `max_len` characters."""
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    text = _decode(data, encoding)
    if not text:
        return []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return [
        _segments(line[start : start + max_len])
        for line in lines
        for start in range(0, max(len(line), 1), max_len)
    ]


def human_bytes(n: int) -> str:
    """`1 byte`, `1,024 bytes`, `12.5 KiB`, `1.5 MiB`: exact below 10 KiB, else binary units."""
    if abs(n) < 10 * 1024:
        return "1 byte" if n == 1 else f"{n:,} bytes"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if abs(value) < 1024 or unit == "TiB":
            break
    return f"{value:,.1f} {unit}"
