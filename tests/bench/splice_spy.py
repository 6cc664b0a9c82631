"""Counts the bytes `os.splice` moves out of sockets, so a row can say which path the
engine took (as tests/engine/test_splice.py tells): imported by the bench, and by the
wrapper each timed `sockscope send` runs under, so it imports only os and stat."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def install() -> Callable[[], int]:
    """Wrap os.splice in this process; the returned function reads the count so far."""
    moved = [0]
    real = getattr(os, "splice", None)
    if real is not None:

        def splice(src: int, dst: int, count: int, *args: Any, **kwargs: Any) -> int:
            n: int = real(src, dst, count, *args, **kwargs)
            if stat.S_ISSOCK(os.fstat(src).st_mode):
                moved[0] += n
            return n

        os.splice = splice
    return lambda: moved[0]


@contextmanager
def counting() -> Iterator[Callable[[], int]]:
    """install() for the length of a block, os.splice as it was afterwards."""
    real = getattr(os, "splice", None)
    try:
        yield install()
    finally:
        if real is not None:
            os.splice = real


def path(spliced: int, total: int) -> str:
    """What the table's Path column says for `spliced` of `total` bytes."""
    if spliced == 0:
        return "copy"
    if spliced >= 0.9 * total:
        return "splice"
    return f"splice {100 * spliced // total}%"
