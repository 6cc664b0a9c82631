"""The head of an HTTP/1.x message: its first line and header fields, parsed as they arrive.

A status line (responses) or a request line (requests) comes first, then header fields
in order, duplicates kept, until the blank line. Obsolete line folding, bare LF line ends,
control characters and malformed lines are named as problems and parsing goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache

from sockscope.core.http.problems import MAX_HEAD, MAX_HEADERS, MAX_LINE, Problem, Severity, quote

# The parsers read a message in place from bytes, from a bytearray that grows, or from
# a read-only view of the buffer a capture fills (core.model.ReceiveBuffer).
Buffer = bytes | bytearray | memoryview
# Where some bytes are in the received buffer: [start, end), line ends included.
Span = tuple[int, int]

VERSION = re.compile(rb"HTTP/1\.[0-9]")
HEAD_END = re.compile(rb"\n\r?\n")
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_STATUS_REST = re.compile(rb"([ \t]*)([^ \t]*)(?:([ \t])(.*))?", re.S)
_LAZY_FRAMING = re.compile(
    rb"^(content-length|transfer-encoding)[ \t]*:[ \t]*([^\r\n]*)", re.I | re.M
)
_CTL_NAMES = {0x00: "NUL", 0x0A: "LF", 0x0D: "CR", 0x1B: "ESC", 0x7F: "DEL"}


def find(buf: Buffer, sub: bytes, start: int, end: int) -> int:
    """`buf.find(sub, start, end)`, for a memoryview too (it has no find): searched
    where it lies, by a regular expression of `sub`."""
    if not isinstance(buf, memoryview):
        return buf.find(sub, start, end)
    match = _pattern(sub).search(buf, start, end)
    return -1 if match is None else match.start()


@cache
def _pattern(sub: bytes) -> re.Pattern[bytes]:
    return re.compile(re.escape(sub))


# rfind and count copy a memoryview's part to search it: their callers ask only about
# bytes not looked at before, so each byte is copied once at most.


def rfind(buf: Buffer, sub: bytes, start: int, end: int) -> int:
    """`buf.rfind(sub, start, end)`, for a memoryview too."""
    if not isinstance(buf, memoryview):
        return buf.rfind(sub, start, end)
    at = bytes(buf[start:end]).rfind(sub)
    return -1 if at == -1 else start + at


def count(buf: Buffer, sub: bytes, start: int, end: int) -> int:
    """`buf.count(sub, start, end)`, for a memoryview too."""
    if not isinstance(buf, memoryview):
        return buf.count(sub, start, end)
    return bytes(buf[start:end]).count(sub)


def first_value(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of header `name` (any case) in `headers`, or None."""
    wanted = name.lower()
    return next((v for n, v in headers if n.lower() == wanted), None)


