"""Reply-line parsers for the line protocols: SMTP, FTP, POP3, IMAP, NNTP and redis.

Each parser splits the received bytes of a dialogue into `Reply` objects and never
raises, whatever the bytes. `code` is what the protocol uses to say how it went (the
three digits of SMTP/FTP/NNTP, `+OK`/`-ERR` of POP3, the tag of IMAP, the type byte of
redis), `lines` hold the text after it, one entry per line, line endings removed and
decoded as UTF-8 (undecodable bytes become U+FFFD; the raw view keeps the bytes).
A line that fits no reply shape becomes a reply of its own with code None.
`complete` says whether the reply's end arrived: its last line ended in LF, and any
data block or literal it announced has been received in full.

`span` says where a reply's bytes are in the data parsed (line ends, a block's `.` line
and a literal's bytes included) and `line_spans` where each of `lines` came from: what
a view highlights when the reply or one of its lines is chosen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sockscope.core.http.head import Span, find
from sockscope.core.views import human_bytes

MAX_COUNT_DIGITS = 18  # byte and element counts; keeps int() cheap on hostile digits
MAX_LINES = 100_000  # lines parsed into replies; the rest is named, not listed


@dataclass(frozen=True)
class Reply:
    code: str | None
    lines: list[str]
    multiline: bool
    complete: bool
    status: str | None = None  # IMAP: OK, NO, BAD, PREAUTH or BYE when the line says so
    # Where the bytes are; not compared: two replies are equal when they say the same.
    span: Span | None = field(default=None, compare=False)
    line_spans: tuple[Span, ...] = field(default=(), compare=False)  # one per line


def _reply(
    code: bytes | str | None,
    lines: list[str],
    spans: list[Span],
    complete: bool,
    end: int,
    *,
    start: int | None = None,
    multiline: bool | None = None,
    status: str | None = None,
) -> Reply:
    """A reply of `lines` (from the bytes `spans`) from byte `start` (else where its
    first line starts) to `end`; multi-line when it has more than one line unless told."""
    if isinstance(code, bytes):
        code = code.decode()
    if multiline is None:
        multiline = len(lines) > 1
    span = (spans[0][0] if start is None else start, end)
    return Reply(code, lines, multiline, complete, status, span, tuple(spans))


def parse_replies(data: bytes | memoryview, protocol: str) -> list[Reply]:
    """Split `data` into the replies of `protocol` (smtp, ftp, pop3, imap, nntp, redis).

    Raises ValueError only for an unknown protocol name, never for the bytes.
    """
    parser = _PARSERS.get(protocol.lower())
    if parser is None:
        raise ValueError(
            f"unknown reply protocol {protocol!r}: choose one of {', '.join(_PARSERS)}"
        )
    reader = _Reader(data)
    replies = parser(reader)
    if reader.pos < len(reader.data):
        rest = (reader.pos, len(reader.data))
        replies.append(cut_note(len(reader.data) - reader.pos, f"{MAX_LINES:,} lines", rest))
    return replies


def cut_note(left: int, parsed: str, span: Span | None = None) -> Reply:
    """The last row of a listing cut at its bound: what was left (its bytes: `span`) and
    where it stopped."""
    note = f"… {human_bytes(left)} more not parsed: replies are listed for the first {parsed}"
    return Reply(None, [note], False, False, None, span, () if span is None else (span,))


class _Reader:
    """Lines (without CR LF) and counted byte runs from the received data, up to
    MAX_LINES lines: each line becomes objects, and a server can send millions."""

    def __init__(self, data: bytes | memoryview) -> None:
        self.data = data  # read where it is: a line or a run is copied when taken
        self.pos = 0
        self.lines = 0
        self.last: Span = (0, 0)  # the bytes of the last line read, its line end included

    def line(self) -> tuple[bytes, bool] | None:
        """The next line and whether its LF arrived; None at the end of the data or
        once MAX_LINES lines are read."""
        if self.pos >= len(self.data) or self.lines >= MAX_LINES:
            return None
        self.lines += 1
        newline = find(self.data, b"\n", self.pos, len(self.data))
        ended = newline != -1
        end = newline if ended else len(self.data)
        raw = bytes(self.data[self.pos : end])
        start = self.pos
        self.pos = end + 1 if ended else end
        self.last = (start, self.pos)
        return (raw[:-1] if raw.endswith(b"\r") else raw), ended

    def peek(self) -> bytes | None:
        """The next line without consuming it, or None at the end of the data."""
        start, lines, last = self.pos, self.lines, self.last
        item = self.line()
        self.pos, self.lines, self.last = start, lines, last
        return None if item is None else item[0]

    def text_lines(self, raw: bytes, lines: list[str], spans: list[Span]) -> None:
        """Add `raw` (a counted run just taken) to `lines` as lines of text, counted like
        the others (past MAX_LINES the rest stays one line), and their bytes to `spans`."""
        parts = raw.split(b"\n", max(0, MAX_LINES - self.lines - 1))
        self.lines += len(parts)
        at = self.pos - len(raw)
        for line in parts:
            end = min(at + len(line) + 1, self.pos)
            lines.append(_text(line[:-1] if line.endswith(b"\r") else line))
            spans.append((at, end))
            at = end

    def take(self, count: int) -> bytes:
        run = bytes(self.data[self.pos : self.pos + count])
        self.pos += len(run)
        return run


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


# --- SMTP and FTP: "250-" continues, "250 " ends --------------------------------------

_CODED = re.compile(rb"([0-9]{3})(?:([ -])(.*))?", re.S)


def _coded_replies(reader: _Reader, ftp: bool) -> list[Reply]:
    """SMTP (RFC 5321 4.2) and FTP (RFC 959 4.2) multi-line replies.

    A reply that starts with `123-` runs to a line starting `123 ` (or just `123`).
    FTP allows any text on the lines between; SMTP wants the code on each, so there a
    different code ends the open reply as incomplete and starts the next. Lines without
    a code inside an open reply belong to it in both.
    """
    replies: list[Reply] = []
    code: bytes | None = None  # of the open multi-line reply
    lines: list[str] = []
    spans: list[Span] = []
    while (item := reader.line()) is not None:
        raw, ended = item
        match = _CODED.fullmatch(raw)
        line = reader.last
        if code is not None:
            if match and match.group(1) == code:
                lines.append(_text(match.group(3) or b""))
                spans.append(line)
                if match.group(2) != b"-" or not ended:
                    replies.append(_reply(code, lines, spans, ended, line[1], multiline=True))
                    code = None
                continue
            if ftp or not match:
                lines.append(_text(raw))
                spans.append(line)
                if not ended:
                    replies.append(_reply(code, lines, spans, False, line[1], multiline=True))
                    code = None
                continue
            replies.append(_reply(code, lines, spans, False, line[0]))
            code = None
        if match is None:
            replies.append(_reply(None, [_text(raw)], [line], ended, line[1]))
        elif match.group(2) == b"-" and ended:
            code, lines, spans = match.group(1), [_text(match.group(3))], [line]
        else:
            text = _text(match.group(3) or b"")
            replies.append(_reply(match.group(1), [text], [line], ended, line[1]))
    if code is not None:
        replies.append(_reply(code, lines, spans, False, reader.pos))
    return replies


def _smtp(reader: _Reader) -> list[Reply]:
    return _coded_replies(reader, ftp=False)


def _ftp(reader: _Reader) -> list[Reply]:
    return _coded_replies(reader, ftp=True)


# --- dot-terminated blocks (POP3, NNTP) -----------------------------------------------


def _block(reader: _Reader, lines: list[str], spans: list[Span]) -> bool:
    """Read a dot-terminated block into `lines` (dot-unstuffed) and their bytes into
    `spans`; True if its `.` arrived."""
    while (item := reader.line()) is not None:
        raw, ended = item
        if raw == b"." and ended:
            return True
        lines.append(_text(raw[1:] if raw.startswith(b"..") else raw))
        spans.append(reader.last)
        if not ended:
            return False
    return False


def _status_replies(
    reader: _Reader,
    status: re.Pattern[bytes],
    has_block: Callable[[bytes, _Reader], bool],
) -> list[Reply]:
    replies: list[Reply] = []
    while (item := reader.line()) is not None:
        raw, ended = item
        match = status.fullmatch(raw)
        spans = [reader.last]
        if match is None:
            replies.append(_reply(None, [_text(raw)], spans, ended, reader.pos))
            continue
        code = match.group(1)
        lines = [_text(match.group(2) or b"")]
        complete = ended
        if ended and has_block(code, reader):
            complete = _block(reader, lines, spans)
        replies.append(_reply(code, lines, spans, complete, reader.pos))
    return replies


_POP3_STATUS = re.compile(rb"(\+OK|-ERR|\+)(?:[ \t](.*))?", re.S)


def _pop3(reader: _Reader) -> list[Reply]:
    """POP3 (RFC 1939): `+OK`/`-ERR` status lines, `+` for SASL challenges.

    Which commands answer with a dot-terminated block (LIST, RETR, TOP, UIDL, CAPA) is
    not known from the reply bytes alone, so the heuristic is: a `+OK` line followed by
    a line that is not itself a status line starts a block, which runs to the `.` line.
    A message body whose first line starts with `+OK ` is therefore misread.
    """

    def has_block(code: bytes, reader: _Reader) -> bool:
        following = reader.peek()
        return code == b"+OK" and following is not None and not _POP3_STATUS.fullmatch(following)

    return _status_replies(reader, _POP3_STATUS, has_block)


_NNTP_STATUS = re.compile(rb"([0-9]{3})(?:[ \t](.*))?", re.S)
# RFC 3977 (and 2980's XGTITLE): the codes that announce a dot-terminated block.
_NNTP_BLOCK_CODES = {b"100", b"101", b"215", b"220", b"221", b"222", b"224", b"225", b"230"}
_NNTP_BLOCK_CODES |= {b"231", b"282"}


def _nntp(reader: _Reader) -> list[Reply]:
    """NNTP (RFC 3977): three-digit codes; the codes that announce data have a block.

    211 answers both GROUP (one line) and LISTGROUP (a block of article numbers), so a
    211 has a block only when the next line is not another status line.
    """

    def has_block(code: bytes, reader: _Reader) -> bool:
        if code in _NNTP_BLOCK_CODES:
            return True
        following = reader.peek()
        return code == b"211" and following is not None and not _NNTP_STATUS.fullmatch(following)

    return _status_replies(reader, _NNTP_STATUS, has_block)


# --- IMAP ------------------------------------------------------------------------------

# A tag is any ASTRING-CHAR except "+" (RFC 9051 section 9).
_TAG_CHARS = re.escape(bytes(c for c in range(0x21, 0x7F) if c not in b'(){%*"\\+'))
_IMAP_LINE = re.compile(rb"(\*|\+|[" + _TAG_CHARS + rb"]+)(?: (.*))?", re.S)
_IMAP_STATUS = re.compile(rb"(OK|NO|BAD|PREAUTH|BYE)(?:[ \t]|$)", re.I)
_LITERAL = re.compile(rb"~?\{([0-9]{1,18})\+?\}$")


def _imap(reader: _Reader) -> list[Reply]:
    """IMAP (RFC 9051): `code` is the tag (`*` untagged, `+` continuation, or `a1`).

    A line ending in a literal `{n}` is followed by n bytes of data and then the rest of
    the response; all of it is one reply, with the literal's lines in `lines`.
    """
    replies: list[Reply] = []
    while (item := reader.line()) is not None:
        raw, ended = item
        match = _IMAP_LINE.fullmatch(raw)
        spans = [reader.last]
        if match is None or (match.group(2) is None and match.group(1) != b"+"):
            replies.append(_reply(None, [_text(raw)], spans, ended, reader.pos))
            continue
        rest = match.group(2) or b""
        found = _IMAP_STATUS.match(rest)
        status = found.group(1).upper().decode() if found else None
        lines = [_text(rest)]
        complete = ended
        tail = rest
        while complete and match.group(1) != b"+" and (literal := _LITERAL.search(tail)):
            size = int(literal.group(1))
            data = reader.take(size)
            reader.text_lines(data, lines, spans)
            following = reader.line() if len(data) == size else None
            if following is None:
                complete = False
                break
            tail, complete = following
            lines.append(_text(tail))
            spans.append(reader.last)
        replies.append(_reply(match.group(1), lines, spans, complete, reader.pos, status=status))
    return replies


# --- redis RESP ------------------------------------------------------------------------

_RESP_SIMPLE = set(b"+-:_#,(")  # the rest of the line is the value
_RESP_BULK = set(b"$!=")  # a byte count, then that many bytes and CRLF
_RESP_AGGREGATE = {ord("*"): 1, ord("~"): 1, ord(">"): 1, ord("%"): 2, ord("|"): 2}
_RESP_SIZED = _RESP_BULK | set(_RESP_AGGREGATE)
# Values with no text of their own are shown as redis-cli shows them, so every reply
# has a line: `$-1`, `*-1` and RESP3's `_` are nil; `$0` an empty string.
NULL, EMPTY_STRING, EMPTY_AGGREGATE = "(nil)", '""', "(empty array)"
_RESP_COUNT = re.compile(rb"-?[0-9]{1,%d}" % MAX_COUNT_DIGITS)


def _redis(reader: _Reader) -> list[Reply]:
    """RESP2 and RESP3: simple strings, errors, integers, bulk strings and aggregates.

    `code` is the type byte of the top-level value (`+`, `-`, `:`, `$`, `*` ...); `lines`
    hold the simple values and bulk string lines, aggregates flattened in order.
    """
    replies: list[Reply] = []
    while reader.pos < len(reader.data) and reader.lines < MAX_LINES:
        first = reader.data[reader.pos]
        if first not in _RESP_SIMPLE and first not in _RESP_BULK and first not in _RESP_AGGREGATE:
            raw, ended = reader.line() or (b"", False)  # never None: bytes remain
            replies.append(_reply(None, [_text(raw)], [reader.last], ended, reader.pos))
            continue
        start = reader.pos
        lines: list[str] = []
        spans: list[Span] = []
        complete = _resp_value(reader, lines, spans)
        replies.append(_reply(chr(first), lines, spans, complete, reader.pos, start=start))
    return replies


def _resp_value(reader: _Reader, lines: list[str], spans: list[Span]) -> bool:
    """Read one value (aggregates without recursion) into `lines`, and where each line's
    bytes are into `spans` (a bulk string's lines: its data); True if it all arrived."""
    pending = [1]  # values still to read at each nesting level
    while pending:
        if not pending[-1]:
            pending.pop()
            continue
        pending[-1] -= 1
        item = reader.line()
        if item is None:
            return False
        raw, ended = item
        line = reader.last
        kind, rest = (raw[0], raw[1:]) if raw else (0, b"")
        if not ended:
            lines.append(_text(rest if kind in _RESP_SIMPLE else raw))
            spans.append(line)
            return False
        count = int(rest) if _RESP_COUNT.fullmatch(rest) else None
        if kind == ord("_") or (count is not None and count < 0 and kind in _RESP_SIZED):
            lines.append(NULL)
            spans.append(line)
        elif kind in _RESP_BULK and count is not None:
            if not _resp_bulk(reader, count, lines, spans):
                return False
        elif kind in _RESP_AGGREGATE and count is not None:
            if count:
                pending.append(count * _RESP_AGGREGATE[kind])
            else:
                lines.append(EMPTY_AGGREGATE)
                spans.append(line)
        else:
            lines.append(_text(rest if kind in _RESP_SIMPLE else raw))
            spans.append(line)
    return True


def _resp_bulk(reader: _Reader, count: int, lines: list[str], spans: list[Span]) -> bool:
    data = reader.take(count)
    if count:
        reader.text_lines(data, lines, spans)
    else:
        lines.append(EMPTY_STRING)
        spans.append(reader.last)  # the `$0` line
    if len(data) < count:
        return False
    ending = reader.data[reader.pos : reader.pos + 2]
    if ending == b"\r\n":
        reader.pos += 2
        return True
    # Fewer than two bytes: cut short. Two other bytes: a missing CRLF, and the next
    # value is read from here on.
    return len(ending) == 2


_PARSERS: dict[str, Callable[[_Reader], list[Reply]]] = {
    "smtp": _smtp,
    "ftp": _ftp,
    "pop3": _pop3,
    "imap": _imap,
    "nntp": _nntp,
    "redis": _redis,
}
