"""What a copy puts on the clipboard: visible escapes, hex or base64, never a raw ESC."""

from __future__ import annotations

from sockscope.core.copy_forms import copy_form
from sockscope.core.payload import parse_hex, parse_text

DATA = b"HTTP/1.1 200 OK\r\nX: \x1b]52;c;evil\x07\r\n"


def test_text_is_the_payload_syntax_and_parses_back() -> None:
    text = copy_form(DATA, "text")
    assert "\x1b" not in text and "\\x1b]52" in text
    assert parse_text(text) == DATA


def test_hex_and_base64_give_the_same_bytes_back() -> None:
    assert parse_hex(copy_form(DATA, "hex")) == DATA
    assert copy_form(b"hi", "base64") == "aGk="
