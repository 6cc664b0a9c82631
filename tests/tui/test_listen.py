"""Listen mode against real clients on loopback: the app listens on a port the OS picks,
clients connect with the standard library, and each one shows up as its own entry."""

from __future__ import annotations

import asyncio
import socket
import ssl
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from sockscope.core.model import Transport
from sockscope.core.templates import builtin_templates
from sockscope.engine.listener import ListenConfig
from sockscope.engine.serving import ListenAddress
from sockscope.export.transcript import load_transcript
from sockscope.tui.app import SockscopeApp
from sockscope.tui.commands import ListenCommands
from sockscope.tui.screens.listen import ListenScreen
from sockscope.tui.screens.path import PathScreen
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.listen_bar import ListenForm
from tests.tui.exchanges import DISPLAY_ATTACKS
from tests.tui.helpers import make_app, pilot_test, view_text
from tests.tui.test_display_attacks import _assert_safe_segments, _assert_screen_is_safe

SIZE = (140, 40)
WAIT = 10.0  # a client's socket timeout: only ever reached when something is broken


def screen_text(screen: ListenScreen, view_id: str) -> str:
    """Every row of one of the screen's line views, as plain text."""
    lines = screen.query_one(f"#{view_id}", LineView).lines
    return "\n".join(lines.line(y).plain for y in range(len(lines)))


def message(screen: ListenScreen) -> str:
    return str(screen.query_one("#listen-message").render())


def client_labels(screen: ListenScreen) -> list[str]:
    clients = screen.query_one("#clients")
    return [str(clients.get_option_at_index(i).prompt) for i in range(len(screen.clients))]


async def until(screen: ListenScreen, predicate: Callable[[], bool]) -> None:
    """Wait for redraws until `predicate` holds (the listener's thread feeds them)."""
    while not predicate():
        await screen.changed()


async def open_listen(pilot: Pilot[Any], form: ListenForm) -> ListenScreen:
    """The Listen screen started with `form`, once it listens."""
    screen = ListenScreen(form, start=True, cursor_blink=False)
    await pilot.app.push_screen(screen)
    await until(screen, lambda: screen.listening or "could not" in message(screen))
    assert screen.address is not None, message(screen)
    return screen


def connect(screen: ListenScreen) -> socket.socket:
    assert screen.address is not None
    return socket.create_connection(("127.0.0.1", screen.address.port), timeout=WAIT)


def recv_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pilot_test
async def test_an_http_get_shows_its_request_line_and_gets_the_http_ok_page() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm(reply="http-ok"))
        assert screen.address is not None
        port = screen.address.port
        assert port and f"listening on 127.0.0.1:{port} (tcp)" in message(screen)
        assert "0 of 100 clients · 1.0 MiB kept per client" in message(screen)

        def get() -> tuple[int, bytes]:
            url = f"http://127.0.0.1:{port}/hello?x=1"
            with urllib.request.urlopen(url, timeout=WAIT) as response:
                return response.status, response.read()

        status, body = await asyncio.to_thread(get)
        assert status == 200
        assert b"sockscope listen received GET /hello?x=1 HTTP/1.1" in body
        await until(screen, lambda: "peer-closed" in "".join(client_labels(screen)))
        request = screen_text(screen, "client-request-view")
        assert "GET /hello?x=1 HTTP/1.1" in request
        assert f"Host: 127.0.0.1:{port}" in request
        assert "GET /hello?x=1 HTTP/1.1" in screen_text(screen, "client-bytes-view")
        assert "HTTP/1.1 200 OK" in screen_text(screen, "client-sent-view")
        assert "#1 127.0.0.1:" in client_labels(screen)[0]
    assert app.return_code in (None, 0)


@pilot_test
async def test_a_fixed_reply_reaches_the_client_byte_for_byte() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = ListenForm(
            reply="fixed", reply_text="HTTP/1.0 204 No Content\\r\\nX: \\x00\\xff\\r\\n"
        )
        screen = await open_listen(pilot, form)
        assert "reply: fixed reply of 32 bytes" in message(screen)

        def exchange() -> bytes:
            with connect(screen) as client:
                client.sendall(b"anything\n")
                return recv_all(client)

        assert await asyncio.to_thread(exchange) == (b"HTTP/1.0 204 No Content\r\nX: \x00\xff\r\n")
        await until(screen, lambda: "peer-closed" in "".join(client_labels(screen)))
        assert "\\x00\\xff" in screen_text(screen, "client-sent-view")


