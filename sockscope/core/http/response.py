"""HTTP/1.x responses: the first response in the bytes a server sent, parsed as they arrive.

Interim 1xx responses (other than 101) are collected in `interim` and the final
response after them is the one described.

Keep-alive: only the first (final) response is parsed in detail; every byte after its
end is `extra`. When those bytes start another `HTTP/1.x` status line they are further
pipelined or keep-alive responses, reported as an info problem ("2 more responses
follow", counted by framing each one in turn) and in `following`; anything else is an
`extra-bytes` error. `parse_response(extra)` parses the next response in detail.
Following responses are framed with the same request method (a HEAD pipeline stays HEAD).
"""

from __future__ import annotations

from enum import Enum, auto
from typing import NamedTuple

from sockscope.core.http.chunked import ChunkedDecoder, ChunkState
from sockscope.core.http.framing import Framing, response_framing
from sockscope.core.http.head import (
    HEAD_END,
    VERSION,
    Buffer,
    Head,
    HeadParser,
    Span,
    first_value,
    rfind,
)
from sockscope.core.http.problems import QUOTE_LIMIT, Problem, Severity, quote


# The records of a parse are NamedTuples, as Problem is: a dataclass compiles its methods
# at import, which every command that parses a reply would pay for at its start. Every
# field is given when one is made, so none needs a mutable default.
class Interim(NamedTuple):
    """A 1xx response (100 Continue, 103 Early Hints) before the final one."""

    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]


class ResponseSpans(NamedTuple):
    """Where each part of the final response is in the bytes parsed, line ends included:
    what a view highlights when that part is chosen."""

    status_line: Span | None
    headers: list[Span]  # one per listed header, in order
    body: Span | None  # as it came: a chunked body with its size lines
    chunk_lines: list[Span]  # the first MAX_CHUNK_SPANS


class HttpResponse(NamedTuple):
    version: str  # "HTTP/1.1"; "" when the bytes are not HTTP
    status: int | None
    reason: str
    headers: list[tuple[str, str]]  # in order, duplicates kept, at most MAX_HEADERS
    body: bytes  # chunked bodies decoded
    framing: Framing
    complete: bool  # the message end was reached
    problems: list[Problem]
    head_size: int  # offset of the body: status line, headers and any interim responses
    extra: bytes  # bytes after the message end
    interim: list[Interim]
    trailers: list[tuple[str, str]]
    following: int  # further responses that start in `extra`
    spans: ResponseSpans

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        return first_value(self.headers, name)


def looks_like_http(data: bytes | memoryview) -> bool:
    """Whether `data` starts with an HTTP/1.x version, as a status line does."""
    return VERSION.match(data) is not None


def parse_response(
    data: bytes | memoryview, *, eof: bool, method: str = "GET", body: bool = True
) -> HttpResponse | None:
    """Parse the first response in `data`; None only when `data` is empty.

    `eof` says whether the server finished sending: it decides whether a body delimited
    by close is complete, and turns "waiting" into errors for anything cut short.
    `body=False` leaves `body` empty where the body is one span of `data` (`spans.body`,
    by Content-Length or close), sparing a copy of the bytes: `data[start:end]` is it.
    """
    parser = HttpResponseParser(method)
    parser.feed_grown(data)  # read where they are, not copied
    return parser.result(eof, body=body)


class HttpResponseParser:
    """Incremental form of `parse_response`: feed bytes as they arrive, ask any time.

    The head is parsed once when its blank line arrives; after that feed() only counts
    (Content-Length, close) or decodes the new bytes (chunked), so streaming a large body
    costs linear time. result() copies the body, so call it when the view needs it.
    Any split of the same bytes gives the same result as `parse_response` on the whole.
    """

    def __init__(self, method: str = "GET") -> None:
        self._method = method.upper()
        self._buf: Buffer = b""
        self._messages = [_Message(0)]
        self._cached: tuple[int, bool, bool, HttpResponse | None] | None = None

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        if not chunk:
            return
        if not self._buf:
            self._buf = bytes(chunk)
        else:
            if not isinstance(self._buf, bytearray):
                self._buf = bytearray(self._buf)
            self._buf += chunk
        self._advance()

    def feed_grown(self, data: bytes | memoryview) -> None:
        """Feed what `data` holds past the bytes fed so far, `data` being all of them and
        more (a capture that grows: a longer view of its buffer, or joined anew): it is
        kept as it is, where feed() would build a copy of every byte beside the
        caller's."""
        if len(data) > len(self._buf):
            self._buf = data
            self._advance()

    def _advance(self) -> None:
        while True:
            last = self._messages[-1]
            last.advance(self._buf, self._method)
            if last.end is None or last.end >= len(self._buf) or last.upgraded:
                return
            self._messages.append(_Message(last.end))

    def result(self, eof: bool, *, body: bool = True) -> HttpResponse | None:
        """The first response as far as it has arrived; None before any bytes. With
        `body=False` its `body` is empty where `spans.body` says where it is."""
        if not self._buf:
            return None
        if self._cached and self._cached[:3] == (len(self._buf), eof, body):
            return self._cached[3]
        response = _describe(self._buf, self._messages, eof, body)
        self._cached = (len(self._buf), eof, body, response)
        return response


