"""Handing freed memory back to the system.

glibc's malloc keeps what Python frees in its heaps for later use; a heap whose top is
still in use is not trimmed, so after a large copy that freed its source piece by piece
(Exchange.keep_once) the process would stay as large as both. `malloc_trim` gives those
free pages back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache


def release_freed_memory() -> None:
    """Give pages that malloc holds free back to the system; nothing where there is no
    glibc (macOS, musl)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # only once a large capture is kept: a small exchange never loads it

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except AttributeError:  # a C library without it (musl)
        return None
    return trim
