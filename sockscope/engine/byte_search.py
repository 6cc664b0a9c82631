"""Whether a delimiter is in the first bytes of a large read buffer.

`bytes.find` searches a long delimiter with the two-way algorithm and a short one with
a byte-by-byte loop; the C library's memmem is several times faster on both, and a GiB
read with `--until` spends most of its Python time searching. memmem is reached through
ctypes, loaded by the first large search only (a small exchange never pays for it);
where there is no memmem (Windows), `bytes.find` does the work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Below this many bytes bytes.find is as quick, and nothing is loaded.
LARGE = 64 * 1024

_Memmem = Callable[[int, int, bytes, int], Any]
_memmem: _Memmem | None = None
_loaded = False


def contains(buffer: bytearray, n: int, needle: bytes) -> bool:
    """True when `needle` lies within buffer[:n] (n <= len(buffer))."""
    memmem = _load() if n >= LARGE else None
    if memmem is None:
        return buffer.find(needle, 0, n) >= 0
    import ctypes

    start = ctypes.addressof((ctypes.c_char * len(buffer)).from_buffer(buffer))
    return memmem(start, min(n, len(buffer)), needle, len(needle)) is not None


def _load() -> _Memmem | None:
    global _memmem, _loaded
    if not _loaded:
        _loaded = True
        try:
            import ctypes

            function = ctypes.CDLL(None).memmem
        except (OSError, AttributeError, TypeError):  # no C library to open, or no memmem
            return None
        function.restype = ctypes.c_void_p
        function.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
        _memmem = function
    return _memmem
