"""Every feature on an exchange the app recorded into its receive buffer (the one copy of
its bytes the engine fills and the views read): cut at the capture limit, saved and
reopened, exported, searched, copied, decoded, shown in hex."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from sockscope.core.model import Exchange, Overflow, StopReason, Transport
from sockscope.core.payload import parse_text
from sockscope.export import FORMATS, SUFFIX
from sockscope.export.transcript import load_transcript
from sockscope.tui.app import SockscopeApp
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.screens.path import PathScreen
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.panes import ReceivedPane
from tests.tui.helpers import make_app, pilot_test, until, view_text

SIZE = (120, 36)
LIMIT = 64 * 1024
BODY = 300_000


def _get(lab: LabInfo, path: str) -> str:
    """The request for `path` of the lab's HTTP service, in payload syntax."""
    port = lab.port("http", Transport.TCP)
    return f"GET {path} HTTP/1.1\\r\nHost: 127.0.0.1:{port}\\r\nConnection: close\\r\n\\r\n"


async def _send_bytes(app: SockscopeApp, pilot, lab: LabInfo, n: int) -> Exchange:  # type: ignore[no-untyped-def]
    app.query_one("#request-text").load_text(_get(lab, f"/bytes?n={n}"))  # type: ignore[attr-defined]
    await pilot.press("ctrl+s")
    await app.wait_for_conversation()
    await pilot.pause()
    exchange = app.query_one(History).exchanges[-1]
    assert exchange.buffer is not None  # what these tests are about
    return exchange


async def _options(app: SockscopeApp, pilot, limit: str, capture: str = "") -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+o")
    app.screen.query_one("#opt-capture-limit", Input).value = limit
    app.screen.query_one("#opt-capture-file", Input).value = capture
    await pilot.press("ctrl+o")


async def _write_to(app: SockscopeApp, pilot, path: Path) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(app.screen, PathScreen)
    app.screen.query_one("#path-input", Input).value = str(path)
    await pilot.press("enter")
    await pilot.pause()


@pytest.mark.parametrize("capture", ["", "/dev/null", "file"])
@pilot_test
async def test_a_capture_cut_at_the_limit_saves_and_reopens_byte_for_byte(
    lab: LabInfo, tmp_path: Path, capture: str
) -> None:
    capture_file = str(tmp_path / "capture.bin") if capture == "file" else capture
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await _options(app, pilot, "64k", capture_file)
        exchange = await _send_bytes(app, pilot, lab, BODY)
        counted = bool(capture)  # a capture file counts the rest, else the read stops
        assert exchange.policy.overflow is (Overflow.COUNT if counted else Overflow.STOP)
        assert exchange.stop is (StopReason.PEER_CLOSED if counted else StopReason.CAPTURE_LIMIT)
        assert exchange.kept == LIMIT and exchange.truncated
        assert (exchange.bytes_in > BODY) is counted
        badge = str(app.query_one(ReceivedPane).border_subtitle)
        assert "64.0 KiB" in badge
        await pilot.press("f3")
        await _write_to(app, pilot, tmp_path / "saved.json")
    if capture == "file":
        data = Path(capture_file).read_bytes()
        assert len(data) == exchange.bytes_in and data.startswith(exchange.received)
    saved = load_transcript(tmp_path / "saved.json")
    assert saved.received == exchange.received
    assert saved.to_dict() == exchange.to_dict()
    reopened = make_app(saved)
    async with reopened.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert reopened.explorer.current is saved
        assert view_text(reopened, "headers-view").startswith("HTTP/1.1 200")
        assert str(reopened.query_one(ReceivedPane).border_subtitle) == badge


@pilot_test
async def test_every_export_format_writes_a_buffer_backed_exchange(
    lab: LabInfo, tmp_path: Path
) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await _send_bytes(app, pilot, lab, 5000)
        for fmt in FORMATS:
            app.action_export(fmt)
            await pilot.pause()
            await _write_to(app, pilot, tmp_path / f"out{SUFFIX[fmt]}")
            assert not isinstance(app.screen, PathScreen), fmt  # written, nothing refused
        for fmt in ("curl", "ncat", "python"):
            app.run_command("copy_export", fmt)
            assert app.clipboard, fmt
    written = {path.suffix for path in tmp_path.iterdir()}
    assert written == {SUFFIX[fmt] for fmt in FORMATS}
    transcript = json.loads((tmp_path / f"out{SUFFIX['json']}").read_text())
    assert base64.b64decode(transcript["received_b64"]) == exchange.received
    assert exchange.received[-5000:] in (tmp_path / f"out{SUFFIX['pcap']}").read_bytes()


