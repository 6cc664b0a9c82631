"""Lenient HTTP/1.x response and request parsers that name every anomaly instead of failing.

Strict parsers such as h11 stop at the first error and say nothing about the rest;
sockscope's job is to show what a server really sent, so this parser keeps going,
decodes what can be decoded and reports each deviation as a `Problem` with a stable
`code` and a plain message. It never raises, whatever the bytes.

Framing follows RFC 9112 section 6.3: no body after HEAD or for 1xx/204/304, then
Transfer-Encoding (chunked), then Content-Length, else the body runs until the server
closes. Interim 1xx responses (other than 101) are collected in `interim` and the
final response after them is the one described.

Keep-alive: only the first (final) response is parsed in detail; every byte after its
end is `extra`. When those bytes start another `HTTP/1.x` status line they are further
pipelined or keep-alive responses, reported as an info problem ("2 more responses
follow", counted by framing each one in turn) and in `following`; anything else is an
`extra-bytes` error. `parse_response(extra)` parses the next response in detail.
Following responses are framed with the same request method (a HEAD pipeline stays HEAD).

Requests (`parse_request`, for what a client sent to `sockscope listen`) share the head
parser, the problem codes and the chunked decoder; a request without Content-Length or
Transfer-Encoding has no body, and unusable framing is a problem, never "until close".

Limits (values as in curl and http.client) are reported, not enforced on the raw bytes:
a header line over 64 KiB is cut to 64 KiB in the parsed view; headers past the
5,000th are not listed (only scanned for framing headers, so 100,000 headers cost
little); a head over 300 KiB is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MAX_LINE = 64 * 1024
MAX_HEADERS = 5_000
MAX_HEAD = 300 * 1024
MAX_CHUNK_DIGITS = 16  # 64 bits, as curl
MAX_LENGTH_DIGITS = 19  # keeps int() far from Python's digit limit
QUOTE_LIMIT = 40

ERROR = "error"
WARNING = "warning"
INFO = "info"

# Every Problem.code this module emits, with what it means.
PROBLEM_CODES: dict[str, str] = {
    "not-http": "the bytes do not start with an HTTP/1.x status line (or request line)",
    "bad-request-line": "the request line is not spaced as 'GET /path HTTP/1.1'",
    "bad-method": "a request method with characters a token may not have",
    "missing-host": "an HTTP/1.1 request without a Host header",
    "repeated-host": "a request with more than one Host header",
    "more-requests": "further requests follow the first (keep-alive or pipelining)",
    "unknown-version": "an HTTP/1.x version other than 1.0 and 1.1",
    "bad-status": "the status code is missing or not three digits from 100",
    "bad-status-line": "the status line is not spaced as 'HTTP/1.1 200 Reason'",
    "bare-lf": "lines end in LF alone instead of CRLF",
    "malformed-header": "a header line without a colon or a name",
    "space-before-colon": "whitespace between a header name and its colon",
    "bad-header-name": "a header name with characters a token may not have",
    "ctl-in-value": "control characters (NUL, CR, ESC ...) in a header value or reason",
    "obs-fold": "a header value continued on the next line (obsolete line folding)",
    "header-line-too-long": "a head line over MAX_LINE bytes",
    "too-many-headers": "more than MAX_HEADERS header (or trailer) lines",
    "headers-too-large": "a head over MAX_HEAD bytes",
    "headers-incomplete": "no blank line ends the head (yet)",
    "no-final-response": "interim 1xx responses and no final one (yet)",
    "bad-content-length": "Content-Length not a number, or several different ones",
    "te-and-content-length": "both Transfer-Encoding and Content-Length are present",
    "bad-transfer-encoding": "Transfer-Encoding that does not end in a single chunked",
    "chunk-size": "a chunk size line that is not hexadecimal, or never ends",
    "chunk-size-too-long": "a chunk size of more than MAX_CHUNK_DIGITS digits",
    "chunk-missing-crlf": "chunk data not followed by CRLF, or no blank line after the last chunk",
    "no-last-chunk": "the chunked body stops before its zero-size last chunk",
    "incomplete-body": "fewer body bytes than the framing announced (or still arriving)",
    "close-delimited": "the body has no length and ends when the server closes",
    "extra-bytes": "bytes after the message end that are not another response",
    "more-responses": "further responses follow the first (keep-alive or pipelining)",
    "upgraded": "bytes after a 101 or CONNECT reply belong to another protocol",
    "capture-truncated": "the capture limit cut the reply: not every received byte is shown",
}


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    line: int | None = None  # 1-based line of the received data, for head problems
    severity: str = ERROR  # "error" | "warning" | "info"
    offset: int | None = None  # byte offset in the received data, for body problems


@dataclass(frozen=True)
class Interim:
    """A 1xx response (100 Continue, 103 Early Hints) before the final one."""

    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]


@dataclass(frozen=True)
class HttpResponse:
    version: str  # "HTTP/1.1"; "" when the bytes are not HTTP
    status: int | None
    reason: str
    headers: list[tuple[str, str]]  # in order, duplicates kept, at most MAX_HEADERS
    body: bytes  # chunked bodies decoded
    framing: str  # "content-length" | "chunked" | "close" | "none" (no body, or not known yet)
    complete: bool  # the message end was reached
    problems: list[Problem]
    head_size: int  # offset of the body: status line, headers and any interim responses
    extra: bytes  # bytes after the message end
    interim: list[Interim] = field(default_factory=list)
    trailers: list[tuple[str, str]] = field(default_factory=list)
    following: int = 0  # further responses that start in `extra`

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        return _first_value(self.headers, name)


@dataclass(frozen=True)
class HttpRequest:
    method: str  # "" when the bytes are not an HTTP/1.x request
    target: str  # the request target as sent: "/index.html", "*", "example.com:443"
    version: str
    headers: list[tuple[str, str]]
    body: bytes  # chunked bodies decoded
    framing: str  # "content-length" | "chunked" | "none" (no body)
    complete: bool  # the message end was reached
    problems: list[Problem]
    head_size: int
    extra: bytes  # bytes after the message end (a pipelined request, or junk)
    trailers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        return _first_value(self.headers, name)


def _first_value(headers: list[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    return next((v for n, v in headers if n.lower() == wanted), None)


def looks_like_http(data: bytes) -> bool:
    """Whether `data` starts with an HTTP/1.x version, as a status line does."""
    return _VERSION.match(data) is not None


def parse_response(data: bytes, *, eof: bool, method: str = "GET") -> HttpResponse | None:
    """Parse the first response in `data`; None only when `data` is empty.

    `eof` says whether the server finished sending: it decides whether a body delimited
    by close is complete, and turns "waiting" into errors for anything cut short.
    """
    parser = HttpResponseParser(method)
    parser.feed(data)
    return parser.result(eof)


class HttpResponseParser:
    """Incremental form of `parse_response`: feed bytes as they arrive, ask any time.

    The head is parsed once when its blank line arrives; after that feed() only counts
    (Content-Length, close) or decodes the new bytes (chunked), so streaming a large body
    costs linear time. result() copies the body, so call it when the view needs it.
    Any split of the same bytes gives the same result as `parse_response` on the whole.
    """

    def __init__(self, method: str = "GET") -> None:
        self._method = method.upper()
        self._buf: _Buffer = b""
        self._messages = [_Message(0)]
        self._cached: tuple[int, bool, HttpResponse | None] | None = None

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if not self._buf:
            self._buf = bytes(chunk)  # no copy when parse_response hands over its bytes
        else:
            if isinstance(self._buf, bytes):
                self._buf = bytearray(self._buf)
            self._buf += chunk
        while True:
            last = self._messages[-1]
            last.advance(self._buf, self._method)
            if last.end is None or last.end >= len(self._buf) or last.upgraded:
                return
            self._messages.append(_Message(last.end))

    def result(self, eof: bool) -> HttpResponse | None:
        """The first response as far as it has arrived; None before any bytes."""
        if not self._buf:
            return None
        if self._cached and self._cached[:2] == (len(self._buf), eof):
            return self._cached[2]
        response = _describe(self._buf, self._messages, eof)
        self._cached = (len(self._buf), eof, response)
        return response


_Buffer = bytes | bytearray


def _copy(buf: _Buffer, start: int, end: int | None = None) -> bytes:
    """buf[start:end] as bytes with a single copy (none for a whole bytes object)."""
    if isinstance(buf, bytes):
        return buf[start:end]
    with memoryview(buf) as view, view[start:end] as part:
        return bytes(part)


# --- the head --------------------------------------------------------------------------

_VERSION = re.compile(rb"HTTP/1\.[0-9]")
_HEAD_END = re.compile(rb"\n\r?\n")
_STATUS_REST = re.compile(rb"([ \t]*)([^ \t]*)(?:([ \t])(.*))?", re.S)
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_DIGITS = re.compile(r"[0-9]+")
_LAZY_FRAMING = re.compile(
    rb"^(content-length|transfer-encoding)[ \t]*:[ \t]*([^\r\n]*)", re.I | re.M
)
_CTL_NAMES = {0x00: "NUL", 0x0A: "LF", 0x0D: "CR", 0x1B: "ESC", 0x7F: "DEL"}


def _quote(raw: bytes | bytearray | str) -> str:
    text = raw if isinstance(raw, str) else bytes(raw).decode("latin-1")
    if len(text) > QUOTE_LIMIT:
        text = text[:QUOTE_LIMIT] + "..."
    return f"'{text}'"


def _line_list(numbers: Sequence[int]) -> str:
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


@dataclass
class _Head:
    version: str = ""
    status: int | None = None
    reason: str = ""
    method: str = ""  # requests only
    target: str = ""  # requests only
    headers: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lengths: list[tuple[str, int | None]] = field(default_factory=list)  # Content-Length
    codings: list[tuple[str, int | None]] = field(default_factory=list)  # Transfer-Encoding
    lines: int = 0


def _parse_status(line: bytes, number: int, head: _Head) -> None:
    head.version = line[:8].decode("latin-1")
    if line[7:8] not in (b"0", b"1"):
        head.problems.append(
            Problem("unknown-version", f"unknown HTTP version {_quote(line[:8])}", number, WARNING)
        )
    rest = line[8:]
    match = _STATUS_REST.fullmatch(rest)
    assert match is not None  # the pattern matches any bytes
    lead, token, gap, reason = match.group(1), match.group(2), match.group(3), match.group(4)
    head.reason = (reason or b"").decode("latin-1")
    if token.isdigit() and len(token) == 3 and int(token) >= 100:
        head.status = int(token)
    elif token:
        head.problems.append(Problem("bad-status", f"invalid status code {_quote(token)}", number))
    else:
        head.problems.append(Problem("bad-status", "missing status code", number))
    if token and (lead != b" " or gap not in (None, b" ")):
        head.problems.append(
            Problem(
                "bad-status-line",
                f"status line {_quote(line)} is not spaced as 'HTTP/1.1 200 Reason'",
                number,
                WARNING,
            )
        )
    ctl = _ctl_problem(reason or b"", "the reason phrase", number)
    if ctl:
        head.problems.append(ctl)


def _ctl_problem(value: bytes, place: str, number: int | None) -> Problem | None:
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
        ERROR if dangerous else WARNING,
    )


def _parse_field(
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
        name, value = fields[-1]
        more = line.strip(b" \t")
        fields[-1] = (name, " ".join(part for part in (value, more.decode("latin-1")) if part))
        problems.append(
            Problem(
                "obs-fold",
                f"obsolete line folding on {where}: continues {_quote(name)}",
                number,
                WARNING,
            )
        )
        ctl = _ctl_problem(more, f"the value of {_quote(name)} on {where}", number)
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
                f"whitespace between the name {_quote(name)} and the colon on {where}",
                number,
            )
        )
    if not _TOKEN.fullmatch(name_bytes):
        problems.append(
            Problem("bad-header-name", f"invalid header name {_quote(name)} on {where}", number)
        )
    value = line[colon + 1 :].strip(b" \t")
    ctl = _ctl_problem(value, f"the value of {_quote(name)} on {where}", number)
    if ctl:
        problems.append(ctl)
    fields.append((name, value.decode("latin-1")))
    return True


class _HeadParser:
    """Parses a head line by line as its lines arrive, so a growing head is parsed once.

    Past MAX_HEADERS lines are only counted and scanned for framing headers in bulk.
    """

    def __init__(
        self,
        start: int,
        first_line: int,
        parse_first: Callable[[bytes, int, _Head], None] = _parse_status,
        first_name: str = "the status line",
    ) -> None:
        self.start = start
        self.first_line = first_line  # lines before this head (interim responses)
        self.parse_first = parse_first  # the status line, or a request line
        self.first_name = first_name
        self.pos = start  # the next unparsed line
        self.number = first_line  # the last parsed line
        self.head = _Head()
        self.numbers: list[int] = []  # the line of each listed header
        self.bare: list[int] = []
        self.bare_at = -1  # where the bare-LF problem goes among the others
        self.can_fold = False
        self.ended = False  # the blank line was parsed
        self.unlisted = 0  # header lines past MAX_HEADERS
        self.unlisted_bare = 0
        self.lazy: list[tuple[bytes, str]] = []  # framing headers among the unlisted

    def feed(self, buf: _Buffer, stop: int, *, final: bool = False) -> None:
        """Parse the lines that end before `stop`; with `final`, a last unended one too."""
        while self.pos < stop and not self.ended:
            if self.number - self.first_line > MAX_HEADERS and not self._blank_next(buf, stop):
                self._bulk(buf, stop, final)
                return
            newline = buf.find(b"\n", self.pos, stop)
            if newline == -1 and not final:
                return
            self._line(buf, newline, stop)

    def _blank_next(self, buf: _Buffer, stop: int) -> bool:
        return buf[self.pos : self.pos + 1] == b"\n" or buf[self.pos : self.pos + 2] == b"\r\n"

    def _line(self, buf: _Buffer, newline: int, stop: int) -> None:
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
            return
        headers = self.head.headers
        known = len(headers)
        self.can_fold = _parse_field(
            line, where, number, headers, self.head.problems, self.can_fold
        )
        if len(headers) > known:
            self.numbers.append(number)

    def _bulk(self, buf: _Buffer, stop: int, final: bool) -> None:
        """Count the header lines in buf[pos:stop] (and its blank line, if there)."""
        end = stop if final else buf.rfind(b"\n", self.pos, stop) + 1
        if end <= self.pos:
            return
        newlines = buf.count(b"\n", self.pos, end)
        lines = newlines + (0 if buf[end - 1 : end] == b"\n" else 1)
        self.unlisted_bare += newlines - buf.count(b"\r\n", self.pos, end)
        blank = _HEAD_END.search(buf, max(self.pos - 1, self.start), end)
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

    def finish(self) -> _Head:
        """The head as parsed so far; the parser can go on afterwards."""
        parsed = self.head
        head = _Head(
            parsed.version,
            parsed.status,
            parsed.reason,
            parsed.method,
            parsed.target,
            list(parsed.headers),
        )
        head.problems = list(parsed.problems)
        if self.bare or self.unlisted_bare:
            where = _line_list(self.bare) if self.bare else "lines"
            if self.unlisted_bare:
                where += f" and {self.unlisted_bare:,} unlisted ones"
            problem = Problem(
                "bare-lf",
                f"non-CRLF line endings (bare LF) on {where}",
                self.bare[0] if self.bare else None,
                WARNING,
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
        for name, value in self.lazy:
            target = head.lengths if name == b"content-length" else head.codings
            target.append((value, None))
        head.lines = self.number - self.first_line
        return head


# --- framing ---------------------------------------------------------------------------


# How each kind of message ends when its framing headers are unusable: a response runs
# until the server closes, a request cannot be read at all (RFC 9112 section 6.3).
_CLOSE_NOTE = " (the body runs until the connection closes)"
_UNFRAMED_NOTE = " (a server must answer 400: it cannot tell where the body ends)"


def _framing(head: _Head, method: str) -> tuple[str, int, list[Problem]]:
    """RFC 9112 section 6.3: how the body ends, its length if known, and what is wrong."""
    status = head.status
    if method == "HEAD" or (status is not None and (status < 200 or status in (204, 304))):
        return "none", 0, []
    if method == "CONNECT" and status is not None and 200 <= status < 300:
        return "none", 0, []
    if head.codings:
        return _coding_framing(head, "response", _CLOSE_NOTE)
    if not head.lengths:
        return "close", 0, []
    return _length_framing(head, _CLOSE_NOTE)


def _length_framing(head: _Head, unusable: str) -> tuple[str, int, list[Problem]]:
    """Framing by Content-Length; ("close", 0, problems) when the values are unusable."""
    problems: list[Problem] = []
    values: list[str] = []
    for raw, number in head.lengths:
        for part in raw.split(","):
            value = part.strip(" \t")
            if not (_DIGITS.fullmatch(value) and len(value) <= MAX_LENGTH_DIGITS):
                problems.append(
                    Problem(
                        "bad-content-length",
                        f"invalid framing: Content-Length {_quote(raw)}{unusable}",
                        number,
                    )
                )
                return "close", 0, problems
            values.append(value)
    lengths = sorted({int(v) for v in values})
    first_line = head.lengths[0][1]
    if len(lengths) > 1:
        shown = " and ".join(_quote(str(n)) for n in lengths[:2])
        problems.append(
            Problem(
                "bad-content-length",
                f"invalid framing: different Content-Length values {shown}{unusable}",
                first_line,
            )
        )
        return "close", 0, problems
    if len(values) > 1:
        problems.append(
            Problem(
                "bad-content-length",
                f"Content-Length repeated {len(values)} times with the same value {lengths[0]}",
                first_line,
                WARNING,
            )
        )
    return "content-length", lengths[0], problems


def _coding_framing(head: _Head, kind: str, unusable: str) -> tuple[str, int, list[Problem]]:
    problems: list[Problem] = []
    first_line = head.codings[0][1]
    if head.lengths:
        problems.append(
            Problem(
                "te-and-content-length",
                "both Transfer-Encoding and Content-Length are present (Transfer-Encoding"
                " wins; a proxy that picks the other one reads a different body)",
                first_line,
            )
        )
    if head.version == "HTTP/1.0":
        problems.append(
            Problem(
                "bad-transfer-encoding",
                f"Transfer-Encoding in an HTTP/1.0 {kind} (HTTP/1.0 has no transfer codings)",
                first_line,
                WARNING,
            )
        )
    codings = [
        c.strip(" \t").lower() for raw, _ in head.codings for c in raw.split(",") if c.strip(" \t")
    ]
    shown = _quote(", ".join(raw for raw, _ in head.codings))
    if not codings or codings[-1] != "chunked":
        problems.append(
            Problem(
                "bad-transfer-encoding",
                f"Transfer-Encoding {shown} does not end with chunked{unusable}",
                first_line,
                WARNING,
            )
        )
        return "close", 0, problems
    if codings.count("chunked") > 1:
        problems.append(
            Problem(
                "bad-transfer-encoding",
                f"Transfer-Encoding {shown} applies chunked more than once",
                first_line,
            )
        )
    return "chunked", 0, problems


# --- chunked bodies --------------------------------------------------------------------

_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]+)[ \t]*(?:;.*)?", re.S)
_HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]+")

_SIZE, _DATA, _DATA_END, _TRAILER, _DONE, _FAILED = range(6)


class _Chunked:
    """Decodes a chunked body as bytes arrive; every decision waits for a whole line."""

    def __init__(self, pos: int) -> None:
        self.pos = pos
        self.scan = pos  # where the search for the current line's LF resumes
        self.state = _SIZE
        self.size = 0
        self.remaining = 0
        self.chunk_at = pos
        self.body = bytearray()
        self.trailers: list[tuple[str, str]] = []
        self.problems: list[Problem] = []
        self.bare_lf = False
        self.can_fold = False
        self.end: int | None = None

    def advance(self, buf: _Buffer) -> None:
        while self.state not in (_DONE, _FAILED):
            if self.state == _DATA:
                take = min(self.remaining, len(buf) - self.pos)
                self.body += buf[self.pos : self.pos + take]
                self.pos += take
                self.remaining -= take
                if self.remaining:
                    return
                self.state = _DATA_END
            elif self.state == _DATA_END:
                ending = bytes(buf[self.pos : self.pos + 2])
                if ending == b"\r\n":
                    self.pos += 2
                elif ending[:1] == b"\n":
                    self._note_bare_lf(self.pos)
                    self.pos += 1
                elif len(ending) < 2:
                    # Wait for both bytes: the problem quotes them, and every split of the
                    # body must name the same ones (cut_short names a lone last byte).
                    return
                else:
                    self.state = _FAILED
                    self.problems.append(self._missing_crlf(ending))
                    return
                self.state = _SIZE
                self.scan = self.pos
            else:
                line = self._line(buf)
                if line is None:
                    return
                if self.state == _SIZE:
                    self._size_line(line)
                else:
                    self._trailer_line(line)

    def _line(self, buf: _Buffer) -> bytes | None:
        """The next line without its ending, once its LF has arrived."""
        limit = self.pos + MAX_LINE + 1
        newline = buf.find(b"\n", self.scan, limit)
        if newline == -1:
            self.scan = max(self.pos, min(len(buf), limit))
            if len(buf) >= limit:
                what = "chunk size line" if self.state == _SIZE else "trailer line"
                self._fail(
                    "chunk-size" if self.state == _SIZE else "malformed-header",
                    f"the {what} at byte {self.pos:,} has no line end within {MAX_LINE:,} bytes",
                    self.pos,
                )
            return None
        start = self.pos
        if newline > start and buf[newline - 1] == 0x0D:
            line = bytes(buf[start : newline - 1])
        else:
            line = bytes(buf[start:newline])
            self._note_bare_lf(newline)
        self.pos = self.scan = newline + 1
        self.line_at = start
        return line

    def _size_line(self, line: bytes) -> None:
        self.chunk_at = self.line_at
        match = _CHUNK_SIZE.fullmatch(line)
        digits = _HEX_DIGITS.match(line)
        if digits and len(digits.group()) > MAX_CHUNK_DIGITS:
            self._fail(
                "chunk-size-too-long",
                f"chunk size {_quote(digits.group())} at byte {self.chunk_at:,} is too long"
                f" ({len(digits.group())} digits; the limit is {MAX_CHUNK_DIGITS})",
                self.chunk_at,
            )
            return
        if match is None:
            self._fail(
                "chunk-size",
                f"invalid chunk size {_quote(line)} at byte {self.chunk_at:,}",
                self.chunk_at,
            )
            return
        self.size = self.remaining = int(match.group(1), 16)
        self.state = _DATA if self.size else _TRAILER

    def _trailer_line(self, line: bytes) -> None:
        if not line:
            self.state = _DONE
            self.end = self.pos
            return
        where = f"trailer line at byte {self.line_at:,}"
        if len(self.trailers) >= MAX_HEADERS:
            self.can_fold = False
            if len(self.trailers) == MAX_HEADERS and not any(
                p.code == "too-many-headers" for p in self.problems
            ):
                self.problems.append(
                    Problem(
                        "too-many-headers",
                        f"more than {MAX_HEADERS:,} trailer fields; only the first are listed",
                        offset=self.line_at,
                    )
                )
            return
        before = len(self.problems)
        self.can_fold = _parse_field(
            line[:MAX_LINE], where, None, self.trailers, self.problems, self.can_fold
        )
        for index in range(before, len(self.problems)):
            self.problems[index] = _at(self.problems[index], self.line_at)

    def _note_bare_lf(self, at: int) -> None:
        if not self.bare_lf:
            self.bare_lf = True
            self.problems.append(
                Problem(
                    "bare-lf",
                    f"non-CRLF line endings (bare LF) in the chunked body, first at byte {at:,}",
                    severity=WARNING,
                    offset=at,
                )
            )

    def _missing_crlf(self, found: bytes) -> Problem:
        return Problem(
            "chunk-missing-crlf",
            f"the {self.size:,}-byte chunk at byte {self.chunk_at:,} is not"
            f" followed by CRLF (found {_quote(found)})",
            offset=self.pos,
        )

    def _fail(self, code: str, message: str, offset: int) -> None:
        self.state = _FAILED
        self.problems.append(Problem(code, message, offset=offset))

    def cut_short(self, buf: _Buffer, eof: bool) -> Problem:
        """What is missing when the body has not ended (yet)."""
        last = bytes(buf[self.pos : self.pos + 1])
        if eof and self.state == _DATA_END and last not in (b"", b"\r"):
            return self._missing_crlf(last)
        if not eof:
            return Problem(
                "incomplete-body",
                f"waiting for the rest of the chunked body ({len(self.body):,} bytes so far)",
                severity=INFO,
            )
        if self.state == _TRAILER:
            return Problem(
                "chunk-missing-crlf",
                "the chunked body ends without the blank line after the last chunk",
                offset=self.pos,
            )
        inside = ""
        if self.state in (_DATA, _DATA_END) and self.size:
            got = self.size - self.remaining
            inside = f"; it stops inside a chunk ({got:,} of {self.size:,} bytes)"
        return Problem(
            "no-last-chunk",
            f"the chunked body ends without the last (zero-size) chunk{inside}",
            offset=self.pos,
        )


def _at(problem: Problem, offset: int) -> Problem:
    return Problem(problem.code, problem.message, problem.line, problem.severity, offset)


# --- one message and the chain after it -----------------------------------------------

_PREFIX, _HEAD, _NOT_HTTP, _BODY, _END = range(5)


class _Message:
    """One response (with its interim 1xx heads) starting at `start` in the buffer."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.head_start = start
        self.first_line = 0  # lines before the current head (interim responses)
        self.scan = start
        self.state = _PREFIX
        self.interim: list[Interim] = []
        self.problems: list[Problem] = []
        self.head: _Head | None = None
        self.framing = "none"
        self.length = 0
        self.body_start = 0
        self.chunked: _Chunked | None = None
        self.end: int | None = None
        self.upgraded = False  # 101 or CONNECT: what follows is another protocol
        self.head_parser = _HeadParser(start, 0)
        self._partial: tuple[int, bool, _Head] | None = None

    def advance(self, buf: _Buffer, method: str) -> None:
        while True:
            if self.state == _PREFIX:
                got = bytes(buf[self.head_start : self.head_start + 8])
                if len(got) == 8:
                    self.state = _HEAD if _VERSION.fullmatch(got) else _NOT_HTTP
                    self.head_parser = _HeadParser(self.head_start, self.first_line)
                elif b"HTTP/1."[: len(got)] != got:
                    self.state = _NOT_HTTP
                else:
                    return
            elif self.state == _HEAD:
                match = _HEAD_END.search(buf, max(self.scan, self.head_start))
                if match is None:
                    # Only the new bytes can hold the LF that ends more lines.
                    last = buf.rfind(b"\n", max(self.scan, self.head_parser.pos), len(buf))
                    self.head_parser.feed(buf, last + 1)
                    self.scan = max(self.head_start, len(buf) - 2)
                    return
                self.head_parser.feed(buf, match.end())
                self._head_done(match.end(), method)
            elif self.state == _BODY:
                if self.chunked is not None:
                    self.chunked.advance(buf)
                    self.end = self.chunked.end
                elif self.framing == "content-length" and len(buf) - self.body_start >= self.length:
                    self.end = self.body_start + self.length
                if self.end is not None:
                    self.state = _END
                return
            else:
                return

    def _head_done(self, head_end: int, method: str) -> None:
        head = self.head_parser.finish()
        self.problems += head.problems
        if head.status is not None and 100 <= head.status < 200 and head.status != 101:
            self.interim.append(Interim(head.version, head.status, head.reason, head.headers))
            self.first_line += head.lines
            self.head_start = self.scan = head_end
            self.state = _PREFIX
            return
        self.head = head
        self.framing, self.length, problems = _framing(head, method)
        self.problems += problems
        self.body_start = head_end
        self.upgraded = head.status == 101 or (
            method == "CONNECT" and head.status is not None and 200 <= head.status < 300
        )
        if self.framing == "none":
            self.end = head_end
            self.state = _END
        else:
            self.state = _BODY
            if self.framing == "chunked":
                self.chunked = _Chunked(head_end)

    def is_http(self, buf: _Buffer, eof: bool) -> bool | None:
        """Whether this message is HTTP; None while too few bytes have arrived to tell."""
        if self.state == _NOT_HTTP:
            return False
        if self.state == _PREFIX and len(buf) > self.head_start:
            return False if eof else None
        return True

    def partial_head(self, buf: _Buffer, eof: bool) -> _Head:
        """The head so far (cached): complete lines only while more may arrive."""
        if self._partial and self._partial[:2] == (len(buf), eof):
            return self._partial[2]
        if eof:
            parser = _HeadParser(self.head_start, self.first_line)
            parser.feed(buf, len(buf), final=True)
            head = parser.finish()
        else:
            head = self.head_parser.finish()
        self._partial = (len(buf), eof, head)
        return head


