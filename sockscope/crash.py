"""Unexpected errors end in one sanitised line and a log file, never a raw traceback.

A traceback may quote server bytes (an exception message built from a header, a
certificate name); printed raw, its ESC bytes would reach the terminal.
"""

from __future__ import annotations

import os

# The exit status of an internal error, for the command line and the app alike
# (EX_SOFTWARE of sysexits.h).
EXIT_INTERNAL = 70


def report_crash(exc: BaseException) -> str:
    """Write the traceback to a log file and return the one line to show."""
    # Imported here: every command imports this module, and almost none crashes.
    import tempfile
    import traceback

    from sockscope.core.sanitize import sanitize

    summary = sanitize(f"{type(exc).__name__}: {exc}")
    if len(summary) > 200:
        summary = summary[:197] + "..."
    try:
        fd, path = tempfile.mkstemp(prefix="sockscope-crash-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as log:
            log.write("".join(traceback.format_exception(exc)))
    except OSError:
        return f"sockscope: internal error: {summary} (no log file could be written)"
    # The log's directory comes from $TMPDIR.
    return f"sockscope: internal error: {summary} (details in {sanitize(path)})"
