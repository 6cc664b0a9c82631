"""What every part of the HTTP parsers shares: the problems they name and the limits.

Each deviation from HTTP/1.x is a `Problem` with a stable `code` (one of PROBLEM_CODES)
and a plain message; the parsers never raise, whatever the bytes.

Limits (values as in curl and http.client) are reported, not enforced on the raw bytes:
a header line over MAX_LINE is cut to MAX_LINE in the parsed view; headers past the
MAX_HEADERS-th are not listed (only scanned for framing headers, so 100,000 headers cost
little); a head over MAX_HEAD is flagged.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

MAX_LINE = 64 * 1024
MAX_HEADERS = 5_000
MAX_HEAD = 300 * 1024
MAX_CHUNK_DIGITS = 16  # 64 bits, as curl
MAX_LENGTH_DIGITS = 19  # keeps int() far from Python's digit limit
QUOTE_LIMIT = 40


class Severity(StrEnum):
    """How bad a problem is; its value is what the text and JSON outputs print."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# Every Problem.code the parsers emit, with what it means.
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


# A NamedTuple: a dataclass compiles its methods when imported, which every command
# parsing a reply would pay for at its start.
class Problem(NamedTuple):
    code: str
    message: str
    line: int | None = None  # 1-based line of the received data, for head problems
    severity: Severity = Severity.ERROR
    offset: int | None = None  # byte offset in the received data, for body problems


def quote(raw: bytes | bytearray | str) -> str:
    """`raw` in quotes for a problem message, cut at QUOTE_LIMIT characters."""
    text = raw if isinstance(raw, str) else bytes(raw).decode("latin-1")
    if len(text) > QUOTE_LIMIT:
        text = text[:QUOTE_LIMIT] + "..."
    return f"'{text}'"
