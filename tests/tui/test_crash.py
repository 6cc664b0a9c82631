"""An unexpected error in the app ends it with one sanitised line, never a raw traceback."""

from __future__ import annotations

import asyncio
import tempfile

import pytest

from sockscope.crash import EXIT_INTERNAL, report_crash
from sockscope.export.transcript import save_transcript
from sockscope.tui.app import SockscopeApp
from sockscope.tui.playback import PlaybackApp
from sockscope.tui.screens.playback import PlaybackScreen
from tests.tui.exchanges import http_exchange
from tests.tui.helpers import pilot_test


@pilot_test
async def test_an_unhandled_error_leaves_one_sanitised_line_and_a_log_file(
    monkeypatch, capsys
) -> None:
    def explode(self: SockscopeApp) -> None:
        raise RuntimeError("server said \x1b]52;c;cHduZWQ=\x07 [@click=app.quit]x[/]")

    monkeypatch.setattr(SockscopeApp, "action_help", explode)
    app = SockscopeApp(cursor_blink=False)
    with pytest.raises(RuntimeError):  # a Pilot test still sees the error itself
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f1")
            await pilot.pause()
    # What Textual prints on stderr once the screen is restored (Rich may wrap it).
    line = capsys.readouterr().err.replace("\n", " ").strip()
    assert line.startswith("sockscope: internal error: RuntimeError: server said ␛]52;c;")
    assert "\x1b" not in line and "\x07" not in line
    log = line.rsplit("details in ", 1)[1].rstrip(")")
    with open(log, encoding="utf-8") as details:
        assert "Traceback" in details.read()


@pilot_test
async def test_an_unhandled_error_ends_the_app_with_the_internal_error_status(
    monkeypatch,
) -> None:
    def explode(self: SockscopeApp) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(SockscopeApp, "action_help", explode)
    app = SockscopeApp(cursor_blink=False)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f1")
            await pilot.pause()
    assert app.return_code == EXIT_INTERNAL


def test_sockscope_open_exits_non_zero_after_an_internal_error_in_the_app(
    monkeypatch, tmp_path, cli
) -> None:
    """The whole way a user meets it: `sockscope open FILE`, the app fails, the shell
    sees the internal-error status (the app runs headless here, as on a terminal)."""

    def explode(self: SockscopeApp) -> None:
        raise RuntimeError("boom")

    def run_headless(self: SockscopeApp) -> None:
        asyncio.run(self.run_async(headless=True, size=(120, 36)))

    monkeypatch.setattr(SockscopeApp, "on_mount", explode)
    monkeypatch.setattr(SockscopeApp, "run", run_headless)
    transcript = tmp_path / "saved.json"
    save_transcript(http_exchange(), transcript)
    result = cli("open", transcript)
    assert result.code == EXIT_INTERNAL
    assert "sockscope: internal error: RuntimeError: boom" in result.err


def test_the_crash_line_names_a_log_directory_from_the_environment_as_text(
    monkeypatch, tmp_path
) -> None:
    hostile = tmp_path / "tmp\x1b]0;pwned\x07"
    hostile.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(hostile))
    line = report_crash(RuntimeError("boom"))
    assert "tmp␛]0;pwned␇" in line
    assert "\x1b" not in line and "\x07" not in line


@pilot_test
async def test_the_playback_app_ends_an_internal_error_as_the_explorer_does(
    monkeypatch, capsys
) -> None:
    def explode(self: PlaybackScreen) -> None:
        raise RuntimeError("server said \x1b]0;pwned\x07")

    monkeypatch.setattr(PlaybackScreen, "action_step", explode)
    app = PlaybackApp(http_exchange())
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("right")
            await pilot.pause()
    assert app.return_code == EXIT_INTERNAL
    line = capsys.readouterr().err.replace("\n", " ").strip()
    assert line.startswith("sockscope: internal error: RuntimeError: server said ␛]0;pwned␇")
