"""Text -> Content, the only way text reaches a widget.

Every string that sockscope's code did not write (server and client bytes, a transcript's
fields, a template file, a file name or path, an argument, an error sentence quoting any
of them) goes through `core.sanitize.display_segments` here and comes out as a `Content`
whose tokens (control pictures, `\\xNN`, `\\u202e`) carry TOKEN_STYLE. `Content` is
never parsed as markup, so `[@click=...]` stays literal text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from textual.content import Content

from sockscope.core.sanitize import Segment, display_segments
from sockscope.core.sanitize import one_line as one_line_segments

# Styles use theme variables so every Textual theme colours them sensibly.
TOKEN_STYLE = "$text-warning italic"
ESCAPE_STYLE = "$text-secondary"
DIM_STYLE = "$text-muted"
# `$text-muted` is a blend ("auto 60%"); DataTable cells have no background of their own
# to blend with and drew it black. A solid shade stays readable there, on any theme.
TABLE_DIM_STYLE = "$foreground-darken-2"
KEY_STYLE = "$text-accent bold"
ERROR_STYLE = "$text-error"
WARNING_STYLE = "$text-warning"
OK_STYLE = "$text-success"

# One rendered line never gets more than this many characters of server text
# (untrusted-bytes.md rule 5); the rest is named, not drawn.
MAX_TEXT = 2048

# Escapes inside Python's repr of bytes: `\\`, `\'`, `\r`, `\n`, `\t`, `\xNN`.
_REPR_ESCAPE = re.compile(r"\\(?:x[0-9a-f]{2}|[\\'rnt])")


def segments(parts: Iterable[Segment], style: str = "", one_line: bool = False) -> Content:
    """Sanitised segments as Content, tokens styled apart from the text.

    With `one_line`, newlines and tabs become tokens too, for a single row of a table
    or a line view (a raw newline or tab would break the row's layout).
    """
    token = f"{style} {TOKEN_STYLE}".strip()
    pieces = [
        (text, token if is_token else style)
        for text, is_token in (one_line_segments(parts) if one_line else parts)
        if text
    ]
    return Content.assemble(*pieces, strip_control_codes=False)


def safe(text: str, style: str = "", limit: int = MAX_TEXT, one_line: bool = False) -> Content:
    """Any text that may carry server bytes, sanitised, cut at `limit` with a marker."""
    extra = len(text) - limit
    shown = segments(display_segments(text[:limit] if extra > 0 else text), style, one_line)
    if extra > 0:
        shown = shown + Content.styled(f" … {extra:,} more characters", DIM_STYLE)
    return shown


def repr_content(line: str) -> Content:
    """A `repr_line` string (ASCII only) with its escapes styled so they stand out."""
    pieces: list[tuple[str, str] | str] = []
    position = 0
    for match in _REPR_ESCAPE.finditer(line):
        if match.start() > position:
            pieces.append(line[position : match.start()])
        pieces.append((match.group(), ESCAPE_STYLE))
        position = match.end()
    pieces.append(line[position:])
    # repr() output is printable ASCII; strip anyway so a surprise can never reach a tty.
    return Content.assemble(*pieces)


def plain(text: str, style: str = "") -> Content:
    """Our own text (labels, numbers): still Content, so no markup is ever parsed, and
    sanitised all the same, so that a string from elsewhere slipped in by mistake is
    shown as tokens rather than sent to the terminal."""
    return segments(display_segments(text), style)


def field_text(text: str) -> str:
    """Text from elsewhere as an Input's value, which is a plain string drawn as it is:
    the sanitiser's tokens, unstyled, newlines and tabs as tokens too (a field is one
    line). See widgets.filled_input for how the true text is kept."""
    return segments(display_segments(text), one_line=True).plain
