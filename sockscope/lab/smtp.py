"""An SMTP dialogue (RFC 5321) that accepts mail and keeps none of it.

Enough of the protocol to practise on: the greeting, EHLO's multi-line reply, the
MAIL/RCPT/DATA sequence with its 503 when out of order, dot-terminated DATA, and the
500/502 split between commands it has never heard of and ones it will not do.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

from sockscope.lab.services import read_line

MAX_LINE = 1000  # RFC 5321 4.5.3.1.4 and .6: a command or text line, CRLF included
MAX_MESSAGE = 1 << 20
MAX_RECIPIENTS = 100
DOMAIN = "localhost"

GREETING = f"220 {DOMAIN} ESMTP sockscope-lab ready"
EHLO_LINES = (f"{DOMAIN} at your service", f"SIZE {MAX_MESSAGE}", "8BITMIME", "HELP")
HELP = "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP HELP QUIT"
STARTTLS_READY = "220 2.0.0 Ready to start TLS"
# Commands of the protocol the lab will not perform: these get 502, anything else 500.
NOT_IMPLEMENTED = frozenset({"VRFY", "EXPN", "TURN", "STARTTLS", "AUTH", "BDAT", "ETRN"})


@dataclass
class Session:
    starttls: bool = False  # STARTTLS is offered (the lab has a certificate for it)
    secure: bool = False  # ...and done: the dialogue runs over TLS
    greeted: bool = False
    sender: str | None = None
    recipients: list[str] = field(default_factory=list)
    queued: int = 0

    def reset(self) -> None:
        self.sender = None
        self.recipients.clear()


def _address(argument: str, prefix: str) -> str | None:
    """The path after `prefix` ("FROM:" or "TO:"), or None when the syntax is wrong."""
    if not argument.upper().startswith(prefix):
        return None
    path = argument[len(prefix) :].strip().split(" ")[0]
    return path if path.startswith("<") and path.endswith(">") else None


def reply(session: Session, line: str) -> str:
    """The reply to one command line (without its CRLF)."""
    verb, _, argument = line.partition(" ")
    verb = verb.upper()
    argument = argument.strip()
    match verb:
        case "HELO" | "EHLO" if not argument:
            return f"501 5.5.4 Syntax: {verb} hostname"
        case "HELO":
            session.greeted = True
            session.reset()
            return f"250 {DOMAIN}"
        case "EHLO":
            session.greeted = True
            session.reset()
            lines = list(EHLO_LINES)
            if session.starttls and not session.secure:
                lines.insert(-1, "STARTTLS")
            *first, last = lines
            return "\r\n".join([*(f"250-{text}" for text in first), f"250 {last}"])
        case "MAIL" if not session.greeted:
            return "503 5.5.1 Send HELO or EHLO first"
        case "MAIL" if session.sender is not None:
            return "503 5.5.1 Sender already given (RSET to start again)"
        case "MAIL":
            sender = _address(argument, "FROM:")
            if sender is None:
                return "501 5.5.4 Syntax: MAIL FROM:<address>"
            session.sender = sender
            return "250 2.1.0 Sender OK"
        case "RCPT" if session.sender is None:
            return "503 5.5.1 Need MAIL before RCPT"
        case "RCPT" if len(session.recipients) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        case "RCPT":
            recipient = _address(argument, "TO:")
            if recipient is None:
                return "501 5.5.4 Syntax: RCPT TO:<address>"
            session.recipients.append(recipient)
            return "250 2.1.5 Recipient OK"
        case "DATA" if not session.recipients:
            return "503 5.5.1 Need RCPT before DATA"
        case "DATA":
            return "354 End data with <CR><LF>.<CR><LF>"
        case "RSET":
            session.reset()
            return "250 2.0.0 Reset"
        case "NOOP":
            return "250 2.0.0 OK"
        case "HELP":
            return HELP
        case "QUIT":
            return f"221 2.0.0 {DOMAIN} closing connection"
        case "STARTTLS" if session.starttls and session.secure:
            return "503 5.5.1 TLS already active"
        case "STARTTLS" if session.starttls and argument:
            return "501 5.5.4 Syntax: STARTTLS"
        case "STARTTLS" if session.starttls:
            return STARTTLS_READY
        case _ if verb in NOT_IMPLEMENTED:
            return f"502 5.5.1 {verb} not implemented"
    return "500 5.5.2 Command not recognised"


async def _read_line(reader: asyncio.StreamReader) -> tuple[bytes, bool]:
    """One line, and whether it fitted in MAX_LINE; the rest of a long line is dropped."""
    line = await read_line(reader)
    fits = len(line) <= MAX_LINE
    while line and not line.endswith(b"\n"):
        line = await read_line(reader)
        fits = False
    return line, fits


async def _read_data(reader: asyncio.StreamReader) -> bool | None:
    """Read a message up to its lone dot: True if it fits, None if the client left."""
    size = 0
    while True:
        line, fits = await _read_line(reader)
        if not line:
            return None
        if line.rstrip(b"\r\n") == b".":
            return size <= MAX_MESSAGE
        size += len(line) if fits else MAX_LINE + 1


async def serve_smtp(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    tls: ssl.SSLContext | None = None,
) -> None:
    """The dialogue; with `tls`, STARTTLS is offered and upgrades the connection."""
    session = Session(starttls=tls is not None)
    answer = GREETING
    while True:
        writer.write(f"{answer}\r\n".encode("ascii"))
        await writer.drain()
        if answer.startswith("221"):
            return
        if answer == STARTTLS_READY and tls is not None:
            await writer.start_tls(tls)
            # RFC 3207 section 4.2: everything learnt before TLS is forgotten.
            session = Session(starttls=True, secure=True)
        line, fits = await _read_line(reader)
        if not line:
            return
        if not fits:
            answer = "500 5.5.2 Line too long"
            continue
        answer = reply(session, line.rstrip(b"\r\n").decode("latin-1"))
        if answer.startswith("354"):
            writer.write(f"{answer}\r\n".encode("ascii"))
            fitted = await _read_data(reader)
            if fitted is None:
                return
            session.reset()
            if fitted:
                session.queued += 1
                answer = f"250 2.0.0 OK: queued as {session.queued}"
            else:
                answer = f"552 5.3.4 Message larger than {MAX_MESSAGE} bytes"