def _copy(buf: Buffer, start: int, end: int | None = None) -> bytes:
    """buf[start:end] as bytes with a single copy (none for a whole bytes object)."""
    if isinstance(buf, bytes):
        return buf[start:end]
    with memoryview(buf) as view, view[start:end] as part:
        return bytes(part)


class MessageState(Enum):
    """How far one response has arrived."""

    PREFIX = auto()  # fewer than the 8 bytes of "HTTP/1.x" so far
    HEAD = auto()  # the status line and headers, until the blank line
    NOT_HTTP = auto()  # the bytes are not an HTTP/1.x response
    BODY = auto()
    END = auto()  # the message ended; `end` says where


class _Message:
    """One response (with its interim 1xx heads) starting at `start` in the buffer."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.head_start = start
        self.first_line = 0  # lines before the current head (interim responses)
        self.scan = start
        self.state = MessageState.PREFIX
        self.interim: list[Interim] = []
        self.problems: list[Problem] = []
        self.head: Head | None = None
        self.framing = Framing.NONE
        self.length = 0
        self.body_start = 0
        self.chunked: ChunkedDecoder | None = None
        self.end: int | None = None
        self.upgraded = False  # 101 or CONNECT: what follows is another protocol
        self.head_parser = HeadParser(start, 0)
        self._partial: tuple[int, bool, Head] | None = None

    def advance(self, buf: Buffer, method: str) -> None:
        while True:
            if self.state == MessageState.PREFIX:
                got = bytes(buf[self.head_start : self.head_start + 8])
                if len(got) == 8:
                    self.state = (
                        MessageState.HEAD if VERSION.fullmatch(got) else MessageState.NOT_HTTP
                    )
                    self.head_parser = HeadParser(self.head_start, self.first_line)
                elif b"HTTP/1."[: len(got)] != got:
                    self.state = MessageState.NOT_HTTP
                else:
                    return
            elif self.state == MessageState.HEAD:
                match = HEAD_END.search(buf, max(self.scan, self.head_start))
                if match is None:
                    # Only the new bytes can hold the LF that ends more lines.
                    last = rfind(buf, b"\n", max(self.scan, self.head_parser.pos), len(buf))
                    self.head_parser.feed(buf, last + 1)
                    self.scan = max(self.head_start, len(buf) - 2)
                    return
                self.head_parser.feed(buf, match.end())
                self._head_done(match.end(), method)
            elif self.state == MessageState.BODY:
                if self.chunked is not None:
                    self.chunked.advance(buf)
                    self.end = self.chunked.end
                elif (
                    self.framing is Framing.CONTENT_LENGTH
                    and len(buf) - self.body_start >= self.length
                ):
                    self.end = self.body_start + self.length
                if self.end is not None:
                    self.state = MessageState.END
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
            self.state = MessageState.PREFIX
            return
        self.head = head
        self.framing, self.length, problems = response_framing(head, method)
        self.problems += problems
        self.body_start = head_end
        self.upgraded = head.status == 101 or (
            method == "CONNECT" and head.status is not None and 200 <= head.status < 300
        )
        if self.framing is Framing.NONE:
            self.end = head_end
            self.state = MessageState.END
        else:
            self.state = MessageState.BODY
            if self.framing is Framing.CHUNKED:
                self.chunked = ChunkedDecoder(head_end)

    def is_http(self, buf: Buffer, eof: bool) -> bool | None:
        """Whether this message is HTTP; None while too few bytes have arrived to tell."""
        if self.state == MessageState.NOT_HTTP:
            return False
        if self.state == MessageState.PREFIX and len(buf) > self.head_start:
            return False if eof else None
        return True

    def partial_head(self, buf: Buffer, eof: bool) -> Head:
        """The head so far (cached): complete lines only while more may arrive."""
        if self._partial and self._partial[:2] == (len(buf), eof):
            return self._partial[2]
        if eof:
            parser = HeadParser(self.head_start, self.first_line)
            parser.feed(buf, len(buf), final=True)
            head = parser.finish()
        else:
            head = self.head_parser.finish()
        self._partial = (len(buf), eof, head)
        return head


def _describe(buf: Buffer, messages: list[_Message], eof: bool, keep: bool) -> HttpResponse:
    """`keep`: copy a body that is one span of `buf` into the response."""
    msg = messages[0]
    size = len(buf)
    problems = list(msg.problems)
    interim = list(msg.interim)
    if msg.state == MessageState.PREFIX and size == msg.head_start and interim:
        last = interim.pop()
        problems.append(
            Problem(
                "no-final-response",
                f"no final response after the {last.status} interim response"
                if eof
                else f"waiting for the final response after the {last.status} interim response",
                severity=Severity.ERROR if eof else Severity.INFO,
            )
        )
        return HttpResponse(
            last.version, last.status, last.reason, last.headers, b"", Framing.NONE, False,
            problems, msg.head_start, b"", interim, [], 0, ResponseSpans(None, [], None, []),
        )  # fmt: skip
    if msg.is_http(buf, eof) is False:
        first = bytes(buf[msg.head_start : msg.head_start + QUOTE_LIMIT + 1]).split(b"\n")[0]
        problems.append(
            Problem("not-http", f"not an HTTP/1.x response (it starts with {quote(first)})")
        )
        body = _copy(buf, msg.head_start)
        return HttpResponse(
            "", None, "", [], body, Framing.CLOSE, eof, problems, msg.head_start, b"", interim,
            [], 0, ResponseSpans(None, [], None, []),
        )  # fmt: skip
    if msg.state in (MessageState.PREFIX, MessageState.HEAD):
        partial = msg.partial_head(buf, eof) if msg.state == MessageState.HEAD else Head()
        problems += partial.problems
        problems.append(
            Problem(
                "headers-incomplete",
                "headers incomplete: the connection closed before the blank line that ends them"
                if eof
                else "headers incomplete: waiting for the blank line that ends them",
                severity=Severity.ERROR if eof else Severity.INFO,
            )
        )
        return HttpResponse(
            partial.version, partial.status, partial.reason, partial.headers, b"", Framing.NONE,
            False, problems, size - msg.start, b"", interim, [], 0,
            ResponseSpans(partial.first_span, partial.header_spans, None, []),
        )  # fmt: skip
    head = msg.head
    assert head is not None  # set when the state left HEAD
    trailers: list[tuple[str, str]] = []
    complete = msg.end is not None
    body_end = size if msg.end is None else msg.end
    chunk_lines: list[Span] = []
    if msg.framing is Framing.CONTENT_LENGTH:
        got = min(size - msg.body_start, msg.length)
        body = _copy(buf, msg.body_start, msg.body_start + got) if keep else b""
        body_end = msg.body_start + got
        if not complete:
            problems.append(
                Problem("incomplete-body", f"incomplete body: {got:,} of {msg.length:,} bytes")
                if eof
                else Problem(
                    "incomplete-body",
                    f"waiting for the body: {got:,} of {msg.length:,} bytes so far",
                    severity=Severity.INFO,
                )
            )
    elif msg.chunked is not None:
        body = bytes(msg.chunked.body)
        trailers = list(msg.chunked.trailers)
        chunk_lines = list(msg.chunked.size_lines)
        problems += msg.chunked.problems
        if msg.chunked.state != ChunkState.FAILED and not complete:
            problems.append(msg.chunked.cut_short(buf, eof))
    elif msg.framing is Framing.CLOSE:
        body = _copy(buf, msg.body_start) if keep else b""
        complete = eof
        problems.append(
            Problem("close-delimited", "length delimited by close", severity=Severity.INFO)
        )
    else:
        body = b""
    extra = b""
    following = 0
    if msg.end is not None and msg.end < size:
        extra = _copy(buf, msg.end)
        following = _trailing_problems(buf, messages, eof, msg.upgraded, problems)
    spans = ResponseSpans(
        head.first_span,
        head.header_spans,
        None if msg.framing is Framing.NONE else (msg.body_start, body_end),
        chunk_lines,
    )
    return HttpResponse(
        head.version, head.status, head.reason, head.headers, body, msg.framing, complete,
        problems, msg.body_start - msg.start, extra, interim, trailers, following, spans,
    )  # fmt: skip


def _trailing_problems(
    buf: Buffer, messages: list[_Message], eof: bool, upgraded: bool, problems: list[Problem]
) -> int:
    """Name the bytes after the first response; returns how many responses follow."""
    end = messages[0].end
    assert end is not None
    if upgraded:
        problems.append(
            Problem(
                "upgraded",
                f"{len(buf) - end:,} bytes after the switch to another protocol",
                severity=Severity.INFO,
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
            Problem(
                "more-responses", f"{following:,} more {word}", severity=Severity.INFO, offset=end
            )
        )
    if junk_at is not None:
        where = "the last response" if following else "the message end"
        count = len(buf) - junk_at
        noun = "byte" if count == 1 else "bytes"
        problems.append(
            Problem("extra-bytes", f"{count:,} extra {noun} after {where}", offset=junk_at)
        )
    return following
