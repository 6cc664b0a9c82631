"""HTTP framing: one response per case, each breaking one rule of RFC 9112 on purpose.

A case is its exact bytes: the server reads the request, sends them and closes.
"""

from __future__ import annotations

from sockscope.core.model import StopReason
from sockscope.core.views import human_bytes
from sockscope.lab.hostile.case import HTTP_GET, Case, Expect
from sockscope.lab.hostile.script import ReadRequest, Send

HUGE_HEADER = 100 * 1024
MANY_HEADERS = 5_001

_OK = b"HTTP/1.1 200 OK\r\n"
_CHUNKED = _OK + b"Transfer-Encoding: chunked\r\n\r\n"


def http_case(
    name: str, does: str, shows: str, response: bytes, problems: tuple[str, ...] = ()
) -> Case:
    """A case that answers any request with exactly `response`, then closes."""
    return Case(
        name,
        "tcp",
        does,
        shows,
        Expect(
            StopReason.PEER_CLOSED,
            f"server finished sending (EOF) after {human_bytes(len(response))}",
            problems=problems,
        ),
        steps=(ReadRequest(), Send(response)),
        client=HTTP_GET,
    )


def _headers(count: int) -> bytes:
    return b"".join(b"X-Header-%d: %d\r\n" % (n, n) for n in range(1, count + 1))


CASES = (
    http_case(
        "http-bare-lf",
        "a response whose lines end in LF alone",
        'parsed, and flagged "non-CRLF line endings"',
        b"HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 6\n\nhello\n",
        ("bare-lf",),
    ),
    http_case(
        "http-no-colon",
        "a header line `Foo bar` between good ones",
        '"malformed header line 3"; the other headers still shown',
        _OK + b"Content-Length: 2\r\nFoo bar\r\nX-After: still shown\r\n\r\nok",
        ("malformed-header",),
    ),
    http_case(
        "http-space-before-colon",
        "a header `X-Thing : y`",
        "whitespace before the colon, flagged invalid",
        _OK + b"Content-Length: 2\r\nX-Thing : y\r\n\r\nok",
        ("space-before-colon",),
    ),
    http_case(
        "http-ctl-in-value",
        "a NUL and a bare CR inside header values",
        "visible tokens, each flagged",
        _OK + b"Content-Length: 2\r\nX-Nul: a\x00b\r\nX-Cr: a\rb\r\n\r\nok",
        ("ctl-in-value",),
    ),
    http_case(
        "http-obs-fold",
        "a header value continued on an indented line",
        "unfolded in the parsed view, flagged obsolete line folding",
        _OK + b"Content-Length: 2\r\nX-Folded: first\r\n  second\r\n\r\nok",
        ("obs-fold",),
    ),
    http_case(
        "http-huge-header",
        f"one {HUGE_HEADER // 1024} KiB header line",
        "a header-line size limit message; the raw view intact",
        _OK + b"Content-Length: 2\r\nX-Huge: " + b"a" * HUGE_HEADER + b"\r\n\r\nok",
        ("header-line-too-long",),
    ),
    http_case(
        "http-many-headers",
        f"{MANY_HEADERS:,} headers",
        "a header-count limit message, no freeze",
        _OK + b"Content-Length: 2\r\n" + _headers(MANY_HEADERS - 1) + b"\r\nok",
        ("too-many-headers",),
    ),
    http_case(
        "http-not-http",
        "a status line starting `HTTPr`",
        '"not an HTTP/1.x response"; the raw view',
        b"HTTPr 200 OK\r\nContent-Length: 2\r\n\r\nok",
        ("not-http",),
    ),
    http_case(
        "http-bare-body",
        "a body with no status line or headers at all",
        '"not an HTTP/1.x response"; the raw view',
        b"<html><body>just a body, no head</body></html>\n",
        ("not-http",),
    ),
    *(
        http_case(
            f"http-status-{label}",
            f"the status code `{code.decode()}`",
            '"invalid status code"',
            b"HTTP/1.1 " + code + b" OK\r\nContent-Length: 2\r\n\r\nok",
            ("bad-status",),
        )
        for label, code in (("2000", b"2000"), ("abc", b"abc"), ("minus-1", b"-1"))
    ),
    http_case(
        "http-short-body",
        "`Content-Length: 10`, 5 bytes, then close",
        '"incomplete body: 5 of 10 bytes"',
        _OK + b"Content-Length: 10\r\n\r\nhello",
        ("incomplete-body",),
    ),
    http_case(
        "http-long-body",
        "`Content-Length: 3` and 5 bytes",
        '"2 extra bytes after the message end"',
        _OK + b"Content-Length: 3\r\n\r\nhello",
        ("extra-bytes",),
    ),
    http_case(
        "http-length-minus-1",
        "`Content-Length: -1`",
        '"invalid framing: Content-Length"',
        _OK + b"Content-Length: -1\r\n\r\nhello",
        ("bad-content-length",),
    ),
    http_case(
        "http-length-conflict",
        "two different Content-Length headers",
        '"invalid framing: different Content-Length values"',
        _OK + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        ("bad-content-length",),
    ),
    http_case(
        "http-chunk-bad-hex",
        "a chunk size `zz`",
        '"invalid chunk size"; the chunks before it decoded',
        _CHUNKED + b"5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n",
        ("chunk-size",),
    ),
    http_case(
        "http-chunk-huge-size",
        "a 22-digit chunk size",
        '"chunk size ... is too long"; the chunks before it decoded',
        _CHUNKED + b"5\r\nhello\r\n" + b"1" * 22 + b"\r\nworld\r\n0\r\n\r\n",
        ("chunk-size-too-long",),
    ),
    http_case(
        "http-chunk-missing-crlf",
        "chunk data not followed by CRLF",
        '"not followed by CRLF"',
        _CHUNKED + b"5\r\nhelloXX5\r\nworld\r\n0\r\n\r\n",
        ("chunk-missing-crlf",),
    ),
    http_case(
        "http-chunk-no-last",
        "chunks, then close before the zero-size last chunk",
        '"the chunked body ends without the last (zero-size) chunk"',
        _CHUNKED + b"5\r\nhello\r\n5\r\nworld\r\n",
        ("no-last-chunk",),
    ),
    http_case(
        "http-headers-then-close",
        "a status line and headers, then close without the blank line",
        '"headers incomplete"',
        _OK + b"Content-Type: text/plain\r\nContent-Length: 5\r\n",
        ("headers-incomplete",),
    ),
    http_case(
        "http-read-until-close",
        "no Content-Length, no chunking: the body ends at the FIN",
        'complete at EOF, "length delimited by close"',
        _OK + b"Content-Type: text/plain\r\n\r\nthis body ends when the server closes\n",
        ("close-delimited",),
    ),
)
