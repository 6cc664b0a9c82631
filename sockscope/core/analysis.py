"""What an exchange means: which parser applies to the received bytes, and its result.

One place decides this for the CLI printer, the JSON output and the TUI panes, so
they never disagree about whether a reply is HTTP or an SMTP dialogue.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple, overload

from sockscope.core.http import (
    Framing,
    HttpResponse,
    HttpResponseParser,
    Problem,
    Severity,
    looks_like_http,
    parse_response,
)
from sockscope.core.http.coding import DecodedBody, content_codings, decode_body
from sockscope.core.model import Exchange, StopReason
from sockscope.core.views import goes_on, human_bytes

if TYPE_CHECKING:
    from sockscope.core.http import HttpRequest
    from sockscope.core.json_stream import Base64
    from sockscope.core.replies import Reply

REPLY_PROTOCOLS = ("smtp", "ftp", "pop3", "imap", "nntp", "redis")

# An HTTP/1.x request line: the method decides whether a reply may carry a body.
_REQUEST_LINE = re.compile(rb"\A([A-Z][A-Z0-9_-]{0,31}) [^ \r\n]+ HTTP/1\.[01]\r?\n")


# A NamedTuple, as the parsers' records are (a dataclass compiles its methods at
# import); each field is given where one is made, so none needs a mutable default.
class Analysis(NamedTuple):
    protocol: str | None  # "http", one of REPLY_PROTOCOLS, or None (raw bytes only)
    http: HttpResponse | None
    replies: list[Reply]


def request_method(request: bytes) -> str | None:
    """The method of an HTTP/1.x request line at the start of `request`, if any."""
    match = _REQUEST_LINE.match(request)
    return match.group(1).decode("ascii") if match else None


def choose_protocol(parser: str | None, request: bytes, received: bytes | memoryview) -> str | None:
    """The template's parser if it names one, else HTTP when either side looks like it."""
    if parser:
        return parser
    if request_method(request) or looks_like_http(received):
        return "http"
    return None


def analyse(exchange: Exchange, parser: str | None = None, *, body: bool = True) -> Analysis:
    """`body=False`: an HTTP body that is one span of the received bytes (`spans.body`,
    framed by Content-Length or close) is left out of `body` unless it has content
    codings (a report shows those decoded), sparing a copy of the bytes: the report
    does not show it, and JSON writes it from `Exchange.kept_slices`."""
    received = exchange.kept_bytes
    protocol = choose_protocol(parser, exchange.request, received)
    if protocol == "http":
        bytes_in = exchange.bytes_in
        truncated = bytes_in > len(received)
        method = request_method(exchange.request) or "GET"
        eof = _eof(exchange, truncated)
        response = parse_response(received, eof=eof, method=method, body=body)
        if not body and response is not None and content_codings(response.headers):
            response = parse_response(received, eof=eof, method=method)
        return _http_analysis(response, truncated, len(received), bytes_in)
    return _replies(protocol, received)


def _replies(protocol: str | None, received: bytes | memoryview) -> Analysis:
    # Each protocol's parser is imported when a reply is of that protocol: an HTTP
    # exchange's start does not pay for the reply-line and telnet parsers. The telnet
    # parser reads bytes (a view of a capture's buffer is copied for it).
    if protocol in REPLY_PROTOCOLS:
        from sockscope.core.replies import parse_replies

        return Analysis(protocol, None, parse_replies(received, protocol))
    if protocol == "telnet":
        from sockscope.core.telnet import telnet_replies

        return Analysis(protocol, None, telnet_replies(bytes(received)))
    return Analysis(None, None, [])


@overload
def shown_text(received: bytes, protocol: str | None) -> bytes: ...
@overload
def shown_text(received: bytes | memoryview, protocol: str | None) -> bytes | memoryview: ...
def shown_text(received: bytes | memoryview, protocol: str | None) -> bytes | memoryview:
    """The bytes the Decoded view shows: a telnet stream's text without its commands
    (Headers lists those), any other reply as it came."""
    if protocol != "telnet":
        return received
    from sockscope.core.telnet import telnet_text

    return telnet_text(bytes(received))


