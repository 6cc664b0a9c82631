"""Keyboard reach and the rules keys and the palette share: where Tab and the direct keys
lead, that escape cancels from the editor, that the help names every key, and that a
palette command the app refuses says why instead of running."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.widgets import Static, TextArea

from sockscope.core.model import StopReason
from sockscope.engine import SessionState
from sockscope.tui.app import SockscopeApp
from sockscope.tui.commands import SockscopeCommands
from sockscope.tui.lab_info import LAB_HOST, LabInfo
from sockscope.tui.screens.help import DESCRIPTIONS, STOP_REASONS, HelpScreen
from sockscope.tui.screens.listen import ListenScreen
from sockscope.tui.screens.options import OptionsScreen
from sockscope.tui.screens.relay import RelayScreen
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.request_editor import RequestEditor
from sockscope.tui.widgets.status import StatusLine
from tests.tui.exchanges import LAB, http_exchange, smtp_session_exchange
from tests.tui.helpers import make_app, pilot_test, until, view_text

SIZE = (120, 36)


def _notes(app: SockscopeApp) -> str:
    return "\n".join(str(note.message) for note in app._notifications)


async def _palette(pilot: Any, text: str) -> None:
    """Choose the palette command named exactly `text`."""
    await pilot.press("ctrl+p")
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*text, "enter")
    await pilot.pause()


@pilot_test
async def test_tab_from_the_start_screen_reaches_the_request_after_the_bar() -> None:
    app = make_app(lab=LAB)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        visited = []
        for _ in range(9):
            visited.append(app.focused.id if app.focused else None)
            await pilot.press("tab")
        assert visited == [
            "host",
            "port",
            "transport",
            "template",
            "send",
            "request-text",
            "sent-view",
            "received-view",
            "encoding",
        ]


@pilot_test
async def test_ctrl_e_from_the_start_screen_puts_typed_text_in_the_request() -> None:
    app = make_app(lab=LAB)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "host"
        await pilot.press("ctrl+e")
        editor = app.query_one("#request-text", TextArea)
        assert app.focused is editor
        editor.load_text("")
        await pilot.press(*"PING", "backslash", "r")
        assert editor.text == "PING\\r"
        assert app.query_one("#host").value == LAB_HOST  # type: ignore[attr-defined]
        # In the editor ctrl+e is still the end of the line.
        editor.load_text("one\ntwo")
        editor.move_cursor((0, 0))
        await pilot.press("ctrl+e")
        assert app.focused is editor and editor.cursor_location == (0, 3)


@pilot_test
async def test_ctrl_b_and_ctrl_n_go_to_the_target_and_the_history_tab() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+e", "ctrl+n")
        assert app.focused is app.query_one(History)
        assert app.query_one("#history-pane").display
        assert not app.query_one("#sent").display
        await pilot.press("ctrl+b")
        assert app.focused is app.query_one("#host")


@pilot_test
async def test_escape_in_the_request_editor_cancels_the_running_exchange(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.open_lab_service("trickle", "banner")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "trickle 1 of" in view_text(app, "received-view"), "a line")
        await pilot.press("ctrl+e", "escape")
        await app.wait_for_conversation()
        assert app.query_one(History).exchanges[-1].stop is StopReason.CANCELLED
        assert app.focused is app.query_one("#request-text")


def _every_binding() -> list[Binding]:
    screens = [*ListenScreen.BINDINGS, *RelayScreen.BINDINGS, *HelpScreen.BINDINGS]
    every = [*SockscopeApp.BINDINGS, *screens]
    assert all(isinstance(binding, Binding) for binding in every)
    return every  # type: ignore[return-value]


def test_every_binding_has_an_id_and_a_line_of_help() -> None:
    ids = [binding.id for binding in _every_binding()]
    assert None not in ids and len(set(ids)) == len(ids)
    assert set(ids) == set(DESCRIPTIONS)  # no binding without help, no help without a key
    assert set(STOP_REASONS) == set(StopReason)


@pilot_test
async def test_help_shows_every_key_grouped_and_every_stop_reason() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        texts = [str(static.render()) for static in screen.query(Static)]
        shown = "\n".join(texts)
        for group in ("Send & read", "Session", "Views", "Files", "Listen", "Relay", "App"):
            assert group in texts
        for binding in _every_binding():
            _group, text = DESCRIPTIONS[binding.id or ""]
            assert text in texts, binding.id
            assert binding.key.split(",")[0] in shown, binding.id
        for reason, text in STOP_REASONS.items():
            assert reason.value in texts and text in texts
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@pilot_test
async def test_a_palette_command_the_listen_screen_switches_off_says_why() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, ListenScreen)
        await pilot.press("ctrl+p")
        provider = SockscopeCommands(app.screen, None)
        offered = {hit.text: str(hit.help) async for hit in provider.discover()}
        assert offered["Replay"].startswith("not on the Listen screen")
        assert not any(text.startswith("Template:") for text in offered)
        await pilot.press(*"Replay", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ListenScreen)
        assert len(app.query_one(History).exchanges) == 1  # nothing was sent again
        assert "not on the Listen screen: escape leaves it" in _notes(app)


@pilot_test
async def test_listen_is_refused_with_a_reason_while_a_session_is_live(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.open_lab_service("echo", "echo")
        await pilot.pause()
        await pilot.press("f6")
        status = app.query_one(StatusLine)
        await until(pilot, lambda: status.session_state is SessionState.OPEN, "the session")
        assert app.check_action("listen", ()) is None  # greyed out, not hidden
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert not isinstance(app.screen, ListenScreen)
        assert "a session is live: close it (f8) or reset it (f9) before listening" in _notes(app)
        await _palette(pilot, "Listen…")
        assert not isinstance(app.screen, ListenScreen)
        await pilot.press("f8")
        await until(pilot, lambda: app.session is None, "the end of the session")
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, ListenScreen)


@pilot_test
async def test_ctrl_a_in_the_request_editor_selects_all_so_typing_replaces_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+e", "ctrl+a")
        await pilot.press(*"QUIT")
        await pilot.pause()
        assert app.query_one(RequestEditor).text == "QUIT"


@pilot_test
async def test_keys_do_not_act_behind_the_palette_or_a_dialog() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        status = app.query_one(StatusLine)
        shown = status.state
        await pilot.press("ctrl+p")
        await pilot.press("ctrl+s", "f6", "ctrl+n")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await pilot.press("ctrl+o")
        await pilot.press("ctrl+s", "f6")
        assert isinstance(app.screen, OptionsScreen)
        assert status.state is shown  # nothing was sent, no session opened
        assert app.session is None
        assert len(app.query_one(History).exchanges) == 1


@pilot_test
async def test_an_export_the_exchange_cannot_take_says_why_before_asking_for_a_path() -> None:
    app = make_app(smtp_session_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        provider = SockscopeCommands(app.screen, None)
        offered = {hit.text: str(hit.help) async for hit in provider.discover()}
        assert offered["Export: curl"].startswith("curl sends one request")
        assert "Export: ncat" in offered["Export: curl"]
        assert offered["Export: ncat"].startswith("write the shown exchange")
        await pilot.press(*"Export: curl", "enter")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]  # no path was asked for
        assert "curl sends one request" in _notes(app)
        assert "--format" not in _notes(app)


def _key(key: str) -> Any:
    from textual import events

    return events.Key(key, None)


def _type_at_once(app: SockscopeApp, keys: str) -> None:
    """Keys as a fast typist's arrive: queued together, before the app handles any."""
    from textual import events

    for key in keys:
        app.post_message(events.Key("enter" if key == "\r" else key, key))


