"""Memory for received bytes: a buffer they are recorded in once, and handing freed
memory back to the system.

glibc's malloc keeps what Python frees in its heaps for later use; a heap whose top is
still in use is not trimmed, so after a large copy that freed its source piece by piece
(Exchange.keep_once) the process would stay as large as both. `malloc_trim` gives those
free pages back.
"""

from __future__ import annotations

import mmap
import sys
from collections.abc import Callable
from functools import cache

from sockscope.core.model import ReceiveBuffer


def receive_buffer(capacity: int) -> ReceiveBuffer | None:
    """A buffer for up to `capacity` received bytes (the capture limit), in anonymous
    memory mapped for it: a page costs memory only once a byte is written to it, so a
    capacity of a GiB costs nothing until bytes arrive, and the mapping never moves, so
    views of it stay valid while it fills. Where the system will not map that much at
    once (more than its memory, or a limit on address space), the largest half that it
    will, and the capture keeps that much; None for a capacity of 0."""
    while capacity > 0:
        try:
            if hasattr(mmap, "MAP_PRIVATE"):  # private: no shared memory to account for
                storage = mmap.mmap(-1, capacity, flags=mmap.MAP_PRIVATE)
            else:  # Windows: anonymous memory backed by the paging file
                storage = mmap.mmap(-1, capacity)
        except (OSError, OverflowError):
            capacity //= 2
            continue
        return ReceiveBuffer(memoryview(storage))
    return None


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
