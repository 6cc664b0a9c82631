"""Writing the shown exchange to a file: a transcript or any `sockscope export` format."""

from __future__ import annotations

from pathlib import Path

from sockscope.core.model import Exchange
from sockscope.export.transcript import save_transcript

EXPORT_SUFFIX = {
    "json": ".json",
    "python": ".py",
    "curl": ".sh",
    "ncat": ".sh",
    "socat": ".sh",
    "pcap": ".pcap",
}
EXPORT_FORMATS = tuple(EXPORT_SUFFIX)


def write_export(exchange: Exchange, fmt: str, path: Path) -> None:
    """Raises ExportError (the format cannot express the exchange), TranscriptError
    (a transcript that could not be written) or OSError."""
    if fmt == "json":
        save_transcript(exchange, path)
        return
    # The export code loads only when used, so the explorer starts without it.
    from sockscope.cli.export import render

    result = render(exchange, fmt)
    path.write_bytes(result if isinstance(result, bytes) else result.encode("utf-8"))
    if fmt == "python":
        path.chmod(0o755)  # the script starts with #!/usr/bin/env python3
