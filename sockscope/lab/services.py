"""The classic small services (RFC 862-867) and two teaching servers, over TCP and UDP.

Every TCP handler takes an asyncio (reader, writer) pair; Lab guards it against clients
that reset or vanish, so the handlers are written for the happy path. Every UDP protocol
answers each datagram on its own: there is no connection to keep.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import BinaryIO, cast

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

# Bytes one line may hold before it is cut (greeter) or refused (smtp); also the asyncio
# StreamReader limit, so a client that never sends a newline holds at most this much.
LINE_LIMIT = 8192
CHUNK = 65536

GREETING = b"Thank you for connecting\r\n"

# RFC 864: 72 of the 95 printable ASCII characters per line, starting one further on
# each line, so the pattern repeats every 95 lines.
_PRINTABLE = bytes(range(0x20, 0x7F))
_CHARGEN_LINES = [(_PRINTABLE * 2)[i : i + 72] + b"\r\n" for i in range(len(_PRINTABLE))]
_CHARGEN_CYCLE = b"".join(_CHARGEN_LINES)
_CHARGEN_BLOCK = _CHARGEN_CYCLE * (CHUNK // len(_CHARGEN_CYCLE) + 1)
# chargen_stream yields the first CHUNK bytes of _CHARGEN_BLOCK each time, which is not a
# whole number of cycles: its bytes start the pattern again at every CHUNK. Long bodies
# are sent from an in-memory file of 64 such blocks (4 MiB: a 1 GiB body is 256 sendfile
# calls), which keeps those very bytes.
CHARGEN_FILE_BLOCKS = 64
CHARGEN_TCP_BYTES = (65536 // len(_CHARGEN_LINES[0])) * len(_CHARGEN_LINES[0])
CHARGEN_UDP_LINES = 6  # 444 bytes: RFC 864 asks for at most 512 per datagram

TRICKLE_INTERVAL = 0.25
TRICKLE_LINES = 2400  # ten minutes at one line every 0.25 s

# Lore from the Python Socket Programming HOWTO; each under 512 bytes as RFC 865 asks.
QUOTES = (
    "Sockets are used nearly everywhere, but are one of the most severely misunderstood"
    " technologies around.",
    "When a recv returns 0 bytes, it means the other side has closed (or is in the"
    " process of closing) the connection. You will not receive any more data on this"
    " connection. Ever.",
    "Now we come to the major stumbling block of sockets - send and recv operate on the"
    " network buffers. They do not necessarily handle all the bytes you hand them.",
    "Probably the worst thing about using blocking sockets is what happens when the other"
    " side comes down hard (without doing a close).",
    "A protocol like HTTP uses a socket for only one transfer.",
)


def chargen_stream(n: int) -> Iterator[memoryview]:
    """The first `n` bytes of the endless RFC 864 pattern, in blocks of at most CHUNK."""
    block = memoryview(_CHARGEN_BLOCK)
    while n > 0:
        piece = min(n, CHUNK)
        yield block[:piece]
        n -= piece


@functools.cache
def chargen_file() -> BinaryIO | None:
    """chargen_stream's repeating block, CHARGEN_FILE_BLOCKS times, in an in-memory file
    made once per process and kept open (every lab of the process shares it); None where
    there is no memfd (not Linux)."""
    if not hasattr(os, "memfd_create"):
        return None
    file = open(os.memfd_create("sockscope-chargen"), "w+b")  # noqa: SIM115 - lives on
    file.write(_CHARGEN_BLOCK[:CHUNK] * CHARGEN_FILE_BLOCKS)
    file.flush()
    return file


async def send_chargen(writer: asyncio.StreamWriter, n: int) -> None:
    """Write the first `n` bytes of the pattern.

    On a plain TCP connection the kernel sends them from chargen_file (zero-copy
    sendfile): the file holds whole repeats of chargen_stream, so sending it from
    offset 0 again and again gives the very bytes chargen_stream gives. Over TLS the
    bytes must pass through Python anyway, so they are written block by block
    (asyncio's own sendfile fallback would also move the shared file's position under
    other connections).
    """
    file = chargen_file()
    transport = writer.transport
    if file is None or transport.get_extra_info("sslcontext") is not None:
        await _write_chargen(writer, n)
        return
    loop = asyncio.get_running_loop()
    size = CHUNK * CHARGEN_FILE_BLOCKS
    while n > 0:
        if transport.is_closing():
            # The client left between two sends (loop.sendfile would raise RuntimeError).
            raise ConnectionResetError("the client closed the connection")
        count = min(n, size)
        try:
            await loop.sendfile(transport, file, 0, count, fallback=False)
        except asyncio.SendfileNotAvailableError:
            # os.sendfile failed before its first byte: the socket or the file cannot
            # take it. Writing the rest either works or fails as any write to a client
            # that left does (an OSError the lab expects).
            await _write_chargen(writer, n)
            return
        n -= count


async def _write_chargen(writer: asyncio.StreamWriter, n: int) -> None:
    for block in chargen_stream(n):
        writer.write(block)
        await writer.drain()


def chargen_datagram() -> bytes:
    return b"".join(_CHARGEN_LINES[:CHARGEN_UDP_LINES])


def daytime_line() -> bytes:
    # RFC 867 suggests this shape; UTC so the answer does not depend on the host's zone.
    return datetime.now(UTC).strftime("%A, %B %d, %Y %H:%M:%S-UTC\r\n").encode("ascii")


class Quotes:
    """Hands out the quotes in turn: the Nth answer of a lab is always the same quote."""

    def __init__(self) -> None:
        self._next = itertools.cycle(QUOTES)

    def next(self) -> bytes:
        return f"{next(self._next)}\r\n".encode("ascii")


async def read_line(reader: asyncio.StreamReader) -> bytes:
    """One line including its LF; at most LINE_LIMIT bytes of a longer one; b"" at EOF."""
    try:
        return await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial
    except asyncio.LimitOverrunError:
        return await reader.read(LINE_LIMIT)


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(CHUNK):
        writer.write(data)
        await writer.drain()


async def discard(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while await reader.read(CHUNK):
        pass


async def daytime(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(daytime_line())
    await writer.drain()


def qotd(quotes: Quotes) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(quotes.next())
        await writer.drain()

    return handler


async def chargen(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await send_chargen(writer, CHARGEN_TCP_BYTES)


async def greeter(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(GREETING)
    await writer.drain()
    while line := await read_line(reader):
        writer.write(line)
        await writer.drain()


async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for n in range(1, TRICKLE_LINES + 1):
        writer.write(f"trickle {n} of {TRICKLE_LINES}\r\n".encode("ascii"))
        await writer.drain()
        if n < TRICKLE_LINES:
            await asyncio.sleep(TRICKLE_INTERVAL)


class UdpService(asyncio.DatagramProtocol):
    """Answers each datagram with `reply(data)`, or not at all when it returns None."""

    def __init__(self, reply: Callable[[bytes], bytes | None]) -> None:
        self._reply = reply
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector transport does not subclass DatagramTransport, but is one.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        answer = self._reply(data)
        if answer is not None and self.transport is not None:
            self.transport.sendto(answer, addr)
