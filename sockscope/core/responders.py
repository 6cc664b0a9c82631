"""What `sockscope listen` answers: reply templates and fixed replies, as pure state machines.

A Responder is told what happens on one client connection (it opened, bytes arrived, the
client finished sending) and answers each time with the bytes to send and whether to
close afterwards. No I/O here: the listener does the sending, tests call these directly.

Client bytes are untrusted; a responder only ever sends them back to the same client
(echo, the http-ok page), never to a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from sockscope.core.commands import CommandReader
from sockscope.core.http import HttpRequest, parse_request
from sockscope.core.sanitize import sanitize
from sockscope.core.views import human_bytes

# The most the http-ok template buffers while waiting for a whole request.
HTTP_OK_LIMIT = 1024 * 1024
SERVER_NAME = "sockscope-listen"


@dataclass(frozen=True)
class Answer:
    data: bytes = b""
    close: bool = False  # stop talking once `data` is sent (the client may still send)


class Responder(Protocol):
    # The parser that fits what clients of this responder send ("http", "smtp"), or None.
    protocol: str | None
    # Whether it can answer over UDP, where each datagram stands alone and no stream ends.
    datagram: bool

    def opening(self) -> Answer:
        """Right after the connection (and any TLS handshake) is up."""
        ...

    def received(self, data: bytes) -> Answer:
        """New bytes from the client."""
        ...

    def client_done(self) -> Answer:
        """The client finished sending (EOF)."""
        ...


class Echo:
    """Sends every byte back as it arrives; closes once the client is done."""

    protocol: str | None = None
    datagram = True

    def opening(self) -> Answer:
        return Answer()

    def received(self, data: bytes) -> Answer:
        return Answer(data)

    def client_done(self) -> Answer:
        return Answer(close=True)


class Fixed:
    """Sends `reply` once the client's first bytes arrive, then closes: a one-shot server."""

    protocol: str | None = None
    datagram = True

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.sent = False

    def opening(self) -> Answer:
        return Answer()

    def received(self, data: bytes) -> Answer:
        return self._once()

    def client_done(self) -> Answer:
        return self._once()

    def _once(self) -> Answer:
        if self.sent:
            return Answer()
        self.sent = True
        return Answer(self.reply, close=True)


class HttpOk:
    """An HTTP/1.1 200 page that says what arrived, once the whole request is in.

    A client that is not speaking HTTP gets a 400 page, one sending more than `limit`
    bytes before its request ends gets a 413; either way the connection closes after.
    """

    protocol: str | None = "http"
    datagram = False

    def __init__(self, limit: int = HTTP_OK_LIMIT) -> None:
        self.limit = limit
        self.buffer = bytearray()
        self.answered = False

    def opening(self) -> Answer:
        return Answer()

    def received(self, data: bytes) -> Answer:
        if self.answered:
            return Answer()
        self.buffer += data[: self.limit + 1 - len(self.buffer)]
        request = parse_request(bytes(self.buffer), eof=False)
        if request is None:
            return Answer()
        if any(problem.code == "not-http" for problem in request.problems):
            return self._answer(request, 400)
        if request.complete:
            return self._answer(request, 200)
        if len(self.buffer) > self.limit:
            return self._answer(request, 413)
        return Answer()

    def client_done(self) -> Answer:
        if self.answered:
            return Answer(close=True)
        request = parse_request(bytes(self.buffer), eof=True)
        if request is None or not request.method:
            return self._answer(request, 400)
        return self._answer(request, 200 if request.complete else 400)

    def _answer(self, request: HttpRequest | None, status: int) -> Answer:
        self.answered = True
        page = _page(bytes(self.buffer), request, status)
        head = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(page)}\r\n"
            "Connection: close\r\n"
            f"Server: {SERVER_NAME}\r\n\r\n"
        ).encode("ascii")
        head_only = request is not None and request.method == "HEAD"
        return Answer(head if head_only else head + page, close=True)


_REASONS = {200: "OK", 400: "Bad Request", 413: "Content Too Large"}


