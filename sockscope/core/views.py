"""Views of received bytes: hex dump, Python repr, decoded text, sizes.

Pure functions of the bytes. The hex and repr views work a row at a time from an offset
or a span, so a pane can format only the rows it shows however large the capture.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from itertools import accumulate

from sockscope.core.sanitize import Segment, display_segments, sanitize

HEX_WIDTH = 16
# Row widths a view may choose from, widest first (narrow panes take fewer bytes a row).
HEX_WIDTHS: tuple[int, ...] = (16, 8, 4)
# Bytes 0x20-0x7E as themselves, everything else a dot, as `hexdump -C` does.
_GUTTER = bytes(b if 0x20 <= b <= 0x7E else 0x2E for b in range(256))


def _check_hex_width(width: int) -> None:
    if width not in HEX_WIDTHS:
        raise ValueError(f"bytes per row must be one of {', '.join(map(str, HEX_WIDTHS))}")


def hexdump_line(data: bytes | memoryview, offset: int, width: int = HEX_WIDTH) -> str:
    """The `hexdump -C` row for the `width` bytes at `offset` (16, 8 or 4): the offset,
    two groups of hex, the gutter. A short last row is padded so that its gutter lines
    up with the rows above."""
    _check_hex_width(width)
    half = width // 2
    chunk = bytes(data[offset : offset + width])
    left = chunk[:half].hex(" ")
    right = chunk[half:].hex(" ")
    gutter = chunk.translate(_GUTTER).decode("ascii")
    group = 3 * half - 1
    return f"{offset:08x}  {left:<{group}}  {right:<{group}}  |{gutter}|"


# Bytes formatted per hex() call by hexdump_rows: a call per block, not per row, keeps
# the cost of each call off every row.
_HEX_BLOCK = 64 * 1024


def hexdump_rows(data: bytes, width: int = HEX_WIDTH) -> Iterator[str]:
    """Every `hexdump_line` of `data` in order, made a block of rows at a time."""
    _check_hex_width(width)
    half = width // 2
    group = 3 * half - 1
    for block in range(0, len(data), _HEX_BLOCK):
        chunk = data[block : block + _HEX_BLOCK]
        whole = len(chunk) - len(chunk) % width
        digits = chunk[:whole].hex(" ")
        gutter = chunk[:whole].translate(_GUTTER).decode("ascii")
        for at in range(0, whole, width):
            left = digits[3 * at : 3 * at + group]
            right = digits[3 * (at + half) : 3 * (at + half) + group]
            yield f"{block + at:08x}  {left}  {right}  |{gutter[at : at + width]}|"
        if whole < len(chunk):
            yield hexdump_line(data, block + whole, width)


def hexdump_row_length(width: int) -> int:
    """Characters in a full row of `width` bytes (78 for 16, 46 for 8, 30 for 4)."""
    _check_hex_width(width)
    return 8 + 2 + 2 * (3 * (width // 2) - 1) + 2 + 2 + width + 2


def hexdump_columns(
    first: int, last: int, width: int = HEX_WIDTH
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The characters of a `hexdump_line` row that show its bytes [first, last) (indexes
    within the row, 0 <= first < last <= width): (start, end) in the hex columns, the
    gap between the two groups included when the bytes cross it, and in the gutter."""
    _check_hex_width(width)
    half = width // 2

    def hex_at(index: int) -> int:
        return 10 + 3 * index + (index >= half)

    gutter = 15 + 2 * (3 * half - 1)  # after the offset, both groups and ` |`
    return (hex_at(first), hex_at(last - 1) + 2), (gutter + first, gutter + last)


def hex_width_for(columns: int, widths: tuple[int, ...] = HEX_WIDTHS) -> int:
    """The widest bytes-per-row of `widths` (widest first) whose rows fit in `columns`;
    the narrowest if none does."""
    return next((w for w in widths if hexdump_row_length(w) <= columns), widths[-1])


def line_spans(data: bytes, max_len: int = 256) -> list[tuple[int, int]]:
    """(start, end) of each line: a span ends after an LF, or after `max_len` bytes."""
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    starts, last = _line_starts(data, max_len, 0, len(data))
    return _spans(starts, last, len(data))


def _spans(starts: list[int], last: int, size: int) -> list[tuple[int, int]]:
    """Spans from row starts, the start of the last row, and where that row ends."""
    if last < size:
        starts.append(last)
    return list(zip(starts, [*starts[1:], size], strict=False))


