"""A small HTTP/1.1 server: a few pages, each framed the way its description says.

It reads requests itself (a lab server, not a general one): heads are capped in size and
header count, request bodies are read and dropped so keep-alive stays in step, and both
CRLF and bare-LF line endings are accepted, as most real servers do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from urllib.parse import parse_qs

from sockscope.lab.services import CHUNK, send_chargen

SERVER = "sockscope-lab"
MAX_HEAD = 16384  # bytes of request line and headers, like h11's default
MAX_HEADERS = 100
MAX_REQUEST_BODY = 1 << 20
MAX_BYTES = 1 << 30  # the largest /bytes?n=N
DEFAULT_BYTES = 1024
IDLE_TIMEOUT = 300.0  # seconds a keep-alive connection may wait for its next request
SLOW_LINES = 20
SLOW_INTERVAL = 0.25

CHUNKS = (
    b"This body arrives in chunks.\n",
    b"Each chunk starts with its size in hex and CRLF,\n",
    b"then come the data and another CRLF.\n",
    b"A chunk of size zero ends the body.\n",
)

PAGES = (
    ("/", "this page"),
    ("/hello", "a short plain-text greeting"),
    ("/chunked", "a body sent in several chunks (Transfer-Encoding: chunked)"),
    (f"/bytes?n={DEFAULT_BYTES}", "exactly n bytes of the chargen pattern (n up to 1 GiB)"),
    ("/slow", f"{SLOW_LINES} lines, one every {SLOW_INTERVAL} s"),
    ("/headers", "your request head, sent back as text"),
)


class BadRequest(Exception):
    """A request the lab will not serve; the connection closes after the answer."""

    def __init__(self, status: HTTPStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    head: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    @property
    def keep_alive(self) -> bool:
        if self.version == "HTTP/1.0":
            return False
        tokens = (self.header("connection") or "").lower().split(",")
        return "close" not in {token.strip() for token in tokens}


# A body is pieces to write (each one chunk when the length is unknown), or, for a body
# of known length, a coroutine function that writes it to the connection itself (the
# large /bytes bodies, sent zero-copy).
Body = AsyncIterator[bytes | memoryview] | Callable[[asyncio.StreamWriter], Awaitable[None]]


@dataclass(frozen=True)
class Page:
    status: HTTPStatus
    content_type: str
    body: Body
    # None: chunked for HTTP/1.1 clients, delimited by close for HTTP/1.0 ones.
    length: int | None
    headers: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.length is None and not isinstance(self.body, AsyncIterator):
            raise ValueError("a body that writes itself needs a length: it cannot be chunked")


async def _pieces(pieces: Iterable[bytes | memoryview]) -> AsyncIterator[bytes | memoryview]:
    for piece in pieces:
        yield piece


def text_page(status: HTTPStatus, text: str, content_type: str = "text/plain") -> Page:
    data = text.encode("utf-8")
    return Page(status, f"{content_type}; charset=utf-8", _pieces([data]), len(data))


def _index() -> Page:
    import html  # here, as formatdate in respond(): the lab starts before the app's first frame

    items = "\n".join(
        f'    <li><a href="{html.escape(path)}">{html.escape(path)}</a>: {what}</li>'
        for path, what in PAGES
    )
    return text_page(
        HTTPStatus.OK,
        "<!DOCTYPE html>\n<html>\n<head><title>sockscope lab</title></head>\n<body>\n"
        f"  <h1>sockscope lab</h1>\n  <ul>\n{items}\n  </ul>\n</body>\n</html>\n",
        "text/html",
    )


def _bytes(query: str) -> Page:
    n = parse_qs(query).get("n", [str(DEFAULT_BYTES)])[0]
    if not (n.isascii() and n.isdigit() and len(n) <= 10 and int(n) <= MAX_BYTES):
        return text_page(
            HTTPStatus.BAD_REQUEST, f"n must be a whole number from 0 to {MAX_BYTES}\n"
        )
    count = int(n)

    async def body(writer: asyncio.StreamWriter) -> None:
        await send_chargen(writer, count)

    return Page(HTTPStatus.OK, "text/plain; charset=us-ascii", body, count)


async def _drip(lines: list[bytes]) -> AsyncIterator[bytes]:
    for i, line in enumerate(lines):
        if i:
            await asyncio.sleep(SLOW_INTERVAL)
        yield line


def _slow() -> Page:
    lines = [f"slow line {n} of {SLOW_LINES}\n".encode("ascii") for n in range(1, SLOW_LINES + 1)]
    return Page(HTTPStatus.OK, "text/plain; charset=utf-8", _drip(lines), sum(map(len, lines)))


def route(request: Request) -> Page:
    if request.method not in ("GET", "HEAD"):
        page = text_page(HTTPStatus.METHOD_NOT_ALLOWED, "the lab serves GET and HEAD only\n")
        return replace(page, headers=(("Allow", "GET, HEAD"),))
    path, _, query = request.target.partition("?")
    match path:
        case "/":
            return _index()
        case "/hello":
            return text_page(HTTPStatus.OK, "Hello from the sockscope lab!\n")
        case "/chunked":
            return Page(HTTPStatus.OK, "text/plain; charset=utf-8", _pieces(CHUNKS), None)
        case "/bytes":
            return _bytes(query)
        case "/slow":
            return _slow()
        case "/headers":
            head = request.head
            return Page(HTTPStatus.OK, "text/plain", _pieces([head]), len(head))
    return text_page(HTTPStatus.NOT_FOUND, "not found: try / for the list of pages\n")


def _parse_head(lines: list[bytes]) -> tuple[str, str, str, list[tuple[str, str]]]:
    try:
        request_line = lines[0].rstrip(b"\r\n").decode("ascii")
    except UnicodeDecodeError:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "the request line is not ASCII") from None
    parts = request_line.split(" ")
    if len(parts) != 3 or not all(parts):
        raise BadRequest(HTTPStatus.BAD_REQUEST, "the request line is not METHOD TARGET VERSION")
    method, target, version = parts
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        raise BadRequest(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, "the lab speaks HTTP/1.0 and 1.1")
    headers = []
    for number, raw in enumerate(lines[1:], start=2):
        name, colon, value = raw.rstrip(b"\r\n").decode("latin-1").partition(":")
        if not colon or not name or name != name.strip():
            raise BadRequest(HTTPStatus.BAD_REQUEST, f"malformed header on line {number}")
        headers.append((name, value.strip(" \t")))
    return method, target, version, headers


async def _read_head(reader: asyncio.StreamReader) -> list[bytes] | None:
    """The head's lines without the blank line that ends it; None if the client leaves."""
    lines: list[bytes] = []
    size = 0
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            # A client that leaves mid-head gets nothing: there is nobody to answer.
            return None
        except asyncio.LimitOverrunError:
            raise BadRequest(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "a line is too long"
            ) from None
        size += len(line)
        if size > MAX_HEAD or len(lines) > MAX_HEADERS:
            raise BadRequest(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "the head is too large")
        if line.strip(b"\r\n"):
            lines.append(line)
        elif lines:
            return lines
        # RFC 9112 section 2.2: empty lines before a request line are ignored.


