"""Two exchanges side by side: which bytes and which headers differ.

The byte views are compared as `repr` lines (one per received line), so a difference
shows where it is in the same form the Received pane uses. Headers are matched by
name and occurrence, so a repeated header (Set-Cookie) compares with its counterpart.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import StrEnum

from sockscope.core.analysis import analyse
from sockscope.core.http import HttpResponse
from sockscope.core.model import Exchange
from sockscope.core.views import repr_lines

# SequenceMatcher is quadratic in the worst case: past this many lines per side the rest
# is summarised, not matched line by line.
MAX_LINES = 5000


class Change(StrEnum):
    SAME = "same"
    REMOVED = "removed"  # only on the left (the first exchange)
    ADDED = "added"  # only on the right (the second exchange)
    CHANGED = "changed"  # headers only: the same header with another value


@dataclass(frozen=True)
class LineDiff:
    change: Change
    text: str


@dataclass(frozen=True)
class HeaderDiff:
    change: Change
    name: str
    left: str | None
    right: str | None


@dataclass(frozen=True)
class BytesDiff:
    lines: list[LineDiff]
    identical: bool
    cut: int  # lines per side left out beyond MAX_LINES (0 when everything was compared)

    @property
    def differing(self) -> int:
        return sum(1 for line in self.lines if line.change is not Change.SAME)


@dataclass(frozen=True)
class Comparison:
    sent: BytesDiff
    received: BytesDiff
    status: tuple[str, str] | None  # the two HTTP status lines, when both are HTTP
    headers: list[HeaderDiff]

    @property
    def summary(self) -> str:
        """`sent: identical · received: 3 lines differ · headers: 1 changed, 2 added`."""
        parts = [f"sent: {_bytes_summary(self.sent)}", f"received: {_bytes_summary(self.received)}"]
        if self.status is not None and self.status[0] != self.status[1]:
            parts.append("status differs")
        counts = {c: sum(1 for h in self.headers if h.change is c) for c in Change}
        header_changes = [
            f"{counts[c]} {c.value}"
            for c in (Change.CHANGED, Change.ADDED, Change.REMOVED)
            if counts[c]
        ]
        if self.headers:
            parts.append("headers: " + (", ".join(header_changes) or "identical"))
        return " · ".join(parts)


def compare(left: Exchange, right: Exchange) -> Comparison:
    left_http, right_http = analyse(left).http, analyse(right).http
    both_http = left_http is not None and right_http is not None
    return Comparison(
        sent=compare_bytes(left.sent, right.sent),
        received=compare_bytes(left.received, right.received),
        status=(_status_line(left_http), _status_line(right_http)) if both_http else None,
        headers=compare_headers(left_http.headers, right_http.headers)
        if left_http is not None and right_http is not None
        else [],
    )


def compare_bytes(left: bytes, right: bytes) -> BytesDiff:
    if left == right:
        return BytesDiff([LineDiff(Change.SAME, line) for line in repr_lines(left)], True, 0)
    a, b = repr_lines(left), repr_lines(right)
    cut = max(len(a), len(b)) - MAX_LINES
    a, b = a[:MAX_LINES], b[:MAX_LINES]
    lines: list[LineDiff] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(LineDiff(Change.SAME, line) for line in a[i1:i2])
            continue
        lines.extend(LineDiff(Change.REMOVED, line) for line in a[i1:i2])
        lines.extend(LineDiff(Change.ADDED, line) for line in b[j1:j2])
    return BytesDiff(lines, False, max(cut, 0))


def compare_headers(left: list[tuple[str, str]], right: list[tuple[str, str]]) -> list[HeaderDiff]:
    """In the left exchange's order, then headers only the right one has."""
    right_values = _by_occurrence(right)
    out = []
    for key, (name, value) in _by_occurrence(left).items():
        other = right_values.pop(key, None)
        if other is None:
            out.append(HeaderDiff(Change.REMOVED, name, value, None))
        else:
            change = Change.SAME if other[1] == value else Change.CHANGED
            out.append(HeaderDiff(change, name, value, other[1]))
    out.extend(HeaderDiff(Change.ADDED, name, None, value) for name, value in right_values.values())
    return out


def _by_occurrence(headers: list[tuple[str, str]]) -> dict[tuple[str, int], tuple[str, str]]:
    """Key each header by (lowercase name, how many of that name came before it)."""
    seen: dict[str, int] = {}
    out = {}
    for name, value in headers:
        lower = name.lower()
        out[(lower, seen.get(lower, 0))] = (name, value)
        seen[lower] = seen.get(lower, 0) + 1
    return out


def _status_line(response: HttpResponse | None) -> str:
    if response is None:
        return ""
    status = "" if response.status is None else str(response.status)
    return f"{response.version} {status} {response.reason}".strip()


def _bytes_summary(diff: BytesDiff) -> str:
    if diff.identical:
        return "identical"
    text = f"{diff.differing} lines differ"
    return text + f" (first {MAX_LINES:,} lines compared)" if diff.cut else text
