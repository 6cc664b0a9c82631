"""The display sanitiser: nothing a server sends can act on the terminal or hide text."""

from __future__ import annotations

import unicodedata
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.sanitize import display_segments, sanitize

UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}

# The display attacks of hostile-servers.md, as text a decoder could produce.
ATTACKS = {
    "clipboard write (OSC 52)": "A\x1b]52;c;cHduZWQ=\x1b\\B",
    "window title (OSC 0)": "\x1b]0;pwned\x07",
    "cursor up and clear (CSI)": "\x1b[2A\x1b[2J\x1b[H\x1b[8m",
    "hyperlink (OSC 8)": "\x1b]8;;https://evil.test\x1b\\click\x1b]8;;\x1b\\",
    "8-bit CSI (U+009B)": "\x9b2J",
    "terminal reset (ESC c)": "\x1bc",
    "bidi override (U+202E)": "invoice\u202etxt.exe",
}


def _unsafe(ch: str) -> bool:
    return ch not in "\n\t" and unicodedata.category(ch) in UNSAFE_CATEGORIES


def test_plain_ascii_text_is_returned_unchanged() -> None:
    text = "HTTP/1.1 200 OK\nContent-Type: text/html\n\n<p>Hello, world!</p>\t~"
    assert sanitize(text) == text
    assert display_segments(text) == [(text, False)]


def test_the_empty_text_has_no_segments() -> None:
    assert display_segments("") == []


def test_c0_controls_become_control_pictures() -> None:
    assert sanitize("a\x00b\x1bc\rd\x07") == "a␀b␛c␍d␇"


def test_newline_and_tab_are_kept_as_layout() -> None:
    assert sanitize("a\tb\nc") == "a\tb\nc"


def test_del_becomes_its_picture() -> None:
    assert sanitize("\x7f") == "␡"


def test_c1_controls_become_hex_tokens() -> None:
    assert sanitize("\x80\x9b\x9f") == "\\x80\\x9b\\x9f"


@pytest.mark.parametrize(
    ("char", "token"),
    [
        ("\u202e", "\\u202e"),  # right-to-left override (Cf)
        ("\u200b", "\\u200b"),  # zero-width space (Cf)
        ("\ufeff", "\\ufeff"),  # byte order mark / zero-width no-break space (Cf)
        ("\u2028", "\\u2028"),  # line separator (Zl)
        ("\u2029", "\\u2029"),  # paragraph separator (Zp)
        ("\ud800", "\\ud800"),  # lone surrogate (Cs)
        ("\ue000", "\\ue000"),  # private use (Co)
        ("\U000e0041", "\\U000e0041"),  # tag character (Cf), beyond the BMP
        ("\U0010ffff", "\\U0010ffff"),  # noncharacter (Cn)
    ],
)
def test_invisible_and_reordering_characters_become_escape_tokens(char: str, token: str) -> None:
    assert display_segments(f"a{char}b") == [("a", False), (token, True), ("b", False)]


def test_printable_unicode_and_ordinary_spaces_are_kept() -> None:
    text = "café 日本語 ☕ no\u00a0break ideographic\u3000space"
    assert sanitize(text) == text


def test_adjacent_unsafe_characters_share_one_token_segment() -> None:
    assert display_segments("ok\r\x1b\u202e\x9b!") == [
        ("ok", False),
        ("␍␛\\u202e\\x9b", True),
        ("!", False),
    ]


def test_a_literal_backslash_in_text_is_not_a_token() -> None:
    # The text "\x9b" typed by a server is four ordinary characters; U+009B is a token.
    assert display_segments("\\x9b\x9b") == [("\\x9b", False), ("\\x9b", True)]


@pytest.mark.parametrize("payload", ATTACKS.values(), ids=ATTACKS.keys())
def test_display_attacks_come_out_inert(payload: str) -> None:
    shown = sanitize(payload)
    assert "\x1b" not in shown
    assert not any("\x80" <= ch <= "\x9f" for ch in shown)
    assert "\u202e" not in shown
    assert not any(_unsafe(ch) for ch in shown)


def test_a_clipboard_write_is_shown_as_visible_text() -> None:
    assert sanitize(ATTACKS["clipboard write (OSC 52)"]) == "A␛]52;c;cHduZWQ=␛\\B"


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_no_unsafe_character_survives_and_real_text_is_untouched(text: str) -> None:
    segments = display_segments(text)
    shown = "".join(chunk for chunk, _ in segments)
    assert shown == sanitize(text)
    assert not any(_unsafe(ch) for ch in shown)
    # Every non-token segment is original text, in order; tokens stand only for unsafe ones.
    assert "".join(chunk for chunk, token in segments if not token) == "".join(
        ch for ch in text if not _unsafe(ch)
    )
    assert all(chunk for chunk, _ in segments)
    assert all(a[1] != b[1] for a, b in pairwise(segments))


@given(st.text())
def test_sanitising_twice_changes_nothing_more(text: str) -> None:
    once = sanitize(text)
    assert sanitize(once) == once


def test_bytes_carried_as_surrogateescape_show_as_the_byte() -> None:
    # Python keeps undecodable bytes as U+DC80-U+DCFF (PEP 383), e.g. in file names.
    text = b"name-\xff.txt".decode("utf-8", "surrogateescape")
    assert display_segments(text) == [("name-", False), ("\\xff", True), (".txt", False)]
