"""A sequence diagram as a standalone SVG picture, for slides and handouts.

Hand-written SVG: two lifelines, an arrow per row (sends and recvs solid, handshakes
double-headed, FIN dashed, RST red), the time in the left margin, the label above the
arrow and the first bytes under it. Labels come sanitised from core/diagram.py and are
XML-escaped here, so no byte of a transcript can become markup.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from sockscope.core.diagram import Diagram, Kind, Row, spacing
from sockscope.core.diagram_text import fit
from sockscope.core.timeline import format_duration

_WIDTH = 820
_LEFT, _RIGHT = 190, 790  # the lifelines' x
_TOP = 60  # where the first row starts
_ROW = 34  # height of a row without a preview
_PREVIEW = 16  # extra height for the first bytes
_SCALE_STEPS = 20  # the longest gap, to scale, in steps of
_STEP = 8  # pixels
_LABEL_CHARS = 70  # characters of a label or a preview that fit between the lifelines
_COLOUR = {
    Kind.CONNECT: "#6a3d9a",
    Kind.TLS: "#6a3d9a",
    Kind.FIN: "#555555",
    Kind.RST: "#c0392b",
    Kind.NOTE: "#555555",
}
_SENT, _RECEIVED = "#1f5fa8", "#2e7d32"  # client-to-server, server-to-client data


def render_svg(diagram: Diagram) -> str:
    body: list[str] = []
    y = _TOP
    before = 0.0
    for row, steps in zip(diagram.rows, spacing(diagram, _SCALE_STEPS), strict=True):
        if steps:
            gap = f"⋮ {format_duration(row.t - before)} later"
            body.append(_text((_LEFT + _RIGHT) // 2, y + steps * _STEP // 2, gap, "gap"))
            y += steps * _STEP
        before = row.t
        body.extend(_row(row, y + 18))
        y += _ROW + (_PREVIEW if row.preview else 0)
    height = y + 20
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" font-family="DejaVu Sans Mono, monospace" '
        'font-size="12">',
        "<style>"
        ".label{text-anchor:middle}.preview{text-anchor:middle;fill:#333}"
        ".time{text-anchor:end;fill:#555}.gap{text-anchor:middle;fill:#888}"
        ".who{text-anchor:middle;font-weight:bold;font-size:13px}"
        ".server{text-anchor:end;font-weight:bold;font-size:13px}"
        "</style>",
        "<defs>",
        *(_marker(name, colour) for name, colour in _markers().items()),
        "</defs>",
        f'<rect width="{_WIDTH}" height="{height}" fill="#ffffff"/>',
        _text(_LEFT, 24, fit(diagram.client, 40), "who"),
        _text(_WIDTH - 10, 24, fit(diagram.server, 40), "server"),
        _text(_LEFT - 20, 44, "time", "time"),
        f'<line x1="{_LEFT}" y1="32" x2="{_LEFT}" y2="{height - 10}" stroke="#999"/>',
        f'<line x1="{_RIGHT}" y1="32" x2="{_RIGHT}" y2="{height - 10}" stroke="#999"/>',
    ]
    return "\n".join([*head, *body, "</svg>"]) + "\n"


def _markers() -> dict[str, str]:
    return {"sent": _SENT, "received": _RECEIVED} | {kind.value: c for kind, c in _COLOUR.items()}


def _marker(name: str, colour: str) -> str:
    return (
        f'<marker id="{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        f'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{colour}"/></marker>'
    )


def _row(row: Row, y: int) -> list[str]:
    middle = (_LEFT + _RIGHT) // 2
    out = [_text(_LEFT - 20, y + 4, format_duration(row.t), "time")]
    label = fit(row.label, _LABEL_CHARS)
    if row.from_client is None:
        out.append(_text(middle, y + 4, label, "label", _COLOUR[Kind.NOTE], italic=True))
        return out
    if row.kind is Kind.DATA:
        marker = "sent" if row.from_client else "received"
        colour = _SENT if row.from_client else _RECEIVED
    else:
        marker, colour = row.kind.value, _COLOUR[row.kind]
    start, end = (_LEFT, _RIGHT) if row.from_client else (_RIGHT, _LEFT)
    dash = ' stroke-dasharray="6 4"' if row.kind is Kind.FIN else ""
    both = f' marker-start="url(#{marker})"' if row.kind in (Kind.CONNECT, Kind.TLS) else ""
    width = 3 if row.kind is Kind.RST else 1.5
    out.append(
        f'<line x1="{start}" y1="{y}" x2="{end}" y2="{y}" stroke="{colour}" '
        f'stroke-width="{width}"{dash}{both} marker-end="url(#{marker})"/>'
    )
    out.append(_text(middle, y - 5, label, "label", colour))
    if row.preview:
        out.append(_text(middle, y + 15, fit(row.preview, _LABEL_CHARS), "preview"))
    return out


def _text(
    x: int, y: int, text: str, css: str, colour: str | None = None, italic: bool = False
) -> str:
    fill = f" fill={quoteattr(colour)}" if colour else ""
    style = ' font-style="italic"' if italic else ""
    return f'<text x="{x}" y="{y}" class="{css}"{fill}{style}>{escape(text)}</text>'