def _line_starts(
    data: bytes | memoryview, max_len: int, start: int, stop: int
) -> tuple[list[int], int]:
    """`row_starts` for a bytewise split (an LF is one byte): at C speed for text lines,
    which are split by `bytes.split` and summed by `accumulate`, not found one by one."""
    pieces = bytes(data[start:stop]).split(b"\n")
    tail = len(pieces.pop())  # the bytes after the last LF: a row still open
    lengths = [len(piece) + 1 for piece in pieces]
    if not lengths or max(lengths) <= max_len:
        starts = list(accumulate(lengths, initial=start))
    else:
        starts = [start]
        for length in lengths:
            # A long line is cut every max_len bytes; the cut before its LF ends it.
            at = starts.pop()
            starts.extend(range(at, at + length, max_len))
            starts.append(at + length)
    # The open row's starts are final only where a whole max_len of it has arrived.
    last = starts.pop()
    full = tail // max_len
    starts.extend(range(last, last + full * max_len, max_len))
    return starts, last + full * max_len


def repr_line(chunk: bytes) -> str:
    """Python's repr of the bytes: ASCII only, so safe on any terminal as it is."""
    return repr(chunk)


def _repr_widths(quote: int) -> bytes:
    """How many characters repr() writes for each byte value, inside `quote` quotes."""
    widths = bytearray(256)
    for byte in range(256):
        if byte in (0x5C, quote, 0x09, 0x0A, 0x0D):
            widths[byte] = 2  # \\ \' \t \n \r
        else:
            widths[byte] = 1 if 0x20 <= byte < 0x7F else 4  # \xNN
    return bytes(widths)


_REPR_WIDTHS = {quote: _repr_widths(quote) for quote in (0x22, 0x27)}


def repr_columns(chunk: bytes) -> list[int]:
    """Where each byte's form starts in `repr_line(chunk)`, then where the last one ends:
    the columns to highlight for a span of the bytes."""
    # repr() picks double quotes for bytes holding a single quote and no double one.
    widths = _REPR_WIDTHS[0x22 if b"'" in chunk and b'"' not in chunk else 0x27]
    columns = [2]  # after b'
    for byte in chunk:
        columns.append(columns[-1] + widths[byte])
    return columns


def repr_lines(data: bytes, max_len: int = 256) -> list[str]:
    return list(repr_rows(data, max_len))


def repr_rows(data: bytes, max_len: int = 256) -> Iterator[str]:
    """`repr_lines`, a row at a time."""
    return (repr_line(data[start:end]) for start, end in line_spans(data, max_len))


# ---- decoded text ------------------------------------------------------------------------

# Python's canonical codec name -> the name sockscope shows (ENCODINGS, in this order),
# so aliases such as "utf8", "ISO-8859-1" or "windows-1252" are accepted. Written out
# rather than looked up: each lookup imports that codec's module, and a command checks
# one name (a test holds this table to Python's lookups).
CANONICAL = {
    "utf-8": "utf-8",
    "ascii": "ascii",
    "iso8859-1": "latin-1",
    "cp1252": "cp1252",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
}
ENCODINGS: tuple[str, ...] = tuple(CANONICAL.values())


def check_encoding(name: str) -> str:
    """The sockscope name of encoding `name`, or ValueError naming the choices."""
    try:
        canonical = codecs.lookup(name.strip()).name
    except LookupError:
        canonical = ""
    if canonical not in CANONICAL:
        raise ValueError(
            f'unknown encoding "{sanitize(name[:40])}"; choose one of {", ".join(ENCODINGS)}'
        )
    return CANONICAL[canonical]


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


# Enough units to tell the byte order of mostly-Latin text, and cheap on any capture, so
# a row decoded on its own finds the same order as the whole buffer would.
_ORDER_SAMPLE = 64 * 1024


def _utf16_order(data: bytes) -> tuple[str, bytes]:
    """The byte order of UTF-16 `data`, and the data without its byte order mark."""
    codec, mark = _utf16_layout(data)
    return codec, data[mark:]


def _utf16_layout(data: bytes | memoryview) -> tuple[str, int]:
    """The byte order of UTF-16 `data` and the length of its byte order mark (0 or 2)."""
    if data[:2] == codecs.BOM_UTF16_LE:
        return "utf-16-le", 2
    if data[:2] == codecs.BOM_UTF16_BE:
        return "utf-16-be", 2
    # No mark: mostly-Latin text has its zero bytes on the high side of each unit.
    sample = bytes(data[:_ORDER_SAMPLE])
    if sample[1::2].count(0) > sample[0::2].count(0):
        return "utf-16-le", 0
    return "utf-16-be", 0  # RFC 2781's default


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


# ---- decoded text, one row at a time ----------------------------------------------------
# A pane draws only the rows on screen, so each row is decoded from its byte span on its
# own: the spans end after an encoded LF (one byte, or one UTF-16 code unit) or every
# `max_len` bytes, and a character cut by such a limit goes whole to the row holding its
# first byte.


def row_spans(
    data: bytes, encoding: str, max_len: int = 256, start: int = 0
) -> list[tuple[int, int]]:
    """(start, end) byte spans of the decoded rows of `data` from offset `start` (the
    start of a row: 0, or where an earlier call's last row began, for a growing buffer)."""
    starts, last = row_starts(data, encoding, max_len, start)
    return _spans(starts, last, len(data))