class LiveAnalysis:
    """`analyse` for an exchange whose kept bytes grow while it runs: each update hands
    the HTTP parser the grown bytes, which it keeps as they are (no copy of its own) and
    parses only past what it had, so a streaming reply costs linear time in all rather
    than a whole re-parse per redraw. Bytes that do not extend the previous ones, or
    another request, start it over; the result is always what `analyse(exchange, parser)`
    gives, but that `body=False` leaves out a body that is one span of the bytes, as
    `analyse` does (before content codings are undone: the app decodes from the span)."""

    def __init__(self, parser: str | None = None, *, body: bool = True) -> None:
        self.parser = parser
        self.body = body
        self._request: bytes | None = None
        self._kept: bytes | memoryview = b""
        self._protocol: str | None = None
        self._decided = False
        self._http: HttpResponseParser | None = None

    def update(
        self,
        exchange: Exchange,
        *,
        received: bytes | memoryview | None = None,
        bytes_in: int | None = None,
    ) -> Analysis:
        """The analysis of `exchange` now. A caller that already counted its kept bytes
        and every byte received (the TUI's Tally) passes them, sparing two joins of every
        event."""
        if received is None:
            received = exchange.kept_bytes
        if bytes_in is None:
            bytes_in = exchange.bytes_in
        if exchange.request != self._request or (
            received is not self._kept and not goes_on(received, self._kept)
        ):
            self._start(exchange.request)
        self._kept = received
        if not self._decided:
            self._protocol = choose_protocol(self.parser, exchange.request, received)
            # Past the 8 bytes of "HTTP/1.x" more bytes cannot change the choice.
            self._decided = self._protocol is not None or len(received) >= 8
        if self._protocol == "http":
            if self._http is None:
                self._http = HttpResponseParser(request_method(exchange.request) or "GET")
            self._http.feed_grown(received)
            truncated = bytes_in > len(received)
            response = self._http.result(_eof(exchange, truncated), body=self.body)
            return _http_analysis(response, truncated, len(received), bytes_in)
        return _replies(self._protocol, received)

    def _start(self, request: bytes) -> None:
        self._request = request
        self._kept = b""
        self._decided = False
        self._http = None


def _eof(exchange: Exchange, truncated: bool) -> bool:
    # Bytes past the capture limit were received but not kept: the message is cut, not
    # incomplete, so it is parsed as still arriving and says why it stops short.
    return exchange.stop is StopReason.PEER_CLOSED and not truncated


def _http_analysis(
    response: HttpResponse | None, truncated: bool, kept: int, bytes_in: int
) -> Analysis:
    if response is not None and truncated:
        response = _cut_by_capture(response, kept, bytes_in)
    return Analysis("http", response, [])


# What a parse of a cut-off capture reports as still to come.
_STILL_ARRIVING = ("incomplete-body", "headers-incomplete", "no-last-chunk", "no-final-response")


def _cut_by_capture(response: HttpResponse, kept: int, received: int) -> HttpResponse:
    problems = [p for p in response.problems if p.code not in _STILL_ARRIVING]
    note = (
        f"the capture kept {human_bytes(kept)} of {human_bytes(received)} received; "
        "the reply goes on past what is shown"
    )
    problems.append(Problem("capture-truncated", note, severity=Severity.WARNING))
    return response._replace(problems=problems)


def http_to_dict(response: HttpResponse | None, *, streamed: bool = False) -> dict[str, Any] | None:
    """The `http` object of `sockscope send --json`; `streamed`: its body a `Base64`
    value, for `json_pieces` to encode as it writes it."""
    if response is None:
        return None
    return {
        "version": response.version,
        "status": response.status,
        "reason": response.reason,
        **message_fields(response, streamed=streamed),
    }


def decoded_body(message: HttpResponse | HttpRequest) -> DecodedBody | None:
    """The message's body with its content codings undone (a chunked one de-chunked
    first, as the parser does); None when it has none."""
    return decode_body(message.body, message.headers, chunked=message.framing is Framing.CHUNKED)


def message_fields(
    message: HttpResponse | HttpRequest, *, streamed: bool = False
) -> dict[str, Any]:
    """What requests and responses share in JSON: headers, body, framing, problems,
    and the body decoded when it had content codings (`body_b64` is before them)."""
    body = message.body
    decoded = decoded_body(message)
    return {
        "headers": [[name, value] for name, value in message.headers],
        "body_b64": _b64(body, streamed),
        "decoded": None
        if decoded is None
        else {
            "codings": decoded.chain,
            "body_b64": _b64(decoded.data, streamed),
            "size": len(decoded.data),
            "problem": decoded.problem or None,
        },
        "framing": message.framing,
        "complete": message.complete,
        "problems": [
            {"code": p.code, "message": p.message, "line": p.line, "severity": p.severity}
            for p in message.problems
        ],
    }


def replies_to_list(replies: list[Reply]) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "lines": r.lines, "multiline": r.multiline, "complete": r.complete}
        for r in replies
    ]


def _b64(data: bytes, streamed: bool) -> Base64 | str:
    # Only JSON needs these: a text report's start loads neither base64 nor json.
    if streamed:
        from sockscope.core.json_stream import Base64

        return Base64((data,))
    import base64

    return base64.b64encode(data).decode("ascii")
