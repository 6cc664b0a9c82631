"""Every export format by name: render an exchange as one, or write it to a file."""

from __future__ import annotations

from pathlib import Path

from sockscope.core.diagram import diagram
from sockscope.core.diagram_text import render_text
from sockscope.core.model import Exchange
from sockscope.export import FORMATS, SUFFIX
from sockscope.export.diagram_svg import render_svg
from sockscope.export.pcap import to_pcap
from sockscope.export.python_script import to_python
from sockscope.export.shell import to_shell
from sockscope.export.transcript import transcript_text

__all__ = ["FORMATS", "SUFFIX", "render", "write_export"]


def render(
    exchange: Exchange, fmt: str, *, by_turn: bool = False, to_scale: bool = False
) -> str | bytes:
    """Text for every format but pcap; raises ExportError when `fmt` cannot express it.
    `by_turn` and `to_scale` shape the diagrams (core/diagram.py)."""
    if fmt == "python":
        return to_python(exchange)
    if fmt == "json":
        return transcript_text(exchange)
    if fmt == "pcap":
        return to_pcap(exchange)
    if fmt == "diagram":
        drawn = diagram(exchange, by_turn=by_turn, to_scale=to_scale)
        return "\n".join(render_text(drawn)) + "\n"
    if fmt == "diagram-svg":
        return render_svg(diagram(exchange, by_turn=by_turn, to_scale=to_scale))
    return to_shell(exchange, fmt)


def write_export(
    exchange: Exchange, fmt: str, path: Path, *, by_turn: bool = False, to_scale: bool = False
) -> None:
    """Raises ExportError (the format cannot express the exchange) or OSError.

    A diagram written to a `.svg` file is the SVG picture."""
    if fmt == "diagram" and path.suffix.lower() == ".svg":
        fmt = "diagram-svg"
    result = render(exchange, fmt, by_turn=by_turn, to_scale=to_scale)
    path.write_bytes(result if isinstance(result, bytes) else result.encode("utf-8"))
    if fmt == "python":
        path.chmod(0o755)  # the script starts with #!/usr/bin/env python3
