"""A Redis-speaking server (RESP2): PING, ECHO, SET, GET, DEL, EXISTS, DBSIZE, QUIT.

Commands come as RESP arrays of bulk strings (what client libraries send) or as inline
lines (what a person types). The keys live in memory, shared by every connection of the
lab, and are bounded in number and size; a protocol error ends the connection, as Redis
does.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from sockscope.lab.lines import read_command
from sockscope.lab.services import LINE_LIMIT, Handler

MAX_ARGUMENTS = 64
MAX_BULK = 8192  # bytes of one argument
MAX_KEYS = 1000

Reply = bytes


class ProtocolError(Exception):
    """The client broke RESP; the text is the reply's message."""


class Store:
    """The lab's keys: at most MAX_KEYS, the oldest dropped first."""

    def __init__(self) -> None:
        self._values: OrderedDict[bytes, bytes] = OrderedDict()

    def set(self, key: bytes, value: bytes) -> None:
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > MAX_KEYS:
            self._values.popitem(last=False)

    def get(self, key: bytes) -> bytes | None:
        return self._values.get(key)

    def delete(self, key: bytes) -> bool:
        return self._values.pop(key, None) is not None

    def __len__(self) -> int:
        return len(self._values)


def simple(text: str) -> Reply:
    return f"+{text}\r\n".encode()


def error(text: str) -> Reply:
    return f"-{text}\r\n".encode()


def integer(value: int) -> Reply:
    return f":{value}\r\n".encode()


def bulk(value: bytes | None) -> Reply:
    if value is None:
        return b"$-1\r\n"
    return b"$%d\r\n%s\r\n" % (len(value), value)


def _arity(name: str) -> Reply:
    return error(f"ERR wrong number of arguments for '{name.lower()}' command")


def execute(store: Store, arguments: list[bytes]) -> tuple[Reply, bool]:
    """The reply to one command, and whether to close the connection after it."""
    name = arguments[0].decode("latin-1").upper()
    rest = arguments[1:]
    match name:
        case "PING" if len(rest) <= 1:
            return (bulk(rest[0]) if rest else simple("PONG")), False
        case "ECHO" if len(rest) == 1:
            return bulk(rest[0]), False
        case "SET" if len(rest) == 2:
            store.set(rest[0], rest[1])
            return simple("OK"), False
        case "GET" if len(rest) == 1:
            return bulk(store.get(rest[0])), False
        case "DEL" if rest:
            return integer(sum(store.delete(key) for key in rest)), False
        case "EXISTS" if rest:
            return integer(sum(store.get(key) is not None for key in rest)), False
        case "DBSIZE" if not rest:
            return integer(len(store)), False
        case "QUIT":
            return simple("OK"), True
        case "PING" | "ECHO" | "SET" | "GET" | "DEL" | "EXISTS" | "DBSIZE":
            return _arity(name), False
    shown = arguments[0][:40].decode("latin-1").replace("\r", " ").replace("\n", " ")
    return error(f"ERR unknown command '{shown}', with args beginning with: "), False


async def _length(reader: asyncio.StreamReader, limit: int, what: str) -> int:
    """The decimal length that ends the line after a `*` or `$` type byte."""
    line, fits = await read_command(reader, 32)
    text = line.rstrip(b"\r\n")
    if not fits or not text.isdigit() or int(text) > limit:
        raise ProtocolError(f"ERR Protocol error: invalid {what} length")
    return int(text)


async def read_arguments(reader: asyncio.StreamReader) -> list[bytes] | None:
    """One command's arguments (empty for a blank inline line); None at EOF."""
    first = await reader.read(1)
    if not first:
        return None
    if first == b"\n":
        return []
    if first != b"*":
        line, fits = await read_command(reader, LINE_LIMIT)
        if not fits:
            raise ProtocolError("ERR Protocol error: too big inline request")
        return (first + line).split()
    count = await _length(reader, MAX_ARGUMENTS, "multibulk")
    return [await _bulk(reader) for _ in range(count)]


async def _bulk(reader: asyncio.StreamReader) -> bytes:
    kind = await reader.readexactly(1)
    if kind != b"$":
        shown = kind.decode("latin-1") if kind.isalnum() else "?"
        raise ProtocolError(f"ERR Protocol error: expected '$', got '{shown}'")
    size = await _length(reader, MAX_BULK, "bulk")
    data = await reader.readexactly(size + 2)
    if not data.endswith(b"\r\n"):
        raise ProtocolError("ERR Protocol error: bulk string not ended by CRLF")
    return data[:-2]


def serve_redis(store: Store) -> Handler:
    """A handler answering from `store` (one per lab, so keys outlive a connection)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                arguments = await read_arguments(reader)
            except ProtocolError as exc:
                writer.write(error(str(exc)))
                await writer.drain()
                return
            if arguments is None:
                return
            if not arguments:
                continue  # a blank inline line: Redis says nothing
            reply, close = execute(store, arguments)
            writer.write(reply)
            await writer.drain()
            if close:
                return

    return serve
