"""Multi-step dialogues: what each step sends and expects, and how each step went.

Pure: the engine (sockscope.engine.steps) does the talking and hands the bytes of each
turn here to be judged. A step may send, then wait for one thing: a reply matching
`expect`, the delimiter `until`, or `silence` for some seconds.

`expect` patterns depend on the template's parser, with `|` between alternatives:
- smtp, ftp, nntp: a reply code, `x` for any digit: `250`, `2xx`, `200|201`;
- pop3: `+OK`, `-ERR` or `+`;
- imap: a tag and optionally a status: `* OK`, `a1 OK`, `a2 OK|* BYE`;
- redis: a RESP type and optionally the start of the value: `+PONG`, `$`, `-ERR`;
- no parser: the text the first line of the reply starts with (`SSH-2.0`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from sockscope.core.model import EventType, Exchange
from sockscope.core.payload import format_text
from sockscope.core.views import human_bytes

if TYPE_CHECKING:
    from sockscope.core.replies import Reply

REPLY_PROTOCOLS = ("smtp", "ftp", "pop3", "imap", "nntp", "redis")
STEP_KEY = "step"  # the key of an INFO event's detail that holds a StepOutcome
MAX_STEPS = 100
SHOWN_TEXT = 80  # characters of server text quoted in a step's message

_CODED = ("smtp", "ftp", "nntp")
_POP3_CODES = ("+OK", "-ERR", "+")
# Compiled when a dialogue's patterns are first read (re keeps them): a send without
# a dialogue does not pay for them at its start.
_CODE = r"[0-9][0-9x]{0,2}"
_IMAP = r"(\*|\+|[A-Za-z0-9.\-_]{1,32})(?: +([A-Za-z]{1,16}))?"
_RESP_TYPES = "+-:$*_#,(!=%~>|"


class StepKind(StrEnum):
    """What a step waits for after sending."""

    SEND = "send"  # nothing: the step is done once sent
    EXPECT = "expect"  # a reply matching a pattern
    UNTIL = "until"  # a delimiter
    SILENCE = "silence"  # the server saying nothing for a while


# The records here are NamedTuples: a dataclass compiles its methods when imported,
# which every `send` would pay for at its start, dialogue or not.
class Step(NamedTuple):
    """One step: send (payload syntax, placeholders allowed), then wait for one thing."""

    send: str | None = None
    expect: str | None = None  # a reply pattern; may be combined with `until`
    until: bytes | None = None  # read until these bytes arrive
    silence: float | None = None  # the server must say nothing for this many seconds
    timeout: float | None = None  # idle seconds for this step's reads (default: the policy's)
    starttls: bool = False  # once `expect` matched (the go-ahead), upgrade to TLS

    @property
    def kind(self) -> StepKind:
        """What the step waits for (`silence` wins over `expect`, which wins over `until`)."""
        if self.silence is not None:
            return StepKind.SILENCE
        if self.expect is not None:
            return StepKind.EXPECT
        if self.until is not None:
            return StepKind.UNTIL
        return StepKind.SEND


class Pattern(NamedTuple):
    """One alternative of an `expect`: the reply's code, and the word its text starts with."""

    code: str
    word: str = ""


class Verdict(NamedTuple):
    """A decision on a turn's bytes: `head` names what matched, `got` quotes what came."""

    ok: bool
    head: str
    got: str


class StepOutcome(NamedTuple):
    """How one step went. `message` may quote server text: sanitise it before display."""

    number: int  # 1-based, as in the template (`index` in JSON)
    kind: StepKind
    ok: bool
    message: str
    sent: int = 0  # bytes this step sent
    received: int = 0  # bytes that arrived while it waited

    @property
    def line(self) -> str:
        """`step 2 ok: 250 after EHLO sockscope.local`."""
        return f"step {self.number} {'ok' if self.ok else 'failed'}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.number,
            "kind": self.kind.value,
            "ok": self.ok,
            "message": self.message,
            "sent": self.sent,
            "received": self.received,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepOutcome:
        return cls(
            number=int(d["index"]),
            kind=StepKind(d["kind"]),
            ok=bool(d["ok"]),
            message=str(d["message"]),
            sent=int(d.get("sent", 0)),
            received=int(d.get("received", 0)),
        )


class Dialogue(NamedTuple):
    """A template's steps ready to run: each step with the bytes it sends (or None)."""

    steps: tuple[Step, ...]
    sends: tuple[bytes | None, ...]
    protocol: str | None  # one of REPLY_PROTOCOLS, or None: `expect` matches a line's start

    @property
    def request(self) -> bytes:
        """Everything the dialogue means to send, in order."""
        return b"".join(data for data in self.sends if data)


