"""JSON transcripts: `Exchange.to_dict()` on disk, and a loader that names what is wrong.

A transcript is exactly what `sockscope send --json` prints, so either one reopens here.
It holds each received byte once, as base64 in `received_b64` (each RECV event says how
many it `kept`); transcripts from before that give each event its own `data_b64` beside
the joined copy, and still load. Both are written a slice at a time (core/json_stream.py).
Files come from anywhere (mailed, edited, truncated, written by an attacker), so the
loader reads a file a slice at a time: its large base64 strings are decoded as they are
read, costing their bytes once (export/json_bulk.py), up to `MAX_KEPT`; the rest is
parsed by `json`, which holds several times its size, up to `MAX_STRUCTURE`. One schema
then checks every field before the model sees it: types, ranges, finite numbers, sizes
and nesting. Whatever passes, every consumer (the views, the app, every export format,
compare, replay) can take. Each problem is one line naming the file and the field:
`transcript run.json: events[3].t: must be a number of seconds from 0 to 1e9, got Infinity`.
"""

from __future__ import annotations

import binascii
import gc
import io
import json
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from sockscope.core.fields import MAX_COUNT, MAX_SECONDS  # byte counts; times, timeouts
from sockscope.core.json_stream import json_pieces
from sockscope.core.model import (
    DIRECTIONS,
    EVENT_TYPES,
    FORMAT_VERSION,
    Direction,
    ErrorKind,
    EventType,
    Exchange,
    Overflow,
    StopReason,
    Transport,
)
from sockscope.core.views import human_bytes
from sockscope.export.json_bulk import Bulk, Read, TooLarge, read_document

# What loading a transcript may cost: its kept bytes (the base64 fields, decoded as they
# are read) once each, and the rest of the file (events, facts) parsed whole by json,
# which holds several times its size.
MAX_KEPT = 1 << 30
MAX_STRUCTURE = 64 << 20
# What json makes of the structure grows with its values, not its bytes: `{},` is three
# bytes and an object of 64. sockscope writes one value in 18 bytes or more (indented),
# about 3.7 million in 64 MiB; a file of nothing but `{}` would hold 22 million (1.7 GB).
MAX_VALUES = 8_000_000
MAX_DEPTH = 32  # objects and lists inside each other; sockscope writes at most 6
MAX_EVENTS = 1_000_000
MAX_NAME = 4096  # characters in a host, server name, path or template name
MAX_EPOCH = 2**32 - 1  # started_at: what a pcap timestamp holds (early 2106)
MAX_ALPN = 255  # bytes in one ALPN protocol name (RFC 7301)


class TranscriptError(ValueError):
    """A transcript that cannot be written or read; `str()` is one plain line."""


def transcript_pieces(exchange: Exchange) -> Iterator[str]:
    """The transcript's text a piece at a time: its bytes never as one string."""
    yield from json_pieces(exchange.to_stream_dict(), indent=2)
    yield "\n"


def transcript_text(exchange: Exchange) -> str:
    return "".join(transcript_pieces(exchange))


def save_transcript(exchange: Exchange, path: str | Path) -> None:
    try:
        with open(path, "w", encoding="utf-8") as file:
            file.writelines(transcript_pieces(exchange))
    except OSError as exc:
        raise TranscriptError(f"cannot write {path}: {exc.strerror or exc}") from None


def load_transcript(path: str | Path, *, own: bool = False) -> Exchange:
    """`own`: a transcript this process wrote (the app's history, kept on disk), read
    back whatever its size: it held that exchange in memory before, and no cap of a
    file from elsewhere may refuse what it wrote (a session of a million events)."""
    # Opened without blocking and read only when it is a regular file: a named pipe
    # would wait for a writer, or for one that trickles, with no bound.
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise TranscriptError(f"transcript {name}: is not a regular file")
            return _exchange(file, name, own=own)
    except OSError as exc:
        raise TranscriptError(f"transcript {name}: cannot read it: {exc.strerror or exc}") from None


