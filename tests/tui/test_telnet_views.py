"""A telnet exchange in the explorer: Decoded shows the text without the IAC commands,
Headers lists the commands, Received keeps every byte."""

from __future__ import annotations

from sockscope.core.model import Event, EventType, Exchange, StopReason, Target
from tests.tui.helpers import make_app, pilot_test, view_text

OPENING = b"\xff\xfb\x03\xff\xfd\x18" + b"sockscope-lab telnet\r\n\r\nlogin: "


@pilot_test
async def test_decoded_drops_the_commands_that_headers_lists() -> None:
    exchange = Exchange(
        Target("127.0.0.1", 23),
        b"",
        events=[Event(EventType.RECV, 0.1, OPENING, len(OPENING))],
        stop=StopReason.IDLE,
        template="telnet",
    )
    app = make_app(exchange)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        decoded = view_text(app, "decoded-view")
        assert decoded.startswith("sockscope-lab telnet") and "\\xff" not in decoded
        assert "\\xff\\xfb\\x03" in view_text(app, "received-view")
        headers = view_text(app, "headers-view")
        assert "WILL SUPPRESS-GO-AHEAD" in headers and "DO TERMINAL-TYPE" in headers