def _describe(buf: _Buffer, messages: list[_Message], eof: bool) -> HttpResponse:
    msg = messages[0]
    size = len(buf)
    problems = list(msg.problems)
    interim = list(msg.interim)
    if msg.state == _PREFIX and size == msg.head_start and interim:
        last = interim.pop()
        problems.append(
            Problem(
                "no-final-response",
                f"no final response after the {last.status} interim response"
                if eof
                else f"waiting for the final response after the {last.status} interim response",
                severity=ERROR if eof else INFO,
            )
        )
        return HttpResponse(
            last.version, last.status, last.reason, last.headers, b"", "none", False,
            problems, msg.head_start, b"", interim,
        )  # fmt: skip
    if msg.is_http(buf, eof) is False:
        first = bytes(buf[msg.head_start : msg.head_start + QUOTE_LIMIT + 1]).split(b"\n")[0]
        problems.append(
            Problem("not-http", f"not an HTTP/1.x response (it starts with {_quote(first)})")
        )
        body = _copy(buf, msg.head_start)
        return HttpResponse(
            "", None, "", [], body, "close", eof, problems, msg.head_start, b"", interim
        )
    if msg.state in (_PREFIX, _HEAD):
        head = msg.partial_head(buf, eof) if msg.state == _HEAD else _Head()
        problems += head.problems
        problems.append(
            Problem(
                "headers-incomplete",
                "headers incomplete: the connection closed before the blank line that ends them"
                if eof
                else "headers incomplete: waiting for the blank line that ends them",
                severity=ERROR if eof else INFO,
            )
        )
        return HttpResponse(
            head.version, head.status, head.reason, head.headers, b"", "none", False,
            problems, size - msg.start, b"", interim,
        )  # fmt: skip
    head = msg.head
    assert head is not None  # set when the state left _HEAD
    trailers: list[tuple[str, str]] = []
    complete = msg.end is not None
    if msg.framing == "content-length":
        got = min(size - msg.body_start, msg.length)
        body = _copy(buf, msg.body_start, msg.body_start + got)
        if not complete:
            problems.append(
                Problem("incomplete-body", f"incomplete body: {got:,} of {msg.length:,} bytes")
                if eof
                else Problem(
                    "incomplete-body",
                    f"waiting for the body: {got:,} of {msg.length:,} bytes so far",
                    severity=INFO,
                )
            )
    elif msg.chunked is not None:
        body = bytes(msg.chunked.body)
        trailers = list(msg.chunked.trailers)
        problems += msg.chunked.problems
        if msg.chunked.state != _FAILED and not complete:
            problems.append(msg.chunked.cut_short(buf, eof))
    elif msg.framing == "close":
        body = _copy(buf, msg.body_start)
        complete = eof
        problems.append(Problem("close-delimited", "length delimited by close", severity=INFO))
    else:
        body = b""
    extra = b""
    following = 0
    if msg.end is not None and msg.end < size:
        extra = _copy(buf, msg.end)
        following = _trailing_problems(buf, messages, eof, msg.upgraded, problems)
    return HttpResponse(
        head.version, head.status, head.reason, head.headers, body, msg.framing, complete,
        problems, msg.body_start - msg.start, extra, interim, trailers, following,
    )  # fmt: skip


