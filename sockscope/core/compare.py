"""Two exchanges side by side: which bytes and which headers differ.

The byte views are compared as `repr` lines (one per received line, lines longer than 256
bytes cut in rows), so a difference shows where it is in the same form the Received pane
uses. Headers are matched by name and occurrence, so a repeated header (Set-Cookie)
compares with its counterpart.

Both bounds below are named wherever a comparison hits them (`notes`), so a reader knows
what was not compared or how.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sockscope.core.analysis import analyse
from sockscope.core.diff import common_lines
from sockscope.core.http import HttpResponse
from sockscope.core.model import Exchange
from sockscope.core.views import line_spans, repr_line

# Lines listed per side: past them the rest is counted, not compared, so neither the app
# nor the terminal gets an unbounded list.
MAX_LINES = 10_000
# Steps of the line alignment (core.diff, about D²/2 for D differing lines, ~0.4 s):
# past them lines are paired position by position, which costs one step per line.
MAX_STEPS = 2_000_000


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
    total: int  # lines of the longer side, compared or not
    differing: int = 0  # lines that differ: a changed line counts once, not as - and +
    positional: bool = False  # paired position by position: aligning took over MAX_STEPS

    @property
    def cut(self) -> int:
        """Lines of the longer side past MAX_LINES: counted, not compared."""
        return max(self.total - MAX_LINES, 0)

    @property
    def notes(self) -> list[str]:
        """What a bound changed about this comparison, in words (none: nothing)."""
        out = []
        if self.positional:
            out.append(
                f"lines paired position by position: aligning them would take more than "
                f"{MAX_STEPS:,} steps"
            )
        if self.cut:
            out.append(
                f"{self.cut:,} more lines not compared (the first {MAX_LINES:,} of each side are)"
            )
        return out


@dataclass(frozen=True)
class Comparison:
    sent: BytesDiff
    received: BytesDiff
    status: tuple[str, str] | None  # the two HTTP status lines, when both are HTTP
    headers: list[HeaderDiff]

    @property
    def summary(self) -> str:
        """`sent: identical · received: 3 lines differ · headers: 1 changed, 2 added`."""
        parts = [f"sent: {bytes_summary(self.sent)}", f"received: {bytes_summary(self.received)}"]
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
    left_spans, right_spans = line_spans(left), line_spans(right)
    total = max(len(left_spans), len(right_spans))
    a = [left[start:end] for start, end in left_spans[:MAX_LINES]]
    b = [right[start:end] for start, end in right_spans[:MAX_LINES]]
    if left == right:
        return BytesDiff([LineDiff(Change.SAME, repr_line(line)) for line in a], True, total)
    ids: dict[bytes, int] = {}
    a_ids = [ids.setdefault(line, len(ids)) for line in a]
    b_ids = [ids.setdefault(line, len(ids)) for line in b]
    kept = common_lines(a_ids, b_ids, MAX_STEPS)
    positional = kept is None
    if kept is None:
        kept = [(i, i) for i in range(min(len(a), len(b))) if a_ids[i] == b_ids[i]]
    lines: list[LineDiff] = []
    differing = 0
    i = j = 0
    for next_i, next_j in [*kept, (len(a), len(b))]:
        # Between two kept lines: what only the left has, then what only the right has.
        lines.extend(LineDiff(Change.REMOVED, repr_line(line)) for line in a[i:next_i])
        lines.extend(LineDiff(Change.ADDED, repr_line(line)) for line in b[j:next_j])
        differing += max(next_i - i, next_j - j)
        if next_i < len(a):
            lines.append(LineDiff(Change.SAME, repr_line(a[next_i])))
        i, j = next_i + 1, next_j + 1
    return BytesDiff(lines, False, total, differing, positional)


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


def bytes_summary(diff: BytesDiff) -> str:
    """`identical`, `1 line differs`, `12 lines differ (position by position)`..."""
    if diff.identical:
        return "identical"
    text = "1 line differs" if diff.differing == 1 else f"{diff.differing:,} lines differ"
    how = ["position by position"] if diff.positional else []
    how += [f"first {MAX_LINES:,} lines compared"] if diff.cut else []
    return f"{text} ({'; '.join(how)})" if how else text
