"""A sequence diagram as lines of text: box-drawing lifelines, one arrow per row.

```
      time  sockscope (client)                          server 127.0.0.1:8080
            │                                                              │
   0.41 ms  │◀════════════════ connect(): TCP handshake ══════════════════▶│
   0.58 ms  ├───────────────────── sendall() 78 bytes ────────────────────▶│
            │                 GET / HTTP/1.1\\r\\nHost: 127.0.0.1…            │
```

Labels come sanitised from diagram.py; here they are only measured (in terminal cells)
and cut to fit, so the whole diagram fits `width` columns (80 by default).
"""

from __future__ import annotations

import re
import unicodedata

from sockscope.core.diagram import Diagram, Kind, Row, spacing
from sockscope.core.timeline import format_duration

WIDTH = 80
_TIME = 10  # the time column, then two spaces, then the client's lifeline
SCALE_LINES = 12  # blank lines the longest gap gets when drawn to scale
# Each kind's line: FIN dotted, RST heavy, handshakes doubled.
_LINE = {
    Kind.CONNECT: "═",
    Kind.TLS: "═",
    Kind.DATA: "─",
    Kind.FIN: "┄",
    Kind.RST: "━",
}
_BOTH_WAYS = (Kind.CONNECT, Kind.TLS)
_LOOK_UP = re.compile(r"[^\x00-\u02ff\u2010-\u2064\u2200-\u22ff\u2400-\u2426\u2500-\u25fc]")


def cells(text: str) -> int:
    """Terminal cells `text` takes: wide (East Asian) characters two, combining none."""
    # Latin, punctuation, arrows, box drawing and control pictures (all a diagram draws
    # itself) are one cell each: only the other characters are looked up.
    total = len(text)
    for ch in _LOOK_UP.findall(text):
        if unicodedata.combining(ch):
            total -= 1
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            total += 1
    return total


def fit(text: str, room: int) -> str:
    """`text` cut to `room` cells, with `…` where it was cut."""
    if cells(text) <= room:
        return text
    out, used = [], 0
    for ch in text:
        width = cells(ch)
        if used + width > room - 1:
            break
        out.append(ch)
        used += width
    return "".join(out) + "…"


def _centred(text: str, room: int) -> str:
    text = fit(text, room)
    spare = room - cells(text)
    return " " * (spare // 2) + text + " " * (spare - spare // 2)


def render_text(diagram: Diagram, width: int = WIDTH) -> list[str]:
    return [line for _, line in render_lines(diagram, width)]


def render_lines(diagram: Diagram, width: int = WIDTH) -> list[tuple[int | None, str]]:
    """Each line with the index of the row it draws (None: titles, lifelines, gaps)."""
    inner = max(width - _TIME - 4, 20)  # between the lifelines
    gutter = " " * (_TIME + 2)
    half = (inner + 2) // 2
    client = fit(diagram.client, half - 1)
    server = fit(diagram.server, inner + 2 - half - 1)
    title = client + " " * (inner + 2 - cells(client) - cells(server)) + server
    empty = gutter + "│" + " " * inner + "│"
    lines: list[tuple[int | None, str]] = [(None, f"{'time':>{_TIME}}  {title}"), (None, empty)]
    before = 0.0
    steps = spacing(diagram, SCALE_LINES)
    for index, (row, blank) in enumerate(zip(diagram.rows, steps, strict=True)):
        if blank:
            gap = _centred(f"⋮ {format_duration(row.t - before)} later", inner)
            lines.extend([(None, empty)] * (blank - 1))
            lines.append((None, gutter + "│" + gap + "│"))
        before = row.t
        lines.append((index, f"{format_duration(row.t):>{_TIME}}  " + _row_line(row, inner)))
        if row.preview:
            lines.append((index, gutter + "│" + _centred(row.preview, inner) + "│"))
    lines.append((None, empty))
    return lines


def _row_line(row: Row, inner: int) -> str:
    if row.from_client is None:
        return "│" + _centred(f"· {row.label} ·", inner) + "│"
    line = _LINE[row.kind]
    label = f" {fit(row.label, inner - 8)} "
    body = inner - 1 - cells(label)  # one cell for the arrow head
    left_run = body // 2
    run = line * left_run + label + line * (body - left_run)
    if row.kind in _BOTH_WAYS:
        return "│◀" + run[1:] + "▶│"
    if row.from_client:
        return "├" + run + "▶│"
    return "│◀" + run + "┤"
