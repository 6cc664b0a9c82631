"""Validation of what users type into a field, shared by the CLI and the app.

Each check returns the clean value or raises FieldError, whose text names the field,
what is wrong and how to fix it, in one line.
"""

from __future__ import annotations

import ipaddress
import re

from sockscope.core.payload import PayloadError, parse_hex, parse_text
from sockscope.core.sanitize import sanitize
from sockscope.core.transport import Transport

# Linux: sun_path is 108 bytes including the terminating NUL.
UNIX_PATH_MAX = 107
# The longest timeout a transcript holds (about 31 years): one longer would be saved in a
# transcript that `open` refuses.
MAX_SECONDS = 1e9
# The largest byte count a transcript holds (what a JSON reader keeps exact, 8 PiB).
MAX_COUNT = 2**53

# ASCII digits only, and few of them: int() refuses some Unicode digits and any string
# of over 4,300 digits, and no size or port needs more than these. A size is compiled
# when one is first read (re keeps it): most commands are given none.
_SIZE = r"(?i)\A\s*([0-9]{1,18})\s*([kmg]i?b?|b)?\s*\Z"
_PORT = re.compile(r"[0-9]{1,6}")
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _shown(text: str) -> str:
    """A short, printable quote of user input for a message."""
    text = sanitize(text)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def parse_port(text: str, field: str = "port") -> int:
    text = text.strip()
    if not text:
        raise FieldError(field, "is empty; give a number from 1 to 65535")
    if not _PORT.fullmatch(text):
        raise FieldError(field, f"{_shown(text)} is not a number from 1 to 65535")
    port = int(text)
    if not 1 <= port <= 65535:
        raise FieldError(field, f"{port} is outside 1-65535")
    return port


def check_host(text: str, field: str = "host") -> str:
    host = text.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # a bracketed IPv6 literal, as in URLs
    if not host:
        raise FieldError(field, "is empty; give a name such as example.com or an address")
    if any(c.isspace() or not c.isprintable() for c in host):
        raise FieldError(field, f"{_shown(host)} contains spaces or control characters")
    if len(host) > 253:
        raise FieldError(field, f"is {len(host)} characters long; a host name has at most 253")
    return host


def check_unix_path(text: str, field: str = "unix path") -> str:
    if not text:
        raise FieldError(field, "is empty; give the path of a Unix socket")
    size = len(text.encode("utf-8", "surrogateescape"))
    if size > UNIX_PATH_MAX:
        raise FieldError(
            field,
            f"is {size} bytes long; Unix socket paths are limited to {UNIX_PATH_MAX} "
            "(use a shorter path or a symlink in a shorter directory)",
        )
    return text


def parse_seconds(text: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FieldError(field, f"{_shown(text)} is not a number of seconds, e.g. 2.5") from None
    # float() took it, so what is left after strip() is a number's own characters.
    number = text.strip()
    number = number if len(number) <= 40 else number[:37] + "..."
    if not value > 0:  # NaN too
        raise FieldError(field, f"{number} must be a positive number of seconds")
    if value > MAX_SECONDS:  # infinity too
        raise FieldError(field, f"{number} is over {MAX_SECONDS:,.0f} seconds (about 31 years)")
    return value


def parse_payload(text: str, field: str, *, hex: bool = False) -> bytes:
    """`text` in payload syntax (`\\r\\n`, `\\x00`), or hex bytes with `hex`; a mistake
    is named after `field`, the option it was given as."""
    try:
        return parse_hex(text) if hex else parse_text(text)
    except PayloadError as exc:
        raise FieldError(field, str(exc)) from None


def parse_size(text: str, field: str) -> int:
    """A byte count: `4096`, `64k`, `8M`, `1GiB` (binary units)."""
    match = re.match(_SIZE, text)
    if not match:
        unsigned = text.strip().removeprefix("-")
        if unsigned != text.strip() and re.match(_SIZE, unsigned):
            raise FieldError(field, f"{_shown(text)} is negative; give at least 1 byte, e.g. 64k")
        raise FieldError(field, f"{_shown(text)} is not a size; write e.g. 4096, 64k or 8M")
    unit = (match.group(2) or "").lower()[:1]
    value = int(match.group(1)) * _SIZE_UNITS[unit]
    if value <= 0:
        raise FieldError(field, "must be at least 1 byte")
    if value > MAX_COUNT:
        raise FieldError(field, f"{_shown(text)} is over 8 PiB ({MAX_COUNT:,} bytes)")
    return value


def parse_transport(text: str, field: str = "transport") -> Transport:
    try:
        return Transport(text.strip().lower())
    except ValueError:
        choices = ", ".join(t.value for t in Transport)
        raise FieldError(field, f"{_shown(text)} is not one of {choices}") from None


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses: a listener there is reachable from this
    machine only. A name other than localhost counts as not loopback (named on purpose)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