def line_list(numbers: Sequence[int]) -> str:
    """`line 4` or `lines 2-3, 7`, for a problem's message (numbers in ascending order)."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and spans[-1][1] == n - 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    shown = 6
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in spans[:shown]]
    hidden = sum(b - a + 1 for a, b in spans[shown:])
    if hidden:
        parts.append(f"{hidden:,} more")
    word = "line" if len(numbers) == 1 else "lines"
    return f"{word} {', '.join(parts)}"


class Head:
    """A message's first line and header fields, filled in as the parser reads them.

    A plain class, not a dataclass: a dataclass compiles its methods at import, which
    every command that parses a reply would pay for at its start."""

    def __init__(
        self,
        version: str = "",
        status: int | None = None,
        reason: str = "",
        method: str = "",
        target: str = "",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.version = version
        self.status = status
        self.reason = reason
        self.method = method  # requests only
        self.target = target  # requests only
        self.headers: list[tuple[str, str]] = [] if headers is None else headers
        self.problems: list[Problem] = []
        self.lengths: list[tuple[str, int | None]] = []  # Content-Length
        self.codings: list[tuple[str, int | None]] = []  # Transfer-Encoding
        self.lines = 0
        # The bytes of the first line, and of each listed header (with its folded lines).
        self.first_span: Span | None = None
        self.header_spans: list[Span] = []


def _parse_status(line: bytes, number: int, head: Head) -> None:
    head.version = line[:8].decode("latin-1")
    if line[7:8] not in (b"0", b"1"):
        head.problems.append(
            Problem(
                "unknown-version",
                f"unknown HTTP version {quote(line[:8])}",
                number,
                Severity.WARNING,
            )
        )
    rest = line[8:]
    match = _STATUS_REST.fullmatch(rest)
    assert match is not None  # the pattern matches any bytes
    lead, token, gap, reason = match.group(1), match.group(2), match.group(3), match.group(4)
    head.reason = (reason or b"").decode("latin-1")
    if token.isdigit() and len(token) == 3 and int(token) >= 100:
        head.status = int(token)
    elif token:
        head.problems.append(Problem("bad-status", f"invalid status code {quote(token)}", number))
    else:
        head.problems.append(Problem("bad-status", "missing status code", number))
    if token and (lead != b" " or gap not in (None, b" ")):
        head.problems.append(
            Problem(
                "bad-status-line",
                f"status line {quote(line)} is not spaced as 'HTTP/1.1 200 Reason'",
                number,
                Severity.WARNING,
            )
        )
    ctl = ctl_problem(reason or b"", "the reason phrase", number)
    if ctl:
        head.problems.append(ctl)


def ctl_problem(value: bytes, place: str, number: int | None) -> Problem | None:
    """Name the control characters in `value`; CR, LF and NUL are errors, others warnings."""
    found: list[int] = []
    for byte in value:
        if (byte == 0x7F or (byte < 0x20 and byte != 0x09)) and byte not in found:
            found.append(byte)
    if not found:
        return None
    names = ", ".join(_CTL_NAMES.get(b, f"0x{b:02X}") for b in found[:3])
    dangerous = any(b in (0x00, 0x0A, 0x0D) for b in found)
    word = "character" if len(found) == 1 else "characters"
    return Problem(
        "ctl-in-value",
        f"control {word} {names} in {place}",
        number,
        Severity.ERROR if dangerous else Severity.WARNING,
    )


def parse_field(
    line: bytes,
    where: str,
    number: int | None,
    fields: list[tuple[str, str]],
    problems: list[Problem],
    can_fold: bool,
) -> bool:
    """Add the field on `line` (or fold it into the last one); True if a field took it."""
    if line[:1] in (b" ", b"\t"):
        if not (can_fold and fields):
            problems.append(
                Problem("malformed-header", f"malformed {where}: starts with whitespace", number)
            )
            return False
        folded, value = fields[-1]
        more = line.strip(b" \t")
        fields[-1] = (folded, " ".join(part for part in (value, more.decode("latin-1")) if part))
        problems.append(
            Problem(
                "obs-fold",
                f"obsolete line folding on {where}: continues {quote(folded)}",
                number,
                Severity.WARNING,
            )
        )
        ctl = ctl_problem(more, f"the value of {quote(folded)} on {where}", number)
        if ctl:
            problems.append(ctl)
        return True
    colon = line.find(b":")
    if colon == -1:
        problems.append(Problem("malformed-header", f"malformed {where}: no colon", number))
        return False
    raw_name = line[:colon]
    name_bytes = raw_name.rstrip(b" \t")
    if not name_bytes:
        problems.append(Problem("malformed-header", f"malformed {where}: no name", number))
        return False
    name = name_bytes.decode("latin-1")
    if len(name_bytes) != len(raw_name):
        problems.append(
            Problem(
                "space-before-colon",
                f"whitespace between the name {quote(name)} and the colon on {where}",
                number,
            )
        )
    if not TOKEN.fullmatch(name_bytes):
        problems.append(
            Problem("bad-header-name", f"invalid header name {quote(name)} on {where}", number)
        )
    value_bytes = line[colon + 1 :].strip(b" \t")
    ctl = ctl_problem(value_bytes, f"the value of {quote(name)} on {where}", number)
    if ctl:
        problems.append(ctl)
    fields.append((name, value_bytes.decode("latin-1")))
    return True


class HeadParser:
    """Parses a head line by line as its lines arrive, so a growing head is parsed once.

    Past MAX_HEADERS lines are only counted and scanned for framing headers in bulk.
    """

    def __init__(
        self,
        start: int,
        first_line: int,
        parse_first: Callable[[bytes, int, Head], None] = _parse_status,
        first_name: str = "the status line",
    ) -> None:
        self.start = start
        self.first_line = first_line  # lines before this head (interim responses)
        self.parse_first = parse_first  # the status line, or a request line
        self.first_name = first_name
        self.pos = start  # the next unparsed line
        self.number = first_line  # the last parsed line
        self.head = Head()
        self.numbers: list[int] = []  # the line of each listed header
        self.bare: list[int] = []
        self.bare_at = -1  # where the bare-LF problem goes among the others
        self.can_fold = False
        self.ended = False  # the blank line was parsed
        self.unlisted = 0  # header lines past MAX_HEADERS
        self.unlisted_bare = 0
        self.lazy: list[tuple[bytes, str]] = []  # framing headers among the unlisted

    def feed(self, buf: Buffer, stop: int, *, final: bool = False) -> None:
        """Parse the lines that end before `stop`; with `final`, a last unended one too."""
        while self.pos < stop and not self.ended:
            if self.number - self.first_line > MAX_HEADERS and not self._blank_next(buf):
                self._bulk(buf, stop, final)
                return
            newline = find(buf, b"\n", self.pos, stop)
            if newline == -1 and not final:
                return
            self._line(buf, newline, stop)

    def _blank_next(self, buf: Buffer) -> bool:
        return buf[self.pos : self.pos + 1] == b"\n" or buf[self.pos : self.pos + 2] == b"\r\n"

    def _line(self, buf: Buffer, newline: int, stop: int) -> None:
        pos = self.pos
        if newline == -1:
            end = after = stop
            if end > pos and buf[end - 1] == 0x0D:
                end -= 1
        else:
            after = newline + 1
            end = newline - 1 if newline > pos and buf[newline - 1] == 0x0D else newline
        self.number = number = self.number + 1
        self.pos = after
        if newline != -1 and end == newline:
            if self.bare_at < 0:
                self.bare_at = len(self.head.problems)
            self.bare.append(number)
        length = end - pos
        status_line = number == self.first_line + 1
        if length == 0 and not status_line:
            self.ended = True
            return
        line = bytes(buf[pos : pos + min(length, MAX_LINE)])
        where = self.first_name if status_line else f"header line {number}"
        if length > MAX_LINE:
            self.head.problems.append(
                Problem(
                    "header-line-too-long",
                    f"{where} is {length:,} bytes, over the {MAX_LINE:,}-byte limit"
                    f" (the parsed view shows the first {MAX_LINE:,})",
                    number,
                )
            )
        if status_line:
            self.parse_first(line, number, self.head)
            self.head.first_span = (pos, after)
            return
        headers = self.head.headers
        known = len(headers)
        folds = self.can_fold and line[:1] in (b" ", b"\t")
        self.can_fold = parse_field(line, where, number, headers, self.head.problems, self.can_fold)
        if len(headers) > known:
            self.numbers.append(number)
            self.head.header_spans.append((pos, after))
        elif folds and self.can_fold:
            spans = self.head.header_spans
            spans[-1] = (spans[-1][0], after)

    def _bulk(self, buf: Buffer, stop: int, final: bool) -> None:
        """Count the header lines in buf[pos:stop] (and its blank line, if there)."""
        end = stop if final else rfind(buf, b"\n", self.pos, stop) + 1
        if end <= self.pos:
            return
        newlines = count(buf, b"\n", self.pos, end)
        lines = newlines + (0 if buf[end - 1 : end] == b"\n" else 1)
        self.unlisted_bare += newlines - count(buf, b"\r\n", self.pos, end)
        blank = HEAD_END.search(buf, max(self.pos - 1, self.start), end)
        if blank is not None and blank.end() == end:
            # The blank line is numbered like any parsed line, however the bytes arrived.
            self.ended = True
            lines -= 1
            if buf[end - 2] == 0x0A:
                self.unlisted_bare -= 1
                self.bare.append(self.number + lines + 1)
        for match in _LAZY_FRAMING.finditer(buf, self.pos, end):
            value = match.group(2).rstrip(b" \t").decode("latin-1")
            self.lazy.append((match.group(1).lower(), value))
        self.unlisted += lines
        self.number += lines + (1 if self.ended else 0)
        self.pos = end

    def finish(self) -> Head:
        """The head as parsed so far; the parser can go on afterwards."""
        parsed = self.head
        head = Head(
            parsed.version,
            parsed.status,
            parsed.reason,
            parsed.method,
            parsed.target,
            list(parsed.headers),
        )
        head.problems = list(parsed.problems)
        head.first_span = parsed.first_span
        head.header_spans = list(parsed.header_spans)
        if self.bare or self.unlisted_bare:
            where = line_list(self.bare) if self.bare else "lines"
            if self.unlisted_bare:
                where += f" and {self.unlisted_bare:,} unlisted ones"
            problem = Problem(
                "bare-lf",
                f"non-CRLF line endings (bare LF) on {where}",
                self.bare[0] if self.bare else None,
                Severity.WARNING,
            )
            head.problems.insert(max(self.bare_at, 0), problem)
        if self.unlisted:
            head.problems.append(
                Problem(
                    "too-many-headers",
                    f"too many headers: {MAX_HEADERS + self.unlisted:,}"
                    f" (the limit is {MAX_HEADERS:,}); only the first {MAX_HEADERS:,} are listed",
                )
            )
        size = self.pos - self.start
        if size > MAX_HEAD:
            head.problems.append(
                Problem(
                    "headers-too-large",
                    f"headers too large: {size:,} bytes (the limit is {MAX_HEAD:,})",
                    self.first_line + 1,
                )
            )
        for (name, value), number in zip(head.headers, self.numbers, strict=True):
            lowered = name.lower()
            if lowered == "content-length":
                head.lengths.append((value, number))
            elif lowered == "transfer-encoding":
                head.codings.append((value, number))
        for lazy_name, lazy_value in self.lazy:
            target = head.lengths if lazy_name == b"content-length" else head.codings
            target.append((lazy_value, None))
        head.lines = self.number - self.first_line
        return head
