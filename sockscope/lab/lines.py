"""The loop shared by the lab's line-command servers (POP3, IMAP, FTP, NNTP).

A greeting, then one reply per command line. A line longer than the protocol allows is
read to its end and dropped, never kept, so a client can hold at most one StreamReader
buffer (LINE_LIMIT) of the server's memory.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sockscope.lab.services import read_line

Session = TypeVar("Session")


class LineServer(Protocol):
    def __call__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        tls: ssl.SSLContext | None = None,
    ) -> Awaitable[None]: ...


@dataclass(frozen=True)
class Answer:
    """What to send back: one or more lines (without CRLF), and whether to close after."""

    lines: tuple[str, ...]
    close: bool = False
    start_tls: bool = False  # the go-ahead of STARTTLS (STLS): TLS begins after it


def answer(*lines: str, close: bool = False, start_tls: bool = False) -> Answer:
    return Answer(lines, close, start_tls)


async def read_command(reader: asyncio.StreamReader, max_line: int) -> tuple[bytes, bool]:
    """One line and whether it fitted in `max_line` bytes (CRLF included); b"" at EOF."""
    line = await read_line(reader)
    fits = len(line) <= max_line
    while line and not line.endswith(b"\n"):
        line = await read_line(reader)
        fits = False
    return line, fits


async def serve_lines(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    greeting: Answer,
    respond: Callable[[str], Answer],
    *,
    max_line: int,
    too_long: Answer,
    tls: ssl.SSLContext | None = None,
) -> None:
    """Send `greeting`, then `respond` to each command line until an answer closes; an
    answer that starts TLS is followed by the handshake, with `tls`."""
    reply = greeting
    while True:
        writer.write("".join(f"{line}\r\n" for line in reply.lines).encode("utf-8"))
        await writer.drain()
        if reply.close:
            return
        if reply.start_tls and tls is not None:
            await writer.start_tls(tls)
        line, fits = await read_command(reader, max_line)
        if not line:
            return
        reply = respond(line.rstrip(b"\r\n").decode("latin-1")) if fits else too_long


def line_server(
    new_session: Callable[..., Session],
    respond: Callable[[Session, str], Answer],
    greeting: Answer,
    *,
    max_line: int,
    too_long: Answer,
) -> LineServer:
    """A server for a line protocol with STARTTLS: each connection gets its own
    `new_session(starttls=...)`, told whether TLS is offered (a context was given)."""

    async def serve(
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        session = new_session(starttls=tls is not None)
        await serve_lines(
            reader,
            writer,
            greeting,
            lambda line: respond(session, line),
            max_line=max_line,
            too_long=too_long,
            tls=tls,
        )

    return serve
