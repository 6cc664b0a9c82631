"""STARTTLS in a live session: f10 (or the palette) upgrades the connection to TLS after
the server's go-ahead; the turns go on over TLS and the history keeps the upgrade."""

from __future__ import annotations

from textual.widgets import TextArea

from sockscope.core.model import EventType
from sockscope.engine import SessionState
from sockscope.tui.app import SockscopeApp
from sockscope.tui.commands import SockscopeCommands
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.status import StatusLine
from sockscope.tui.widgets.timeline import Timeline
from tests.tui.helpers import make_app, pilot_test, until

SIZE = (120, 36)


def _state(app: SockscopeApp) -> SessionState | None:
    return app.query_one(StatusLine).session_state


def _turns(app: SockscopeApp) -> str:
    table = app.query_one(Timeline)
    return " | ".join(
        " ".join(str(cell) for cell in table.get_row_at(y)) for y in range(table.row_count)
    )


async def _send(app: SockscopeApp, pilot, text: str, reply: str) -> None:  # type: ignore[no-untyped-def]
    app.query_one("#request-text", TextArea).load_text(text)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: reply in _turns(app), f"the reply {reply!r}")


@pilot_test
async def test_f10_starts_tls_in_a_live_smtp_session_and_the_dialogue_goes_on(
    lab: LabInfo,
) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.open_lab_service("smtp", "smtp")
        await pilot.pause()
        await pilot.press("f6")
        await until(pilot, lambda: _state(app) is SessionState.OPEN, "the session to open")
        await until(pilot, lambda: "220 " in _turns(app), "the greeting")
        await _send(app, pilot, "STARTTLS\\r\n", "Ready to start TLS")

        await pilot.press("f10")
        await until(
            pilot,
            lambda: any(e.type is EventType.TLS for e in app.session.session.exchange().events),
            "the TLS handshake",
        )
        await _send(app, pilot, "EHLO over.tls\\r\n", "at your service")
        await pilot.press("f10")  # a second time: refused, in words
        await pilot.pause()
        assert "already speaks TLS" in str(app.query_one(StatusLine).render())
        await pilot.press("f8")
        await until(pilot, lambda: app.query_one(History).exchanges, "the history entry")
        session = app.query_one(History).exchanges[0]

    tls = next(session.of_type(EventType.TLS)).detail
    assert tls["starttls"] is True and tls["verified"] is True  # the lab's CA, as for https
    assert b"250-STARTTLS" not in session.received.split(b"Ready to start TLS")[1]


@pilot_test
async def test_the_palette_offers_starttls_and_says_why_not_before_a_session(
    lab: LabInfo,
) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        provider = SockscopeCommands(app.screen, None)
        offered = {hit.text: str(hit.help) async for hit in provider.discover()}
        assert offered["Session: STARTTLS"] == "not connected: Connect (f6) first"
        await pilot.press("escape")