def parse_transcript(raw: bytes, name: str) -> Exchange:
    """The Exchange in `raw`; `name` (the file) starts every error message."""
    return _exchange(io.BytesIO(raw), name)


def _exchange(file: BinaryIO, name: str, *, own: bool = False) -> Exchange:
    # What a transcript is made into holds no cycles, so the collector has nothing to
    # free meanwhile; left on, it walks the million objects of a long one again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        doc = _parsed(file, capped=not own)
        return Exchange.from_dict(doc if own else _checked(doc))
    except _BadField as exc:
        raise TranscriptError(f"transcript {name}: {exc.field}: {exc.problem}") from None
    except _BadFile as exc:
        raise TranscriptError(f"transcript {name}: {exc}") from None
    finally:
        if collecting:
            gc.enable()


class _BadFile(Exception):
    """The file as a whole is not a transcript (size, encoding, JSON, format)."""


class _BadField(Exception):
    """A value that fails its check. Each container it passes on the way out adds its key
    to `parts`, so the path is built only for the one field that is wrong."""

    def __init__(self, problem: str, *path: str | int) -> None:
        self.problem = problem
        self.parts: list[str | int] = list(reversed(path))  # innermost first

    @property
    def field(self) -> str:
        return _path(reversed(self.parts))


def _too_large(part: str) -> str:
    if part == "decoded":
        return (
            f"holds over {human_bytes(MAX_KEPT)} of kept bytes (its base64 fields), the most "
            "sockscope loads: opening a transcript holds its kept bytes in memory; keep less "
            "with --capture-limit for an exchange you mean to reopen"
        )
    return (
        f"holds over {human_bytes(MAX_STRUCTURE)} besides its kept bytes (events and facts, "
        "which are parsed whole, at several times their size in memory); a session of "
        "hundreds of thousands of events saves one this big"
    )


_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels of lists and objects"
_DEPTH_WRITTEN = " (sockscope writes 6 at most)"


