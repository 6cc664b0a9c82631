"""Which lines two sequences have in common, in order, at a bounded cost.

Myers' O(ND) shortest edit script: its cost grows with the number of differences D
(about D²/2 steps once the common start and end are set aside), not with the product of
the lengths as difflib's matcher can (which took minutes on two 10 KB replies). A budget
of steps bounds it when the sides have little in common: then the answer is None and the
caller pairs lines some other, linear, way.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence


def common_lines(a: Sequence[int], b: Sequence[int], budget: int) -> list[tuple[int, int]] | None:
    """The (index in a, index in b) of each line kept by a shortest edit script from `a`
    to `b` (lines as ids: equal lines, equal ids), or None past `budget` steps."""
    n, m = len(a), len(b)
    head = 0
    while head < n and head < m and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and tail < m - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    middle = _middle(a[head : n - tail], b[head : m - tail], budget)
    if middle is None:
        return None
    return (
        [(i, i) for i in range(head)]
        + [(i + head, j + head) for i, j in middle]
        + [(n - tail + k, m - tail + k) for k in range(tail)]
    )


def _middle(a: Sequence[int], b: Sequence[int], budget: int) -> list[tuple[int, int]] | None:
    n, m = len(a), len(b)
    offset = n + m + 1
    # v[offset + k]: the furthest x reached on diagonal k = x - y. After each round d the
    # diagonals of d's parity are kept (d + 1 of them) to walk the path back.
    v = [0] * (2 * offset + 1)
    rounds: list[array[int]] = []
    steps = 0
    for d in range(n + m + 1):
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[offset + k - 1] < v[offset + k + 1]):
                x = v[offset + k + 1]  # down: a line of b added
            else:
                x = v[offset + k - 1] + 1  # right: a line of a removed
            y = x - k
            start = x
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            v[offset + k] = x
            steps += 1 + x - start
            if x >= n and y >= m:
                rounds.append(array("i", v[offset - d : offset + d + 1 : 2]))
                return _walk_back(rounds, n, m)
            if steps > budget:
                return None
        rounds.append(array("i", v[offset - d : offset + d + 1 : 2]))
    raise AssertionError("an edit script of n + m steps always exists")


def _walk_back(rounds: list[array[int]], x: int, y: int) -> list[tuple[int, int]]:
    """The diagonal moves of the path that ends at (x, y), first to last."""
    kept: list[tuple[int, int]] = []
    for d in range(len(rounds) - 1, 0, -1):
        before = rounds[d - 1]  # diagonals -(d-1) .. d-1, step 2

        def reached(k: int, d: int = d, before: array[int] = before) -> int:
            return before[(k + d - 1) // 2]

        k = x - y
        down = k == -d or (k != d and reached(k - 1) < reached(k + 1))
        prev_k = k + 1 if down else k - 1
        prev_x = reached(prev_k)
        snake_from = prev_x if down else prev_x + 1
        while x > snake_from:
            x, y = x - 1, y - 1
            kept.append((x, y))
        x, y = prev_x, prev_x - prev_k
    while x > 0:  # round 0: the common start
        x, y = x - 1, y - 1
        kept.append((x, y))
    kept.reverse()
    return kept
