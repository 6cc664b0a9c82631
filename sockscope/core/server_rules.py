"""Listen replies chosen by what arrived: rules (a pattern and a reply), a default, and an
ordered server-side dialogue, from `--on PATTERN=REPLY` or a server template file.

A pattern is a Python regular expression over the bytes the client sent since our last
reply (the last MATCH_WINDOW of them; `^` and `$` also match at each line); the first rule
whose pattern is found there answers, and those bytes are forgotten. When no rule
matches, the default reply answers once a whole line (ending in \\n) is in, each datagram
over UDP, or at the client's EOF, so a request split across reads is not answered
half-way. A reply is in payload syntax.

A server template (TOML) holds the same, plus steps:

    default = "-ERR unknown command\\r\\n"
    [[steps]]                   # no match: sent as soon as the client connects
    reply = "220 hello\\r\\n"
    [[steps]]
    match = "^EHLO"
    reply = "250 ok\\r\\n"
    [[rules]]
    match = "QUIT"
    reply = "221 bye\\r\\n"
    close = true                # stop talking after this reply

While steps remain, only the next step's match is tried; once they are done, the rules
and the default answer. Files are someone else's: sizes, counts and pattern lengths are
capped, every field is checked, and a problem names the file and the field.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    # The parser re itself uses, under its public name of 3.10 (deprecated, not gone):
    # patterns are checked for nested repeats before any client's bytes reach them.
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_parse

from sockscope.core.fields import FieldError
from sockscope.core.payload import PayloadError, parse_text
from sockscope.core.responders import Answer, ReplyPlan
from sockscope.core.sanitize import sanitize

MAX_RULES = 100  # rules and steps each
MAX_PATTERN = 1000  # characters in one pattern
MATCH_WINDOW = 64 * 1024  # the received bytes a pattern is tried on
_RULE_KEYS = ("match", "reply", "close")
_FILE_KEYS = ("default", "rules", "steps")


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[bytes] | None  # None: a step sent without waiting for anything
    reply: bytes
    close: bool = False


@dataclass(frozen=True)
class ServerScript:
    rules: tuple[Rule, ...] = ()
    steps: tuple[Rule, ...] = ()
    default: bytes | None = None

    @property
    def words(self) -> str:
        """How we answer, for the "listening on" line."""
        parts = []
        if self.steps:
            parts.append(_count(len(self.steps), "step"))
        if self.rules:
            parts.append(_count(len(self.rules), "rule"))
        if self.default is not None:
            parts.append("a default reply")
        return ", ".join(parts) or "nothing"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def compile_pattern(text: str, field: str) -> re.Pattern[bytes]:
    """`text` as a regular expression over bytes; FieldError naming `field` otherwise."""
    if not text:
        raise FieldError(field, "has an empty pattern; e.g. PING or ^GET ")
    if len(text) > MAX_PATTERN:
        raise FieldError(field, f"has a pattern over {MAX_PATTERN} characters")
    try:
        compiled = re.compile(text.encode("utf-8", "surrogateescape"), re.DOTALL | re.MULTILINE)
    except (re.error, OverflowError) as exc:  # OverflowError: a repeat count like x{99999999999}
        raise FieldError(field, f"has a pattern that is not a regular expression: {exc}") from None
    if _nests_repeats(sre_parse.parse(text)):
        raise FieldError(
            field,
            "has a repeat or alternation inside a repeat, like (a+)+ or (a|b)*: on a "
            "client's bytes Python's matcher can try every way to split them, for hours, "
            "with the whole program stopped; write it without the nesting, or make the "
            "outer repeat possessive (*+, ++)",
        )
    return compiled


def _nests_repeats(pattern: sre_parse.SubPattern, *, in_repeat: bool = False) -> bool:
    """Whether a parsed pattern has a backtracking repeat (more than once) around another
    such repeat or an alternation: the shapes whose matching time grows exponentially.
    Possessive repeats and atomic groups give nothing back, so what they hold is safe."""
    # The parser types each argument as a union of every opcode's; each branch knows its own.
    steps: list[tuple[Any, Any]] = list(pattern.data)
    for op, arg in steps:
        inner = in_repeat
        if op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
            _low, high, body = arg
            if high > 1 and in_repeat:
                return True
            parts, inner = [body], in_repeat or high > 1
        elif op is sre_parse.BRANCH:
            if in_repeat:
                return True
            parts = arg[1]
        elif op is sre_parse.SUBPATTERN:
            parts = [arg[3]]
        elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
            parts = [arg[1]]
        elif op is sre_parse.GROUPREF_EXISTS:
            parts = [part for part in arg[1:] if part is not None]
        else:
            continue
        if any(_nests_repeats(part, in_repeat=inner) for part in parts):
            return True
    return False


def parse_on(text: str) -> Rule:
    """`PATTERN=REPLY` (the first `=` separates them; write \\x3d for an `=` in a pattern)."""
    pattern, sep, reply = text.partition("=")
    if not sep:
        raise FieldError("--on", f"{sanitize(text)!r} has no '='; e.g. --on 'PING=+PONG\\r\\n'")
    return Rule(compile_pattern(pattern, "--on"), _payload(reply, "--on"))


def script_from_args(on: list[str], default: str | None) -> ServerScript:
    if len(on) > MAX_RULES:
        raise FieldError("--on", f"is given {len(on)} times; at most {MAX_RULES}")
    rules = tuple(parse_on(text) for text in on)
    return ServerScript(
        rules, (), None if default is None else _payload(default, "--default-reply")
    )


def _payload(text: str, field: str) -> bytes:
    try:
        return parse_text(text)
    except PayloadError as exc:
        raise FieldError(field, f"reply: {exc}") from None


def parse_server_template(raw: bytes) -> ServerScript:
    """The script in a server template file's bytes; FieldError naming the field."""
    import tomllib  # only for server template files

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FieldError("file", f"is not UTF-8 text (a bad byte at offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise FieldError("file", f"is not valid TOML: {sanitize(str(exc))}") from None
    except RecursionError:
        raise FieldError("file", "is nested too deeply to read as TOML") from None
    _known(data, _FILE_KEYS, "")
    default = data.get("default")
    if default is not None and not isinstance(default, str):
        raise FieldError("default", "must be a string in payload syntax")
    rules = _rules(data.get("rules", []), "rules", need_match=True)
    steps = _rules(data.get("steps", []), "steps", need_match=False)
    if not rules and not steps and default is None:
        raise FieldError("file", "has no [[rules]], [[steps]] or default: it would never reply")
    return ServerScript(rules, steps, None if default is None else _payload(default, "default"))


def _known(table: dict[str, Any], keys: tuple[str, ...], at: str) -> None:
    for key in table:
        if key not in keys:
            where = f"{at}.{key}" if at else key
            raise FieldError(sanitize(where[:60]), f"is not a field here; use {', '.join(keys)}")


def _rules(value: Any, name: str, *, need_match: bool) -> tuple[Rule, ...]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise FieldError(name, f"must be a list of tables: [[{name}]]")
    if len(value) > MAX_RULES:
        raise FieldError(name, f"has {len(value)} entries; at most {MAX_RULES}")
    out = []
    for index, item in enumerate(value):
        at = f"{name}[{index}]"
        _known(item, _RULE_KEYS, at)
        match, reply, close = item.get("match"), item.get("reply", ""), item.get("close", False)
        if match is None and need_match:
            raise FieldError(f"{at}.match", "is missing: the pattern this rule answers")
        if match is not None and not isinstance(match, str):
            raise FieldError(f"{at}.match", "must be a string (a regular expression)")
        if not isinstance(reply, str):
            raise FieldError(f"{at}.reply", "must be a string in payload syntax")
        if not isinstance(close, bool):
            raise FieldError(f"{at}.close", "must be true or false")
        pattern = None if match is None else compile_pattern(match, f"{at}.match")
        out.append(Rule(pattern, _payload(reply, f"{at}.reply"), close))
    return tuple(out)


class RuleResponder:
    """Answers by a ServerScript: the steps in order, then the first matching rule, then
    the default. Works over UDP too, where each datagram is one arrival."""

    protocol: str | None = None
    datagram = True

    def __init__(self, script: ServerScript, *, per_datagram: bool = False) -> None:
        self.script = script
        self.per_datagram = per_datagram
        self.next_step = 0
        self.buffer = bytearray()
        self.done = False

    def opening(self) -> Answer:
        return self._unprompted(bytearray())

    def received(self, data: bytes) -> Answer:
        if self.done:
            return Answer()
        self.buffer += data
        del self.buffer[:-MATCH_WINDOW]
        steps = self.script.steps
        if self.next_step < len(steps):
            step = steps[self.next_step]
            if step.pattern is not None and step.pattern.search(self.buffer):
                self.next_step += 1
                return self._answer(step)
            return Answer()
        for rule in self.script.rules:
            if rule.pattern is not None and rule.pattern.search(self.buffer):
                return self._answer(rule)
        if self.per_datagram or self.buffer.endswith(b"\n"):
            return self._default()
        return Answer()

    def client_done(self) -> Answer:
        if self.done:
            return Answer(close=True)
        answer = self._default() if self.buffer else Answer()
        return Answer(answer.data, close=True)

    def _default(self) -> Answer:
        self.buffer.clear()
        default = self.script.default
        return Answer() if default is None else Answer(default)

    def _answer(self, rule: Rule) -> Answer:
        self.buffer.clear()
        if rule.close:
            self.done = True
            return Answer(rule.reply, close=True)
        return self._unprompted(bytearray(rule.reply))

    def _unprompted(self, out: bytearray) -> Answer:
        """`out` and the replies of the steps that wait for nothing, from the next one on."""
        steps = self.script.steps
        while self.next_step < len(steps) and steps[self.next_step].pattern is None:
            step = steps[self.next_step]
            self.next_step += 1
            out += step.reply
            if step.close:
                self.done = True
                return Answer(bytes(out), close=True)
        return Answer(bytes(out))


def plan_rules(script: ServerScript, *, datagram: bool) -> ReplyPlan:
    def factory() -> RuleResponder:
        return RuleResponder(script, per_datagram=datagram)

    return ReplyPlan(factory, None, script.words)


def is_template_file(name: str) -> bool:
    """Whether `--reply-template NAME` names a server template file rather than a built-in."""
    return name.endswith(".toml") or "/" in name


def load_server_template(path: Path) -> ServerScript:
    """The script in the file at `path`, read with the template reader's bounds (size, a
    regular file only); FieldError naming `--reply-template`, the file and the field."""
    from sockscope.core.templates import TemplateError, read_template_file

    shown = sanitize(str(path))
    try:
        return parse_server_template(read_template_file(path))
    except TemplateError as exc:
        raise FieldError("--reply-template", f"{shown} {exc}") from None
    except FieldError as exc:
        raise FieldError("--reply-template", f"{shown}: {exc}") from None