@pilot_test
async def test_y_copies_a_client_s_bytes_the_selection_first_then_the_whole_pane() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = ListenForm(reply="fixed", reply_text="ok\\r\\n")
        screen = await open_listen(pilot, form)

        def exchange() -> bytes:
            with connect(screen) as client:
                client.sendall(b"first line\r\nsecond \x1b[31mline\r\n")
                return recv_all(client)

        await asyncio.to_thread(exchange)
        await until(screen, lambda: "peer-closed" in "".join(client_labels(screen)))
        view = screen.query_one("#client-bytes-view", LineView)
        view.focus()
        await pilot.press("y")  # no selection: the whole pane, escaped
        assert app.clipboard == "first line\\r\nsecond \\x1b[31mline\\r\n"
        await pilot.click(view, offset=(3, 2))  # the repr's second line
        await pilot.press("v", "y")  # that row selected, and copied
        assert app.clipboard == "second \\x1b[31mline\\r\n"


@pilot_test
async def test_a_reply_typed_by_hand_reaches_the_client_turn_by_turn() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm(reply="hand"))
        client = await asyncio.to_thread(connect, screen)
        with client:
            client.sendall(b"HELO me\r\n")
            await until(screen, lambda: "↓ 9 bytes" in "".join(client_labels(screen)))
            assert "HELO" in screen_text(screen, "client-request-view")
            await pilot.click("#reply TextArea")
            await pilot.press(*"250", "space", "o", "k", "backslash", "r", "enter")
            await pilot.press("ctrl+s")
            assert await asyncio.to_thread(client.recv, 100) == b"250 ok\r\n"
            await until(screen, lambda: "↑ 8 bytes" in "".join(client_labels(screen)))
            assert "250 ok" in screen_text(screen, "client-sent-view")
            # The second turn over the same connection, then Close ends our side.
            client.sendall(b"QUIT\r\n")
            await until(screen, lambda: "↓ 15 bytes" in "".join(client_labels(screen)))
            assert screen.query_one("#reply TextArea").text == ""
            await pilot.press(*"221", "space", "b", "y", "e")
            await pilot.press("ctrl+s", "f8")
            assert await asyncio.to_thread(recv_all, client) == b"221 bye"
        await until(screen, lambda: "peer-closed" in "".join(client_labels(screen)))
        assert "QUIT" in screen_text(screen, "client-request-view")


@pilot_test
async def test_two_clients_are_two_entries_each_with_its_own_bytes() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm())
        first, second = await asyncio.to_thread(lambda: (connect(screen), connect(screen)))
        with first, second:
            first.sendall(b"from the first\n")
            second.sendall(b"from the second\n")
            await until(screen, lambda: len(screen.clients) == 2)
            await until(
                screen,
                lambda: all("↓ 1" in label for label in client_labels(screen)),
            )
            labels = client_labels(screen)
            assert labels[0].startswith("#1 127.0.0.1:") and labels[1].startswith("#2 127.0.0.1:")
            assert "2 of 100 clients" in message(screen)
            assert "from the first" in screen_text(screen, "client-bytes-view")
            screen.query_one("#clients").focus()
            await pilot.press("down")
            assert "from the second" in screen_text(screen, "client-bytes-view")
        await until(screen, lambda: "0 of 100 clients" in message(screen))


@pilot_test
async def test_the_client_limit_is_shown_and_a_client_past_it_waits_for_a_slot() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm(max_clients="1", capture_limit="4"))
        assert "0 of 1 clients · 4 bytes kept per client" in message(screen)
        with await asyncio.to_thread(connect, screen) as kept:
            kept.sendall(b"0123456789")
            await until(screen, lambda: "1 of 1 clients" in message(screen))
            await until(
                screen, lambda: "kept 4 bytes of 10 bytes" in "".join(client_labels(screen))
            )
            with await asyncio.to_thread(connect, screen):
                await until(screen, lambda: "max-clients limit of 1 is reached" in message(screen))
                assert len(screen.clients) == 1
                kept.close()
                await until(screen, lambda: len(screen.clients) == 2)
        await until(screen, lambda: "0 of 1 clients" in message(screen))