def _trailing_problems(
    buf: _Buffer, messages: list[_Message], eof: bool, upgraded: bool, problems: list[Problem]
) -> int:
    """Name the bytes after the first response; returns how many responses follow."""
    end = messages[0].end
    assert end is not None
    if upgraded:
        problems.append(
            Problem(
                "upgraded",
                f"{len(buf) - end:,} bytes after the switch to another protocol",
                severity=INFO,
                offset=end,
            )
        )
        return 0
    following = 0
    junk_at: int | None = None
    for message in messages[1:]:
        kind = message.is_http(buf, eof)
        if kind is None:
            break
        if kind is False:
            junk_at = message.head_start
            break
        following += 1
    if following:
        word = "response follows" if following == 1 else "responses follow"
        problems.append(
            Problem("more-responses", f"{following:,} more {word}", severity=INFO, offset=end)
        )
    if junk_at is not None:
        where = "the last response" if following else "the message end"
        count = len(buf) - junk_at
        noun = "byte" if count == 1 else "bytes"
        problems.append(
            Problem("extra-bytes", f"{count:,} extra {noun} after {where}", offset=junk_at)
        )
    return following


# --- requests --------------------------------------------------------------------------

_CTL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def looks_like_request(data: bytes) -> bool:
    """Whether `data` starts with an HTTP request line (`GET /path HTTP/1.1`), spaced
    loosely: a token, a target (perhaps with spaces in it) and an `HTTP/` version."""
    newline = data.find(b"\n", 0, MAX_LINE)
    words = data[: newline if newline != -1 else MAX_LINE].split()
    return len(words) >= 3 and words[-1].startswith(b"HTTP/") and bool(_TOKEN.match(words[0]))


