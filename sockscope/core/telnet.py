"""Telnet (RFC 854/855): the IAC commands inside the byte stream, and answers to them.

Pure. `split_telnet` separates a stream into its text (IAC IAC undoubled) and its
commands, each described the way the RFCs write them (`IAC DO ECHO`, `IAC SB
TERMINAL-TYPE SEND IAC SE`); `TelnetStream` does the same over a stream that arrives in
pieces; `Negotiator` answers option negotiation as RFC 1143 asks (never answering a
request that changes nothing, so two sides cannot loop), refusing every option unless
told to accept the common ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sockscope.core.replies import Reply, cut_note

IAC = 255
DONT, DO, WONT, WILL, SB = 254, 253, 252, 251, 250
SE = 240

VERBS = {
    240: "SE",
    241: "NOP",
    242: "DM",
    243: "BRK",
    244: "IP",
    245: "AO",
    246: "AYT",
    247: "EC",
    248: "EL",
    249: "GA",
    250: "SB",
    251: "WILL",
    252: "WONT",
    253: "DO",
    254: "DONT",
    255: "IAC",
}
_NEGOTIATION = (WILL, WONT, DO, DONT)

BINARY, ECHO, SUPPRESS_GO_AHEAD = 0, 1, 3
TERMINAL_TYPE, NAWS = 24, 31
OPTIONS = {
    0: "BINARY",
    1: "ECHO",
    3: "SUPPRESS-GO-AHEAD",
    5: "STATUS",
    6: "TIMING-MARK",
    24: "TERMINAL-TYPE",
    25: "END-OF-RECORD",
    31: "NAWS",
    32: "TERMINAL-SPEED",
    33: "TOGGLE-FLOW-CONTROL",
    34: "LINEMODE",
    35: "X-DISPLAY-LOCATION",
    36: "OLD-ENVIRON",
    37: "AUTHENTICATION",
    38: "ENCRYPT",
    39: "NEW-ENVIRON",
}
# Subnegotiation verbs of TERMINAL-TYPE, TERMINAL-SPEED, X-DISPLAY-LOCATION and the
# ENVIRON options (RFC 1091, 1079, 1096, 1572): 0 IS, 1 SEND (2 INFO for the environ).
_SUB_VERBS = {0: "IS", 1: "SEND", 2: "INFO"}
_TEXT_SUBOPTIONS = (24, 32, 35)
MAX_SUB = 512  # a subnegotiation longer than this is cut in its description
MAX_COMMANDS = 100_000  # commands listed as replies, or split off text, at a time
MAX_PENDING = 4096  # an unfinished command a stream holds back for the next piece

# What `--telnet-accept` agrees to: the server echoes and drops go-aheads (the usual
# character-at-a-time session), we say our terminal type and window size.
COMMON_THEIRS = frozenset({ECHO, SUPPRESS_GO_AHEAD})
COMMON_OURS = frozenset({SUPPRESS_GO_AHEAD, TERMINAL_TYPE, NAWS})
TERMINAL = b"dumb"
WINDOW = (80, 24)


@dataclass(frozen=True)
class Command:
    """One IAC command: its verb byte, the option (negotiation, SB) and SB's data."""

    verb: int
    option: int | None = None
    data: bytes = b""
    # Its bytes in the data split (IAC to the last byte); not compared: commands are
    # equal when they say the same.
    span: tuple[int, int] | None = field(default=None, compare=False)

    def describe(self) -> str:
        words = ["IAC", VERBS.get(self.verb, str(self.verb))]
        if self.option is not None:
            words.append(option_name(self.option))
        if self.verb == SB:
            words.extend(_describe_sub(self.option, self.data))
            words.extend(["IAC", "SE"])
        return " ".join(words)


def option_name(option: int) -> str:
    return OPTIONS.get(option, f"OPTION-{option}")


def _describe_sub(option: int | None, data: bytes) -> list[str]:
    shown = data[:MAX_SUB]
    more = [f"(+{len(data) - MAX_SUB} bytes)"] if len(data) > MAX_SUB else []
    if option == NAWS and len(data) == 4:
        return [f"{data[0] * 256 + data[1]}x{data[2] * 256 + data[3]}"]
    if option in _TEXT_SUBOPTIONS and shown and shown[0] in _SUB_VERBS:
        text = shown[1:].decode("ascii", "replace")
        return [_SUB_VERBS[shown[0]], *([repr(text)] if text else []), *more]
    return [*(f"{b:02x}" for b in shown), *more]


@dataclass
class Split:
    """A stretch of the stream: its text, its commands, and an unfinished command at its
    end (bytes to join to what comes next)."""

    text: bytes
    commands: list[Command]
    rest: bytes = b""


