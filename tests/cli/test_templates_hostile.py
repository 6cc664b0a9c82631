"""`sockscope templates` and `send -T`/`--set` with hostile template files and arguments:
every line reaches the terminal sanitised, and every mistake is one line with exit 2."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.clirun import CliResult
from tests.hostile.template_files import write_hostile_templates

Cli = Callable[..., CliResult]

HOSTILE = [
    "\x1b]52;c;cHduZWQ=\x07",  # OSC 52: writes the clipboard
    "\x1b]0;pwned\x07\x1b[2J",  # sets the title, clears the screen
    "\x9b31mred",  # an 8-bit CSI
    "\u202eevil\u200b",  # a bidi override and a zero-width space
    "[@click=app.quit]x[/] x [/",  # Textual markup
    "ok\nwarning: a forged line\r\x7f",
]


def _terminal_unsafe(text: str) -> set[str]:
    """What a terminal could act on: C0 but LF and TAB, DEL, C1, and bidi controls."""
    return {
        ch
        for ch in text
        if (ord(ch) < 0x20 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F or ch == "\u202e"
    }


def _template_dir() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "sockscope" / "templates"


@pytest.mark.parametrize("text", HOSTILE)
def test_the_listing_and_its_warnings_are_sanitised(cli: Cli, text: str) -> None:
    write_hostile_templates(_template_dir(), text)
    for args in (["templates"], ["templates", "--show", "hostile"], ["templates", "--json"]):
        result = cli(*args)
        assert result.code == 0
        assert not _terminal_unsafe(result.out + result.err), args
    listing = cli("templates").out
    assert "hostile " in listing and "hostile-steps " in listing
    # One warning a file: a line break in a name cannot forge a line of its own.
    warnings = [line for line in listing.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2
    assert all("template file '" in line for line in warnings)


@pytest.mark.parametrize("text", HOSTILE)
def test_send_with_a_hostile_template_prints_nothing_a_terminal_acts_on(
    cli: Cli, lab: object, text: str
) -> None:
    write_hostile_templates(_template_dir(), text)
    host, port = lab.host, lab.port("echo")  # type: ignore[attr-defined]
    for name in ("hostile", "hostile-steps"):
        result = cli("send", host, port, "-T", name, "--idle", "0.3")
        assert result.code == 0, result.err
        assert not _terminal_unsafe(result.out + result.err), name
    for name in ("hostile-name", text):
        result = cli("send", host, port, "-T", name)
        assert result.code == 2
        assert result.err.count("\n") == 1
        assert "--template: " in result.err
        assert not _terminal_unsafe(result.err)


def test_a_template_skipped_for_a_mistake_is_explained_when_asked_for(cli: Cli) -> None:
    _template_dir().mkdir(parents=True)
    (_template_dir() / "mine.toml").write_text("port = 0\n")
    result = cli("send", "localhost", "-T", "mine")
    assert result.code == 2
    assert result.err.startswith("sockscope send: error: --template: template mine did not load: ")
    assert result.err.endswith("mine.toml': port: 0 is outside 1-65535\n")


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("host=x", "--set: {host} comes from the target; give the host and port as HOST PORT"),
        ("port=abc", "--set: {port} comes from the target"),
        ("hostname=y", "--set: {hostname} comes from the target"),
        ("=x", "--set: '=x' is not NAME=VALUE, e.g. path=/index.html"),
        ("novalue", "--set: 'novalue' is not NAME=VALUE"),
        ("zzz=1", "--set: template http-get has no {zzz} (its placeholders: path)"),
        ("Path=/", "--set: 'Path' is not a placeholder name (a-z and _ only)"),
        ("\x1b]0;x\x07=1", "--set: '\u241b]0;x\u2407' is not a placeholder name"),
        ("new\nline", "--set: 'new\u2424line' is not NAME=VALUE"),
        (
            "path=/a\x1b[2Jb",
            "--set: the value of {path} holds the control character \u241b at character 3; "
            "a value is sent as typed, so write control bytes in the payload instead",
        ),
        ("path=/a\x9bb", "--set: the value of {path} holds the control character \\x9b at"),
        ("path=/a\r\nX: y", "--set: the value of {path} holds the control character \u240d"),
    ],
)
def test_a_wrong_set_is_one_line_naming_set_and_the_fix(
    cli: Cli, setting: str, expected: str
) -> None:
    result = cli("send", "localhost", "-T", "http-get", "--set", setting)
    assert result.code == 2
    assert result.err.startswith(f"sockscope send: error: {expected}"), result.err
    assert result.err.count("\n") == 1
    assert not _terminal_unsafe(result.err)


def test_path_is_checked_like_set_path(cli: Cli) -> None:
    result = cli("send", "localhost", "-T", "echo", "--path", "/x")
    assert result.code == 2
    assert result.err == (
        "sockscope send: error: --path: template echo has no {path} "
        "(it has no placeholders to fill)\n"
    )


def test_set_fills_a_placeholder_and_a_tab_is_a_value_like_any_other(cli: Cli, lab: object) -> None:
    host, port = lab.host, lab.port("echo")  # type: ignore[attr-defined]
    result = cli(
        "send", host, port, "-T", "gopher", "--set", "path=/find\tterm", "--idle", "0.3", "--json"
    )
    assert result.code == 0, result.err
    assert base64.b64decode(result.json()["request_b64"]) == b"/find\tterm\r\n"