def _parse_request_line(line: bytes, number: int, head: _Head) -> None:
    words = line.split()
    head.method = words[0].decode("latin-1") if words else ""
    version = words[-1] if len(words) > 2 else b""
    head.target = b" ".join(words[1:-1] if version else words[1:]).decode("latin-1")
    head.version = version.decode("latin-1")
    if words and not _TOKEN.fullmatch(words[0]):
        head.problems.append(Problem("bad-method", f"invalid method {_quote(words[0])}", number))
    if _VERSION.fullmatch(version):
        if version[7:8] not in (b"0", b"1"):
            head.problems.append(
                Problem(
                    "unknown-version", f"unknown HTTP version {_quote(version)}", number, WARNING
                )
            )
    elif version.startswith(b"HTTP/"):
        head.problems.append(
            Problem(
                "unknown-version",
                f"HTTP version {_quote(version)} on an HTTP/1.x connection",
                number,
            )
        )
    if len(words) != 3 or line != b" ".join(words):
        head.problems.append(
            Problem(
                "bad-request-line",
                f"request line {_quote(line)} is not spaced as 'GET /path HTTP/1.1'"
                + (" (a space inside the target?)" if len(words) > 3 else ""),
                number,
            )
        )
    ctl = _ctl_problem(head.target.encode("latin-1"), "the request target", number)
    if ctl:
        head.problems.append(ctl)


