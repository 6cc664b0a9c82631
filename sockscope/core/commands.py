"""Client command lines of the line protocols (SMTP, FTP, POP3, IMAP...): a verb and its argument.

What `sockscope listen` shows for a client that is not speaking HTTP, and what the
smtp-greeting reply template answers. Never raises, whatever the bytes. Text is decoded
as UTF-8 with U+FFFD for undecodable bytes (the raw views keep the bytes).

SMTP (`smtp=True`): after a DATA command, the message text up to the line holding a
single dot is one Command with `message` set (dot-stuffing undone), as a server reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A line longer than this is cut: its start is reported, the rest is dropped unread, so
# a client that never sends a line end costs bounded memory.
MAX_LINE = 64 * 1024
# The most message text kept for one DATA block; `size` still counts all of it.
MAX_BLOCK = 64 * 1024

_COMMAND_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9-]{1,15}(?:[ \t][^\r\n]*)?\r?\n")


@dataclass(frozen=True)
class Command:
    verb: str  # as sent ("EHLO", "ehlo"); "" for message text or an empty line
    argument: str  # the rest of the line, or the message text
    complete: bool  # the line end (for message text: the final dot line) arrived
    size: int  # bytes the command took, line end included
    message: bool = False  # SMTP message text after DATA, not a command line

    @property
    def name(self) -> str:
        """The verb in upper case, for matching ("ehlo" and "EHLO" are the same command)."""
        return self.verb.upper()


def looks_like_commands(data: bytes) -> bool:
    """Whether `data` starts with a whole command line: a short alphabetic verb, then text."""
    return _COMMAND_LINE.match(data) is not None


def parse_commands(data: bytes, *, smtp: bool = False) -> list[Command]:
    """Every command in `data`; the last one is incomplete when its line end is missing."""
    reader = CommandReader(smtp=smtp)
    commands = reader.feed(data)
    pending = reader.pending()
    if pending is not None:
        commands.append(pending)
    return commands


class CommandReader:
    """Incremental: feed bytes as they arrive, get back the commands they completed."""

    def __init__(self, *, smtp: bool = False) -> None:
        self.smtp = smtp
        self._line = bytearray()
        self._line_size = 0  # bytes of the current line, including any dropped
        self._in_data = False
        self._block: list[bytes] = []
        self._block_kept = 0
        self._block_size = 0

    def feed(self, data: bytes) -> list[Command]:
        done: list[Command] = []
        pos = 0
        while pos < len(data):
            newline = data.find(b"\n", pos)
            end = len(data) if newline == -1 else newline + 1
            room = max(MAX_LINE - len(self._line), 0)
            self._line += data[pos : min(end, pos + room)]
            self._line_size += end - pos
            pos = end
            if newline != -1:
                command = self._take_line(bytes(self._line), self._line_size)
                self._line.clear()
                self._line_size = 0
                if command is not None:
                    done.append(command)
        return done

    def pending(self) -> Command | None:
        """The command still missing its end (a partial line or open message text)."""
        if self._in_data:
            text = self._block_text([*self._block, bytes(self._line)])
            return Command("", text, False, self._block_size + self._line_size, message=True)
        if not self._line_size:
            return None
        verb, argument = _split(bytes(self._line).rstrip(b"\r"))
        return Command(verb, argument, False, self._line_size)

    def _take_line(self, line: bytes, size: int) -> Command | None:
        if self._in_data:
            self._block_size += size
            if line.rstrip(b"\r\n") == b".":
                text = self._block_text(self._block)
                self._in_data = False
                self._block = []
                self._block_kept = 0
                size, self._block_size = self._block_size, 0
                return Command("", text, True, size, message=True)
            if line.startswith(b".."):
                line = line[1:]
            if self._block_kept < MAX_BLOCK:
                self._block.append(line[: MAX_BLOCK - self._block_kept])
                self._block_kept += len(self._block[-1])
            return None
        verb, argument = _split(line.rstrip(b"\r\n"))
        if self.smtp and verb.upper() == "DATA":
            self._in_data = True
        return Command(verb, argument, True, size)

    def _block_text(self, lines: list[bytes]) -> str:
        return b"".join(lines).decode("utf-8", "replace")


def _split(line: bytes) -> tuple[str, str]:
    verb, _, argument = line.partition(b" ")
    return verb.decode("utf-8", "replace"), argument.decode("utf-8", "replace")
