"""An FTP control channel (RFC 959) with no data connections: log in with any USER and
PASS, ask SYST, PWD, FEAT, NOOP, TYPE, CWD, QUIT; AUTH TLS (RFC 4217) upgrades the
control channel with the lab's certificate. Commands that need a data connection are
refused with 502, so nothing listens on a second port."""

from __future__ import annotations

from dataclasses import dataclass

from sockscope.lab.lines import Answer, answer, line_server

MAX_LINE = 512  # a generous bound for a command; RFC 959 sets none
GREETING = "220 sockscope-lab FTP ready (control channel only)"
DATA_COMMANDS = frozenset(
    {"PASV", "EPSV", "PORT", "EPRT", "LIST", "NLST", "MLSD", "RETR", "STOR", "APPE", "STOU"}
)


@dataclass
class Session:
    starttls: bool = False  # AUTH TLS is offered
    secure: bool = False
    user: str | None = None
    logged_in: bool = False


def reply(session: Session, line: str) -> Answer:
    verb, _, argument = line.partition(" ")
    verb = verb.upper()
    argument = argument.strip()
    match verb:
        case "QUIT":
            return answer("221 Goodbye", close=True)
        case "USER" if argument:
            session.user, session.logged_in = argument, False
            return answer(f"331 Password required for {argument[:40]}")
        case "USER":
            return answer("501 Syntax: USER name")
        case "PASS" if session.user is None:
            return answer("503 Login with USER first")
        case "PASS":
            session.logged_in = True
            return answer("230 User logged in")
        case "SYST":
            return answer("215 UNIX Type: L8")
        case "FEAT":
            offered = (" AUTH TLS",) if session.starttls and not session.secure else ()
            return answer("211-Features:", " UTF8", " SIZE", *offered, "211 End")
        case "AUTH" if session.starttls and argument.upper() in ("TLS", "TLS-C", "SSL"):
            if session.secure:
                return answer("503 TLS is already active")
            session.secure = True
            return answer("234 AUTH TLS successful", start_tls=True)
        case "AUTH":
            return answer("504 AUTH type not supported")
        case "NOOP":
            return answer("200 NOOP ok")
        case "HELP":
            return answer("214 Commands: USER PASS SYST FEAT PWD CWD TYPE NOOP QUIT")
        case "PWD" | "CWD" | "TYPE" if not session.logged_in:
            return answer("530 Please login with USER and PASS")
        case "PWD":
            return answer('257 "/" is the current directory')
        case "CWD":
            return answer("250 Directory unchanged: the lab has only /")
        case "TYPE" if argument.upper() in ("A", "I", "A N", "L 8"):
            return answer(f"200 Type set to {argument.upper()}")
        case "TYPE":
            return answer("504 Type not supported")
        case _ if verb in DATA_COMMANDS:
            return answer("502 The lab has no data connections")
    return answer("500 Unknown command")


# The control channel; with TLS, AUTH TLS is offered and upgrades it.
serve_ftp = line_server(
    Session, reply, answer(GREETING), max_line=MAX_LINE, too_long=answer("500 Line too long")
)
