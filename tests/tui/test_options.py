"""ctrl+o: options are checked in place, shown beside the target, and used by Send."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, TextArea

from sockscope.core.model import EventType, Overflow, Transport
from sockscope.lab.services import chargen_stream
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.screens.options import OptionsScreen
from sockscope.tui.widgets.history import History
from tests.tui.exchanges import LAB
from tests.tui.helpers import make_app, pilot_test, view_text

SIZE = (120, 36)


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector).render())


@pilot_test
async def test_a_bad_option_is_named_in_place_and_keeps_what_was_typed() -> None:
    app = make_app(lab=LAB)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, OptionsScreen)
        idle = app.screen.query_one("#opt-idle", Input)
        idle.focus()
        idle.value = ""
        await pilot.press(*"soon")
        assert "idle timeout: 'soon' is not a number of seconds" in _text(app, "#options-message")
        until = app.screen.query_one("#opt-until", Input)
        until.value = "\\q"
        await pilot.pause()
        assert 'stop at text: column 1: unknown escape "\\q"' in _text(app, "#options-message")
        await pilot.press("enter")  # refused: the screen stays, the text stays
        assert isinstance(app.screen, OptionsScreen)
        assert idle.value == "soon"
        assert app.options.policy == {}


@pilot_test
async def test_options_start_from_the_template_policy_and_apply_to_send() -> None:
    app = make_app(lab=LAB)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        assert app.screen.query_one("#opt-idle", Input).value == "2"
        assert app.screen.query_one("#opt-capture-limit", Input).value == "8M"
        app.screen.query_one("#opt-idle", Input).value = "5"
        app.screen.query_one("#opt-until", Input).value = "\\r\\n\\r\\n"
        app.screen.query_one("#opt-alpn", Input).value = "h2, http/1.1"
        await pilot.press("ctrl+o")  # apply
        assert not isinstance(app.screen, OptionsScreen)
        assert app.options.policy == {"idle_timeout": 5.0, "delimiter": b"\r\n\r\n"}
        assert app.options.tls.alpn == ("h2", "http/1.1")
        summary = str(app.query_one("#options-summary").render())
        assert "ALPN h2,http/1.1" in summary and "idle 5s" in summary
        assert "verify off" not in summary


@pilot_test
async def test_turning_verification_off_shows_a_warning_badge() -> None:
    app = make_app(lab=LAB)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.query_one("#options-summary").display
        await pilot.press("ctrl+o")
        app.screen.query_one("#opt-verify", Checkbox).value = False
        await pilot.press("ctrl+o")
        await pilot.pause()
        badge = app.query_one("#options-summary")
        assert badge.display and badge.region.width > 0
        assert str(badge.render()).startswith(" verify off ")
        assert app.options.tls.verify is False


@pilot_test
async def test_a_capture_file_gets_every_byte_while_the_app_holds_the_limit(
    lab: LabInfo, tmp_path: Path
) -> None:
    size = 300_000
    capture = tmp_path / "capture.bin"
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        app.screen.query_one("#opt-capture-limit", Input).value = "64k"
        app.screen.query_one("#opt-capture-file", Input).value = str(capture)
        await pilot.press("ctrl+o")
        port = lab.port("http", Transport.TCP)
        request = f"GET /bytes?n={size} HTTP/1.1\\r\nHost: 127.0.0.1:{port}\\r\n"
        app.query_one("#request-text", TextArea).load_text(request + "Connection: close\\r\n\\r\n")
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        await pilot.pause()
        exchange = app.query_one(History).exchanges[-1]
        assert exchange.policy.overflow is Overflow.COUNT
        assert len(exchange.received) == 64 * 1024
        data = capture.read_bytes()
        assert len(data) == exchange.bytes_in > size
        assert data.startswith(exchange.received)
        status = str(app.query_one("#status").render())
        assert "holding 64.0 KiB; all in " in status and "capture.bin" in status
        assert view_text(app, "headers-view").startswith("HTTP/1.1 200")


@pytest.mark.skipif(not hasattr(os, "splice"), reason="splice(2) is Linux only")
@pilot_test
async def test_the_capture_file_past_the_limit_takes_the_kernel_path_with_the_same_bytes(
    lab: LabInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spliced: list[int] = []
    real = os.splice

    def spy(*args: Any, **kwargs: Any) -> int:
        moved = real(*args, **kwargs)
        spliced.append(moved)
        return moved

    monkeypatch.setattr(os, "splice", spy)
    size = 3_000_000
    capture = tmp_path / "capture.bin"
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        app.screen.query_one("#opt-capture-limit", Input).value = "64k"
        app.screen.query_one("#opt-capture-file", Input).value = str(capture)
        await pilot.press("ctrl+o")
        port = lab.port("http", Transport.TCP)
        request = f"GET /bytes?n={size} HTTP/1.1\\r\nHost: 127.0.0.1:{port}\\r\n"
        app.query_one("#request-text", TextArea).load_text(request + "Connection: close\\r\n\\r\n")
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        await pilot.pause()
        exchange = app.query_one(History).exchanges[-1]
    data = capture.read_bytes()
    assert sum(spliced) > 2 * size * 0.9  # socket -> pipe -> file: nearly every byte
    assert len(data) == exchange.bytes_in == sum(e.size for e in exchange.of_type(EventType.RECV))
    assert data.startswith(exchange.received)
    assert data.partition(b"\r\n\r\n")[2] == b"".join(map(bytes, chargen_stream(size)))


@pilot_test
async def test_enter_on_a_checkbox_applies_and_space_toggles_it() -> None:
    app = make_app(lab=LAB)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        verify = app.screen.query_one("#opt-verify", Checkbox)
        assert app.screen.focused is verify
        await pilot.press("space")
        assert verify.value is False
        await pilot.press("enter")
        assert not isinstance(app.screen, OptionsScreen)
        assert app.options.tls.verify is False


@pilot_test
async def test_a_field_reached_with_tab_has_its_text_selected_so_typing_replaces_it() -> None:
    app = make_app(lab=LAB)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        idle = app.screen.query_one("#opt-idle", Input)
        assert idle.value == "2"
        for _ in range(20):
            if app.focused is idle:
                break
            await pilot.press("tab")
        assert app.focused is idle
        await pilot.press(*"15")
        assert idle.value == "15"
        await pilot.press("shift+tab", "tab", "7")  # back into it: selected again
        assert idle.value == "7"
