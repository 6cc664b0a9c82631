"""The Listen screen answering by rules from a server template file (reply mode "rules
file"): a matching request gets its rule's reply; a file that does not load is named."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from sockscope.tui.screens.listen import ListenScreen
from sockscope.tui.widgets.listen_bar import ListenForm, ReplyMode
from tests.tui.helpers import make_app, pilot_test
from tests.tui.test_listen import SIZE, WAIT, message, open_listen

RULES_FILE = '[[rules]]\nmatch = "PING"\nreply = "+PONG\\\\r\\\\n"\n'


@pilot_test
async def test_a_rules_file_answers_a_matching_request(tmp_path: Path) -> None:
    path = tmp_path / "pong.toml"
    path.write_text(RULES_FILE)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm(reply=ReplyMode.RULES, reply_text=str(path)))
        assert "reply: 1 rule" in message(screen)

        def ping() -> bytes:
            assert screen.address is not None
            with socket.create_connection(("127.0.0.1", screen.address.port), WAIT) as client:
                client.sendall(b"*1\r\n$4\r\nPING\r\n")
                return client.recv(100)

        assert await asyncio.to_thread(ping) == b"+PONG\r\n"


@pilot_test
async def test_a_rules_file_that_does_not_load_is_named_and_nothing_listens(
    tmp_path: Path,
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[[rules]]\nmatch = "("\n')
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = ListenScreen(
            ListenForm(reply=ReplyMode.RULES, reply_text=str(path)), cursor_blink=False
        )
        await pilot.app.push_screen(screen)
        screen.action_toggle_listening()
        await pilot.pause()
        assert not screen.listening
        assert "rules file" in message(screen) and "rules[0].match" in message(screen)
