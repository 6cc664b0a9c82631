"""JSON transcripts: `Exchange.to_dict()` on disk, and a loader that names what is wrong.

A transcript is exactly what `sockscope send --json` prints, so either one reopens here.
Files come from anywhere (mailed, edited, truncated), so every field is checked before
the model sees it and each problem becomes one sentence naming the file and the field.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from sockscope.core.model import (
    FORMAT_VERSION,
    ErrorKind,
    EventType,
    Exchange,
    Overflow,
    StopReason,
    Transport,
)


class TranscriptError(ValueError):
    """A transcript that cannot be written or read; `str()` is one plain sentence."""


def transcript_text(exchange: Exchange) -> str:
    return json.dumps(exchange.to_dict(), indent=2) + "\n"


def save_transcript(exchange: Exchange, path: str | Path) -> None:
    try:
        Path(path).write_text(transcript_text(exchange), encoding="utf-8")
    except OSError as exc:
        raise TranscriptError(f"cannot write {path}: {exc.strerror or exc}") from None


def load_transcript(path: str | Path) -> Exchange:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_transcript(raw, str(path))


def parse_transcript(raw: bytes, name: str) -> Exchange:
    """The Exchange in `raw`; `name` (the file) starts every error message."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TranscriptError(
            f"{name} is not a sockscope transcript: byte {exc.start} is not UTF-8 text"
        ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError(
            f"{name} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(doc, dict) or "sockscope" not in doc:
        raise TranscriptError(
            f'{name} is not a sockscope transcript (no "sockscope" format field); '
            "save one with `sockscope send --save FILE`"
        )
    version = doc["sockscope"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        shown = _shown(version)
        raise TranscriptError(
            f"{name} has transcript format {shown}, but this sockscope reads format "
            f"{FORMAT_VERSION}"
            + ("; upgrade sockscope" if _is_int(version) and version > FORMAT_VERSION else "")
        )
    try:
        _check_document(doc)
    except _BadField as exc:
        raise TranscriptError(f"{name}: {exc.field} {exc.problem}") from None
    return Exchange.from_dict(doc)


# ---- field checks ----------------------------------------------------------------------
# Each check returns None for a good value, else the problem as a phrase ("is not base64").

Check = Callable[[Any], str | None]


class _BadField(Exception):
    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and not (isinstance(v, float) and math.isnan(v))


def _shown(v: Any) -> str:
    """A value quoted from the file for a message: json.dumps escapes every control and
    non-ASCII character, so nothing in it can act on the terminal."""
    text = json.dumps(v)
    return text if len(text) <= 30 else text[:27] + "..."


def _json_kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, int | float):
        return "a number"
    if isinstance(v, list):
        return "a list"
    return "an object"


def _kind(test: Callable[[Any], bool], wanted: str, nullable: bool = False) -> Check:
    def check(v: Any) -> str | None:
        if (v is None and nullable) or (v is not None and test(v)):
            return None
        return f"is {_json_kind(v)}, not {wanted}" + (" or null" if nullable else "")

    return check


def _b64(nullable: bool = False) -> Check:
    def check(v: Any) -> str | None:
        if v is None and nullable:
            return None
        if not isinstance(v, str):
            return f"is {_json_kind(v)}, not base64 text"
        try:
            base64.b64decode(v.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            return "is not base64"
        return None

    return check


def _choice(enum: type[StrEnum], nullable: bool = False) -> Check:
    values = [e.value for e in enum]

    def check(v: Any) -> str | None:
        if (v is None and nullable) or v in values:
            return None
        return f"is {_shown(v)}, not one of {', '.join(values)}"

    return check


STRING = _kind(lambda v: isinstance(v, str), "a string")
OPT_STRING = _kind(lambda v: isinstance(v, str), "a string", nullable=True)
BOOL = _kind(lambda v: isinstance(v, bool), "true or false")
NUMBER = _kind(_is_number, "a number")
OPT_NUMBER = _kind(_is_number, "a number", nullable=True)
COUNT = _kind(lambda v: _is_int(v) and v >= 0, "a whole number >= 0")
OPT_COUNT = _kind(lambda v: _is_int(v) and v >= 0, "a whole number >= 0", nullable=True)
PORT = _kind(lambda v: _is_int(v) and 0 <= v <= 65535, "a port (0-65535)", nullable=True)
FAMILY = _kind(lambda v: v in (0, 4, 6) and _is_int(v), "0, 4 or 6")
STRINGS = _kind(lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v), "strings")
OBJECT = _kind(lambda v: isinstance(v, dict), "an object")
OPT_OBJECT = _kind(lambda v: isinstance(v, dict), "an object", nullable=True)
LIST = _kind(lambda v: isinstance(v, list), "a list")

# (key, check, required) for each object in a transcript; keys not listed are ignored
# (derived fields such as `timings`, and what `send --json` adds: `http`, `replies`).
_DOCUMENT = [
    ("target", OBJECT, True),
    ("template", OPT_STRING, False),
    ("started_at", NUMBER, False),
    ("policy", OPT_OBJECT, False),
    ("request_b64", _b64(), False),
    ("events", LIST, False),
    ("stop_reason", _choice(StopReason, nullable=True), False),
    ("stop_message", STRING, False),
    ("error", OPT_OBJECT, False),
]
_TARGET = [
    ("host", STRING, True),
    ("port", PORT, False),
    ("transport", _choice(Transport), False),
    ("family", FAMILY, False),
    ("tls", OPT_OBJECT, False),
]
_TLS = [
    ("verify", BOOL, False),
    ("server_name", OPT_STRING, False),
    ("alpn", STRINGS, False),
    ("ca_file", OPT_STRING, False),
]
_POLICY = [
    ("connect_timeout", NUMBER, False),
    ("idle_timeout", OPT_NUMBER, False),
    ("deadline", OPT_NUMBER, False),
    ("delimiter_b64", _b64(nullable=True), False),
    ("max_bytes", OPT_COUNT, False),
    ("first_datagram", BOOL, False),
    ("half_close", BOOL, False),
    ("capture_limit", COUNT, False),
    ("overflow", _choice(Overflow), False),
]
_EVENT = [
    ("type", _choice(EventType), True),
    ("t", NUMBER, True),
    ("data_b64", _b64(), False),
    ("size", COUNT, False),
    ("calls", COUNT, False),
    ("detail", OBJECT, False),
]
_ERROR = [
    ("kind", _choice(ErrorKind), True),
    ("message", STRING, True),
    ("hint", OPT_STRING, False),
]


def _check_object(obj: dict[str, Any], fields: list[tuple[str, Check, bool]], at: str) -> None:
    for key, check, required in fields:
        name = f"{at}.{key}" if at else key
        if key not in obj:
            if required:
                raise _BadField(name, "is missing")
            continue
        problem = check(obj[key])
        if problem is not None:
            raise _BadField(name, problem)


def _check_document(doc: dict[str, Any]) -> None:
    _check_object(doc, _DOCUMENT, "")
    _check_object(doc["target"], _TARGET, "target")
    if doc["target"].get("tls"):
        _check_object(doc["target"]["tls"], _TLS, "target.tls")
    if doc.get("policy"):
        _check_object(doc["policy"], _POLICY, "policy")
    if doc.get("error") is not None:
        _check_object(doc["error"], _ERROR, "error")
    for i, event in enumerate(doc.get("events", [])):
        at = f"events[{i}]"
        if not isinstance(event, dict):
            raise _BadField(at, f"is {_json_kind(event)}, not an object")
        _check_object(event, _EVENT, at)