@pilot_test
async def test_tls_listening_shows_the_ca_file_and_the_client_sni_and_alpn() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm(transport=Transport.TLS, reply="http-ok"))
        assert screen.address is not None and screen.address.ca_file is not None
        ca_file, port = screen.address.ca_file, screen.address.port
        assert f"CA {ca_file}" in message(screen)

        def get() -> bytes:
            context = ssl.create_default_context(cafile=ca_file)
            context.set_alpn_protocols(["http/1.1"])
            raw = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            with context.wrap_socket(raw, server_hostname="localhost") as client:
                client.sendall(b"GET /secret HTTP/1.1\r\nHost: localhost\r\n\r\n")
                return recv_all(client)

        reply = await asyncio.to_thread(get)
        assert reply.startswith(b"HTTP/1.1 200 OK")
        await until(
            screen, lambda: "SNI localhost · ALPN http/1.1" in "".join(client_labels(screen))
        )
        request = screen_text(screen, "client-request-view")
        assert "SNI localhost" in request and "GET /secret HTTP/1.1" in request


@pilot_test
async def test_escape_sequences_and_markup_from_a_client_are_shown_as_text() -> None:
    app = make_app()
    attack = b" ".join(DISPLAY_ATTACKS.values())
    async with app.run_test(size=(200, 60)) as pilot:
        screen = await open_listen(pilot, ListenForm())

        def send() -> None:
            with connect(screen) as client:
                client.sendall(b"GET /x HTTP/1.1\r\nX-Attack: " + attack + b"\r\n")
                client.sendall(b"X-" + attack + b": v\r\n\r\n" + attack)

        await asyncio.to_thread(send)
        await until(screen, lambda: "peer-closed" in "".join(client_labels(screen)))
        request = screen_text(screen, "client-request-view")
        assert "[@click=app.quit]x[/]" in request and "␛]52;c;cHduZWQ=␛\\" in request
        for encoding in ("utf-8", "latin-1"):
            screen.query_one("#client-decoded #encoding", Select).value = encoding
            await pilot.pause()
            for y, strip in enumerate(screen._compositor.render_strips()):
                _assert_safe_segments(list(strip), f"screen row {y}")
            for view in screen.query(LineView):
                for y in range(len(view.lines)):
                    _assert_safe_segments(view.lines.line(y).render_segments(), f"{view.id} {y}")
        # Leaving: the client joins the history and is shown in the explorer's panes.
        await pilot.press("escape")
        await pilot.pause()
        history = app.query_one(History)
        history.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "[@click=app.quit]x[/]" in view_text(app, "decoded-view")
        _assert_screen_is_safe(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        _assert_screen_is_safe(app)
        assert app.title == "sockscope" and app.is_running


@pilot_test
async def test_bad_fields_are_named_in_place_and_nothing_listens() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = ListenScreen(cursor_blink=False)
        await app.push_screen(screen)
        await pilot.pause()
        checks = [
            ("#listen-port", "70000", "port: 70000 is outside 1-65535; or 0 to let the OS pick"),
            ("#listen-host", "", "address: is empty"),
            ("#listen-max", "0", "max clients: '0' is not a whole number from 1"),
            ("#listen-keep", "lots", "keep per client: 'lots' is not a size"),
        ]
        for selector, value, expected in checks:
            field = screen.query_one(selector, Input)
            before = field.value
            field.value = value
            await pilot.pause()
            assert expected in message(screen)
            await pilot.press("ctrl+l")
            await pilot.pause()
            assert not screen.listening and screen.server is None
            field.value = before
            await pilot.pause()
        screen.query_one("#listen-reply", Select).value = "fixed"
        await pilot.pause()
        screen.query_one("#listen-reply-text", Input).value = "ok\\q"
        await pilot.pause()
        assert 'reply: column 3: unknown escape "\\q"' in message(screen)
        screen.query_one("#listen-reply", Select).value = "http-ok"
        screen.query_one("#listen-transport", Select).value = Transport.UDP
        await pilot.pause()
        assert "reply: http-ok needs a stream" in message(screen)


@pilot_test
async def test_stop_ends_open_clients_and_leaving_releases_the_port() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm())
        assert screen.address is not None
        port = screen.address.port
        with await asyncio.to_thread(connect, screen) as client:
            client.sendall(b"still here")
            await until(screen, lambda: "1 of 100 clients" in message(screen))
            await pilot.press("ctrl+l")
            await until(screen, lambda: "cancelled" in "".join(client_labels(screen)))
            assert "not listening" in message(screen)
            assert await asyncio.to_thread(recv_all, client) == b""
        await pilot.press("ctrl+l")
        await until(screen, lambda: screen.listening)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=WAIT)


