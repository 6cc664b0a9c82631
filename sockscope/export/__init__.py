"""Saving, reopening and exporting conversations.

An Exchange becomes a JSON transcript (and back), a standard-library Python script, a
shell command line (ncat, socat, curl) or a pcap file. Pure of sockets and of the UI:
these modules import `sockscope.core` only.
"""

from __future__ import annotations


class ExportError(ValueError):
    """An exchange that a format cannot express; `str()` says why and what to use instead."""
