"""A POP3 dialogue (RFC 1939, CAPA from RFC 2449) over a maildrop of one fixed message.

Any USER and PASS are accepted. The message has a line starting with a dot, so RETR
shows dot-stuffing; DELE marks it deleted until RSET, and nothing is ever kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from sockscope.lab.lines import Answer, answer, line_server

MAX_LINE = 255  # RFC 2449 section 4: a command line is at most 255 octets
GREETING = "+OK sockscope-lab POP3 ready"
CAPABILITIES = ("USER", "UIDL", "TOP", "IMPLEMENTATION sockscope-lab")
MESSAGE: tuple[str, ...] = (
    "From: lab@localhost",
    "Subject: hello from the lab",
    "",
    "This message lives in memory and is never deleted for real.",
    ".A line starting with a dot is sent with the dot doubled.",
)
MESSAGE_SIZE = sum(len(line) + 2 for line in MESSAGE)


@dataclass
class Session:
    starttls: bool = False  # STLS is offered (RFC 2595)
    secure: bool = False
    user: str | None = None
    authorised: bool = False
    deleted: bool = False


def _block(status: str, lines: tuple[str, ...]) -> Answer:
    """A multi-line reply: dot-stuffed lines, then the lone dot."""
    stuffed = tuple("." + line if line.startswith(".") else line for line in lines)
    return answer(status, *stuffed, ".")


def reply(session: Session, line: str) -> Answer:
    verb, _, argument = line.partition(" ")
    verb = verb.upper()
    argument = argument.strip()
    if verb == "CAPA":
        offered = ("STLS",) if session.starttls and not session.secure else ()
        return _block("+OK Capability list follows", (*CAPABILITIES, *offered))
    if verb == "STLS" and session.starttls:
        if session.secure or session.authorised:
            return answer("-ERR STLS only before authentication, and once")
        session.secure = True
        return answer("+OK Begin TLS negotiation", start_tls=True)
    if verb == "QUIT":
        return answer("+OK sockscope-lab signing off", close=True)
    if verb == "NOOP":
        return answer("+OK")
    if not session.authorised:
        if verb == "USER" and argument:
            session.user = argument
            return answer(f"+OK {argument[:40]} is welcome here")
        if verb == "PASS" and session.user is not None:
            session.authorised = True
            return answer("+OK maildrop locked and ready")
        if verb == "PASS":
            return answer("-ERR send USER first")
        return answer("-ERR authenticate first (USER, then PASS)")
    count, size = (0, 0) if session.deleted else (1, MESSAGE_SIZE)
    if verb == "STAT":
        return answer(f"+OK {count} {size}")
    if verb in ("LIST", "UIDL"):
        listing = "1 sockscope-lab-1" if verb == "UIDL" else f"1 {MESSAGE_SIZE}"
        if argument:
            if argument != "1" or session.deleted:
                return answer("-ERR no such message")
            return answer(f"+OK {listing}")
        return _block(f"+OK {count} messages", (listing,) if count else ())
    if verb in ("RETR", "TOP"):
        number, _, lines = argument.partition(" ")
        if number != "1" or session.deleted:
            return answer("-ERR no such message")
        body = MESSAGE
        if verb == "TOP":
            if not lines.strip().isdigit():
                return answer("-ERR Syntax: TOP message lines")
            body = MESSAGE[: MESSAGE.index("") + 1 + min(int(lines.strip()[:6]), len(MESSAGE))]
        return _block(f"+OK {MESSAGE_SIZE} octets", body)
    if verb == "DELE":
        if argument != "1" or session.deleted:
            return answer("-ERR no such message")
        session.deleted = True
        return answer("+OK message 1 deleted")
    if verb == "RSET":
        session.deleted = False
        return answer(f"+OK maildrop has 1 message ({MESSAGE_SIZE} octets)")
    return answer("-ERR unknown command")


# With TLS, STLS is offered and upgrades the connection.
serve_pop3 = line_server(
    Session, reply, answer(GREETING), max_line=MAX_LINE, too_long=answer("-ERR line too long")
)