@pilot_test
async def test_udp_echo_answers_each_datagram_and_the_client_is_one_entry() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm(transport=Transport.UDP, reply="echo"))
        assert screen.address is not None
        port = screen.address.port

        def exchange() -> list[bytes]:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
                client.settimeout(WAIT)
                replies = []
                for datagram in (b"one", b"two\x1b[2J"):
                    client.sendto(datagram, ("127.0.0.1", port))
                    replies.append(client.recv(100))
                return replies

        assert await asyncio.to_thread(exchange) == [b"one", b"two\x1b[2J"]
        await until(screen, lambda: "↓ 10 bytes ↑ 10 bytes" in "".join(client_labels(screen)))
        assert len(screen.clients) == 1 and "(udp)" in message(screen)
        assert "two\\x1b[2J" in screen_text(screen, "client-bytes-view")


@pilot_test
async def test_quitting_while_listening_releases_the_port() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm())
        assert screen.address is not None
        port = screen.address.port
        await pilot.press("ctrl+q")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=WAIT)


def _history(app: Any) -> History:
    return app.query_one(History)


@pilot_test
async def test_a_finished_client_is_saved_with_f3_and_joins_the_history_on_leaving(
    tmp_path: Path,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm(reply="echo"))
        client = await asyncio.to_thread(connect, screen)
        with client:
            client.sendall(b"first line\n")
            await until(screen, lambda: "↓ 11 bytes" in "".join(client_labels(screen)))
            await pilot.press("f3")  # still open: refused, and why
            await pilot.pause()
            assert app.screen is screen
            assert "client #1 is still open: close it (f8) or let it end" in message(screen)
            assert await asyncio.to_thread(client.recv, 100) == b"first line\n"
        await until(screen, lambda: "peer-closed" in "".join(client_labels(screen)))
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
        path_input = app.screen.query_one("#path-input", Input)
        assert path_input.value == "client-1.json"
        path_input.value = str(tmp_path / "client.json")
        await pilot.press("enter")
        await pilot.pause()
        saved = load_transcript(tmp_path / "client.json")
        assert saved.received == b"first line\n" and saved.request == b"first line\n"
        await pilot.press("escape")  # leave: the client joins the history
        await pilot.pause()
        assert app.screen is not screen
        history = _history(app)
        assert [e.received for e in history.exchanges] == [b"first line\n"]
        label = str(history.get_option_at_index(0).prompt)
        assert label.startswith("#1 client 127.0.0.1:") and "peer-closed" in label
        # Shown like any exchange; a replay has no server to go to, and says so.
        history.focus()
        await pilot.press("enter", "f5")
        await pilot.pause()
        assert "first line" in view_text(app, "decoded-view")
        assert len(history.exchanges) == 1
        notes = [str(note.message) for note in app._notifications]
        assert "a Listen client's conversation has no server to replay it to" in notes


