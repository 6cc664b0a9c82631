"""How an HTTP/1.x message's body ends (RFC 9112 section 6.3), from its head.

A response has no body after HEAD or for 1xx/204/304, then Transfer-Encoding (chunked)
decides, then Content-Length, else the body runs until the server closes. A request
without Content-Length or Transfer-Encoding has no body, and unusable framing is a
problem, never "until close".
"""

from __future__ import annotations

import re
from enum import StrEnum

from sockscope.core.http.head import Head, line_list
from sockscope.core.http.problems import MAX_LENGTH_DIGITS, Problem, Severity, quote


class Framing(StrEnum):
    """How the body ends; its value is what the text and JSON outputs print."""

    CONTENT_LENGTH = "content-length"
    CHUNKED = "chunked"
    CLOSE = "close"  # responses only: the body runs until the server closes
    NONE = "none"  # no body, or not known yet


_DIGITS = re.compile(r"[0-9]+")

# How each kind of message ends when its framing headers are unusable: a response runs
# until the server closes, a request cannot be read at all.
_CLOSE_NOTE = " (the body runs until the connection closes)"
_UNFRAMED_NOTE = " (a server must answer 400: it cannot tell where the body ends)"


def _on(*numbers: int | None) -> str:
    """Where the framing headers are, for a problem's message (a header past the listed
    ones has no number)."""
    known = sorted({n for n in numbers if n is not None})
    return f" on header {line_list(known)}" if known else ""


def response_framing(head: Head, method: str) -> tuple[Framing, int, list[Problem]]:
    """RFC 9112 section 6.3: how the body ends, its length if known, and what is wrong."""
    status = head.status
    if method == "HEAD" or (status is not None and (status < 200 or status in (204, 304))):
        return Framing.NONE, 0, []
    if method == "CONNECT" and status is not None and 200 <= status < 300:
        return Framing.NONE, 0, []
    if head.codings:
        return _coding_framing(head, "response", _CLOSE_NOTE)
    if not head.lengths:
        return Framing.CLOSE, 0, []
    return _length_framing(head, _CLOSE_NOTE)


def _length_framing(head: Head, unusable: str) -> tuple[Framing, int, list[Problem]]:
    """Framing by Content-Length; (CLOSE, 0, problems) when the values are unusable."""
    problems: list[Problem] = []
    values: list[str] = []
    where = _on(*(number for _, number in head.lengths))
    for raw, number in head.lengths:
        for part in raw.split(","):
            value = part.strip(" \t")
            if not (_DIGITS.fullmatch(value) and len(value) <= MAX_LENGTH_DIGITS):
                problems.append(
                    Problem(
                        "bad-content-length",
                        f"invalid framing: Content-Length {quote(raw)}{_on(number)}{unusable}",
                        number,
                    )
                )
                return Framing.CLOSE, 0, problems
            values.append(value)
    lengths = sorted({int(v) for v in values})
    first_line = head.lengths[0][1]
    if len(lengths) > 1:
        shown = " and ".join(quote(str(n)) for n in lengths[:2])
        problems.append(
            Problem(
                "bad-content-length",
                f"invalid framing: different Content-Length values {shown}{where}{unusable}",
                first_line,
            )
        )
        return Framing.CLOSE, 0, problems
    if len(values) > 1:
        problems.append(
            Problem(
                "bad-content-length",
                f"Content-Length repeated {len(values)} times with the same value {lengths[0]}"
                f"{where}",
                first_line,
                Severity.WARNING,
            )
        )
    return Framing.CONTENT_LENGTH, lengths[0], problems


def _coding_framing(head: Head, kind: str, unusable: str) -> tuple[Framing, int, list[Problem]]:
    problems: list[Problem] = []
    first_line = head.codings[0][1]
    where = _on(*(number for _, number in head.codings))
    if head.lengths:
        problems.append(
            Problem(
                "te-and-content-length",
                f"both Transfer-Encoding{where} and Content-Length"
                f"{_on(*(number for _, number in head.lengths))} are present"
                " (Transfer-Encoding wins; a proxy that picks the other one reads a different"
                " body)",
                first_line,
            )
        )
    if head.version == "HTTP/1.0":
        problems.append(
            Problem(
                "bad-transfer-encoding",
                f"Transfer-Encoding{where} in an HTTP/1.0 {kind}"
                " (HTTP/1.0 has no transfer codings)",
                first_line,
                Severity.WARNING,
            )
        )
    codings = [
        c.strip(" \t").lower() for raw, _ in head.codings for c in raw.split(",") if c.strip(" \t")
    ]
    shown = quote(", ".join(raw for raw, _ in head.codings))
    if not codings or codings[-1] != "chunked":
        problems.append(
            Problem(
                "bad-transfer-encoding",
                f"Transfer-Encoding {shown}{where} does not end with chunked{unusable}",
                first_line,
                Severity.WARNING,
            )
        )
        return Framing.CLOSE, 0, problems
    if codings.count("chunked") > 1:
        problems.append(
            Problem(
                "bad-transfer-encoding",
                f"Transfer-Encoding {shown}{where} applies chunked more than once",
                first_line,
            )
        )
    return Framing.CHUNKED, 0, problems


def request_framing(head: Head) -> tuple[Framing, int, list[Problem]]:
    """RFC 9112 section 6.3 for requests: chunked, Content-Length, or no body at all."""
    if head.codings:
        framing, length, problems = _coding_framing(head, "request", _UNFRAMED_NOTE)
    elif head.lengths:
        framing, length, problems = _length_framing(head, _UNFRAMED_NOTE)
    else:
        return Framing.NONE, 0, []
    return (Framing.NONE if framing is Framing.CLOSE else framing), length, problems