def row_starts(
    data: bytes | memoryview,
    encoding: str,
    max_len: int = 256,
    start: int = 0,
    stop: int | None = None,
) -> tuple[list[int], int]:
    """The rows of `data[:stop]` from offset `start` (a row start) that are complete,
    as their start offsets, and the start of the row still open (where a later call
    goes on: with a larger `stop`, or once a growing buffer has more bytes). An index
    can so be built a block at a time; the open row runs to the end of the data."""
    if max_len < 2:
        raise ValueError(f"max_len must be at least 2, got {max_len}")
    size = len(data) if stop is None else min(stop, len(data))
    encoding = check_encoding(encoding)
    if not encoding.startswith("utf-16"):
        return _line_starts(data, max_len, start, size)
    codec, mark = _utf16_codec(data, encoding)
    newline = "\n".encode(codec)
    step = max_len - max_len % 2
    starts: list[int] = []
    row = start
    # The byte order mark belongs to the first row, which shows nothing of it.
    scan = max(start, mark)
    while scan < size:
        end = scan + step
        piece = bytes(data[scan : min(end, size)])
        found = piece.find(newline)
        # Only a whole code unit counts: 0x0A 0x00 at an odd distance is two halves.
        while found != -1 and found % 2:
            found = piece.find(newline, found + 1)
        if found != -1:
            end = scan + found + 2
        elif end > size:
            break  # neither a line feed nor max_len yet: the row is still open
        starts.append(row)
        row = scan = end
    return starts, row


def decoded_row(data: bytes | memoryview, start: int, end: int, encoding: str) -> list[Segment]:
    """The row of `data[start:end]` (a `row_spans` span) decoded and sanitised, without
    its line feed. A character cut at either end of the span belongs to the row that
    holds its first byte, so every character is shown once and whole."""
    encoding = check_encoding(encoding)
    if encoding.startswith("utf-16"):
        codec, mark = _utf16_codec(data, encoding)
        start = max(start, mark)
        start, end = _whole_utf16(data, start, end, codec)
        chunk = bytes(data[start:end])
        newline = "\n".encode(codec)
        if chunk.endswith(newline) and len(chunk) % 2 == 0:
            chunk = chunk[:-2]
        return _segments(chunk.decode(codec, _UTF16_ERRORS))
    if encoding == "utf-8":
        start, end = _whole_utf8(data, start, end)
    chunk = bytes(data[start:end])
    if chunk.endswith(b"\n"):
        chunk = chunk[:-1]
    return _segments(chunk.decode(encoding, "surrogateescape"))


def _utf16_codec(data: bytes | memoryview, encoding: str) -> tuple[str, int]:
    """The byte-order-specific codec for `encoding` and the mark length to skip."""
    if encoding == "utf-16":
        return _utf16_layout(data)
    return encoding, 0


def _is_continuation(byte: int) -> bool:
    return 0x80 <= byte <= 0xBF


def _whole_utf8(data: bytes | memoryview, start: int, end: int) -> tuple[int, int]:
    # A row cut inside a character: its continuation bytes (at most 3) follow its lead.
    if start > 0 and data[start - 1] != 0x0A:
        limit = min(start + 3, len(data))
        while start < limit and _is_continuation(data[start]):
            start += 1
    if end < len(data) and data[end - 1] != 0x0A:
        limit = min(end + 3, len(data))
        while end < limit and _is_continuation(data[end]):
            end += 1
    return start, max(start, end)


def _surrogate_at(data: bytes | memoryview, at: int, codec: str, first: int) -> bool:
    """Whether the code unit at `at` is a surrogate half starting with byte `first`
    (0xD8 for high halves, 0xDC for low halves)."""
    unit = data[at : at + 2]
    if at < 0 or len(unit) < 2:
        return False
    high = unit[1] if codec == "utf-16-le" else unit[0]
    return first <= high <= first + 3


def _cuts_pair(data: bytes | memoryview, at: int, codec: str) -> bool:
    return _surrogate_at(data, at - 2, codec, 0xD8) and _surrogate_at(data, at, codec, 0xDC)


def _whole_utf16(data: bytes | memoryview, start: int, end: int, codec: str) -> tuple[int, int]:
    # A surrogate pair cut in two: the low half goes with the high half's row.
    if _cuts_pair(data, start, codec):
        start += 2
    if _cuts_pair(data, end, codec):
        end += 2
    return start, end


def goes_on(data: bytes | memoryview, previous: bytes | memoryview) -> bool:
    """Whether `data` starts with `previous`: a capture that grew. Two views of one buffer
    are taken to be two of its prefixes (Tally's views of an exchange's ReceiveBuffer,
    which only fills: its first bytes never change), so megabytes are not compared."""
    if len(data) < len(previous):
        return False
    if (
        isinstance(data, memoryview)
        and isinstance(previous, memoryview)
        and data.obj is previous.obj
    ):
        return True
    if isinstance(data, bytes):
        return data.startswith(previous)
    return data[: len(previous)] == previous


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