@pilot_test
async def test_keys_typed_while_listen_opens_land_in_its_port_field() -> None:
    from textual import events
    from textual.widgets import Input

    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(events.Key("ctrl+g", None))
        _type_at_once(app, "9999")
        await until(pilot, lambda: app.screen.id == "listen" and app.screen.focused, "Listen")
        port = app.screen.query_one("#listen-port", Input)
        await until(pilot, lambda: port.value == "9999", "the keys in the port field")
        assert app.screen.focused is port
        # Nothing reached the explorer behind it.
        assert app.screen_stack[0].query_one("#host", Input).value == "127.0.0.1"


@pilot_test
async def test_keys_typed_while_relay_opens_land_in_its_target_field() -> None:
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.action_relay()
        _type_at_once(app, "127.0.0.1:9")
        await until(pilot, lambda: app.screen.id == "relay" and app.screen.focused, "Relay")
        target = app.screen.query_one("#relay-target", Input)
        await until(pilot, lambda: target.value == "127.0.0.1:9", f"the keys in {target.value!r}")
        assert app.screen.query_one("#relay-listen", Input).value == "127.0.0.1:0"
        assert app.screen.focused is target


@pilot_test
async def test_keys_typed_right_after_choosing_relay_in_the_palette_land_in_its_target() -> None:
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Relay…")
        hits = app.screen.query_one(CommandList)
        await until(pilot, lambda: hits.option_count > 0, "the palette's hits")
        _type_at_once(app, "\r127.0.0.1:9")
        await until(pilot, lambda: app.screen.id == "relay" and app.screen.focused, "Relay")
        target = app.screen.query_one("#relay-target", Input)
        await until(pilot, lambda: target.value == "127.0.0.1:9", f"the keys in {target.value!r}")


