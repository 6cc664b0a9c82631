"""Save, open, export and replay: the shown exchange leaves the app and comes back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Input

from sockscope.cli import main
from sockscope.core.model import StopReason
from sockscope.export.transcript import load_transcript
from sockscope.tui.app import SockscopeApp
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.screens.path import PathScreen
from sockscope.tui.widgets.history import History
from tests.tui.exchanges import http_exchange, qotd_udp_exchange, tls_exchange
from tests.tui.helpers import make_app, pilot_test, view_text

SIZE = (120, 36)


async def _write_to(app: SockscopeApp, pilot, path: Path | str) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(app.screen, PathScreen)
    app.screen.query_one("#path-input", Input).value = str(path)
    await pilot.press("enter")
    await pilot.pause()


@pilot_test
async def test_f3_saves_a_transcript_that_loads_back(tmp_path: Path) -> None:
    exchange = http_exchange()
    app = make_app(exchange)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        assert app.screen.query_one("#path-input", Input).value == "sockscope-1.json"
        await _write_to(app, pilot, tmp_path / "saved.json")
        assert not isinstance(app.screen, PathScreen)
    loaded = load_transcript(tmp_path / "saved.json")
    assert loaded.to_dict() == exchange.to_dict()


@pilot_test
async def test_a_save_that_fails_says_why_in_place_and_keeps_the_path(tmp_path: Path) -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        target = tmp_path / "missing" / "saved.json"
        await _write_to(app, pilot, target)
        assert isinstance(app.screen, PathScreen)
        message = str(app.screen.query_one("#path-message").render())
        assert f"cannot write {target}: No such file or directory" in message
        assert app.screen.query_one("#path-input", Input).value == str(target)


@pytest.mark.parametrize(
    ("kind", "named"),
    [("fifo", "a named pipe (FIFO)"), ("device", "a device"), ("directory", "a directory")],
)
@pilot_test
async def test_a_save_to_a_pipe_a_device_or_a_directory_is_refused_at_once(
    tmp_path: Path, kind: str, named: str
) -> None:
    """A FIFO with no reader would freeze the app in open(); /dev/tty would take the
    bytes onto the app's own terminal (the null device alone is let through: the
    capture file that counts bytes without keeping them)."""
    target = {"fifo": tmp_path / "pipe", "device": Path("/dev/zero"), "directory": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        for key in ("f3", "copy"):
            if key == "copy":
                app.action_copy_to_file("text")
            else:
                await pilot.press(key)
            await pilot.pause()
            await _write_to(app, pilot, target)
            assert isinstance(app.screen, PathScreen)
            message = str(app.screen.query_one("#path-message").render())
            assert f"cannot write {target}: it is {named}, not a regular file" in message
            await pilot.press("escape")


@pilot_test
async def test_curl_export_of_a_non_http_exchange_shows_why_not(tmp_path: Path) -> None:
    app = make_app(qotd_udp_exchange())
    async with app.run_test(size=SIZE) as pilot:
        app.action_export("curl")
        await pilot.pause()
        assert app.screen.query_one("#path-input", Input).value == "sockscope-1.sh"
        await _write_to(app, pilot, tmp_path / "x.sh")
        message = str(app.screen.query_one("#path-message").render())
        assert "curl speaks HTTP over TCP or a Unix stream socket, not udp" in message
        assert not (tmp_path / "x.sh").exists()


@pilot_test
async def test_open_shows_saved_exchanges_in_the_history() -> None:
    first, last = http_exchange(), tls_exchange()
    app = SockscopeApp(exchanges=[first, last], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert list(app.query_one(History).exchanges) == [first, last]
        assert app.explorer.current is last
        assert app.query_one("#port", Input).value == "8443"
        assert view_text(app, "headers-view").startswith("TLS      TLSv1.3")


def test_open_refuses_a_corrupt_transcript_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"sockscope": 1, "target": {"host": "x", "port": "80"}}')
    assert main(["open", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"sockscope open: error: transcript {bad}: target.port: "
        'must be a port from 1 to 65535 or null, got "80"\n'
    )


@pilot_test
async def test_exported_python_script_replays_the_exchange(lab: LabInfo, tmp_path: Path) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        app.action_export("python")
        await pilot.pause()
        await _write_to(app, pilot, tmp_path / "replay.py")
    script = tmp_path / "replay.py"
    assert script.stat().st_mode & 0o100
    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "HTTP/1.1 200 OK" in run.stdout


@pilot_test
async def test_replay_adds_an_entry_with_the_same_request_bytes(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        first = app.query_one(History).exchanges[0]
        # Editing the request afterwards does not change what a replay sends.
        app.query_one("#request-text").load_text("nothing like it")  # type: ignore[attr-defined]
        await pilot.press("f5")
        await app.wait_for_conversation()
        history = app.query_one(History).exchanges
        assert len(history) == 2
        assert history[1].request == history[1].sent == first.request
        assert history[1].target == first.target and history[1].policy == first.policy
        assert history[1].stop is StopReason.PEER_CLOSED
        assert app.explorer.current is history[1]


@pilot_test
async def test_typing_in_the_save_dialog_replaces_the_suggested_name() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        assert isinstance(app.screen, PathScreen)
        await pilot.press(*"get.json")
        assert app.screen.query_one("#path-input", Input).value == "get.json"


@pilot_test
async def test_at_80x24_an_opened_exchange_shows_its_reply_first() -> None:
    from textual.widgets import Tabs

    from tests.tui.exchanges import http_exchange

    app = make_app(http_exchange())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.query_one("#view-tabs", Tabs).active == "tab-received"
        assert app.query_one("#received").display
