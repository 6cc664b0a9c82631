"""A telnet-style service: option negotiation (IAC) first, then a login name and lines
echoed back, so there is a telnet server to try `connect --telnet` on without root.

The client's commands are read with the same parser sockscope shows them with; its text
is read a line at a time, at most one LINE_LIMIT of it held.
"""

from __future__ import annotations

import asyncio

from sockscope.core.sanitize import sanitize_line
from sockscope.core.telnet import (
    DO,
    IAC,
    NAWS,
    SB,
    SE,
    SUPPRESS_GO_AHEAD,
    TERMINAL_TYPE,
    WILL,
    TelnetStream,
)
from sockscope.lab.services import CHUNK, LINE_LIMIT

# We will not send go-aheads; we would like the terminal type and the window size.
NEGOTIATION = bytes([IAC, WILL, SUPPRESS_GO_AHEAD, IAC, DO, TERMINAL_TYPE, IAC, DO, NAWS])
BANNER = b"sockscope-lab telnet\r\n\r\nlogin: "
ASK_TERMINAL = bytes([IAC, SB, TERMINAL_TYPE, 1, IAC, SE])  # TERMINAL-TYPE SEND
PROMPT = b"> "
NAME_SHOWN = 40


async def serve_telnet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(NEGOTIATION + BANNER)
    await writer.drain()
    stream = TelnetStream()
    pending = b""
    name: str | None = None
    terminal = "not said"
    while data := await reader.read(CHUNK):
        split = stream.feed(data)
        for command in split.commands:
            if command.verb == WILL and command.option == TERMINAL_TYPE:
                writer.write(ASK_TERMINAL)
            elif (
                command.verb == SB and command.option == TERMINAL_TYPE and command.data[:1] == b"\0"
            ):
                terminal = sanitize_line(command.data[1:NAME_SHOWN].decode("ascii", "replace"))
        # A telnet line ends in CR LF, or CR NUL from a client in character mode.
        pending = (pending + split.text.replace(b"\r\0", b"\r\n"))[-LINE_LIMIT:]
        while b"\n" in pending:
            raw, pending = pending.split(b"\n", 1)
            line = raw.rstrip(b"\r").decode("utf-8", "replace")
            if name is None:
                name = sanitize_line(line.strip()[:NAME_SHOWN]) or "nobody"
                hello = f"\r\nHello {name} (terminal {terminal}). Lines are echoed; quit ends.\r\n"
                writer.write(hello.encode() + PROMPT)
            elif line.strip().lower() == "quit":
                writer.write(b"bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(raw.rstrip(b"\r") + b"\r\n" + PROMPT)
        await writer.drain()
