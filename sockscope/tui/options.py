"""What the Options screen edits: TLS options, read-policy overrides and a capture file.

The screen shows text; these functions turn each field's text into a value with the
checks of core.fields (so a FieldError names the field the way the CLI does) and back.
Policy fields are kept as overrides of the template's read policy, so choosing another
template still brings that template's own timeouts for the fields not touched here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sockscope.core.fields import FieldError, check_host, parse_seconds, parse_size
from sockscope.core.model import Overflow, ReadPolicy, TlsOptions
from sockscope.core.payload import PayloadError, format_text, parse_text


@dataclass(frozen=True)
class Options:
    """`tls.ca_file` None means the system's trust store (the lab's CA on the lab host)."""

    tls: TlsOptions = field(default_factory=TlsOptions)
    policy: dict[str, Any] = field(default_factory=dict)  # ReadPolicy field -> value
    capture_file: str | None = None

    def read_policy(self, base: ReadPolicy) -> ReadPolicy:
        """`base` (the template's policy) with these overrides; a capture file keeps
        reading past the capture limit, every byte going to the file."""
        policy = replace(base, **self.policy)
        if self.capture_file is not None:
            policy = replace(policy, overflow=Overflow.COUNT)
        return policy


# (field id, label, ReadPolicy field) for the text fields of the read policy.
POLICY_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("connect", "connect timeout", "connect_timeout"),
    ("idle", "idle timeout", "idle_timeout"),
    ("deadline", "total deadline", "deadline"),
    ("until", "stop at text", "delimiter"),
    ("max-bytes", "max bytes", "max_bytes"),
    ("capture-limit", "capture limit", "capture_limit"),
)

_POLICY_NAMES = {f.name for f in fields(ReadPolicy)}


def format_size(n: int) -> str:
    """`8M`, `64k` or `1000`: a size as parse_size reads it back."""
    for unit, scale in (("G", 1024**3), ("M", 1024**2), ("k", 1024)):
        if n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


def format_policy_value(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "delimiter":
        return format_text(value)
    if name in ("max_bytes", "capture_limit"):
        return format_size(value)
    return f"{value:g}"


def parse_policy_value(name: str, text: str, label: str) -> Any:
    """The value of ReadPolicy field `name` typed as `text`; FieldError names `label`."""
    optional = name not in ("connect_timeout", "capture_limit")
    # A delimiter may be a space; anything else blank means "none".
    if not (text if name == "delimiter" else text.strip()):
        if optional:
            return None
        raise FieldError(label, "is empty; it needs a value")
    if name == "delimiter":
        try:
            return parse_text(text)
        except PayloadError as exc:
            raise FieldError(label, str(exc)) from None
    if name in ("max_bytes", "capture_limit"):
        return parse_size(text, label)
    return parse_seconds(text, label)


def parse_server_name(text: str) -> str | None:
    return check_host(text, "server name") if text.strip() else None


def parse_alpn(text: str) -> tuple[str, ...]:
    """`h2, http/1.1` -> ("h2", "http/1.1"); each protocol printable ASCII, 1-255 bytes."""
    protocols = tuple(part.strip() for part in text.split(",") if part.strip())
    for protocol in protocols:
        if len(protocol) > 255 or not all(" " < ch <= "~" for ch in protocol):
            raise FieldError(
                "ALPN", f"{protocol[:40]!r} is not a protocol name (printable ASCII, e.g. h2)"
            )
    return protocols


def parse_ca_file(text: str) -> str | None:
    if not text.strip():
        return None
    if not Path(text).is_file():
        raise FieldError("CA file", f"{text} is not a readable file")
    return text


def parse_cert_file(text: str) -> str | None:
    return _readable(text, "client certificate")


def parse_key_file(text: str) -> str | None:
    return _readable(text, "client key")


def _readable(text: str, label: str) -> str | None:
    if not text.strip():
        return None
    if not Path(text).expanduser().is_file():
        raise FieldError(label, f"{text} is not a readable file")
    return str(Path(text).expanduser())


def client_certificate_check(cert_file: str | None, key_file: str | None) -> str | None:
    """Why the certificate and key fields together cannot be used; None when they can."""
    if key_file and not cert_file:
        return "client key: needs the client certificate it belongs to"
    if not cert_file:
        return None
    from sockscope.engine.tlsinfo import client_certificate_problem

    problem = client_certificate_problem(cert_file, key_file)
    return None if problem is None else f"client certificate: {problem}"


def parse_keylog_file(text: str) -> str | None:
    if not text.strip():
        return None
    from sockscope.engine.tlsinfo import keylog_problem

    path = str(Path(text).expanduser())
    problem = keylog_problem(path)
    if problem is not None:
        raise FieldError("key log", problem)
    return path


def parse_capture_file(text: str) -> str | None:
    if not text.strip():
        return None
    path = Path(text).expanduser()
    if path.is_dir():
        raise FieldError("capture file", f"{text} is a directory; give a file name")
    if not path.parent.is_dir():
        raise FieldError("capture file", f"the directory {path.parent} does not exist")
    return str(path)


def overrides(policy: ReadPolicy, base: ReadPolicy) -> dict[str, Any]:
    """The fields of `policy` that differ from `base`."""
    return {
        name: getattr(policy, name)
        for name in _POLICY_NAMES
        if name != "overflow" and getattr(policy, name) != getattr(base, name)
    }


_SHORT = {
    "connect_timeout": "connect",
    "idle_timeout": "idle",
    "deadline": "deadline",
    "delimiter": "until",
    "max_bytes": "max",
    "capture_limit": "keep",
    "half_close": "half-close",
    "first_datagram": "first datagram",
}


def summary(options: Options) -> list[str]:
    """Short phrases for the options that are not the defaults (`idle 5s`, `ALPN h2`),
    for the line under the target bar. "verify off" is left to its own badge."""
    parts: list[str] = []
    tls = options.tls
    if tls.server_name:
        parts.append(f"SNI {tls.server_name}")
    if tls.alpn:
        parts.append("ALPN " + ",".join(tls.alpn))
    if tls.ca_file:
        parts.append(f"CA {Path(tls.ca_file).name}")
    if tls.cert_file:
        parts.append(f"client cert {Path(tls.cert_file).name}")
    if tls.keylog_file:
        parts.append(f"key log → {tls.keylog_file}")
    for name, value in sorted(options.policy.items(), key=lambda kv: list(_SHORT).index(kv[0])):
        label = _SHORT.get(name, name)
        if isinstance(value, bool):
            parts.append(label if value else f"no {label}")
        elif value is None:
            parts.append(f"no {label}")
        elif name in ("connect_timeout", "idle_timeout", "deadline"):
            parts.append(f"{label} {value:g}s")
        else:
            parts.append(f"{label} {format_policy_value(name, value)}")
    if options.capture_file:
        parts.append(f"capture → {options.capture_file}")
    return parts
