"""Multi-step dialogue templates against the lab's dialogue servers: Send runs them step
by step, and each step's outcome is shown; a failed expectation is named."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from sockscope.core.model import EventType, StopReason, Transport
from sockscope.core.steps import step_outcomes
from sockscope.tui.app import SockscopeApp
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.screens.compare import CompareScreen
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.status import State, StatusLine
from sockscope.tui.widgets.timeline import Timeline
from tests.dialogue_fixtures import DIALOGUES, RCPT_FIRST
from tests.tui.helpers import make_app, pilot_test, until, view_text

SIZE = (120, 36)


def _status(app: SockscopeApp) -> str:
    return str(app.query_one(StatusLine).render())


def _timeline_details(app: SockscopeApp) -> list[str]:
    table = app.query_one(Timeline)
    return [str(table.get_row_at(y)[-1]) for y in range(table.row_count)]


@pytest.mark.parametrize("protocol", DIALOGUES)
@pilot_test
async def test_a_dialogue_template_fills_the_lab_port_and_shows_each_step(
    lab: LabInfo, protocol: str
) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.choose_template(f"{protocol}-dialogue")
        await pilot.pause()
        assert app.query_one("#port").value == str(lab.port(protocol, Transport.TCP))  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        await pilot.pause()
        assert app.query_one(StatusLine).state is State.DONE
        assert "all 3 steps ok" in _status(app)
        headers = view_text(app, "headers-view").splitlines()
        assert headers[0] == "steps"
        assert [line.split()[:2] for line in headers[1:4]] == [["✓", "1"], ["✓", "2"], ["✓", "3"]]
        assert sum("step" in d and " ok: " in d for d in _timeline_details(app)) == 3


@pilot_test
async def test_a_failed_expectation_names_the_step_in_the_status_line(lab: LabInfo) -> None:
    templates = Path(os.environ["XDG_CONFIG_HOME"]) / "sockscope" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "rcpt-first.toml").write_text(RCPT_FIRST)
    app = SockscopeApp(lab=lab, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        app.open_lab_service("smtp", "rcpt-first")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        await pilot.pause()
        exchange = app.query_one(History).exchanges[0]
        assert exchange.stop is StopReason.EXPECTATION
        assert app.query_one(StatusLine).state is State.FAILED
        failed = "step 3 failed: expected 250 after RCPT TO:<bob@example.org>, got 503"
        assert failed in _status(app)
        headers = view_text(app, "headers-view").splitlines()
        assert [line.split()[:2] for line in headers[1:4]] == [["✓", "1"], ["✓", "2"], ["✗", "3"]]
        assert "expected 250 after RCPT TO:<bob@example.org>, got 503" in headers[3]
        # The reply codes follow the steps; the QUIT step never ran.
        assert any(line.startswith("503") for line in headers)
        assert not any("step 4" in d for d in _timeline_details(app))
        assert any(d.startswith(failed) for d in _timeline_details(app))


@pilot_test
async def test_an_edited_dialogue_request_is_sent_as_it_stands(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.choose_template("smtp-dialogue")
        await pilot.pause()
        app.query_one("#request-text").load_text("QUIT\\r\n")  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        exchange = app.query_one(History).exchanges[0]
        assert exchange.sent == b"QUIT\r\n"
        assert "steps" not in view_text(app, "headers-view")


def _get(path: str) -> str:
    return f"GET {path} HTTP/1.1\\r\nHost: lab\\r\nConnection: close\\r\n\\r\n"


@pilot_test
async def test_compare_with_marks_an_entry_and_shows_the_changed_header_and_body(
    lab: LabInfo,
) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        for path in ("/bytes?n=5", "/bytes?n=6"):
            app.query_one("#request-text").load_text(_get(path))  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await app.wait_for_conversation()
        history = app.query_one(History)
        await pilot.press("f4")
        assert history.marked == 1
        assert "compare #2 with…" in _status(app)
        assert "◆ compare with…" in str(history.get_option_at_index(1).prompt)
        history.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        screen = app.screen
        await until(pilot, lambda: screen.comparison is not None, "the comparison")
        assert history.marked is None
        lines = app.screen.query_one("#compare-view", LineView).lines
        rows = [lines.line(y).plain for y in range(len(lines))]
        assert "~ Content-Length: 6 → 5" in rows
        assert "- b'GET /bytes?n=6 HTTP/1.1\\r\\n'" in rows
        assert "+ b'GET /bytes?n=5 HTTP/1.1\\r\\n'" in rows
        assert any(row.startswith("- b'") and "\\r\\n" not in row for row in rows)
        summary = str(app.screen.query_one("#compare-summary").render())
        assert "headers: 1 changed" in summary or "headers: 2 changed" in summary
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)
        # The question the status line asked is answered: it no longer asks it.
        assert "compare #2 with…" not in _status(app)


@pilot_test
async def test_f5_replays_a_dialogue_step_by_step_with_its_checks(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.choose_template("smtp-dialogue")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        await pilot.press("f5")
        await app.wait_for_conversation()
        await pilot.pause()
        first, replay = app.query_one(History).exchanges
        sends = [len(list(e.of_type(EventType.SEND))) for e in (first, replay)]
        assert sends[0] == sends[1] > 1
        assert [o.line.split(":")[0] for o in step_outcomes(replay)] == [
            o.line.split(":")[0] for o in step_outcomes(first)
        ]
        assert "all 3 steps ok" in _status(app)


@pilot_test
async def test_a_dialogues_steps_share_one_capture_limit_in_the_app_as_in_send(
    lab: LabInfo, cli: Callable[..., Any]
) -> None:
    # The lab's SMTP dialogue receives 168 bytes in three replies, each under 120: a
    # limit per step would keep them all.
    limit = 120
    args = ("send", lab.host, lab.port("smtp", Transport.TCP), "-T", "smtp-dialogue", "--json")
    data = cli(*args, "--capture-limit", limit).json()
    sent_kept = base64.b64decode(data["received_b64"])
    assert len(sent_kept) == limit
    assert data["stop_reason"] == "expectation"
    assert "stopped at the capture limit (120 bytes kept)" in data["stop_message"]
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.choose_template("smtp-dialogue")
        await pilot.press("ctrl+o")
        app.screen.query_one("#opt-capture-limit", Input).value = str(limit)
        await pilot.press("ctrl+o")
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        await pilot.pause()
        exchange = app.query_one(History).exchanges[-1]
        assert exchange.received == sent_kept
        assert exchange.stop is StopReason.EXPECTATION
        assert data["stop_message"] in _status(app)