def _parsed(file: BinaryIO, *, capped: bool = True) -> Any:
    """The JSON value in `file`, its large base64 strings decoded to bytes where the
    schema wants base64 (and read back as text anywhere else); `capped`: refused past
    the caps on what a file from elsewhere may cost."""
    unbounded = sys.maxsize
    try:
        read = read_document(
            file,
            max_structure=MAX_STRUCTURE if capped else unbounded,
            max_decoded=MAX_KEPT if capped else unbounded,
            describe=_too_large,
        )
    except TooLarge as exc:
        raise _BadFile(str(exc)) from None
    # Counted before json builds them: each object, list and item after the first starts
    # with one of these (commas inside strings count too, which only errs on the safe side).
    values = sum(read.structure.count(mark) for mark in (b"{", b"[", b",")) if capped else 0
    if values > MAX_VALUES:
        raise _BadFile(
            f"holds over {MAX_VALUES:,} JSON values (objects, lists and their items) besides "
            "its kept bytes, more than sockscope writes in a transcript of this size"
        )
    try:
        text = read.structure.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = read.file_offset(exc.start)
        raise _BadFile(
            f"not a sockscope transcript: byte {at} is not UTF-8 text (transcripts are UTF-8 JSON)"
        ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadFile(_not_json(exc, text, read)) from None
    except RecursionError:
        deep = _too_deep_at(text)
        where = "" if deep is None else f" at {_where(read, text, deep)}"
        raise _BadFile(f"{_TOO_DEEP}{where}{_DEPTH_WRITTEN}") from None
    except ValueError:  # the only other one: an integer beyond Python's digit limit
        raise _BadFile(_long_number(text, read)) from None
    del text
    if read.bulks:
        doc = _with_bulks(doc, read)
    return doc


def _where(read: Read, text: str, pos: int) -> str:
    """`line 8, column 3`: where character `pos` of the structure's text is in the file
    (base64 holds no line break, so lines are the file's; a line's columns count the
    characters the placeholders took out of it)."""
    line_start = text.rfind("\n", 0, pos) + 1
    removed = read.removed_before(len(text[:pos].encode()), len(text[:line_start].encode()))
    return f"line {text.count(chr(10), 0, pos) + 1}, column {pos - line_start + 1 + removed}"


_CUT_SHORT = "it was cut short (copy or save it again)"
# The start of a value the file ends inside (`tru`, `-`, `1.`, `2e`), where json says a
# value, or a comma after the number's whole part, belongs.
_VALUE_BEGUN = re.compile(r"t|tr|tru|f|fa|fal|fals|n|nu|nul|-|[-0-9]*\.|[-0-9.]*[eE][-+]?")
_MID_VALUE = ("Expecting value", "Expecting ',' delimiter")
# What json's complaints mean, said as what belongs at the place they name.
_JSON_PROBLEMS = {
    "Expecting value": "a value belongs here (a string, number, object, list, true, false or null)",
    "Expecting property name enclosed in double quotes": "a key in double quotes belongs here",
    "Expecting ':' delimiter": "a colon belongs here, after the key",
    "Expecting ',' delimiter": "a comma belongs here, between two items",
    "Extra data": "text follows the end of the transcript's object (remove it)",
    "Invalid \\escape": (
        'a backslash escape JSON does not have (it has \\" \\\\ \\/ \\b \\f \\n \\r \\t '
        "and \\u with 4 hexadecimal digits)"
    ),
    "Invalid \\uXXXX escape": "a \\u escape without its 4 hexadecimal digits",
}


def _not_json(exc: json.JSONDecodeError, text: str, read: Read) -> str:
    """json's complaint as a sentence that says where and what to do: json's own
    message names the place after it (`Unterminated string starting at: line 8 ...`),
    which its `msg` alone leaves hanging."""
    where = _where(read, text, exc.pos)
    if not text.strip():
        return "is empty, not a transcript (save one with `sockscope send --save FILE`)"
    if exc.msg.startswith("Unterminated string"):  # json reached the end inside it
        return f"not JSON: the string at {where} is not closed when the file ends: {_CUT_SHORT}"
    rest = text[exc.pos :].strip()
    if not rest or (exc.msg in _MID_VALUE and _VALUE_BEGUN.fullmatch(rest)):
        return f"not JSON: the file ends at {where}, inside the transcript: {_CUT_SHORT}"
    if exc.msg.startswith("Unexpected UTF-8 BOM"):
        return "not JSON: it starts with a byte order mark (save it as UTF-8 without one)"
    if exc.msg.startswith("Invalid control character"):
        code = ord(text[exc.pos])
        return (
            f"not JSON at {where}: a control character (U+{code:04X}) written as it is "
            f"inside a string, where JSON writes \\u{code:04x}"
        )
    if text[exc.pos] in "]}" and text[: exc.pos].rstrip().endswith(","):
        return f"not JSON at {where}: a comma before `{text[exc.pos]}`, which JSON does not allow"
    problem = _JSON_PROBLEMS.get(exc.msg, exc.msg.removesuffix(" starting at").removesuffix(" at"))
    return f"not JSON at {where}: {problem}"


def _long_number(text: str, read: Read) -> str:
    """The refusal of a whole number longer than Python reads (4,300 digits): where it is."""
    found = re.search(f"[0-9]{{{sys.get_int_max_str_digits() + 1},}}", text)
    if found is None:
        return "not a transcript: it holds a whole number thousands of digits long"
    return (
        f"not a transcript: {_where(read, text, found.start())} holds a whole number "
        f"{len(found[0]):,} digits long (a transcript's numbers have 16 digits at most)"
    )


# A string (its escapes skipped whole) or a bracket: what nests, and what only looks as if.
_NESTING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _too_deep_at(text: str) -> int | None:
    """Where the nesting first passes `MAX_DEPTH`; None when it never does."""
    depth = 0
    for match in _NESTING.finditer(text):
        mark = match[0]
        if mark == "[" or mark == "{":
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
        elif mark == "]" or mark == "}":
            depth -= 1
    return None


def _with_bulks(doc: Any, read: Read) -> Any:
    """`doc` with each placeholder where the schema wants base64 (request_b64,
    received_b64, an event's data_b64, the policy's delimiter_b64) replaced by its
    decoded bytes, and any other placeholder, key or value, by the text the file has."""
    prefix = read.token + ":"

    def bulk(value: str) -> Bulk:
        return read.bulks[int(value[len(prefix) :])]

    def text(value: Any, depth: int = 0) -> Any:
        # json nests deeper than the frames left here: the schema's cap, checked on the way.
        if isinstance(value, str):
            return bulk(value).text() if value.startswith(prefix) else value
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            raise _BadFile(_TOO_DEEP + _DEPTH_WRITTEN)
        if isinstance(value, dict):
            return {text(key): text(item, depth + 1) for key, item in value.items()}
        if isinstance(value, list):
            return [text(item, depth + 1) for item in value]
        return value

    if not isinstance(doc, dict):
        return text(doc)

    def places() -> Iterator[tuple[dict[str, Any], str]]:
        yield from ((doc, "request_b64"), (doc, "received_b64"))
        if isinstance(doc.get("policy"), dict):
            yield doc["policy"], "delimiter_b64"
        if isinstance(doc.get("events"), list):
            yield from ((event, "data_b64") for event in doc["events"] if type(event) is dict)

    placed = 0
    for holder, key in places():
        if placed == len(read.bulks):
            return doc  # the events of a long transcript hold none: not looked at
        value = holder.get(key)
        if isinstance(value, str) and value.startswith(prefix):
            holder[key] = bulk(value).data
            placed += 1
    return doc if placed == len(read.bulks) else text(doc)


def _checked(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or "sockscope" not in doc:
        raise _BadFile(
            'not a sockscope transcript (no "sockscope" format field); '
            "save one with `sockscope send --save FILE`"
        )
    version = doc["sockscope"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        newer = _is_int(version) and version > FORMAT_VERSION
        raise _BadFile(
            f"transcript format {_shown(version)}, but this sockscope reads format "
            f"{FORMAT_VERSION}" + ("; upgrade sockscope" if newer else "")
        )
    _DOCUMENT_CHECK(doc)
    _check_consistency(doc)
    return doc


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _path(parts: Iterable[str | int]) -> str:
    """`events[3].detail.certificate`; a key that is not a plain name is shown quoted and
    escaped (it is file text): `detail["\\u001b]0;x"]`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{_shown(part)}]"
    return out


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return _is_int(v) or (isinstance(v, float) and math.isfinite(v))


def _shown(v: Any) -> str:
    """A value quoted from the file for a message: json.dumps escapes every control and
    non-ASCII character, so nothing in it can act on the terminal; long values are cut."""
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, str):
        return json.dumps(v[:40]) + ("..." if len(v) > 40 else "")
    text = json.dumps(v)
    return text if len(text) <= 30 else text[:27] + "..."


# ---- what any JSON value in a transcript may be ---------------------------------------
# Keys the schema below does not name (extra facts in an event's detail, the derived
# `timings`, what `send --json` adds) are held to these rules only.


def _check_json(value: Any, depth: int = 0) -> None:
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            _fail("a finite number", value)
    elif _is_int(value):
        if not -(2**63) <= value < 2**63:
            _fail("a whole number within 64 bits", value)
    elif isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            raise _BadField(f"must not nest lists and objects deeper than {MAX_DEPTH} levels")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            try:
                if isinstance(key, str):
                    _check_text(key)
                _check_json(item, depth + 1)
            except _BadField as exc:
                exc.parts.append(key)
                raise


def _check_text(text: str) -> None:
    # json reads "\ud800" as a lone surrogate: not text, and no file or terminal takes it.
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(text[exc.start])
            raise _BadField(f"must be Unicode text, got the lone surrogate \\u{code:04x}") from None


# ---- the schema ------------------------------------------------------------------------
# A check takes a value and raises _BadField if it is not what consumers can take.

Check = Callable[[Any], None]


def _fail(wanted: str, v: Any) -> NoReturn:
    raise _BadField(f"must be {wanted}, got {_shown(v)}")


def _scalar(test: Callable[[Any], bool], wanted: str, *, nullable: bool = False) -> Check:
    wanted += " or null" if nullable else ""

    def check(v: Any) -> None:
        if not ((v is None and nullable) or (v is not None and test(v))):
            _fail(wanted, v)

    return check


def _whole(low: int, high: int, *, wanted: str = "", nullable: bool = False) -> Check:
    return _scalar(
        lambda v: _is_int(v) and low <= v <= high,
        wanted or f"a whole number from {low:,} to {high:,}",
        nullable=nullable,
    )


def _seconds(*, positive: bool, high: float = MAX_SECONDS, nullable: bool = False) -> Check:
    low = "above 0" if positive else "from 0"
    return _scalar(
        lambda v: _is_number(v) and (v > 0 if positive else v >= 0) and v <= high,
        f"a number of seconds {low} to {high:,.0f}",
        nullable=nullable,
    )


def _text(
    *,
    max_len: int | None = None,
    nonempty: bool = False,
    path_like: bool = False,
    nullable: bool = False,
) -> Check:
    """A string; `path_like` ones go to the OS (host names, paths), which takes no NUL."""

    def check(v: Any) -> None:
        if v is None and nullable:
            return
        if not isinstance(v, str):
            _fail("a string" + (" or null" if nullable else ""), v)
        if nonempty and not v:
            raise _BadField("must not be empty")
        if max_len is not None and len(v) > max_len:
            raise _BadField(f"must be at most {max_len:,} characters, got {len(v):,}")
        if path_like and "\0" in v:
            raise _BadField("must not contain NUL (no host name or path holds one)")
        _check_text(v)

    return check


def _b64(*, nonempty: bool = False, nullable: bool = False) -> Check:
    def check(v: Any) -> None:
        if (v is None and nullable) or isinstance(v, bytes):
            return  # bytes: a large value, decoded from strict base64 as it was read
        if not isinstance(v, str):
            _fail("base64 text" + (" or null" if nullable else ""), v)
        if not v.isascii():
            raise _BadField(f"must be base64, got {_shown(v)} (not ASCII)")
        try:
            binascii.a2b_base64(v, strict_mode=True)
        except binascii.Error as exc:
            # binascii says "Incorrect padding" or "Invalid base64-encoded string: ...".
            reason = str(exc).split(":")[0].lower()
            raise _BadField(f"must be base64, got {_shown(v)} ({reason})") from None
        if nonempty and not v:
            raise _BadField("must not be empty")

    return check


def _choice(enum: type[StrEnum], *, nullable: bool = False) -> Check:
    values = [e.value for e in enum]
    wanted = f"one of {', '.join(values)}"
    return _scalar(lambda v: isinstance(v, str) and v in values, wanted, nullable=nullable)


def _list(item: Check, *, max_items: int, sound: Callable[[Any], bool] | None = None) -> Check:
    """A list of items that pass `item`; an item `sound` says passes needs no more."""

    def check(v: Any) -> None:
        if not isinstance(v, list):
            _fail("a list", v)
        if len(v) > max_items:
            raise _BadField(f"must hold at most {max_items:,} items, got {len(v):,}")
        for index, x in enumerate(v):
            if sound is not None and sound(x):
                continue
            try:
                item(x)
            except _BadField as exc:
                exc.parts.append(index)
                raise

    return check


def _object(fields: dict[str, tuple[Check, bool]], *, nullable: bool = False) -> Check:
    """An object whose named keys pass their checks ((check, required) each); other keys
    are allowed, held to the rules for any JSON value."""
    required = [key for key, (_, needed) in fields.items() if needed]

    def check(v: Any) -> None:
        if v is None and nullable:
            return
        if not isinstance(v, dict):
            _fail("an object" + (" or null" if nullable else ""), v)
        for key in required:
            if key not in v:
                raise _BadField("is missing", key)
        # The object's own keys drive the loop: an event's detail holds a few of the many
        # keys the schema names, and a transcript may hold a million events.
        for key, item in v.items():
            entry = fields.get(key)
            try:
                if entry is not None:
                    entry[0](item)
                else:
                    _check_text(key)
                    _check_json(item)
            except _BadField as exc:
                exc.parts.append(key)
                raise

    return check


def _is_alpn(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    try:
        return 1 <= len(v.encode("utf-8")) <= MAX_ALPN
    except UnicodeEncodeError:  # a lone surrogate
        return False


STRING = _text()
OPT_STRING = _text(nullable=True)
NAME = _text(max_len=MAX_NAME, nullable=True)
OS_NAME = _text(max_len=MAX_NAME, path_like=True, nullable=True)
BOOL = _scalar(lambda v: isinstance(v, bool), "true or false")
COUNT = _whole(0, MAX_COUNT)
OPT_COUNT = _whole(0, MAX_COUNT, nullable=True)
STRINGS = _list(STRING, max_items=MAX_EVENTS)

_TLS_OPTIONS = {
    "verify": (BOOL, False),
    "server_name": (OS_NAME, False),
    "alpn": (
        _list(_scalar(_is_alpn, f"a protocol name of 1 to {MAX_ALPN} bytes"), max_items=64),
        False,
    ),
    "ca_file": (OS_NAME, False),
    "cert_file": (OS_NAME, False),
    "key_file": (OS_NAME, False),
}
_TARGET = {
    "host": (_text(max_len=MAX_NAME, nonempty=True, path_like=True), True),
    "port": (_whole(1, 65535, wanted="a port from 1 to 65535", nullable=True), False),
    "transport": (_choice(Transport), False),
    "family": (_scalar(lambda v: _is_int(v) and v in (0, 4, 6), "0, 4 or 6"), False),
    "tls": (_object(_TLS_OPTIONS, nullable=True), False),
}
_POLICY = {
    "connect_timeout": (_seconds(positive=True), False),
    "idle_timeout": (_seconds(positive=True, nullable=True), False),
    "deadline": (_seconds(positive=True, nullable=True), False),
    "delimiter_b64": (_b64(nonempty=True, nullable=True), False),
    "max_bytes": (OPT_COUNT, False),
    "first_datagram": (BOOL, False),
    "half_close": (BOOL, False),
    "capture_limit": (COUNT, False),
    "overflow": (_choice(Overflow), False),
}
# The facts the engine records on a certificate (engine/tlsinfo.py) that views read.
_CERTIFICATE = {
    key: (OPT_STRING, False)
    for key in (
        "sha256",
        "serial",
        "issuer",
        "subject",
        "common_name",
        "not_before",
        "not_after",
        "parse_error",
    )
} | {
    "size": (OPT_COUNT, False),
    "version": (OPT_COUNT, False),
    "self_signed": (BOOL, False),
    "san": (STRINGS, False),
    "san_total": (COUNT, False),
}
# A dialogue step's outcome (core/steps.py StepOutcome.to_dict).
_STEP = {
    "index": (_whole(1, MAX_COUNT), True),
    "kind": (STRING, True),
    "ok": (BOOL, True),
    "message": (STRING, True),
    "sent": (COUNT, False),
    "received": (COUNT, False),
}
# An event's detail keys that views read, by name (the engine writes each with one meaning
# on every event type); any other key is kept as a plain JSON fact.
_DETAIL = (
    {
        key: (STRING, False)
        for key in ("message", "note", "kind", "address", "peer", "local", "listener")
    }
    | {
        key: (OPT_STRING, False)
        for key in ("hint", "version", "cipher", "alpn", "server_name", "sni")
    }
    | {
        "addresses": (STRINGS, False),
        "bits": (OPT_COUNT, False),
        "verified": (BOOL, False),
        "certificate": (_object(_CERTIFICATE, nullable=True), False),
        "step": (_object(_STEP), False),
        "turn": (COUNT, False),
        "length": (OPT_COUNT, False),
        "pid": (COUNT, False),
        "uid": (COUNT, False),
        "gid": (COUNT, False),
    }
)
_EVENT = {
    "type": (_choice(EventType), True),
    "t": (_seconds(positive=False), True),
    "data_b64": (_b64(), False),
    "size": (COUNT, False),
    "kept": (COUNT, False),  # a RECV event's bytes in received_b64
    "calls": (_whole(1, MAX_COUNT), False),
    "detail": (_object(_DETAIL), False),
    "direction": (_choice(Direction, nullable=True), False),  # a relay's: whose event
}
_PLAIN_EVENT_KEYS = frozenset(("type", "t", "size", "kept", "calls", "direction"))


def _plain_event(v: Any) -> bool:
    """Whether `v` is an event with no bytes of its own and no detail (a read, a close:
    nearly every event of a long transcript) that passes `_EVENT`'s checks, tested here
    at a fraction of their cost. Any other event goes through them, and a wrong one is
    named there."""
    if type(v) is not dict or not v.keys() <= _PLAIN_EVENT_KEYS:
        return False
    kind, t, direction = v.get("type"), v.get("t"), v.get("direction")
    size, kept, calls = v.get("size", 0), v.get("kept", 0), v.get("calls", 1)
    return (
        type(kind) is str
        and kind in EVENT_TYPES
        and (type(t) is float or type(t) is int)
        and 0 <= t <= MAX_SECONDS  # NaN and infinities fail here
        and type(size) is int
        and 0 <= size <= MAX_COUNT
        and type(kept) is int
        and 0 <= kept <= MAX_COUNT
        and type(calls) is int
        and 1 <= calls <= MAX_COUNT
        and (direction is None or (type(direction) is str and direction in DIRECTIONS))
    )


_ERROR = {
    "kind": (_choice(ErrorKind), True),
    "message": (STRING, True),
    "hint": (OPT_STRING, False),
}
_DOCUMENT_CHECK = _object(
    {
        "target": (_object(_TARGET), True),
        "template": (NAME, False),
        "started_at": (
            _scalar(
                lambda v: _is_number(v) and 0 <= v <= MAX_EPOCH,
                f"an epoch time in seconds from 0 to {MAX_EPOCH}",
            ),
            False,
        ),
        "policy": (_object(_POLICY, nullable=True), False),
        "request_b64": (_b64(), False),
        "events": (_list(_object(_EVENT), max_items=MAX_EVENTS, sound=_plain_event), False),
        "received_b64": (_b64(), False),
        "stop_reason": (_choice(StopReason, nullable=True), False),
        "stop_message": (STRING, False),
        "error": (_object(_ERROR, nullable=True), False),
    }
)


def _check_consistency(doc: dict[str, Any]) -> None:
    """Rules between fields, once each field has its type."""
    target = doc["target"]
    transport = Transport(target.get("transport", Transport.TCP.value))
    if not transport.is_unix and target.get("port") is None:
        raise _BadField(
            f"must be a port from 1 to 65535 for a {transport.value} target, got null",
            "target",
            "port",
        )
    received = _b64_length(doc.get("received_b64", ""))
    taken = 0  # received bytes the RECV events before this one hold
    recv = EventType.RECV.value
    for index, event in enumerate(doc.get("events", [])):
        if "data_b64" in event:
            kept, source = _b64_length(event["data_b64"]), "data_b64"
        elif event["type"] == recv:
            kept, source = event.get("kept", 0), "kept"
            if taken + kept > received:
                raise _BadField(
                    f"must be at most the {received - taken:,} bytes left in received_b64 "
                    f"after the events before it, got {kept:,}",
                    "events",
                    index,
                    "kept",
                )
        else:
            continue
        if event["type"] == recv:
            taken += kept
        if event.get("size", kept) < kept:
            raise _BadField(
                f"must count at least the {kept:,} bytes in {source}, got {event['size']:,}",
                "events",
                index,
                "size",
            )


def _b64_length(value: str | bytes) -> int:
    """Bytes in valid base64 (checked above): 3 for each 4 characters, less the padding;
    a large value is bytes already."""
    if isinstance(value, bytes):
        return len(value)
    return len(value) // 4 * 3 - value[-2:].count("=")
