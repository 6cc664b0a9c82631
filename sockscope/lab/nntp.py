"""An NNTP reader dialogue (RFC 3977) with one empty newsgroup and no posting."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sockscope.lab.lines import Answer, answer, serve_lines

MAX_LINE = 512  # RFC 3977 section 3.1: a command line is at most 512 octets
GREETING = "201 sockscope-lab NNTP ready (no posting)"
GROUP = "lab.test"
CAPABILITIES = ("VERSION 2", "READER", "LIST ACTIVE NEWSGROUPS", "IMPLEMENTATION sockscope-lab")
HELP = ("CAPABILITIES", "DATE", "GROUP newsgroup", "HELP", "LIST [ACTIVE|NEWSGROUPS]", "QUIT")


def reply(line: str) -> Answer:
    verb, _, argument = line.partition(" ")
    verb = verb.upper()
    argument = argument.strip()
    match verb:
        case "CAPABILITIES":
            return answer("101 Capability list:", *CAPABILITIES, ".")
        case "QUIT":
            return answer("205 Connection closing", close=True)
        case "MODE" if argument.upper() == "READER":
            return answer(GREETING)
        case "DATE":
            return answer(f"111 {datetime.now(UTC):%Y%m%d%H%M%S}")
        case "HELP":
            return answer("100 Help text follows", *HELP, ".")
        case "LIST" if argument.upper() in ("", "ACTIVE"):
            return answer("215 list of newsgroups follows", f"{GROUP} 0 1 n", ".")
        case "LIST" if argument.upper() == "NEWSGROUPS":
            return answer("215 descriptions follow", f"{GROUP}\tThe lab's empty group", ".")
        case "LIST":
            return answer("501 Syntax: LIST [ACTIVE|NEWSGROUPS]")
        case "GROUP" if argument == GROUP:
            return answer(f"211 0 1 0 {GROUP}")
        case "GROUP":
            return answer("411 No such newsgroup")
        case "POST" | "IHAVE":
            return answer("440 Posting not permitted")
    return answer("500 Unknown command")


async def serve_nntp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await serve_lines(
        reader,
        writer,
        answer(GREETING),
        reply,
        max_line=MAX_LINE,
        too_long=answer("501 Line too long"),
    )
