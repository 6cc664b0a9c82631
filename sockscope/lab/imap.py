"""An IMAP dialogue (RFC 9051) without mailboxes: greeting, CAPABILITY, NOOP, LOGIN
(anything accepted), LOGOUT. Every other command gets a tagged NO or BAD, as a real
server answers what it cannot do."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sockscope.lab.lines import Answer, answer, line_server

MAX_LINE = 8192  # RFC 7162 section 4 suggests servers take lines of at least 8192 octets
CAPABILITY = "CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN LITERAL-"
GREETING = f"* OK [{CAPABILITY}] sockscope-lab IMAP ready"
# A tag: ASTRING-CHAR except "+", kept short so a reply never echoes much.
_TAG = re.compile(r"[!#$&'\-.0-9:;<=>?@A-Z\[\]^_`a-z|}~,/]{1,32}")


@dataclass
class Session:
    starttls: bool = False  # STARTTLS is offered
    secure: bool = False
    user: str | None = None

    @property
    def capability(self) -> str:
        return CAPABILITY + (" STARTTLS" if self.starttls and not self.secure else "")


def reply(session: Session, line: str) -> Answer:
    tag, _, rest = line.partition(" ")
    if not _TAG.fullmatch(tag):
        return answer("* BAD a command starts with a tag, e.g. a1 CAPABILITY")
    command, _, argument = rest.partition(" ")
    command = command.upper()
    if command == "CAPABILITY":
        return answer(f"* {session.capability}", f"{tag} OK CAPABILITY completed")
    if command == "STARTTLS" and session.starttls:
        if session.secure or session.user is not None:
            return answer(f"{tag} BAD STARTTLS only before LOGIN, and once")
        session.secure = True
        return answer(f"{tag} OK Begin TLS negotiation now", start_tls=True)
    if command == "NOOP":
        return answer(f"{tag} OK NOOP completed")
    if command == "LOGOUT":
        return answer("* BYE sockscope-lab logging out", f"{tag} OK LOGOUT completed", close=True)
    if command == "LOGIN":
        if session.user is not None:
            return answer(f"{tag} BAD already logged in")
        if len(argument.split()) != 2 or argument.rstrip().endswith("}"):
            return answer(f"{tag} BAD Syntax: LOGIN user password (no literals here)")
        session.user = argument.split()[0]
        return answer(f"{tag} OK [{session.capability}] LOGIN completed")
    if command in ("SELECT", "EXAMINE", "LIST", "STATUS", "FETCH", "SEARCH"):
        return answer(f"{tag} NO the lab has no mailboxes")
    if not command:
        return answer(f"{tag} BAD a command follows the tag, e.g. {tag} CAPABILITY")
    return answer(f"{tag} BAD unknown command")


# With TLS, STARTTLS is offered and upgrades the connection.
serve_imap = line_server(
    Session, reply, answer(GREETING), max_line=MAX_LINE, too_long=answer("* BAD line too long")
)