@pilot_test
async def test_an_address_other_machines_can_reach_is_warned_before_and_while_listening() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = ListenScreen(cursor_blink=False)
        await app.push_screen(screen)
        await pilot.pause()
        assert "not loopback" not in message(screen)
        # Typed, not started: the tests listen on loopback only.
        screen.query_one("#listen-host", Input).value = "0.0.0.0"
        await pilot.pause()
        assert "not loopback  other machines can connect to 0.0.0.0" in message(screen)
        assert "not listening" in message(screen)
        screen.query_one("#listen-host", Input).value = "localhost"
        await pilot.pause()
        assert "not loopback" not in message(screen)
        # As the status shows a running listener on every address.
        address = ListenAddress("0.0.0.0", 8080, Transport.TCP, None)
        screen.listening_on(address, ListenConfig("0.0.0.0", 8080), "none (watching)", None)
        await pilot.pause()
        assert message(screen).startswith(" not loopback  other machines can connect to 0.0.0.0")
        assert "listening on 0.0.0.0:8080" in message(screen)


@pilot_test
async def test_at_80x24_the_client_list_and_each_view_are_tabs() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_listen(pilot, ListenForm())
        with await asyncio.to_thread(connect, screen) as client:
            client.sendall(b"hello from 80 columns\n")
            await until(screen, lambda: "↓ 22 bytes" in "".join(client_labels(screen)))
            await pilot.pause()  # the footer's bindings follow the redraw
            assert screen.query_one("#clients-pane").display
            assert not screen.query_one("#listen-views").display
            rows = [strip.text for strip in screen._compositor.render_strips()]
            assert all(len(row.rstrip()) <= 80 for row in rows)
            assert "Clients  Received  Decoded  Request  Sent  Timeline" in "\n".join(rows)
            footer = rows[-1]
            for key in ("Start/Stop", "Close", "Save", "Leave", "Quit", "Help"):
                assert key in footer, footer
            screen.query_one("#clients").focus()
            await pilot.press("enter")  # the selected client's bytes, in the Received tab
            await pilot.pause()
            assert not screen.query_one("#clients-pane").display
            assert screen.query_one("#client-bytes").display
            assert not screen.query_one("#client-request").display
            rows = [strip.text for strip in screen._compositor.render_strips()]
            assert any("hello from 80 columns" in row for row in rows)
            await pilot.press("tab")  # Textual's own keys still work on this screen
            assert app.focused is not screen.query_one("#clients")


@pilot_test
async def test_listen_palette_commands_say_why_when_the_screen_refuses_them() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm())
        await pilot.press("ctrl+p")
        offered = {hit.text: str(hit.help) async for hit in ListenCommands(screen, None).discover()}
        assert offered["Listen: Save client"] == "no client is selected"
        assert offered["Listen: Reply"].startswith("replies are typed by hand only")
        assert "Listen: Export client: pcap" in offered
        await pilot.press(*"Listen: Save client", "enter")
        await pilot.pause()
        assert app.screen is screen and "no client is selected" in message(screen)


@pilot_test
async def test_the_line_names_port_0_only_while_the_port_field_holds_it() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+g")
        screen = app.screen
        assert isinstance(screen, ListenScreen)
        assert "port 0: the OS picks" in message(screen)
        screen.query_one("#listen-port", Input).value = "8080"
        await pilot.pause()
        assert "not listening · ctrl+l starts" in message(screen)
        assert "port 0" not in message(screen)


@pilot_test
async def test_leaving_listen_app_opens_an_explorer_waiting_for_a_target_not_in_error() -> None:
    app = SockscopeApp(listen=ListenForm(), templates=builtin_templates(), cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ListenScreen)
        await until(screen, lambda: screen.listening)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ListenScreen)
        assert str(app.query_one("#target-message").render()) == ""
        assert not app.query_one("#host").has_class("-invalid")
        await pilot.press("ctrl+s")  # sending names what is missing
        assert "not sent: host" in str(app.query_one("#status").render())


@pilot_test
async def test_at_80x24_the_hints_of_the_limits_and_tls_fields_read_in_full() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = ListenScreen(ListenForm(host="", port="", max_clients="", capture_limit=""))
        await app.push_screen(screen)
        await pilot.pause()
        cut = [
            (field.id, field.placeholder, field.content_region.width)
            for field in screen.query("#listen-limits Input").results(Input)
            if len(field.placeholder) >= field.content_region.width  # and the cursor's cell
        ]
        assert not cut
