"""The one mechanism behind every hostile stream case: a script of steps played per connection.

A case is data (its steps); `play` is the only code that touches the socket. TLS is done
by hand over the plain TCP stream (an `ssl.SSLObject` between two memory BIOs), so a
script can stop half way through a handshake, or close without a TLS close_notify, which
asyncio's own TLS transport never lets a server do.

Every script ends in a bounded way: sending stops when the client goes away (the write
fails), reading stops at the client's EOF, and MAX_LIFETIME caps a connection whose
client vanished without a word. When the script does not end in `Reset` or `Hold`, the
server closes politely: it shuts its write side (FIN), then reads and drops what the
client still sends until the client closes. Closing with unread request bytes would
send an RST instead, and the client would see a reset the case never meant.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from sockscope.lab.services import CHUNK

MAX_LIFETIME = 600.0  # seconds one hostile connection may last, whatever it does
REQUEST_LIMIT = 65536  # bytes of request read before the reply starts regardless
_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, timeout 0: close sends an RST


@dataclass(frozen=True)
class Send:
    """Send these bytes (all of them, however slowly the client reads)."""

    data: bytes


@dataclass(frozen=True)
class Stream:
    """Send `block` again and again as fast as the client takes it: `total` bytes, or forever."""

    block: bytes
    total: int | None = None


@dataclass(frozen=True)
class Trickle:
    """Send one byte of `text` (cycling) every `interval` seconds, forever."""

    text: bytes
    interval: float


@dataclass(frozen=True)
class ReadRequest:
    """Read the client's request: up to the blank line after an HTTP head, or the first
    line, or REQUEST_LIMIT bytes, or the client's EOF, whichever comes first."""


@dataclass(frozen=True)
class Hold:
    """Answer nothing more: read and drop until the client closes (no FIN from us)."""


@dataclass(frozen=True)
class Reset:
    """Abort the connection with an RST (SO_LINGER 0), dropping anything unsent."""


@dataclass(frozen=True)
class Handshake:
    """Play the server side of a TLS handshake with the named identity."""

    identity: str


@dataclass(frozen=True)
class ReadHello:
    """Read the first bytes of a TLS ClientHello and answer nothing."""


@dataclass(frozen=True)
class Close:
    """Close politely now; `close_notify=False` ends a TLS stream without its goodbye."""

    close_notify: bool = True


Step = Send | Stream | Trickle | ReadRequest | Hold | Reset | Handshake | ReadHello | Close


def script_bytes(steps: tuple[Step, ...]) -> bytes | None:
    """Everything a script sends as application data, or None when that is unbounded."""
    out = []
    for step in steps:
        if isinstance(step, Send):
            out.append(step.data)
        elif isinstance(step, Stream | Trickle):
            return None
    return b"".join(out)


class Peer:
    """The client end of one connection: plain TCP, or TLS once `handshake` has run."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._tls: ssl.SSLObject | None = None
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()

    async def _flush_tls(self) -> None:
        if data := self._outgoing.read():
            self.writer.write(data)
            await self.writer.drain()

    async def _fill_tls(self) -> None:
        data = await self.reader.read(CHUNK)
        if data:
            self._incoming.write(data)
        else:
            self._incoming.write_eof()

    async def handshake(self, context: ssl.SSLContext) -> None:
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self._flush_tls()
                await self._fill_tls()
        await self._flush_tls()

    async def write(self, data: bytes | memoryview) -> None:
        if self._tls is None:
            self.writer.write(data)
            await self.writer.drain()
            return
        self._tls.write(data)
        await self._flush_tls()

    async def read(self) -> bytes:
        """Some application bytes; b"" once the client has finished sending."""
        if self._tls is None:
            return await self.reader.read(CHUNK)
        while True:
            try:
                return self._tls.read(CHUNK)
            except ssl.SSLWantReadError:
                await self._flush_tls()
                await self._fill_tls()
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    async def read_request(self) -> None:
        seen = b""
        while len(seen) < REQUEST_LIMIT:
            data = await self.read()
            if not data:
                return
            seen += data
            if b"\n\r\n" in seen or b"\n\n" in seen:
                return
            if b"\n" in seen and not seen.startswith((b"GET ", b"HEAD ", b"POST ", b"PUT ")):
                return  # a line-oriented client: its first line is its request

    async def drain_until_eof(self) -> None:
        while await self.read():
            pass

    async def close(self, close_notify: bool) -> None:
        if self._tls is not None and close_notify:
            # The client's close_notify may never come; ours is sent either way.
            with contextlib.suppress(ssl.SSLWantReadError):
                self._tls.unwrap()
            await self._flush_tls()
        if self.writer.can_write_eof():
            self.writer.write_eof()
        await self.drain_until_eof()

    def reset(self) -> None:
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        self.writer.transport.abort()


async def play(
    steps: tuple[Step, ...],
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    identities: Mapping[str, ssl.SSLContext],
) -> None:
    """Run `steps` against one client; returns when the script or the client ends."""
    peer = Peer(reader, writer)
    if Reset() in steps:
        # The bytes before the reset must have left: drain() then waits for an empty buffer.
        writer.transport.set_write_buffer_limits(high=0)
    async with asyncio.timeout(MAX_LIFETIME):
        for step in steps:
            match step:
                case Send(data):
                    await peer.write(data)
                case Stream(block, total):
                    await _stream(peer, block, total)
                case Trickle(text, interval):
                    await _trickle(peer, text, interval)
                case ReadRequest():
                    await peer.read_request()
                case Hold():
                    await peer.drain_until_eof()
                    return
                case Reset():
                    peer.reset()
                    return
                case Handshake(identity):
                    await peer.handshake(identities[identity])
                case ReadHello():
                    await reader.read(CHUNK)
                case Close(close_notify):
                    await peer.close(close_notify)
                    return
        await peer.close(close_notify=True)


async def _stream(peer: Peer, block: bytes, total: int | None) -> None:
    view = memoryview(block)
    left = total
    while left is None or left > 0:
        piece = view if left is None or left >= len(view) else view[:left]
        await peer.write(piece)
        if left is not None:
            left -= len(piece)


async def _trickle(peer: Peer, text: bytes, interval: float) -> None:
    index = 0
    while True:
        await peer.write(text[index : index + 1])
        index = (index + 1) % len(text)
        await asyncio.sleep(interval)