def _request_framing(head: _Head) -> tuple[str, int, list[Problem]]:
    """RFC 9112 section 6.3 for requests: chunked, Content-Length, or no body at all."""
    if head.codings:
        framing, length, problems = _coding_framing(head, "request", _UNFRAMED_NOTE)
    elif head.lengths:
        framing, length, problems = _length_framing(head, _UNFRAMED_NOTE)
    else:
        return "none", 0, []
    return ("none" if framing == "close" else framing), length, problems


def _host_problems(head: _Head) -> list[Problem]:
    hosts = sum(1 for name, _ in head.headers if name.lower() == "host")
    if hosts > 1:
        return [Problem("repeated-host", f"{hosts} Host headers (a server must answer 400)")]
    if hosts == 0 and head.version == "HTTP/1.1":
        return [Problem("missing-host", "HTTP/1.1 request without a Host header", severity=WARNING)]
    return []


def parse_request(data: bytes, *, eof: bool) -> HttpRequest | None:
    """Parse the first request in `data`; None only when `data` is empty.

    `eof` says whether the client finished sending: it turns "waiting" into errors for
    anything cut short. The same bytes give the same result however they arrived.
    """
    if not data:
        return None
    data = bytes(data)
    newline = data.find(b"\n")
    first = data[: newline if newline != -1 else len(data)]
    decided = newline != -1 or eof or len(data) > MAX_LINE
    if (decided and not looks_like_request(first)) or _CTL_BYTES.search(first[:MAX_LINE]):
        start = first[: QUOTE_LIMIT + 1].rstrip(b"\r")
        problem = Problem("not-http", f"not an HTTP/1.x request (it starts with {_quote(start)})")
        return HttpRequest("", "", "", [], b"", "none", eof, [problem], 0, b"")
    parser = _HeadParser(0, 0, _parse_request_line, "the request line")
    match = _HEAD_END.search(data)
    if match is None:
        parser.feed(data, len(data), final=eof)
        head = parser.finish()
        waiting = Problem(
            "headers-incomplete",
            "headers incomplete: the connection closed before the blank line that ends them"
            if eof
            else "headers incomplete: waiting for the blank line that ends them",
            severity=ERROR if eof else INFO,
        )
        return HttpRequest(
            head.method, head.target, head.version, head.headers, b"", "none", False,
            [*head.problems, waiting], len(data), b"",
        )  # fmt: skip
    parser.feed(data, match.end())
    head = parser.finish()
    start = match.end()
    framing, length, framing_problems = _request_framing(head)
    problems = [*head.problems, *_host_problems(head), *framing_problems]
    trailers: list[tuple[str, str]] = []
    end: int | None = start
    body = b""
    if framing == "content-length":
        body = data[start : start + length]
        end = start + length if len(body) == length else None
        if end is None:
            problems.append(
                Problem("incomplete-body", f"incomplete body: {len(body):,} of {length:,} bytes")
                if eof
                else Problem(
                    "incomplete-body",
                    f"waiting for the body: {len(body):,} of {length:,} bytes so far",
                    severity=INFO,
                )
            )
    elif framing == "chunked":
        chunked = _Chunked(start)
        chunked.advance(data)
        body, trailers, end = bytes(chunked.body), list(chunked.trailers), chunked.end
        problems += chunked.problems
        if chunked.state != _FAILED and end is None:
            problems.append(chunked.cut_short(data, eof))
    extra = b"" if end is None else data[end:]
    if extra:
        if looks_like_request(extra):
            problems.append(
                Problem("more-requests", "another request follows", severity=INFO, offset=end)
            )
        else:
            noun = "byte" if len(extra) == 1 else "bytes"
            problems.append(
                Problem(
                    "extra-bytes",
                    f"{len(extra):,} extra {noun} after the request end"
                    + (" (a body without Content-Length?)" if framing == "none" else ""),
                    offset=end,
                )
            )
    return HttpRequest(
        head.method, head.target, head.version, head.headers, body, framing, end is not None,
        problems, start, extra, trailers,
    )  # fmt: skip
