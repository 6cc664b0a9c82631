"""Every export format by name: render an exchange as one, or write it to a file."""

from __future__ import annotations

from pathlib import Path

from sockscope.core.model import Exchange
from sockscope.export import FORMATS, SUFFIX
from sockscope.export.pcap import to_pcap
from sockscope.export.python_script import to_python
from sockscope.export.shell import to_shell
from sockscope.export.transcript import transcript_text

__all__ = ["FORMATS", "SUFFIX", "render", "write_export"]


def render(exchange: Exchange, fmt: str) -> str | bytes:
    """Text for every format but pcap; raises ExportError when `fmt` cannot express it."""
    if fmt == "python":
        return to_python(exchange)
    if fmt == "json":
        return transcript_text(exchange)
    if fmt == "pcap":
        return to_pcap(exchange)
    return to_shell(exchange, fmt)


def write_export(exchange: Exchange, fmt: str, path: Path) -> None:
    """Raises ExportError (the format cannot express the exchange) or OSError."""
    result = render(exchange, fmt)
    path.write_bytes(result if isinstance(result, bytes) else result.encode("utf-8"))
    if fmt == "python":
        path.chmod(0o755)  # the script starts with #!/usr/bin/env python3