def _page(received: bytes, request: HttpRequest | None, status: int) -> bytes:
    if request is None or not request.method:
        intro = f"sockscope listen: this is not an HTTP/1.x request ({human_bytes(len(received))})"
        return (intro + "\n").encode()
    lines = [
        f"sockscope listen received {request.method} {request.target} {request.version}"
        if status == 200
        else f"sockscope listen could not read the whole request (HTTP {status})",
        "",
    ]
    head = received[: request.head_size].decode("latin-1")
    body = f"body: {human_bytes(len(request.body))} ({request.framing})"
    problems = [f"{p.severity}: {p.message}" for p in request.problems] or ["problems: none"]
    text = "\n".join([*lines, head.replace("\r\n", "\n").rstrip("\n"), "", body, *problems])
    return (text + "\n").encode("utf-8", "replace")


class SmtpGreeting:
    """Greets with 220 and answers each command minimally; accepts mail but keeps none."""

    protocol: str | None = "smtp"
    datagram = False
    GREETING = b"220 sockscope.listen ESMTP sockscope listen (nothing is delivered)\r\n"
    ANSWERS: ClassVar[dict[str, bytes]] = {
        "EHLO": b"250-sockscope.listen\r\n250-8BITMIME\r\n250 SIZE 1048576\r\n",
        "HELO": b"250 sockscope.listen\r\n",
        "MAIL": b"250 2.1.0 OK\r\n",
        "RCPT": b"250 2.1.5 OK\r\n",
        "RSET": b"250 2.0.0 OK\r\n",
        "NOOP": b"250 2.0.0 OK\r\n",
        "VRFY": b"252 2.5.2 cannot verify, but will accept\r\n",
        "DATA": b"354 end data with <CR><LF>.<CR><LF>\r\n",
        "QUIT": b"221 2.0.0 bye\r\n",
    }
    ACCEPTED = b"250 2.0.0 OK: message received (and not delivered)\r\n"
    UNKNOWN = b"502 5.5.2 command not recognised\r\n"

    def __init__(self) -> None:
        self.reader = CommandReader(smtp=True)
        self.done = False

    def opening(self) -> Answer:
        return Answer(self.GREETING)

    def received(self, data: bytes) -> Answer:
        if self.done:
            return Answer()
        out = bytearray()
        for command in self.reader.feed(data):
            if command.message:
                out += self.ACCEPTED
                continue
            out += self.ANSWERS.get(command.name, self.UNKNOWN)
            if command.name == "QUIT":
                self.done = True
                return Answer(bytes(out), close=True)
        return Answer(bytes(out))

    def client_done(self) -> Answer:
        return Answer(close=True)


REPLY_TEMPLATES: dict[str, tuple[str, Callable[[], Responder]]] = {
    "http-ok": ("an HTTP/1.1 200 page saying what was received, then close", HttpOk),
    "smtp-greeting": ("220, then minimal answers to SMTP commands (nothing kept)", SmtpGreeting),
    "echo": ("send every byte back as it arrives", Echo),
}


def datagram_refusal(responder: Responder, name: str = "this reply template") -> str | None:
    """Why `responder` cannot answer over UDP, in one sentence; None when it can."""
    if responder.datagram:
        return None
    return f"{sanitize(name)} needs a stream (tcp, tls or unix); over udp use echo or a fixed reply"


def make_responder(name: str) -> Responder:
    """A fresh responder of the reply template `name`; ValueError naming the choices."""
    if name not in REPLY_TEMPLATES:
        choices = ", ".join(REPLY_TEMPLATES)
        raise ValueError(f"unknown reply template {sanitize(name)!r}; one of: {choices}")
    return REPLY_TEMPLATES[name][1]()


@dataclass(frozen=True)
class ReplyPlan:
    """How a listener answers: a fresh responder per client, the parser it implies."""

    factory: Callable[[], Responder] | None  # None: watch only (or answer by hand)
    protocol: str | None  # the parser the reply template implies
    words: str  # how we answer, in words, for the "listening on" line


def plan_reply(*, data: bytes | None, template: str | None, datagram: bool) -> ReplyPlan:
    """A fixed reply (`data`), a reply template by name, or neither (watch only).
    ValueError, in one sentence, for an unknown template or a stream-only one over UDP."""
    if data is not None:
        return ReplyPlan(lambda: Fixed(data), None, f"fixed reply of {human_bytes(len(data))}")
    if template is not None:
        sample = make_responder(template)
        refusal = datagram_refusal(sample, template) if datagram else None
        if refusal is not None:
            raise ValueError(refusal)
        return ReplyPlan(lambda: make_responder(template), sample.protocol, template)
    return ReplyPlan(None, None, "none (watching only)")