@pilot_test
async def test_keys_typed_right_after_f3_land_in_the_save_dialogs_path() -> None:
    from textual.widgets import Input

    from sockscope.tui.screens.path import PathScreen

    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        host = app.query_one("#host", Input).value
        app.post_message(_key("f3"))
        _type_at_once(app, "mine.json")
        await until(pilot, lambda: isinstance(app.screen, PathScreen), "the save dialog")
        path = app.screen.query_one("#path-input", Input)
        await until(pilot, lambda: path.value == "mine.json", f"the name in {path.value!r}")
        assert app.screen_stack[0].query_one("#host", Input).value == host


@pilot_test
async def test_keys_typed_right_after_f1_do_not_act_behind_the_help() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in ("f1", "ctrl+s", "f6", "ctrl+g"):
            app.post_message(_key(key))
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.session is None and len(app.query_one(History).exchanges) == 1
        await pilot.press("f1")  # the help's own f1 closes it
        assert not isinstance(app.screen, HelpScreen)


@pilot_test
async def test_keys_typed_right_after_ctrl_e_or_ctrl_b_land_in_the_field_it_went_to() -> None:
    from textual.widgets import Input

    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        host = app.query_one("#host", Input)
        host.focus()
        await pilot.pause()
        request = app.query_one(TextArea)
        before = request.text
        app.post_message(_key("ctrl+e"))
        _type_at_once(app, "Z")
        await until(pilot, lambda: len(request.text) == len(before) + 1, "Z in the request")
        assert host.value == "127.0.0.1"
        app.post_message(_key("ctrl+b"))  # the host, its text selected: typing replaces it
        _type_at_once(app, "::1")
        await until(pilot, lambda: host.value == "::1", "::1 as the host")
        assert "Z" in request.text
        app.post_message(_key("ctrl+f"))  # n is the next match in a pane: here a letter
        _type_at_once(app, "nd")
        field = app.query_one("#find-input", Input)
        await until(pilot, lambda: field.value == "nd", "nd in the find bar")
        app.post_message(_key("escape"))  # back in Received, where n steps
        _type_at_once(app, "n")
        await until(pilot, lambda: app.focused is app.query_one("#received-view"), "Received")
        await pilot.pause()
        assert field.value == "nd"


@pilot_test
async def test_a_letter_typed_fast_after_arrows_in_the_editor_goes_where_they_moved() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        request = app.query_one(TextArea)
        request.focus()
        await pilot.pause()
        request.move_cursor((0, 0))
        # The arrows are the editor's bindings, which act once the key has bubbled up
        # to the app; the letter behind them is typed where it lands.
        for key in ("down", "end", "left", "left"):
            app.post_message(_key(key))
        _type_at_once(app, "Q")
        await until(pilot, lambda: "Q" in request.text, "Q in the request")
        assert request.text.splitlines()[1].endswith("8080Q\\r")