def split_telnet(data: bytes, *, stop_after: int | None = None) -> Split:
    """The text and commands of `data`; a command cut off at the end is left in `rest`,
    and so is everything after the command that makes `stop_after` of them."""
    text = bytearray()
    commands: list[Command] = []
    i, n = 0, len(data)
    while i < n:
        if stop_after is not None and len(commands) >= stop_after:
            return Split(bytes(text), commands, data[i:])
        at = data.find(IAC, i)
        if at < 0:
            text += data[i:]
            break
        text += data[i:at]
        if at + 1 >= n:
            return Split(bytes(text), commands, data[at:])
        verb = data[at + 1]
        if verb == IAC:
            text.append(IAC)
            i = at + 2
        elif verb in _NEGOTIATION:
            if at + 2 >= n:
                return Split(bytes(text), commands, data[at:])
            commands.append(Command(verb, data[at + 2], span=(at, at + 3)))
            i = at + 3
        elif verb == SB:
            end = _sub_end(data, at + 2)
            if end is None:
                return Split(bytes(text), commands, data[at:])
            body = data[at + 2 : end].replace(b"\xff\xff", b"\xff")
            commands.append(Command(SB, body[0] if body else None, body[1:], (at, end + 2)))
            i = end + 2
        else:
            commands.append(Command(verb, span=(at, at + 2)))
            i = at + 2
    return Split(bytes(text), commands)


def _sub_end(data: bytes, start: int) -> int | None:
    """Where the IAC SE ending a subnegotiation starts; None if it has not arrived."""
    i = start
    while True:
        at = data.find(IAC, i)
        if at < 0 or at + 1 >= len(data):
            return None
        if data[at + 1] == SE:
            return at
        i = at + 2  # IAC IAC inside the data, or a stray command: skip it


def telnet_text(data: bytes) -> bytes:
    """The text of a telnet stream, without its commands (read a block of them at a
    time: a stream of millions of commands must not become millions of objects)."""
    text = bytearray()
    while data:
        split = split_telnet(data, stop_after=MAX_COMMANDS)
        text += split.text
        if len(split.commands) < MAX_COMMANDS:
            break  # the end, or a command cut off there
        data = split.rest
    return bytes(text)


def telnet_replies(data: bytes) -> list[Reply]:
    """Each command as a reply-like row (`IAC` and `DO ECHO`), for the Headers view: the
    first MAX_COMMANDS of them, then a row naming what was left."""
    split = split_telnet(data, stop_after=MAX_COMMANDS)
    replies = [
        Reply(
            "IAC",
            [command.describe().removeprefix("IAC ")],
            False,
            True,
            span=command.span,
            line_spans=() if command.span is None else (command.span,),
        )
        for command in split.commands
    ]
    if len(split.commands) == MAX_COMMANDS and split.rest:
        rest = (len(data) - len(split.rest), len(data))
        replies.append(cut_note(len(split.rest), f"{MAX_COMMANDS:,} commands", rest))
    return replies


def escape_iac(data: bytes) -> bytes:
    """Data to send over telnet: a 255 byte doubled, so it is not read as a command."""
    return data.replace(b"\xff", b"\xff\xff")


class TelnetStream:
    """`split_telnet` over a stream that arrives in pieces."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> Split:
        split = split_telnet(self._rest + data)
        if len(split.rest) > MAX_PENDING:
            # A subnegotiation with no IAC SE this far is shown as the bytes it is: held
            # back, a server that never ends one would grow it (and each piece's rescan
            # of it) without bound.
            self._rest = b""
            return Split(split.text + split.rest, split.commands)
        self._rest = split.rest
        return split


@dataclass
class Negotiator:
    """Answers to option negotiation. `theirs`: options the server may turn on for its
    side (WILL gets DO); `ours`: options we turn on when asked (DO gets WILL). Anything
    else is refused. Each side's state is kept, so a request that changes nothing gets
    no answer (RFC 1143)."""

    theirs: frozenset[int] = frozenset()
    ours: frozenset[int] = frozenset()
    _him: set[int] = field(default_factory=set)  # options on at the server's side
    _us: set[int] = field(default_factory=set)  # options on at ours

    @classmethod
    def accepting_common(cls) -> Negotiator:
        return cls(COMMON_THEIRS, COMMON_OURS)

    def answer(self, commands: Iterable[Command]) -> bytes:
        return b"".join(self._answer(command) for command in commands)

    def _answer(self, command: Command) -> bytes:
        verb, option = command.verb, command.option
        if option is None:
            return b""
        if verb == WILL and option not in self._him:
            if option in self.theirs:
                self._him.add(option)
                return _say(DO, option)
            return _say(DONT, option)
        if verb == WONT and option in self._him:
            self._him.discard(option)
            return _say(DONT, option)
        if verb == DO and option not in self._us:
            if option in self.ours:
                self._us.add(option)
                return _say(WILL, option) + self._offer(option)
            return _say(WONT, option)
        if verb == DONT and option in self._us:
            self._us.discard(option)
            return _say(WONT, option)
        sending = command.data[:1] == b"\x01"  # TERMINAL-TYPE SEND: asks for ours
        if verb == SB and option == TERMINAL_TYPE and option in self._us and sending:
            return _sub(TERMINAL_TYPE, b"\x00" + TERMINAL)
        return b""

    def _offer(self, option: int) -> bytes:
        """What goes with agreeing to an option: NAWS sends the window size at once."""
        if option == NAWS:
            width, height = WINDOW
            return _sub(NAWS, bytes([width >> 8, width & 255, height >> 8, height & 255]))
        return b""


def _say(verb: int, option: int) -> bytes:
    return bytes([IAC, verb, option])


def _sub(option: int, data: bytes) -> bytes:
    return bytes([IAC, SB, option]) + escape_iac(data) + bytes([IAC, SE])
