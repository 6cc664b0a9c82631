"""What the user types stays: every key lands in the field it was typed into, however
fast it comes and whatever streams meanwhile, and no template or transport change
overwrites a field the user typed."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input, Select

from sockscope.core.model import Transport
from sockscope.tui.app import SockscopeApp
from sockscope.tui.lab_info import LAB_HOST, LabInfo
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.request_editor import RequestEditor
from sockscope.tui.widgets.status import StatusLine
from tests.tui.exchanges import http_exchange
from tests.tui.helpers import make_app, pilot_test, until, view_text

SIZE = (120, 36)


def type_fast(app: SockscopeApp, *keys: str) -> None:
    """Queue `keys` all at once, as a fast typist or a loaded terminal delivers them
    (pilot.press waits for the app to settle after each key; a user does not)."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def firehose(pilot: Any, app: SockscopeApp, lab: LabInfo) -> None:
    """A 1 GiB HTTP body streaming in (the capture keeps 8 MiB, the counters run on)."""
    port = lab.port("http", Transport.TCP)
    app.query_one(RequestEditor).set_bytes(
        f"GET /bytes?n=1073741824 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    )
    await pilot.press("ctrl+s")
    await until(pilot, lambda: "b'" in view_text(app, "received-view"), "the stream")


@pilot_test
async def test_keys_typed_fast_after_ctrl_f_land_in_the_host_and_are_all_sent(
    lab: LabInfo,
) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await firehose(pilot, app, lab)
        host = app.query_one("#host", Input)
        host.value = ""
        editor = app.query_one(RequestEditor)
        editor.focus()
        await pilot.pause()
        request = editor.text
        type_fast(app, "ctrl+b", *"localhost", "ctrl+s")
        await app.wait_for_conversation()  # the new send's end (the firehose is cancelled)
        await until(pilot, lambda: len(app.query_one(History).exchanges) == 2, "the new send")
        assert host.value == "localhost"
        assert editor.text == request  # nothing typed for the host went to the editor
        sent = app.query_one(History).exchanges[-1]
        assert sent.target.host == "localhost"


@pilot_test
async def test_keys_typed_fast_before_ctrl_s_are_in_the_request_sent(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        port = app.query_one("#port", Input)
        port.value = ""
        port.focus()
        await pilot.pause()
        type_fast(app, *str(lab.port("echo", Transport.TCP)), "ctrl+s")
        await until(pilot, lambda: len(app.query_one(History).exchanges) == 1, "the send")
        sent = app.query_one(History).exchanges[-1]
        assert sent.target.port == lab.port("echo", Transport.TCP)


@pilot_test
async def test_a_port_typed_for_a_real_server_on_127_0_0_1_stays(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        host, port = app.query_one("#host", Input), app.query_one("#port", Input)
        host.value = port.value = ""
        host.focus()
        await pilot.press(*"127.0.0.1", "tab", *"8080")
        app.query_one("#transport", Select).value = Transport.TLS
        await pilot.pause()
        assert port.value == "8080"
        app.query_one("#template", Select).value = "smtp"
        await pilot.pause()
        assert port.value == "8080"
        assert host.value == "127.0.0.1"
        assert app.query_one(RequestEditor).request_bytes().startswith(b"EHLO ")


@pilot_test
async def test_on_the_lab_label_templates_and_transports_pick_the_lab_ports(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        host, port = app.query_one("#host", Input), app.query_one("#port", Input)
        assert host.value == LAB_HOST
        assert f"{LAB_HOST} = {lab.host}: http " in str(app.query_one("#target-message").render())
        app.query_one("#transport", Select).value = Transport.TLS
        await pilot.pause()
        assert port.value == str(lab.port("http", Transport.TLS))
        app.query_one("#template", Select).value = "smtp"
        await pilot.pause()
        assert port.value == str(lab.port("smtp", Transport.TCP))
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        sent = app.query_one(History).exchanges[-1]
        assert (sent.target.host, sent.target.port) == (lab.host, lab.port("smtp", Transport.TCP))


@pilot_test
async def test_ctrl_s_with_an_invalid_port_says_why_on_the_status_line(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#port", Input).value = "70000"
        await pilot.press("ctrl+s")
        status = str(app.query_one(StatusLine).render())
        assert "not sent: port" in status and "65535" in status
        assert len(app.query_one(History).exchanges) == 0


@pilot_test
async def test_a_refusal_and_the_shown_exchanges_sentence_are_kept_apart() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#port", Input).value = "70000"
        await pilot.press("ctrl+s")
        status = str(app.query_one(StatusLine).render())
        assert "65535 · server finished sending (EOF) after 193 bytes" in status


@pilot_test
async def test_keys_typed_fast_after_tab_land_in_the_next_field(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        host, port = app.query_one("#host", Input), app.query_one("#port", Input)
        port.value = ""
        host.focus()
        await pilot.pause()
        type_fast(app, "tab", *"8080")
        await until(pilot, lambda: port.value == "8080", "the port typed")
        assert host.value == LAB_HOST


@pilot_test
async def test_ctrl_b_then_typing_replaces_the_host_and_tab_then_typing_the_port() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        host, port = app.query_one("#host", Input), app.query_one("#port", Input)
        assert host.value and port.value
        app.query_one(RequestEditor).focus()
        await pilot.pause()
        type_fast(app, "ctrl+b", *"localhost", "tab", *"9999")
        await until(pilot, lambda: port.value == "9999", "the port typed")
        assert host.value == "localhost"


@pilot_test
async def test_ctrl_b_in_the_host_field_selects_it_so_typing_replaces_it() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        host = app.query_one("#host", Input)
        host.focus()
        await pilot.pause()
        type_fast(app, *"typo", "ctrl+b", *"localhost")
        await until(pilot, lambda: host.value == "localhost", "the host typed over")
