"""Saving, reopening and exporting conversations.

An Exchange becomes a JSON transcript (and back), a standard-library Python script, a
shell command line (ncat, socat, curl) or a pcap file. Pure of sockets and of the UI:
these modules import `sockscope.core` only.
"""

from __future__ import annotations

# Every export format and the file suffix it suggests; here, not in formats.py, so that
# the CLI's argument parser can list them without importing every exporter.
SUFFIX = {
    "python": ".py",
    "json": ".json",
    "ncat": ".sh",
    "socat": ".sh",
    "curl": ".sh",
    "pcap": ".pcap",
    "diagram": ".txt",
    "diagram-svg": ".svg",
}
FORMATS = tuple(SUFFIX)


class ExportError(ValueError):
    """An exchange that a format cannot express; `str()` says why and what to use instead."""
