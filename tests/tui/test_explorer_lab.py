"""The app against the real lab on loopback: what a user sees after each action."""

from __future__ import annotations

from textual.widgets import Input, Select, TextArea

from sockscope.core.model import StopReason, Transport
from sockscope.tui.app import SockscopeApp
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.launch import in_process_lab
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.request_editor import RequestEditor
from sockscope.tui.widgets.status import State, StatusLine
from sockscope.tui.widgets.target_bar import TargetBar
from tests.tui.helpers import make_app, pilot_test, view_text

SIZE = (120, 36)


def _status(app: SockscopeApp) -> State:
    return app.query_one(StatusLine).state


@pilot_test
async def test_first_send_shows_the_http_status_in_the_headers_pane(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        assert app.query_one("#port", Input).value == str(lab.port("http", Transport.TCP))
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        await pilot.pause()
        assert _status(app) is State.DONE
        assert view_text(app, "headers-view").startswith("HTTP/1.1 200")
        assert "b'HTTP/1.1 200" in view_text(app, "received-view")
        assert "GET / HTTP/1.1" in view_text(app, "sent-view")


@pilot_test
async def test_enter_in_the_host_field_sends(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#host", Input).focus()
        await pilot.press("enter")
        await app.wait_for_conversation()
        assert _status(app) is State.DONE


@pilot_test
async def test_escape_cancels_the_trickle_and_keeps_what_arrived(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.open_lab_service("trickle", "banner")
        await pilot.pause()
        assert app.query_one("#port", Input).value == str(lab.port("trickle", Transport.TCP))
        await pilot.press("ctrl+s")
        # The trickle sends a line every 0.25 s: wait for the first one on screen.
        while "trickle 1 of" not in view_text(app, "received-view"):
            await pilot.pause(0.05)
        assert _status(app) is State.RECEIVING
        await pilot.press("escape")
        assert _status(app) is State.CANCELLED  # at once, before the engine returns
        await app.wait_for_conversation()
        assert _status(app) is State.CANCELLED
        exchange = app.query_one(History).exchanges[-1]
        assert exchange.stop is StopReason.CANCELLED
        assert exchange.received.startswith(b"trickle 1 of")
        assert "trickle 1 of" in view_text(app, "received-view")


@pilot_test
async def test_sending_again_cancels_the_running_exchange(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.open_lab_service("trickle", "banner")
        await pilot.pause()
        await pilot.press("ctrl+s")
        while "trickle 1 of" not in view_text(app, "received-view"):
            await pilot.pause(0.05)
        app.open_lab_service("http", "http-get")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        assert view_text(app, "headers-view").startswith("HTTP/1.1 200")
        # The first run still lands in the history, as cancelled.
        while len(app.query_one(History).exchanges) < 2:
            await pilot.pause(0.05)
        stops = {e.template: e.stop for e in app.query_one(History).exchanges}
        assert stops == {"banner": StopReason.CANCELLED, "http-get": StopReason.PEER_CLOSED}


@pilot_test
async def test_changing_the_encoding_redecodes_the_reply(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.choose_template("echo")
        await pilot.pause()
        app.query_one("#request-text", TextArea).load_text("caf\\xe9\\r\n")
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        assert "caf\\xe9" in view_text(app, "decoded-view")  # not UTF-8: a byte token
        app.query_one("#encoding", Select).value = "latin-1"
        await pilot.pause()
        assert "café" in view_text(app, "decoded-view")


@pilot_test
async def test_choosing_a_template_fills_port_transport_and_request(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        bar = app.query_one(TargetBar)
        editor = app.query_one(RequestEditor)
        app.choose_template("qotd-udp")
        await pilot.pause()
        assert bar.transport is Transport.UDP
        assert bar.port_text == str(lab.port("qotd", Transport.UDP))
        assert editor.request_bytes() == b"\r\n"
        app.choose_template("smtp")
        await pilot.pause()
        assert bar.transport is Transport.TCP
        assert bar.port_text == str(lab.port("smtp", Transport.TCP))
        assert editor.request_bytes().startswith(b"EHLO ")
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        assert view_text(app, "headers-view").startswith("220")


@pilot_test
async def test_history_recalls_an_earlier_exchange(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        app.choose_template("daytime")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        assert not view_text(app, "headers-view").startswith("HTTP/1.1")
        history = app.query_one(History)
        assert len(history.exchanges) == 2
        history.focus()
        history.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert view_text(app, "headers-view").startswith("HTTP/1.1 200")
        assert "GET / HTTP/1.1" in view_text(app, "sent-view")


@pilot_test
async def test_an_invalid_port_is_named_and_keeps_what_was_typed(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        port = app.query_one("#port", Input)
        port.focus()
        port.value = ""
        await pilot.press(*"70000")
        message = str(app.query_one("#target-message").render())
        assert "70000 is outside 1-65535" in message
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert port.value == "70000"
        assert _status(app) is State.READY
        assert not app.query_one(History).exchanges


@pilot_test
async def test_bad_hex_names_the_column_and_keeps_the_text(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")  # to hex
        editor = app.query_one(RequestEditor)
        assert editor.is_hex
        area = app.query_one("#request-text", TextArea)
        area.load_text("47 4G 54")
        await pilot.pause()
        info = str(app.query_one("#request-info").render())
        assert "column 5" in info
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+t")  # refused: the text does not parse
        await pilot.pause()
        assert editor.is_hex
        assert area.text == "47 4G 54"
        assert _status(app) is State.READY


@pilot_test
async def test_text_and_hex_convert_without_loss(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.query_one(RequestEditor)
        before = editor.request_bytes()
        await pilot.press("ctrl+t")
        assert editor.text.startswith("47 45 54 20")
        await pilot.press("ctrl+t")
        assert editor.request_bytes() == before


@pilot_test
async def test_a_bare_lf_in_a_line_protocol_is_flagged(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#request-text", TextArea).load_text("GET / HTTP/1.1\nHost: x\\r\n\\r\n")
        await pilot.pause()
        assert "line 1 ends in a bare LF" in str(app.query_one("#request-info").render())
        await pilot.press("ctrl+r")
        assert app.query_one(RequestEditor).request_bytes() == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


@pilot_test
async def test_tls_on_the_lab_uses_its_https_service_and_ca(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#transport", Select).value = Transport.TLS
        await pilot.pause()
        assert app.query_one(TargetBar).port_text == str(lab.port("http", Transport.TLS))
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        assert _status(app) is State.DONE
        headers = view_text(app, "headers-view")
        assert headers.startswith("TLS      TLSv1.")
        assert headers.splitlines()[0].endswith(" · verified")
        assert "  subject  O=sockscope lab" in headers
        assert "  names    DNS:localhost, IP:127.0.0.1" in headers
        assert "\nHTTP/1.1 200 OK\n" in headers


@pilot_test
async def test_tls_to_a_lab_that_has_just_started_is_verified_by_its_ca() -> None:
    with in_process_lab() as fresh:  # its identity is made once the app or a client asks
        app = make_app(lab=fresh)
        async with app.run_test(size=SIZE) as pilot:
            app.open_lab_service("https", "http-get")
            await pilot.press("ctrl+s")
            await app.wait_for_conversation()
            assert _status(app) is State.DONE
            assert view_text(app, "headers-view").splitlines()[0].endswith(" · verified")


@pilot_test
async def test_a_rejected_certificate_is_shown_with_the_reason(lab: LabInfo) -> None:
    app = make_app(lab=LabInfo(lab.host, lab.ports))  # without the lab's CA
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#transport", Select).value = Transport.TLS
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        assert _status(app) is State.FAILED
        headers = view_text(app, "headers-view")
        assert headers.startswith("✗ rejected certificate verify failed")
        assert "connect anyway without verifying" in headers
        assert "  issuer   O=sockscope lab" in headers


@pilot_test
async def test_a_unix_path_longer_than_107_bytes_is_refused_in_place(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#transport", Select).value = Transport.UNIX
        await pilot.pause()
        host = app.query_one("#host", Input)
        host.value = "/tmp/" + "s" * 120
        await pilot.pause()
        message = str(app.query_one("#target-message").render())
        assert "Unix socket paths are limited to 107" in message
        assert app.query_one("#port", Input).disabled
        assert host.value == "/tmp/" + "s" * 120


@pilot_test
async def test_at_80x24_a_send_and_a_find_bring_the_received_view_forward(lab: LabInfo) -> None:
    from textual.widgets import Tabs

    app = make_app(lab=lab)
    async with app.run_test(size=(80, 24)) as pilot:
        tabs = app.query_one("#view-tabs", Tabs)
        assert tabs.active == "tab-sent"
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        await pilot.pause()
        assert tabs.active == "tab-received" and app.query_one("#received").display
        tabs.active = "tab-headers"  # a view of the reply the user chose stays
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        assert tabs.active == "tab-headers"
        tabs.active = "tab-history-pane"
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert tabs.active == "tab-received" and app.query_one("#received").display


@pilot_test
async def test_the_palettes_lab_https_sends_over_tls_verified_by_the_labs_ca(
    lab: LabInfo,
) -> None:
    from sockscope.tui.commands import SockscopeCommands

    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        offered = {hit.text: hit async for hit in SockscopeCommands(app.screen).discover()}
        offered["Lab: https"].command()
        await pilot.pause()
        assert app.query_one("#transport", Select).value is Transport.TLS
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        exchange = app.query_one(History).exchanges[-1]
        assert exchange.target.transport is Transport.TLS
        assert view_text(app, "headers-view").splitlines()[0].startswith("TLS")
        assert "verified" in view_text(app, "headers-view")
