"""HTTP/1.x requests: what a client sent to `sockscope listen`, parsed whole.

Requests share the head parser, the problem codes and the chunked decoder with
responses. The same bytes give the same result however they arrived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sockscope.core.http.chunked import ChunkedDecoder, ChunkState
from sockscope.core.http.framing import Framing, request_framing
from sockscope.core.http.head import (
    HEAD_END,
    TOKEN,
    VERSION,
    Head,
    HeadParser,
    ctl_problem,
    first_value,
)
from sockscope.core.http.problems import MAX_LINE, QUOTE_LIMIT, Problem, Severity, quote


@dataclass(frozen=True)
class HttpRequest:
    method: str  # "" when the bytes are not an HTTP/1.x request
    target: str  # the request target as sent: "/index.html", "*", "example.com:443"
    version: str
    headers: list[tuple[str, str]]
    body: bytes  # chunked bodies decoded
    framing: Framing  # never CLOSE: a request without framing headers has no body
    complete: bool  # the message end was reached
    problems: list[Problem]
    head_size: int
    extra: bytes  # bytes after the message end (a pipelined request, or junk)
    trailers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        return first_value(self.headers, name)


_CTL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def looks_like_request(data: bytes) -> bool:
    """Whether `data` starts with an HTTP request line (`GET /path HTTP/1.1`), spaced
    loosely: a token, a target (perhaps with spaces in it) and an `HTTP/` version."""
    newline = data.find(b"\n", 0, MAX_LINE)
    words = data[: newline if newline != -1 else MAX_LINE].split()
    return len(words) >= 3 and words[-1].startswith(b"HTTP/") and bool(TOKEN.match(words[0]))


def _parse_request_line(line: bytes, number: int, head: Head) -> None:
    words = line.split()
    head.method = words[0].decode("latin-1") if words else ""
    version = words[-1] if len(words) > 2 else b""
    head.target = b" ".join(words[1:-1] if version else words[1:]).decode("latin-1")
    head.version = version.decode("latin-1")
    if words and not TOKEN.fullmatch(words[0]):
        head.problems.append(Problem("bad-method", f"invalid method {quote(words[0])}", number))
    if VERSION.fullmatch(version):
        if version[7:8] not in (b"0", b"1"):
            head.problems.append(
                Problem(
                    "unknown-version",
                    f"unknown HTTP version {quote(version)}",
                    number,
                    Severity.WARNING,
                )
            )
    elif version.startswith(b"HTTP/"):
        head.problems.append(
            Problem(
                "unknown-version",
                f"HTTP version {quote(version)} on an HTTP/1.x connection",
                number,
            )
        )
    if len(words) != 3 or line != b" ".join(words):
        head.problems.append(
            Problem(
                "bad-request-line",
                f"request line {quote(line)} is not spaced as 'GET /path HTTP/1.1'"
                + (" (a space inside the target?)" if len(words) > 3 else ""),
                number,
            )
        )
    ctl = ctl_problem(head.target.encode("latin-1"), "the request target", number)
    if ctl:
        head.problems.append(ctl)


def _host_problems(head: Head) -> list[Problem]:
    hosts = sum(1 for name, _ in head.headers if name.lower() == "host")
    if hosts > 1:
        return [Problem("repeated-host", f"{hosts} Host headers (a server must answer 400)")]
    if hosts == 0 and head.version == "HTTP/1.1":
        return [
            Problem(
                "missing-host", "HTTP/1.1 request without a Host header", severity=Severity.WARNING
            )
        ]
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
        opening = first[: QUOTE_LIMIT + 1].rstrip(b"\r")
        problem = Problem("not-http", f"not an HTTP/1.x request (it starts with {quote(opening)})")
        return HttpRequest("", "", "", [], b"", Framing.NONE, eof, [problem], 0, b"")
    parser = HeadParser(0, 0, _parse_request_line, "the request line")
    match = HEAD_END.search(data)
    if match is None:
        parser.feed(data, len(data), final=eof)
        head = parser.finish()
        waiting = Problem(
            "headers-incomplete",
            "headers incomplete: the connection closed before the blank line that ends them"
            if eof
            else "headers incomplete: waiting for the blank line that ends them",
            severity=Severity.ERROR if eof else Severity.INFO,
        )
        return HttpRequest(
            head.method, head.target, head.version, head.headers, b"", Framing.NONE, False,
            [*head.problems, waiting], len(data), b"",
        )  # fmt: skip
    parser.feed(data, match.end())
    head = parser.finish()
    start = match.end()
    framing, length, framing_problems = request_framing(head)
    problems = [*head.problems, *_host_problems(head), *framing_problems]
    trailers: list[tuple[str, str]] = []
    end: int | None = start
    body = b""
    if framing is Framing.CONTENT_LENGTH:
        body = data[start : start + length]
        end = start + length if len(body) == length else None
        if end is None:
            problems.append(
                Problem("incomplete-body", f"incomplete body: {len(body):,} of {length:,} bytes")
                if eof
                else Problem(
                    "incomplete-body",
                    f"waiting for the body: {len(body):,} of {length:,} bytes so far",
                    severity=Severity.INFO,
                )
            )
    elif framing is Framing.CHUNKED:
        chunked = ChunkedDecoder(start)
        chunked.advance(data)
        body, trailers, end = bytes(chunked.body), list(chunked.trailers), chunked.end
        problems += chunked.problems
        if chunked.state != ChunkState.FAILED and end is None:
            problems.append(chunked.cut_short(data, eof))
    extra = b"" if end is None else data[end:]
    if extra:
        if looks_like_request(extra):
            problems.append(
                Problem(
                    "more-requests", "another request follows", severity=Severity.INFO, offset=end
                )
            )
        else:
            noun = "byte" if len(extra) == 1 else "bytes"
            problems.append(
                Problem(
                    "extra-bytes",
                    f"{len(extra):,} extra {noun} after the request end"
                    + (" (a body without Content-Length?)" if framing is Framing.NONE else ""),
                    offset=end,
                )
            )
    return HttpRequest(
        head.method, head.target, head.version, head.headers, body, framing, end is not None,
        problems, start, extra, trailers,
    )  # fmt: skip
