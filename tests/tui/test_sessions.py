"""Persistent sessions against the lab: connect, send turn by turn, half-close, close,
reset; what the state allows and what it refuses, as a user sees it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from textual.widgets import Input, Tabs, TextArea

from sockscope.core.model import EventType, StopReason, Transport
from sockscope.engine import SessionState
from sockscope.export.transcript import load_transcript
from sockscope.tui.app import SockscopeApp
from sockscope.tui.commands import SockscopeCommands
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.screens.path import PathScreen
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.status import StatusLine
from sockscope.tui.widgets.timeline import Timeline
from tests.tui.helpers import make_app, pilot_test, until, view_text

SIZE = (120, 36)


def _status(app: SockscopeApp) -> str:
    return str(app.query_one(StatusLine).render())


def _state(app: SockscopeApp) -> SessionState | None:
    return app.query_one(StatusLine).session_state


def _turn_rows(app: SockscopeApp) -> list[str]:
    table = app.query_one(Timeline)
    return [
        " ".join(str(cell) for cell in table.get_row_at(y)).strip() for y in range(table.row_count)
    ]


def _type(app: SockscopeApp, text: str) -> None:
    app.query_one("#request-text", TextArea).load_text(text)


async def _write_to(app: SockscopeApp, pilot, path: Path) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(app.screen, PathScreen)
    app.screen.query_one("#path-input", Input).value = str(path)
    await pilot.press("enter")
    await pilot.pause()


async def _connect(app: SockscopeApp, pilot, service: str, template: str) -> None:  # type: ignore[no-untyped-def]
    app.open_lab_service(service, template)
    await pilot.pause()
    await pilot.press("f6")
    await until(pilot, lambda: _state(app) is SessionState.OPEN, "the session to open")


@pilot_test
async def test_an_smtp_dialogue_held_turn_by_turn_lands_in_the_history(
    lab: LabInfo, tmp_path: Path
) -> None:
    app = make_app(lab=lab)
    port = lab.port("smtp", Transport.TCP)
    async with app.run_test(size=SIZE) as pilot:
        await _connect(app, pilot, "smtp", "smtp")
        await until(pilot, lambda: "220 " in " ".join(_turn_rows(app)), "the greeting")
        assert _status(app).startswith(f" open 127.0.0.1:{port} · 1 turn ")
        assert _turn_rows(app)[0].startswith("0 peer")

        _type(app, "EHLO sockscope.test\\r\n")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(_turn_rows(app)) == 3, "the reply to EHLO")
        rows = _turn_rows(app)
        assert rows[1].startswith("1 you") and "EHLO sockscope.test" in rows[1]
        assert rows[2].startswith("1 peer") and "250" in rows[2]
        assert _status(app).startswith(f" open 127.0.0.1:{port} · 2 turns ")

        _type(app, "QUIT\\r\n")
        await pilot.press("ctrl+s")
        # The server answers 221 and closes its side: the session stays until Close.
        await until(pilot, lambda: _state(app) is SessionState.PEER_CLOSED, "the server's EOF")
        assert "221" in _turn_rows(app)[-1]
        assert not app.query_one(History).exchanges
        await pilot.press("f8")
        await until(pilot, lambda: app.query_one(History).exchanges, "the history entry")
        assert _state(app) is None  # the status line shows the finished exchange again
        session = app.query_one(History).exchanges[0]
        assert app.explorer.current is session
        assert session.stop is StopReason.PEER_CLOSED
        assert [e.data for e in session.of_type(EventType.SEND)] == [
            b"EHLO sockscope.test\r\n",
            b"QUIT\r\n",
        ]

        await pilot.press("f3")
        await _write_to(app, pilot, tmp_path / "session.json")
        app.action_export("python")
        await pilot.pause()
        await _write_to(app, pilot, tmp_path / "session.py")

    saved = load_transcript(tmp_path / "session.json")
    assert saved.to_dict() == session.to_dict()
    reopened = SockscopeApp(exchanges=[saved], cursor_blink=False)
    async with reopened.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert reopened.explorer.current is saved
        reopened.action_toggle_turns()
        await pilot.pause()
        assert [row.split()[:2] for row in _turn_rows(reopened)] == [
            ["0", "peer"],
            ["1", "you"],
            ["1", "peer"],
            ["2", "you"],
            ["2", "peer"],
        ]

    run = subprocess.run(
        [sys.executable, str(tmp_path / "session.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    chunks = [ast.literal_eval(line) for line in run.stdout.splitlines() if line.startswith("b'")]
    assert b"".join(chunks) == session.received


@pilot_test
async def test_half_close_on_echo_gets_the_rest_then_both_sides_are_done(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await _connect(app, pilot, "echo", "echo")
        _type(app, "one line\\r\n")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "b'one line\\r\\n'" in " ".join(_turn_rows(app)), "the echo")
        await pilot.press("f7")
        # The echo server sees our EOF and closes too: the session ends by itself.
        await until(pilot, lambda: app.query_one(History).exchanges, "the end of the session")
        session = app.query_one(History).exchanges[0]
        assert session.stop is StopReason.PEER_CLOSED
        assert "both sides finished sending" in session.stop_message
        assert any(e.type is EventType.SHUTDOWN for e in session.events)
        assert session.received == b"one line\r\n"


@pilot_test
async def test_reset_ends_the_session_with_a_rst(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await _connect(app, pilot, "echo", "echo")
        assert app.check_action("reset_session", ()) is True
        await pilot.press("f9")
        await until(pilot, lambda: app.query_one(History).exchanges, "the end of the session")
        session = app.query_one(History).exchanges[0]
        assert session.stop is StopReason.RESET
        assert "you reset the connection" in _status(app)


@pilot_test
async def test_a_command_the_state_refuses_is_named_in_the_status_line(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        # Before any session the session keys are not offered at all.
        assert app.check_action("half_close", ()) is False
        # The trickle keeps sending after our half-close, so the session stays half-closed.
        await _connect(app, pilot, "trickle", "banner")
        assert app.check_action("connect", ()) is False  # one session at a time
        await pilot.press("f7")
        await until(pilot, lambda: _state(app) is SessionState.HALF_CLOSED, "the half-close")
        # Half-closed: Send and Half-close are greyed out, and pressing them says why.
        assert app.check_action("send", ()) is None
        assert app.check_action("half_close", ()) is None
        _type(app, "too late\\n")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "you half-closed the connection: nothing more can be sent" in _status(app)
        await pilot.press("f7")
        await pilot.pause()
        assert "already half-closed" in _status(app)
        assert _state(app) is SessionState.HALF_CLOSED
        await pilot.press("f8")
        await until(pilot, lambda: app.query_one(History).exchanges, "the end of the session")
        assert app.query_one(History).exchanges[0].stop is StopReason.CLOSED


@pilot_test
async def test_at_80_columns_the_footer_holds_the_session_keys_and_the_palette(
    lab: LabInfo,
) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        provider = SockscopeCommands(app.screen, None)
        offered = {hit.text: str(hit.help) async for hit in provider.discover()}
        assert offered["Session: Half-close"] == "not connected: Connect (f6) first"
        assert "Compare with…" in offered and "Switch turns / events" in offered
        await pilot.press("escape")
        await _connect(app, pilot, "echo", "echo")
        await pilot.pause()
        footer = app.screen._compositor.render_strips()[-1].text
        for key in ("Send", "Half-close", "Close", "Reset", "Help", "Quit", "palette"):
            assert key in footer, footer
        assert "Save" not in footer and "Connect" not in footer
        await pilot.press("f8")
        await until(pilot, lambda: app.query_one(History).exchanges, "the end of the session")
        await pilot.pause()
        footer = app.screen._compositor.render_strips()[-1].text
        assert "Connect" in footer and "Half-close" not in footer


@pilot_test
async def test_connecting_cancels_a_running_exchange_and_keeps_it_in_the_history(
    lab: LabInfo,
) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.open_lab_service("trickle", "banner")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "trickle 1 of" in view_text(app, "received-view"), "a line")
        await _connect(app, pilot, "echo", "echo")
        await until(pilot, lambda: app.query_one(History).exchanges, "the cancelled exchange")
        await pilot.pause()
        assert app.query_one(History).exchanges[0].stop is StopReason.CANCELLED
        # The session keeps the panes and the status line.
        assert _state(app) is SessionState.OPEN
        assert _status(app).startswith(f" open 127.0.0.1:{lab.port('echo', Transport.TCP)}")
        await pilot.press("f8")
        await until(pilot, lambda: len(app.query_one(History).exchanges) == 2, "the session")


async def _many_turns(app: SockscopeApp, pilot, lab: LabInfo, turns: int) -> None:  # type: ignore[no-untyped-def]
    """A session of `turns` echoed lines, then closed."""
    await _connect(app, pilot, "echo", "echo")
    for n in range(turns):
        _type(app, f"line {n}\\r\n")
        await pilot.press("ctrl+s")
        await until(pilot, lambda n=n: f"line {n}" in "".join(_turn_rows(app)[-1:]), f"echo {n}")
    await pilot.press("f8")
    await until(pilot, lambda: app.query_one(History).exchanges, "the end of the session")


def _last_turn_in_view(app: SockscopeApp) -> bool:
    timeline = app.query_one(Timeline)
    return timeline.size.height > 0 and timeline.scroll_y == timeline.max_scroll_y > 0


@pilot_test
async def test_at_80x24_the_turns_tab_opens_at_the_last_turn_after_a_session(
    lab: LabInfo,
) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await _many_turns(app, pilot, lab, 12)
        app.query_one("#view-tabs", Tabs).active = "tab-timeline-pane"
        await until(pilot, lambda: _last_turn_in_view(app), "the last turn in view")


@pilot_test
async def test_switching_to_turns_shows_the_last_turn(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await _many_turns(app, pilot, lab, 12)
        await pilot.press("ctrl+l")  # events
        app.query_one(Timeline).scroll_home(animate=False, immediate=True)
        await pilot.pause()
        await pilot.press("ctrl+l")  # turns again
        await until(pilot, lambda: _last_turn_in_view(app), "the last turn in view")


@pilot_test
async def test_at_80x24_a_send_in_a_session_brings_received_forward(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await _connect(app, pilot, "echo", "echo")
        tabs = app.query_one("#view-tabs", Tabs)
        tabs.active = "tab-sent"
        await pilot.pause()
        _type(app, "ping\\r\n")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: tabs.active == "tab-received", "Received in front")
        await until(pilot, lambda: "ping" in view_text(app, "received-view"), "the echo")
