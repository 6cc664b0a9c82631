"""The request-editing syntax, and hex input.

Text: a literal newline is an LF byte; `\\r \\n \\t \\0 \\\\ \\xNN` are escapes; any other
character is sent as UTF-8. So the editor shows `GET / HTTP/1.1\\r` on one line and the
next header on the next line. Hex: pairs of digits, separated by whitespace, `:` or `,`
as the user likes, each optionally written `0x41`.
"""

from __future__ import annotations

import re

from sockscope.core.sanitize import sanitize

_SIMPLE_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\"}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class PayloadError(ValueError):
    """Text that is not valid payload (or hex) syntax.

    `column` and `line` are 1-based and point at the offending character; `text` is the
    whole text that failed. `str()` is one plain sentence naming the place and the fix.
    """

    def __init__(self, text: str, offset: int, problem: str) -> None:
        self.text = text
        self.offset = offset
        self.line = text.count("\n", 0, offset) + 1
        self.column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        self.problem = problem
        where = f"column {self.column}"
        if self.line > 1:
            where = f"line {self.line}, {where}"
        super().__init__(f"{where}: {problem}")


def _quote(excerpt: str) -> str:
    return '"' + sanitize(excerpt) + '"'


# ---- text ------------------------------------------------------------------------------


def parse_text(text: str) -> bytes:
    """Bytes of `text` in payload syntax; raises PayloadError naming the column."""
    out = bytearray()
    pos = 0
    while (slash := text.find("\\", pos)) != -1:
        out += _encode(text, pos, slash)
        letter = text[slash + 1 : slash + 2]  # what follows the backslash
        if letter in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[letter]
            pos = slash + 2
        elif letter == "x":
            digits = text[slash + 2 : slash + 4]
            if len(digits) < 2 or not _HEX_DIGITS.issuperset(digits):
                found = _quote(text[slash : slash + 4])
                raise PayloadError(
                    text, slash, f"\\x needs two hex digits, e.g. \\x0d (found {found})"
                )
            out.append(int(digits, 16))
            pos = slash + 4
        elif letter == "":
            raise PayloadError(
                text, slash, 'the text ends with a lone "\\" (write "\\\\" for a backslash)'
            )
        else:
            raise PayloadError(
                text,
                slash,
                f'unknown escape {_quote(text[slash : slash + 2])} (write "\\\\" for a '
                "backslash; escapes are \\r \\n \\t \\0 \\\\ \\xNN)",
            )
    out += _encode(text, pos, len(text))
    return bytes(out)


def _encode(text: str, start: int, end: int) -> bytes:
    try:
        return text[start:end].encode("utf-8")
    except UnicodeEncodeError as exc:
        # Only a lone surrogate (from a broken paste) has no UTF-8 form.
        offset = start + exc.start
        raise PayloadError(
            text,
            offset,
            f"U+{ord(text[offset]):04X} is a lone surrogate with no UTF-8 form "
            "(write the bytes you mean as \\xNN)",
        ) from None


# Bytes that format_text writes as themselves: printable ASCII except backslash, and LF.
# Everything else is examined after decoding (undecodable bytes arrive as surrogates).
_FORMAT_SPECIAL = re.compile(r"[^\x20-\x5b\x5d-\x7e\n]")
_FORMAT_NAMED = {"\\": "\\\\", "\r": "\\r", "\t": "\\t"}


def _format_char(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _FORMAT_NAMED:
        return _FORMAT_NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, via surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code > 0x7F and ch.isprintable():
        return ch
    # surrogatepass: a lone surrogate in pasted text (escape_text) has no UTF-8 form.
    return "".join(f"\\x{byte:02x}" for byte in ch.encode("utf-8", "surrogatepass"))


def format_text(data: bytes) -> str:
    """`data` in payload syntax, so that `parse_text(format_text(data)) == data`.

    Printable text (UTF-8 included) stays as it is, LF is a line break, CR is `\\r`, TAB
    `\\t`, a backslash `\\\\`, and every other byte `\\xNN`.
    """
    return _FORMAT_SPECIAL.sub(_format_char, data.decode("utf-8", "surrogateescape"))


# Characters of a text that format_text would escape, but for the backslash and the tab:
# the text may already be payload syntax, and a tab is drawn as spaces.
_ESCAPE_SPECIAL = re.compile(r"[^\x20-\x7e\n\t]")


def escape_text(text: str) -> str:
    """Payload text from elsewhere (a paste) that says the same bytes without a control,
    bidi or invisible character in it: each of those becomes `\\r` or `\\xNN` of its
    UTF-8 bytes, as format_text writes them, so `parse_text` gives the same bytes (a lone
    surrogate, which has no bytes, gives its surrogatepass ones instead of a refusal)."""
    return _ESCAPE_SPECIAL.sub(_format_char, text)


# ---- hex -------------------------------------------------------------------------------

_HEX_SEPARATORS = frozenset(" \t\r\n\f\v:,")


def parse_hex(text: str) -> bytes:
    """Bytes from hex digits; raises PayloadError naming the column of the bad digit."""
    out = bytearray()
    pos = 0
    size = len(text)
    while pos < size:
        ch = text[pos]
        if ch in _HEX_SEPARATORS:
            pos += 1
            continue
        if ch == "0" and text[pos + 1 : pos + 2] in ("x", "X"):
            pos += 2
        start = pos
        while pos < size and text[pos] in _HEX_DIGITS:
            pos += 1
        run = text[start:pos]
        if pos < size and text[pos] not in _HEX_SEPARATORS:
            raise PayloadError(
                text,
                pos,
                f"{_quote(text[pos])} is not a hex digit (use 0-9 and a-f; spaces, "
                '":" and "," may separate bytes)',
            )
        if not run:
            raise PayloadError(text, start - 2, '"0x" needs hex digits after it, e.g. 0x0d')
        if len(run) % 2:
            raise PayloadError(
                text,
                pos - 1,
                f"{_quote(run[-8:])} has an odd number of hex digits; each byte needs two, "
                f"e.g. 0{run[-1]}",
            )
        out += bytes.fromhex(run)
    return bytes(out)


def format_hex(data: bytes) -> str:
    """`47 45 54 20 ...`, lowercase, sixteen bytes to a line."""
    return "\n".join(data[i : i + 16].hex(" ") for i in range(0, len(data), 16))


# ---- line endings ----------------------------------------------------------------------

_BARE_LF = re.compile(rb"(?<!\r)\n")


def to_crlf(data: bytes) -> bytes:
    """Every bare LF made CRLF; existing CRLF pairs stay as they are."""
    return _BARE_LF.sub(b"\r\n", data)


def bare_lf_lines(data: bytes) -> list[int]:
    """1-based numbers of the lines that end in an LF without a CR before it."""
    lines: list[int] = []
    line = 1
    pos = 0
    for match in _BARE_LF.finditer(data):
        line += data.count(b"\n", pos, match.start())
        lines.append(line)
        line += 1
        pos = match.end()
    return lines
