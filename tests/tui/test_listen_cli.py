"""`sockscope listen [HOST] PORT --app`: the explorer opens on its Listen screen with the
command line's settings, already listening."""

from __future__ import annotations

from typing import Any

import pytest

from sockscope.cli import main
from sockscope.core.model import Transport
from sockscope.tui.app import SockscopeApp
from sockscope.tui.screens.listen import ListenScreen
from sockscope.tui.widgets.listen_bar import ListenForm, ReplyMode
from tests.tui.helpers import pilot_test
from tests.tui.test_listen import message, until


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[ListenForm]:
    """The ListenForm each app would open with (the app itself is not run)."""
    forms: list[ListenForm] = []

    def run(app: SockscopeApp, *_args: Any, **_kwargs: Any) -> int:
        assert app._listen is not None
        forms.append(app._listen)
        return 0

    monkeypatch.setattr(SockscopeApp, "run", run)
    return forms


def test_listen_app_carries_the_command_line_into_the_listen_screen(opened) -> None:
    argv = ["listen", "0", "--app", "--reply-hex", "41 0d 0a", "--max-clients", "3", "-t", "tls"]
    assert main([*argv, "--capture-limit", "64k", "--alpn", "h2,http/1.1", "--idle", "7"]) == 0
    (form,) = opened
    assert (form.host, form.port, form.transport) == ("127.0.0.1", "0", Transport.TLS)
    assert (form.reply, form.reply_text) == (ReplyMode.FIXED, "A\\r\n")
    assert (form.max_clients, form.capture_limit) == ("3", "64k")
    assert (form.alpn, form.idle) == (("h2", "http/1.1"), 7.0)


def test_listen_app_refuses_the_printed_report_options(opened, capsys) -> None:
    assert main(["listen", "0", "--app", "--json"]) == 2
    assert "--json is for the printed report" in capsys.readouterr().err
    assert main(["listen", "70000", "--app"]) == 2
    assert not opened


@pilot_test
async def test_the_app_opened_for_listen_is_listening_at_once() -> None:
    app = SockscopeApp(listen=ListenForm(reply="echo"), cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ListenScreen)
        await until(screen, lambda: screen.listening)
        assert "reply: echo" in message(screen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ListenScreen)
