"""What a path names, in words, for a refusal: a file where a socket was expected, or a
pipe or a device where a file is to be written."""

from __future__ import annotations

import stat


def file_kind(mode: int) -> str:
    """`mode` (an `os.stat` result's st_mode) as a noun phrase: 'a named pipe (FIFO)'."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