@pilot_test
async def test_find_select_and_copy_read_the_buffer_live_and_finished(
    lab: LabInfo, tmp_path: Path
) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await _send_bytes(app, pilot, lab, 3000)
        received = exchange.received
        app.query_one("#received-view").focus()
        app.run_command("copy", "base64")
        assert base64.b64decode(app.clipboard) == received
        app.run_command("copy_to_file", "hex")
        await pilot.pause()
        await _write_to(app, pilot, tmp_path / "copied.hex")
        await until(pilot, lambda: (tmp_path / "copied.hex").stat().st_size > 0, "the copy")
        assert bytes.fromhex((tmp_path / "copied.hex").read_text()) == received
        await pilot.press("ctrl+f", *"Content-Length", "enter")
        await pilot.pause()
        app.query_one("#received-view").focus()
        await pilot.press("y")
        assert app.clipboard == "Content-Length"
        await pilot.press("escape")
        app.query_one("#received-view").focus()
        await pilot.press("v", "down", "y")
        copied = parse_text(app.clipboard)
        assert copied and received.startswith(copied)


@pilot_test
async def test_decoded_and_hex_show_the_buffer_in_every_encoding(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await _send_bytes(app, pilot, lab, 3000)
        app.query_one("#received-view").focus()
        await pilot.press("x")
        await pilot.pause()
        assert str(app.query_one(ReceivedPane).border_subtitle).endswith(" · hex")
        assert view_text(app, "received-view").startswith("00000000  48 54  54 50  |HTTP|")
        select = app.query_one("#encoding", Select)
        for encoding in ("utf-8", "latin-1", "cp1252", "utf-16", "ascii"):
            select.value = encoding
            await pilot.pause()
            assert view_text(app, "decoded-view"), encoding
        app.query_one("#decoded-view").focus()
        await pilot.press("p")
        await pilot.pause()
        assert exchange.received.startswith(b"HTTP/1.1 200")


@pilot_test
async def test_find_and_copy_read_a_capture_while_it_streams_in(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#request-text").load_text(_get(lab, "/slow"))  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "slow line 2 " in view_text(app, "decoded-view"), "2 lines")
        assert app._live is not None and app._live.buffer is not None
        app.query_one("#received-view").focus()
        await pilot.press("y")
        shown = parse_text(app.clipboard)
        assert shown.startswith(b"HTTP/1.1 200") and b"slow line 2 " in shown
        await pilot.press("ctrl+f", *"slow line 2 ", "enter")
        await pilot.pause()
        app.query_one("#received-view").focus()
        await pilot.press("y")
        assert app.clipboard == "slow line 2 "
        await app.wait_for_conversation()
        await pilot.pause()
        exchange = app.query_one(History).exchanges[-1]
        assert exchange.received.startswith(shown)
        assert exchange.received.endswith(b"slow line 20 of 20\n")
        assert "slow line 20 of 20" in view_text(app, "decoded-view")


@pilot_test
async def test_exchanges_past_the_history_budget_come_back_from_disk_as_they_were_shown(
    lab: LabInfo,
) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.explorer.kept.budget = 256 * 1024  # as 64 MiB would be: older ones go to disk
        sent, badges = [], []
        for n in (200_000, 200_001, 200_002):
            sent.append(await _send_bytes(app, pilot, lab, n))
            badges.append(str(app.query_one(ReceivedPane).border_subtitle))
        assert app.explorer.kept.held < sum(exchange.kept for exchange in sent)
        history = app.query_one(History)
        for index, exchange in enumerate(sent):
            history.focus()
            history.highlighted = index
            await pilot.press("enter")
            await pilot.pause()
            back = app.explorer.current
            assert back is not None and back.received == exchange.received
            assert str(app.query_one(ReceivedPane).border_subtitle) == badges[index]
            headers = view_text(app, "headers-view")
            assert f"Content-Length: {200_000 + index}" in headers
