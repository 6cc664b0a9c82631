"""Hostile files: saved transcripts someone else wrote, for tests of every front end.

A transcript is a file a colleague mails, so every string in it is attacker-chosen.
`hostile_transcript(text)` is a transcript that passes the loader's schema (it is what
`sockscope send --save` could have written) with `text` in every string field: the target
host, TLS server name, ALPN and CA file, the template name, the stop message, the error
and every string the events' details hold (addresses, certificate names, notes, step
messages), and `text` in the bytes sent and received. Tests open it (`sockscope open`,
`export`, `compare`, the app) and check that no control byte and no live markup comes out.

    from tests.hostile.files import HOSTILE_TEXTS, write_hostile_transcript
    path = write_hostile_transcript(tmp_path / "evil.json", HOSTILE_TEXTS["osc52-clipboard"])

NUL is left out of the texts: the loader refuses it in the host, server name and CA
file (no host name or path can hold one), so a transcript with it would not load.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from sockscope.core.model import FORMAT_VERSION
from sockscope.lab.hostile.display import ATTACKS


def _text(payload: bytes) -> str:
    # raw-9b is not UTF-8: as Latin-1 it is the C1 character U+009B, the 8-bit CSI.
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


# The display attacks the hostile servers send (OSC 52, OSC 0, CSI, C1, bidi, Textual and
# Rich markup), as text, plus a few that only a file can carry.
HOSTILE_TEXTS: dict[str, str] = {
    attack.name: _text(attack.payload) for attack in ATTACKS if attack.in_head
} | {
    "osc0-title-bel": "\x1b]0;title\x07",
    "osc52-bel": "\x1b]52;c;cm0gLXJmIH4K\x07",
    "c1-osc-st": "\x9d0;title\x9c",
    "line-separators": "a\u2028b\u2029c\x85d",
    "markup-bold": "[bold red]alarm[/]",
    "newline-cr": "first\r\nsecond\rthird",
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hostile_transcript(text: str, *, transport: str = "tls") -> dict[str, Any]:
    """A valid transcript dict (format 1) with `text` in every string field.

    A TLS exchange that resolved, connected, shook hands, sent one request, received a
    reply, recorded a dialogue step and ended in an error, so every part of a view has
    something to show. `transport` may be any transport; the TLS fields stay filled.
    """
    raw = text.encode("utf-8")
    request = b"GET /" + raw + b" HTTP/1.1\r\nHost: " + raw + b"\r\n\r\n"
    reply = (
        b"HTTP/1.1 200 "
        + raw
        + b"\r\nX-Hostile: "
        + raw
        + b"\r\nContent-Length: %d\r\n\r\n" % len(raw)
        + raw
    )
    certificate = {
        "sha256": text,
        "size": 1234,
        "version": 3,
        "serial": text,
        "issuer": text,
        "subject": text,
        "self_signed": True,
        "common_name": text,
        "not_before": text,
        "not_after": text,
        "san": [text, "DNS:" + text],
        "parse_error": text,
    }
    step = {"index": 1, "kind": "expect", "ok": False, "message": text, "sent": len(request)}
    events = [
        {"type": "resolve", "t": 0.001, "detail": {"addresses": [text]}},
        {"type": "connect", "t": 0.002, "detail": {"peer": text, "local": text}},
        {
            "type": "tls",
            "t": 0.003,
            "detail": {
                "version": text,
                "cipher": text,
                "bits": 256,
                "alpn": text,
                "server_name": text,
                "verified": False,
                "certificate": certificate,
            },
        },
        {
            "type": "send",
            "t": 0.004,
            "size": len(request),
            "data_b64": _b64(request),
            "calls": 1,
            "detail": {"turn": 1},
        },
        {
            "type": "recv",
            "t": 0.005,
            "size": len(reply) + 10,
            "data_b64": _b64(reply),
            "calls": 2,
            "detail": {"turn": 1, "note": text},
        },
        {"type": "info", "t": 0.006, "detail": {"message": text, "step": step}},
        {
            "type": "error",
            "t": 0.007,
            "detail": {"kind": "os", "message": text, "hint": text, "certificate": certificate},
        },
        {"type": "close", "t": 0.008, "detail": {"message": text}},
    ]
    return {
        "sockscope": FORMAT_VERSION,
        "target": {
            "host": text,
            "port": 443,
            "transport": transport,
            "family": 0,
            "tls": {"verify": True, "server_name": text, "alpn": [text], "ca_file": text},
        },
        "template": text,
        "started_at": 1_700_000_000.25,
        "policy": {
            "connect_timeout": 10.0,
            "idle_timeout": 2.0,
            "deadline": 30.0,
            "delimiter_b64": _b64(raw or b"\n"),
            "max_bytes": None,
            "first_datagram": True,
            "half_close": False,
            "capture_limit": 8 * 1024 * 1024,
            "overflow": "stop",
        },
        "request_b64": _b64(request),
        "events": events,
        "stop_reason": "error",
        "stop_message": text,
        "error": {"kind": "os", "message": text, "hint": text},
    }


def write_hostile_transcript(path: Path, text: str, *, transport: str = "tls") -> Path:
    """`hostile_transcript(text)` saved as `path` (JSON escapes keep the file itself ASCII)."""
    path.write_text(json.dumps(hostile_transcript(text, transport=transport), indent=2) + "\n")
    return path
