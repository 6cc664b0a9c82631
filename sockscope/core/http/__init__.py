"""Lenient HTTP/1.x response and request parsers that name every anomaly instead of failing.

Strict parsers such as h11 stop at the first error and say nothing about the rest;
sockscope's job is to show what a server really sent, so these parsers keep going,
decode what can be decoded and report each deviation as a `Problem` with a stable
`code` and a plain message. They never raise, whatever the bytes.

One concern per module, each building on the ones before it: `problems` (the problem
codes, severities and limits), `head` (status or request line and header fields),
`framing` (where the body ends), `chunked` (the chunked decoder), `response` and
`request` (a whole message of each kind). The names the rest of sockscope uses are
imported here; the request parser's when first used, as a reply's analysis (all that
`sockscope send` needs) does not use it.
"""

from typing import TYPE_CHECKING

from sockscope.core.http.framing import Framing
from sockscope.core.http.problems import (
    MAX_CHUNK_DIGITS,
    MAX_HEAD,
    MAX_HEADERS,
    MAX_LENGTH_DIGITS,
    MAX_LINE,
    PROBLEM_CODES,
    Problem,
    Severity,
)
from sockscope.core.http.response import (
    HttpResponse,
    HttpResponseParser,
    Interim,
    looks_like_http,
    parse_response,
)

if TYPE_CHECKING:
    from sockscope.core.http.request import HttpRequest, looks_like_request, parse_request

__all__ = [
    "MAX_CHUNK_DIGITS",
    "MAX_HEAD",
    "MAX_HEADERS",
    "MAX_LENGTH_DIGITS",
    "MAX_LINE",
    "PROBLEM_CODES",
    "Framing",
    "HttpRequest",
    "HttpResponse",
    "HttpResponseParser",
    "Interim",
    "Problem",
    "Severity",
    "looks_like_http",
    "looks_like_request",
    "parse_request",
    "parse_response",
]


def __getattr__(name: str) -> object:
    if name not in ("HttpRequest", "looks_like_request", "parse_request"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from sockscope.core.http import request

    return getattr(request, name)
