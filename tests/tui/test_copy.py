"""Copy: the current match or the linked bytes, else the whole focused pane, as text
(payload syntax), hex or base64; the exchange as curl, ncat or python; or to a file."""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import pytest

from sockscope.core.copy_forms import MAX_CLIPBOARD, copy_form
from sockscope.core.payload import parse_text
from sockscope.tui import app as app_module
from sockscope.tui.app import SockscopeApp
from tests.tui.exchanges import HTTP_BODY, HTTP_HEAD, http_bytes_exchange, http_exchange
from tests.tui.helpers import make_app, pilot_test, until


@pilot_test
async def test_y_copies_the_current_match_else_the_focused_pane() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert app.clipboard == ""  # nothing is written until the user asks
        app.query_one("#received-view").focus()
        await pilot.press("y")
        assert parse_text(app.clipboard) == HTTP_HEAD + HTTP_BODY
        await pilot.press("ctrl+f", *"Hello", "enter")
        app.query_one("#received-view").focus()
        await pilot.press("y")
        assert app.clipboard == "Hello"


@pilot_test
async def test_the_palette_copies_as_base64_and_as_a_curl_command() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#sent-view").focus()
        await pilot.pause()
        app.run_command("copy", "base64")
        assert base64.b64decode(app.clipboard) == http_exchange().sent
        app.run_command("copy_export", "curl")
        assert app.clipboard.startswith("curl ")


@pilot_test
async def test_copy_to_file_writes_the_same_text_to_the_file_named(tmp_path: Path) -> None:
    app = make_app(http_exchange())
    target = tmp_path / "copied.txt"
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#received-view").focus()
        await pilot.pause()
        app.run_command("copy_to_file", "hex")
        await pilot.pause()
        field = app.screen.query_one("#path-input")
        field.value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: "written to" in _last_note(app), "the file written")
    assert target.read_text().startswith("48 54 54 50 2f 31 2e 31")
    assert app.clipboard == ""


def _last_note(app: SockscopeApp) -> str:
    notes = list(app._notifications)
    return str(notes[-1].message) if notes else ""


@pilot_test
async def test_copy_to_file_makes_its_text_while_the_screen_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The text of 64 MiB of binary bytes takes many seconds to make: not on the screen's
    # time. The copy here waits (at most 10 s) until the test has seen the screen back.
    release, making, made = threading.Event(), threading.Event(), threading.Event()

    def slow_form(data: bytes, form: str) -> str:
        making.set()
        release.wait(10)
        made.set()
        return copy_form(data, form)

    monkeypatch.setattr(app_module, "copy_form", slow_form)
    app = make_app(http_exchange())
    target = tmp_path / "copied.txt"
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#received-view").focus()
        app.run_command("copy_to_file", "text")
        await pilot.pause()
        app.screen.query_one("#path-input").value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert making.is_set() and not made.is_set()
        assert app.screen.id != "copy-path"  # the screen is back while the text is made
        release.set()
        await until(pilot, lambda: "written to" in _last_note(app), "the file written")
    assert parse_text(target.read_text()) == HTTP_HEAD + HTTP_BODY


@pilot_test
async def test_a_copy_past_the_clipboard_cap_writes_nothing_and_names_the_file_way() -> None:
    # A clipboard write is one escape sequence the terminal takes whole, and the text of
    # a binary selection is four times its bytes: 64 MiB froze the app for a minute.
    app = make_app(http_bytes_exchange(MAX_CLIPBOARD))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#received-view").focus()
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == ""
        notes = [str(note.message) for note in app._notifications]
        assert notes[-1] == (
            "the Received pane (1.0 MiB) is more than the 1.0 MiB sockscope puts on the "
            "clipboard: select less, or use the palette's 'Copy to file'"
        )
