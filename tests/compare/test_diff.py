"""core.diff: the lines two sequences keep in common are a longest common subsequence."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.diff import common_lines

lines = st.lists(st.integers(0, 3), max_size=14)


def _longest_common(a: list[int], b: list[int]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            same = table[i + 1][j + 1] + 1 if a[i] == b[j] else 0
            table[i][j] = max(same, table[i + 1][j], table[i][j + 1])
    return table[0][0]


@given(lines, lines)
def test_the_kept_lines_are_equal_in_order_and_as_many_as_can_be(a, b) -> None:
    kept = common_lines(a, b, budget=10**9)
    assert kept is not None
    assert all(a[i] == b[j] for i, j in kept)
    assert all(i1 < i2 and j1 < j2 for (i1, j1), (i2, j2) in pairwise(kept))
    assert len(kept) == _longest_common(a, b)


def test_past_the_budget_there_is_no_answer() -> None:
    assert common_lines(list(range(100)), list(range(100, 200)), budget=50) is None
    assert common_lines(list(range(100)), list(range(100)), budget=0) is not None
