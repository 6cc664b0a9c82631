"""`send --data-file FILE` (or `-` for stdin): read bounded in size and in time.

The payload is held in memory and sent whole, so an endless source (`/dev/zero`, `yes |`)
is refused once it passes MAX_DATA_FILE instead of filling memory. A FIFO or a pipe may
have no writer yet, or a writer that never closes: the file is opened without blocking
and every wait for its bytes ends at the command's deadline (Ctrl-C ends it too, as it
ends any wait of the command).
"""

from __future__ import annotations

import os
import selectors
import stat
import sys
import time

from sockscope.core.fields import FieldError
from sockscope.core.sanitize import sanitize

MAX_DATA_FILE = 64 * 1024 * 1024
_CHUNK = 1024 * 1024


def read_data_file(name: str, deadline: float | None) -> bytes:
    """The bytes of file `name` (`-`: stdin), read until its end within `deadline` seconds
    (None: no limit); FieldError naming the file when it cannot be read, holds more than
    MAX_DATA_FILE bytes or does not end in time."""
    if name == "-":
        if sys.stdin is None or sys.stdin.closed:
            raise _refusal(name, "is closed; give a file, or pipe the payload in")
        return _read(sys.stdin.buffer.fileno(), "-", deadline)
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of blocking
        # before any deadline could count.
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _refusal(name, f"cannot read it: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _refusal(name, "is a directory; give a file")
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_DATA_FILE:
            raise _too_large(name)  # said before reading what would be refused anyway
        return _read(fd, name, deadline)
    finally:
        os.close(fd)


def _read(fd: int, name: str, deadline: float | None) -> bytes:
    ends = None if deadline is None else time.monotonic() + deadline
    data = bytearray()
    # poll, not epoll: it also answers for regular files and devices such as /dev/zero
    # (always readable), which epoll refuses to watch.
    with selectors.PollSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while len(data) <= MAX_DATA_FILE:
            left = None if ends is None else ends - time.monotonic()
            if (left is not None and left <= 0) or not selector.select(left):
                raise _refusal(
                    name,
                    f"did not end within the --deadline of {deadline:g} s; "
                    "a FIFO or pipe ends when its writer closes it",
                )
            try:
                chunk = os.read(fd, min(_CHUNK, MAX_DATA_FILE + 1 - len(data)))
            except BlockingIOError:
                continue
            except OSError as exc:
                raise _refusal(name, f"cannot read it: {exc.strerror}") from None
            if not chunk:
                return bytes(data)
            data += chunk
    raise _too_large(name)


def _too_large(name: str) -> FieldError:
    cap = f"{MAX_DATA_FILE // (1024 * 1024)} MiB"
    return _refusal(name, f"more than {cap}; sockscope sends at most {cap} from a file or stdin")


def _refusal(name: str, problem: str) -> FieldError:
    shown = "stdin" if name == "-" else sanitize(name)
    return FieldError(f"--data-file {shown}", problem)