# ---- patterns ----------------------------------------------------------------------------


def reply_protocol(parser: str | None) -> str | None:
    """The protocol `expect` patterns are read in for a template's parser."""
    return parser if parser in REPLY_PROTOCOLS else None


def parse_expect(text: str, protocol: str | None) -> tuple[Pattern, ...]:
    """The alternatives of an `expect`; ValueError with one plain sentence if malformed."""
    alternatives = [part.strip() for part in text.split("|")]
    if not all(alternatives):
        raise ValueError('is empty; give what the reply starts with, e.g. "220" or "+OK"')
    return tuple(_pattern(part, protocol) for part in alternatives)


def _pattern(text: str, protocol: str | None) -> Pattern:
    shown = repr(text if len(text) <= 40 else text[:37] + "...")
    if protocol in _CODED:
        code = text.lower()
        if not re.fullmatch(_CODE, code):
            raise ValueError(f"must be a reply code such as 250, 2xx or 200|201, got {shown}")
        return Pattern(code.ljust(3, "x"))
    if protocol == "pop3":
        if text.upper() not in _POP3_CODES:
            raise ValueError(f"must be +OK, -ERR or + (a continuation), got {shown}")
        return Pattern(text.upper())
    if protocol == "imap":
        match = re.fullmatch(_IMAP, text)
        if match is None:
            raise ValueError(f'must be a tag and a status such as "* OK" or "a1 OK", got {shown}')
        return Pattern(match.group(1), (match.group(2) or "").upper())
    if protocol == "redis":
        if text[0] not in _RESP_TYPES:
            raise ValueError(
                f'must start with a RESP type such as +, -, :, $ or *, e.g. "+PONG", got {shown}'
            )
        return Pattern(text[0], text[1:].strip().upper())
    return Pattern(text)


def _matches(pattern: Pattern, reply: Reply, protocol: str) -> bool:
    code = reply.code
    if code is None:
        return False
    if protocol in _CODED:
        return len(code) == 3 and all(
            p in ("x", c) for p, c in zip(pattern.code, code, strict=True)
        )
    if code != pattern.code:
        return False
    text = (reply.lines[0] if reply.lines else "").upper()
    word = pattern.word
    return not word or text == word or text.startswith(word + " ")


def _interim(reply: Reply, protocol: str, patterns: Iterable[Pattern]) -> bool:
    """A reply that comes before the one that decides: FTP's 1xx, IMAP's untagged lines."""
    if protocol == "ftp" and reply.code is not None and reply.code.startswith("1"):
        return not any(p.code.startswith("1") for p in patterns)
    if protocol == "imap" and reply.code == "*":
        return not any(p.code == "*" for p in patterns)
    return False


# ---- judging a turn ----------------------------------------------------------------------


def judge(step: Step, data: bytes, protocol: str | None) -> Verdict | None:
    """The verdict on what arrived in a step's turn so far; None while undecided.

    A step waiting for silence is decided (failed) by the first byte; its success
    comes from the read ending quietly, which only the engine sees.
    """
    if step.kind is StepKind.SILENCE:
        return (
            Verdict(False, "", f"{human_bytes(len(data))}: {_first_line(data)}") if data else None
        )
    verdict = None
    if step.expect is not None:
        verdict = judge_reply(parse_expect(step.expect, protocol), data, protocol)
        if verdict is None or not verdict.ok:
            return verdict
    if step.until is not None:
        if step.until not in data:
            return None
        if verdict is None:
            return Verdict(True, f'"{_escaped(step.until)}"', "")
    return verdict


def judge_reply(patterns: tuple[Pattern, ...], data: bytes, protocol: str | None) -> Verdict | None:
    """Decide on the first complete reply that is not interim; None until one arrives."""
    if protocol is None:
        end = data.find(b"\n")
        if end == -1:
            return None
        line = _decode(data[:end].rstrip(b"\r"))
        ok = any(line.startswith(p.code) for p in patterns)
        return Verdict(ok, _cut(line, 24), _cut(line, SHOWN_TEXT))
    # The reply-line parser is loaded when a step waits for a reply: templates define
    # steps, and loading them should not load it.
    from sockscope.core.replies import parse_replies

    for reply in parse_replies(data, protocol):
        if not reply.complete:
            return None
        if _interim(reply, protocol, patterns):
            continue
        ok = any(_matches(p, reply, protocol) for p in patterns)
        return Verdict(ok, _head(reply, protocol), _describe(reply, protocol))
    return None


