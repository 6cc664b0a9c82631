"""The one display sanitiser: text in, text that is safe to put on a terminal out.

Everything a server sends reaches the screen through `display_segments` (or its joined
form, `sanitize`). Characters a terminal could act on, or that hide or reorder text,
become visible stand-ins ("tokens") that the UI styles apart from real text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from itertools import groupby

Segment = tuple[str, bool]  # (text, is_token)

# Printable ASCII, LF and TAB are safe as they are, so ordinary text costs one C-level
# split; only the runs of anything else are looked at in Python.
_SUSPECT = re.compile(r"([^\x20-\x7e\n\t]+)")


class _Tokens(dict[int, str]):
    """A `str.translate` table from an unsafe character to its token text."""

    def __missing__(self, code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


# C0 controls become their control pictures (U+2400 + code), DEL its picture, C1 the
# `\x9b` form people know from byte dumps. Lone surrogates U+DC80-U+DCFF are how Python
# carries undecodable bytes ("surrogateescape", PEP 383), so they show as the byte they
# stand for. Everything else falls to `__missing__`.
_TOKENS = _Tokens(
    {code: chr(0x2400 + code) for code in range(0x20)}
    | {0x7F: "\u2421"}
    | {code: f"\\x{code:02x}" for code in range(0x80, 0xA0)}
    | {code: f"\\x{code - 0xDC00:02x}" for code in range(0xDC80, 0xDD00)}
)


# Deleting these from text leaves nothing when it is printable ASCII, LF and TAB only.
_SAFE_ASCII = bytes(range(0x20, 0x7F)) + b"\n\t"


def _all_safe(text: str) -> bool:
    # Checked at C speed: megabytes of hex, repr and plain text rows are all safe ASCII,
    # and the split below costs ten times as much to find that out.
    return text.isascii() and not text.encode("ascii").translate(None, _SAFE_ASCII)


def _is_unsafe(ch: str) -> bool:
    # isprintable() is False exactly for categories C* and Z* except the ASCII space;
    # of those only the ordinary spaces (Zs) are safe to show. LF and TAB never get here.
    return not ch.isprintable() and unicodedata.category(ch) != "Zs"


def display_segments(text: str) -> list[Segment]:
    """Split `text` into runs of original text and tokens standing for unsafe characters.

    Segments alternate: adjacent unsafe characters share one token segment, and every
    non-token segment is exactly the original text at that place.
    """
    if _all_safe(text):
        return [(text, False)] if text else []
    segments: list[Segment] = []
    pending: list[str] = []  # pieces of the segment being built
    pending_unsafe = False
    for index, part in enumerate(_SUSPECT.split(text)):
        if index % 2 == 0 or part.isprintable():
            runs: tuple[tuple[bool, str], ...] = ((False, part),)
        elif part.isascii():  # C0 and DEL only: the common case, a CR before each LF
            runs = ((True, part),)
        else:
            runs = tuple((unsafe, "".join(g)) for unsafe, g in groupby(part, _is_unsafe))
        for unsafe, run in runs:
            if unsafe is not pending_unsafe and pending:
                _flush(segments, pending, pending_unsafe)
                pending = []
            pending_unsafe = unsafe
            pending.append(run)
    _flush(segments, pending, pending_unsafe)
    return segments


def _flush(segments: list[Segment], pieces: list[str], unsafe: bool) -> None:
    chunk = "".join(pieces)
    if chunk:
        segments.append((chunk.translate(_TOKENS) if unsafe else chunk, unsafe))


def sanitize(text: str) -> str:
    """`text` with every unsafe character replaced by its token, for plain output."""
    if _all_safe(text):
        return text
    return "".join(chunk for chunk, _ in display_segments(text))


_LINE_BREAKS = re.compile(r"([\n\t])")
_ONE_LINE_TOKENS = {"\n": "\u2424", "\t": "\u2409"}
_LINE_TOKENS = str.maketrans(_ONE_LINE_TOKENS)


def sanitize_line(text: str) -> str:
    """`sanitize`d, and on one line: newlines and tabs become tokens too, so text quoted
    in a message or a listing row cannot start a line of its own."""
    return sanitize(text).translate(_LINE_TOKENS)


def one_line(parts: Iterable[Segment]) -> Iterator[Segment]:
    """`display_segments` for one line: newlines and tabs become tokens too, for a row of
    a table or a message quoting text (a raw newline would start a forged line)."""
    for text, is_token in parts:
        if is_token:
            yield text, True
            continue
        for piece in _LINE_BREAKS.split(text):
            if piece in _ONE_LINE_TOKENS:
                yield _ONE_LINE_TOKENS[piece], True
            elif piece:
                yield piece, False
