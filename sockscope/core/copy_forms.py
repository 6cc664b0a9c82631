"""Bytes as the text a user copies: the payload syntax, hex, or base64.

The payload syntax (`\\r`, `\\x1b`) rather than the raw text: what a server sent may hold
escape sequences, and pasted raw into a terminal they would run there. Pasted into the
request editor, the payload syntax gives back the same bytes.
"""

from __future__ import annotations

import base64

from sockscope.core.payload import format_hex, format_text

COPY_FORMS = ("text", "hex", "base64")
# Bytes a copy puts on the clipboard at most: the write is one escape sequence that the
# terminal takes whole, and the text of binary bytes is four times as long (`\\xNN`).
MAX_CLIPBOARD = 1024 * 1024


def copy_form(data: bytes, form: str) -> str:
    """`data` as `form` (one of COPY_FORMS)."""
    if form == "hex":
        return format_hex(data)
    if form == "base64":
        return base64.b64encode(data).decode("ascii")
    return format_text(data)
