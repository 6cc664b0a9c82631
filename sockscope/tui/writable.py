"""Where the app may write a file the user names: a regular file, or none yet.

The app opens what the user types (save, export, copy to file, a capture file) on its
UI thread. A named pipe with no reader would hold that open with no bound, freezing the
screen, and a device such as /dev/tty or /dev/stdout would put the bytes on the app's
own terminal. So anything there that is not a regular file is refused, named, but for
the null device: writing there never blocks and shows nothing, and a capture file of
/dev/null is how a user counts a stream's bytes without keeping them.
"""

from __future__ import annotations

import errno
import os
import stat

from sockscope.core.file_kinds import file_kind


def refuse_unless_regular(path: str) -> None:
    """OSError saying what `path` is when it exists and is not a regular file."""
    try:
        found = os.stat(path)
    except OSError:
        return  # absent (then made) or unreachable: opening it says which
    mode = found.st_mode
    if not stat.S_ISREG(mode) and not _is_null_device(found):
        raise OSError(errno.EINVAL, f"it is {file_kind(mode)}, not a regular file")


def _is_null_device(found: os.stat_result) -> bool:
    if not stat.S_ISCHR(found.st_mode):
        return False
    try:
        return found.st_rdev == os.stat(os.devnull).st_rdev
    except OSError:
        return False
