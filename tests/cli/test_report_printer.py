"""A report's lines: styled by Rich at a terminal, the same characters into a pipe, where
the plain printer writes them without loading Rich."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from sockscope.cli.output import PlainPrinter, new_console
from sockscope.cli.report import heading, safe


def test_a_report_at_a_terminal_keeps_its_styles_and_into_a_pipe_has_the_same_text() -> None:
    styled = io.StringIO()
    console = Console(file=styled, force_terminal=True, color_system="standard", width=100)
    plain = io.StringIO()
    for printer in (console, PlainPrinter(plain)):
        heading(printer, "Received", "12 bytes")
        printer.print(safe("bell\x07 and\ttab", "bold"))
    assert "\x1b[1;36mReceived" in styled.getvalue()  # the heading's bold cyan
    assert "\x1b[1;7m␇" in styled.getvalue()  # a token in reverse video, in the bold line
    assert plain.getvalue() == "Received  12 bytes\nbell␇ and␉tab\n"  # one line: tab a token


def test_a_report_with_columns_0_in_the_environment_still_prints_its_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "0")
    monkeypatch.setenv("FORCE_COLOR", "1")
    console = new_console()
    heading(console, "Received", "12 bytes")
    console.print(safe("bell\x07"))
    out = capsys.readouterr().out
    assert "Received" in out
    assert "bell" in out and "␇" in out