def _head(reply: Reply, protocol: str) -> str:
    """What a passing reply is called: `250`, `a1 OK`, `+PONG`."""
    if reply.code is None:
        return "?"
    if protocol == "imap" and reply.status:
        return f"{reply.code} {reply.status}"
    if protocol == "redis" and reply.code in "+-" and reply.lines:
        return _cut(reply.code + reply.lines[0].split(" ")[0], 24)
    return reply.code


def _describe(reply: Reply, protocol: str) -> str:
    """The reply in short: `550 mailbox unavailable`, `+PONG`, `250 ... (+3 lines)`."""
    text = reply.lines[0] if reply.lines else ""
    if reply.code is not None:
        text = f"{reply.code}{'' if protocol == 'redis' else ' '}{text}".rstrip()
    more = f" (+{len(reply.lines) - 1} lines)" if len(reply.lines) > 1 else ""
    return _cut(text, SHOWN_TEXT) + more


def _first_line(data: bytes) -> str:
    return _cut(_decode(data.split(b"\n", 1)[0].rstrip(b"\r")), SHOWN_TEXT)


def _escaped(data: bytes) -> str:
    """Bytes in payload syntax on one line: LF as `\\n` rather than a line break."""
    return format_text(data).replace("\n", "\\n")


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---- outcomes ----------------------------------------------------------------------------


def send_label(data: bytes | None) -> str:
    """What a step's message calls what it sent: its first line, in payload syntax."""
    if not data:
        return "connecting"
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    return _cut(format_text(first), 32) or "an empty line"


def step_outcome(
    index: int,
    step: Step,
    context: str,
    verdict: Verdict | None,
    *,
    data: bytes,
    ended: str = "",
    quiet: bool = False,
    sent: int = 0,
) -> StepOutcome:
    """The outcome of step `index` (1-based): `verdict` if the turn was decided, else the
    read ended as `ended` says; `quiet` when it ended for want of data (the idle timeout),
    which is what a silence step hopes for.

    `context` names what came before: `send_label` of the last bytes sent.
    """
    kind = step.kind
    wanted = _wanted(step)
    received = len(data)

    def outcome(ok: bool, message: str) -> StepOutcome:
        return StepOutcome(index, kind, ok, message, sent, received)

    if kind is StepKind.SEND:
        return outcome(True, f"sent {context} ({human_bytes(sent)})")
    if verdict is not None:
        if verdict.ok:
            return outcome(True, f"{verdict.head} after {context}")
        return outcome(False, f"expected {wanted} after {context}, got {verdict.got}")
    if kind is StepKind.SILENCE and not data and quiet:
        return outcome(True, f"{wanted} after {context}")
    if kind is StepKind.SILENCE:
        return outcome(False, f"expected {wanted} after {context}, got {ended}")
    got = "nothing" if not data else f"{human_bytes(received)} without it: {_first_line(data)}"
    return outcome(False, f"expected {wanted} after {context}, got {got}; {ended}")


def _wanted(step: Step) -> str:
    if step.silence is not None:
        return f"silence for {step.silence:g} s"
    if step.expect is not None:
        return step.expect
    return f'"{_escaped(step.until or b"")}"'


def step_outcomes(exchange: Exchange) -> list[StepOutcome]:
    """The step outcomes recorded in an exchange's INFO events (a loaded transcript's
    too: malformed entries are left out rather than trusted)."""
    outcomes = []
    for event in exchange.of_type(EventType.INFO):
        recorded = event.detail.get(STEP_KEY)
        if isinstance(recorded, dict):
            try:
                outcomes.append(StepOutcome.from_dict(recorded))
            except (KeyError, TypeError, ValueError):
                continue
    return outcomes


def step_spans(outcomes: list[StepOutcome], kept: int) -> list[tuple[int, int] | None]:
    """Where each step's reply is in the received bytes: each step waited for the bytes
    after those of the steps before it (`received` of each), so the spans follow one
    another; None for a step that received nothing, or whose bytes were not kept."""
    spans: list[tuple[int, int] | None] = []
    at = 0
    for outcome in outcomes:
        end = min(at + max(0, outcome.received), kept)
        spans.append((at, end) if end > at else None)
        at = end
    return spans


def failed_step(exchange: Exchange) -> StepOutcome | None:
    """The step whose expectation failed and stopped the dialogue, if one did."""
    return next((o for o in step_outcomes(exchange) if not o.ok), None)