async def _drop_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
) -> None:
    if request.header("transfer-encoding") is not None:
        raise BadRequest(
            HTTPStatus.NOT_IMPLEMENTED, "the lab takes request bodies with Content-Length only"
        )
    lengths = {v for k, v in request.headers if k.lower() == "content-length"}
    if not lengths:
        return
    value = lengths.pop()
    if lengths or not (value.isascii() and value.isdigit() and len(value) <= 10):
        raise BadRequest(HTTPStatus.BAD_REQUEST, "invalid Content-Length")
    remaining = int(value)
    if remaining > MAX_REQUEST_BODY:
        raise BadRequest(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"request bodies are capped at {MAX_REQUEST_BODY} bytes",
        )
    if remaining and (request.header("expect") or "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    while remaining:
        data = await reader.read(min(remaining, CHUNK))
        if not data:
            raise asyncio.IncompleteReadError(b"", remaining)
        remaining -= len(data)


async def read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> Request | None:
    lines = await _read_head(reader)
    if lines is None:
        return None
    method, target, version, headers = _parse_head(lines)
    request = Request(method, target, version, headers, b"".join(lines))
    await _drop_body(reader, writer, request)
    return request


async def respond(writer: asyncio.StreamWriter, page: Page, request: Request | None) -> bool:
    """Send `page`; True when the connection stays open for another request."""
    from email.utils import formatdate

    chunked = page.length is None and request is not None and request.version == "HTTP/1.1"
    keep_alive = request is not None and request.keep_alive and (page.length is not None or chunked)
    headers = [
        ("Date", formatdate(usegmt=True)),
        ("Server", SERVER),
        ("Content-Type", page.content_type),
        *page.headers,
    ]
    if page.length is not None:
        headers.append(("Content-Length", str(page.length)))
    elif chunked:
        headers.append(("Transfer-Encoding", "chunked"))
    if not keep_alive:
        headers.append(("Connection", "close"))
    lines = [f"HTTP/1.1 {page.status.value} {page.status.phrase}"]
    lines += [f"{name}: {value}" for name, value in headers]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    if request is None or request.method != "HEAD":
        if isinstance(page.body, AsyncIterator):
            async for piece in page.body:
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                await writer.drain()
        else:
            await page.body(writer)
        if chunked:
            writer.write(b"0\r\n\r\n")
    await writer.drain()
    return keep_alive


async def serve_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            async with asyncio.timeout(IDLE_TIMEOUT):
                request = await read_request(reader, writer)
        except BadRequest as exc:
            await respond(writer, text_page(exc.status, f"{exc.detail}\n"), None)
            return
        except TimeoutError:
            return
        if request is None or not await respond(writer, route(request), request):
            return
