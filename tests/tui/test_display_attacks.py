"""Every display attack of hostile-servers.md, through the running app, reaches the
screen as visible text: no ESC, no C0/C1 control, no invisible format character, and
no `@click` action that the app did not put there."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import replace

from rich.segment import Segment
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select

from sockscope.core.compare import Change
from sockscope.core.model import ErrorInfo, ErrorKind, Event, EventType, Transport
from sockscope.tui.app import SockscopeApp
from sockscope.tui.screens.compare import CompareScreen
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.request_editor import RequestEditor
from tests.tui.exchanges import (
    CERTIFICATE,
    DISPLAY_ATTACKS,
    failed_dialogue_exchange,
    hostile_exchange,
    http_exchange,
    tls_session_detail,
)
from tests.tui.helpers import make_app, pilot_test, until, view_text

# Big enough that every pane, the timeline, the history and the status line are drawn.
SIZE = (200, 60)


def _exchange_carrying(payload: bytes):  # type: ignore[no-untyped-def]
    """An HTTP exchange with `payload` in the reason, a header name and value, the
    body, the stop sentence, the error and its hint, and a timeline detail."""
    body = b"before " + payload + b" after\r\n"
    reply = (
        b"HTTP/1.1 200 OK " + payload + b"\r\n"
        b"X-" + payload + b": v " + payload + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    text = payload.decode("utf-8", "surrogateescape")
    base = http_exchange()
    error = ErrorInfo(ErrorKind.OS, f"server said {text}", f"hint {text}")
    events = [e for e in base.events if e.type is not EventType.RECV]
    events.insert(-1, Event(EventType.RECV, 0.002, reply, len(reply)))
    events.insert(-1, Event(EventType.INFO, 0.0025, detail={"message": f"note {text}"}))
    events.insert(-1, Event(EventType.ERROR, 0.003, detail=error.to_dict()))
    # Every certificate field a server chooses, for the Headers pane's TLS section.
    certificate = {
        **CERTIFICATE,
        "subject": f"CN={text}",
        "issuer": f"O={text}",
        "san": [f"DNS:{text}", "DNS:ok"],
        "not_before": text,
        "parse_error": f"malformed {text}",
    }
    detail = {**tls_session_detail(certificate), "cipher": text, "alpn": text}
    events.insert(2, Event(EventType.TLS, 0.001, detail=detail))
    target = replace(base.target, transport=Transport.TLS)
    return replace(base, target=target, events=events, error=error, stop_message=f"stopped {text}")


def _bad_character(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")


def _assert_safe_segments(segments: list[Segment], where: str) -> None:
    for segment in segments:
        bad = [ch for ch in segment.text if _bad_character(ch)]
        assert not bad, f"{where}: raw {bad!r} in {segment.text!r}"
        meta = segment.style.meta if segment.style is not None else {}
        # Textual's own scrollbars carry `@mouse.down`; injected markup would be `@click`.
        clicks = {key: value for key, value in meta.items() if key == "@click"}
        assert not clicks, f"{where}: action metadata {clicks!r} on {segment.text!r}"


def _assert_screen_is_safe(app: SockscopeApp, attack: str = "") -> None:
    """`attack` names the payload being checked in the failure message."""
    where = f"{attack}: " if attack else ""
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        _assert_safe_segments(list(strip), f"{where}screen row {y}")
    # Rows scrolled out of sight are formatted the same way when scrolled to: check
    # every row of every line view, whole, not only the part on screen.
    for view in app.query(LineView):
        lines = view.lines
        for y in range(len(lines)):
            _assert_safe_segments(lines.line(y).render_segments(), f"{where}{view.id} row {y}")
    assert app.title == "sockscope", where


# One app carries every attack, each as its own history entry, and each test shows them
# one by one as a user would, by selecting the entry: starting an app per attack would
# cost far more than showing an exchange does, and the rendering checked is the same.


def _attacks(names: Iterable[str] = DISPLAY_ATTACKS) -> list[tuple[str, str]]:
    """Each attack's name and its payload as the text a server's bytes decode to."""
    return [(name, DISPLAY_ATTACKS[name].decode("utf-8", "surrogateescape")) for name in names]


async def _recall(pilot: Pilot[None], app: SockscopeApp, index: int) -> None:
    """Select history entry `index` and wait until the panes show it."""
    history = app.query_one(History)
    history.highlighted = index
    history.action_select()
    exchange = app.explorer.history[index].exchange
    await until(pilot, lambda: app.explorer.current is exchange, f"history entry #{index + 1}")
    await pilot.pause()


async def _close_screens(pilot: Pilot[None], app: SockscopeApp) -> None:
    """Escape until the main screen is back."""
    while len(app.screen_stack) > 1:
        depth = len(app.screen_stack)
        await pilot.press("escape")
        await until(pilot, lambda d=depth: len(app.screen_stack) < d, "the screen to close")


@pilot_test
async def test_display_attack_is_shown_as_text_everywhere() -> None:
    names = list(DISPLAY_ATTACKS)
    app = make_app(exchanges=[_exchange_carrying(DISPLAY_ATTACKS[name]) for name in names])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for index, name in enumerate(names):
            await _recall(pilot, app, index)
            _assert_screen_is_safe(app, name)
            assert "certificate" in view_text(app, "headers-view"), name
        # In Latin-1 the raw byte 0x9B decodes to the C1 control U+009B.
        app.query_one("#encoding", Select).value = "latin-1"
        await pilot.pause()
        for index, name in enumerate(names):
            await _recall(pilot, app, index)
            _assert_screen_is_safe(app, f"{name} in latin-1")
        # The narrow layout draws the same views one at a time.
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        for index, name in enumerate(names):
            await _recall(pilot, app, index)
            _assert_screen_is_safe(app, f"{name} in latin-1, narrow")
    assert app.return_code in (None, 0)


@pilot_test
async def test_markup_in_a_reply_stays_literal_and_clicking_it_does_nothing() -> None:
    app = make_app(hostile_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        decoded = view_text(app, "decoded-view")
        assert "[@click=app.quit]x[/]" in decoded
        assert "␛]52;c;cHduZWQ=␛\\" in decoded
        assert "␛]0;pwned␇" in decoded
        headers = view_text(app, "headers-view")
        assert "[@click=app.quit]x[/]" in headers
        view = app.query_one("#decoded-view", LineView)
        for y in range(view.size.height):
            await pilot.click(view, offset=(2, y))
        await pilot.pause()
        assert app.is_running


@pilot_test
async def test_save_and_export_errors_quoting_a_path_are_shown_as_text() -> None:
    attacks = _attacks(["clipboard write", "action markup", "c1 raw byte", "crash markup"])
    app = make_app(exchanges=[_exchange_carrying(DISPLAY_ATTACKS[name]) for name, _ in attacks])
    async with app.run_test(size=SIZE) as pilot:
        for index, (name, text) in enumerate(attacks):
            await _recall(pilot, app, index)
            for action in (app.action_save, lambda: app.action_export("pcap")):
                action()
                await pilot.pause()
                app.screen.query_one("#path-input", Input).value = f"/nonexistent/{text}/x"
                await pilot.press("enter")
                await pilot.pause()
                message = str(app.screen.query_one("#path-message").render())
                assert "cannot write" in message, name
                # The field shows what was typed, as typed (the user's keys, not the
                # server's bytes); the message quoting it is what must be sanitised.
                app.screen.query_one("#path-input", Input).value = ""
                await pilot.pause()
                _assert_screen_is_safe(app, name)
                await _close_screens(pilot, app)
            # curl refuses a request it cannot express; its sentence is shown the same way.
            app.action_export("curl")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            _assert_screen_is_safe(app, f"{name} in the curl export")
            await _close_screens(pilot, app)
    assert app.return_code in (None, 0)


@pilot_test
async def test_step_outcomes_and_turn_rows_quoting_a_server_are_shown_as_text() -> None:
    attacks = _attacks()
    dialogues = [failed_dialogue_exchange(DISPLAY_ATTACKS[name]) for name, _ in attacks]
    app = make_app(exchanges=dialogues)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for index, (name, _) in enumerate(attacks):
            await _recall(pilot, app, index)
            assert "✗  3 expected 250" in view_text(app, "headers-view"), name
            _assert_screen_is_safe(app, name)
        await pilot.press("ctrl+l")  # the turns view quotes each turn's first bytes
        await pilot.pause()
        for index, (name, _) in enumerate(attacks):
            await _recall(pilot, app, index)
            _assert_screen_is_safe(app, f"{name} in the turns view")
    assert app.return_code in (None, 0)


@pilot_test
async def test_compare_rows_quoting_a_server_are_shown_as_text() -> None:
    names = list(DISPLAY_ATTACKS)
    plain = len(names)  # the plain exchange comes last, so it is the one shown
    exchanges = [_exchange_carrying(DISPLAY_ATTACKS[name]) for name in names]
    app = make_app(exchanges=[*exchanges, http_exchange()])
    async with app.run_test(size=SIZE) as pilot:
        for index, name in enumerate(names):
            await pilot.press("f4")  # compare the plain exchange with this attack's
            history = app.query_one(History)
            history.highlighted = index
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, CompareScreen), name
            await until(pilot, lambda s=screen: s.comparison is not None, "the comparison")
            await pilot.pause()
            assert app.explorer.number(app.explorer.current) == plain + 1, name
            # Header names and values only one side has, and a changed status line.
            changes = {diff.change for diff in screen.comparison.headers}
            assert {Change.ADDED, Change.REMOVED} <= changes, name
            for strip in screen._compositor.render_strips():
                _assert_safe_segments(list(strip), f"{name}: compare screen")
            lines = screen.query_one("#compare-view", LineView).lines
            for y in range(len(lines)):
                _assert_safe_segments(lines.line(y).render_segments(), f"{name}: compare row {y}")
            _assert_safe_segments(
                list(screen.query_one("#compare-summary").render_line(0)),
                f"{name}: compare summary",
            )
            await _close_screens(pilot, app)
    assert app.return_code in (None, 0)


@pilot_test
async def test_a_notification_quoting_outside_text_is_shown_as_text_even_asked_for_markup() -> None:
    """Any code may notify (ours, a screen's, Textual's own); the app shows every message
    and title sanitised and never parses them, whatever `markup` says."""
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for name, text in _attacks(
            ["clipboard write", "action markup", "crash markup", "bidi override"]
        ):
            app.notify(f"wrote {text}", title=f"file {text}", markup=True)
            await pilot.pause()
            await pilot.pause()
            _assert_screen_is_safe(app, name)
            toast = str(app.screen.query_one("Toast").render())
            assert "wrote" in toast, name
            app.clear_notifications()
            await until(pilot, lambda: not app.screen.query("Toast"), "the toast to go")
    assert app.return_code in (None, 0)


@pilot_test
async def test_a_palette_help_quoting_outside_text_is_shown_as_text(monkeypatch) -> None:
    """A refusal shown as a hit's help is the engine's sentence, which may one day quote
    what it refuses: the palette shows it as text, never as markup."""
    refused = {"text": ""}
    monkeypatch.setattr(
        SockscopeApp,
        "refusal",
        lambda self, action: f"no: {refused['text']}" if action == "send" else None,
    )
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        for name, text in _attacks(["clipboard write", "action markup", "crash markup"]):
            refused["text"] = text
            await pilot.press("ctrl+p", *"send")
            hits = app.screen.query_one("CommandList", OptionList)
            await until(pilot, lambda h=hits: h.option_count > 0, "hits")
            _assert_screen_is_safe(app, name)
            assert "no: " in str(hits.get_option_at_index(0).prompt), name
            await _close_screens(pilot, app)
    assert app.return_code in (None, 0)


@pilot_test
async def test_a_paste_into_the_request_editor_is_written_as_escapes_of_the_same_bytes() -> None:
    from textual import events

    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        editor = app.query_one(RequestEditor)
        editor.set_bytes(b"")
        editor.query_one("#request-text").focus()
        await pilot.pause()
        app.post_message(events.Paste("a\x1b]0;pwned\x07\r\nb\u202e\x9b"))
        await until(pilot, lambda: editor.text != "", "the paste in the editor")
        assert editor.text == "a\\x1b]0;pwned\\x07\\r\nb\\xe2\\x80\\xae\\xc2\\x9b"
        assert editor.request_bytes() == "a\x1b]0;pwned\x07\r\nb\u202e\x9b".encode()
        _assert_screen_is_safe(app, "a paste in the editor")
    assert app.return_code in (None, 0)


@pilot_test
async def test_a_paste_into_any_field_shows_its_control_characters_as_tokens() -> None:
    from textual import events

    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        for field_id in ("#host", "#port"):
            field = app.query_one(field_id, Input)
            field.focus()
            field.value = ""
            field.post_message(events.Paste("a\x1b]52;c;cHduZWQ=\x07b\u202e"))
            await until(pilot, lambda f=field: f.value != "", f"the paste in {field_id}")
            assert field.value == "a␛]52;c;cHduZWQ=␇b\\u202e"
        app.action_save()
        await until(pilot, lambda: bool(app.screen.query("#path-input")), "the save dialog")
        path = app.screen.query_one("#path-input", Input)
        path.value = ""
        path.post_message(events.Paste("x\x1b[2Jy"))
        await until(pilot, lambda: path.value != "", "the paste in the path")
        assert path.value == "x␛[2Jy"
