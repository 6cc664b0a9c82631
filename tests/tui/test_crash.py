"""An unexpected error in the app ends it with one sanitised line, never a raw traceback."""

from __future__ import annotations

import pytest

from sockscope.tui.app import SockscopeApp

from .helpers import pilot_test


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
