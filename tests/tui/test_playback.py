"""`sockscope open FILE --play`: a saved exchange plays back with no server, step by step."""

from __future__ import annotations

import unicodedata

from sockscope.core.model import EventType
from sockscope.tui.playback import PlaybackApp
from sockscope.tui.screens.playback import PlaybackScreen
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.timeline import Timeline
from tests.tui.exchanges import hostile_exchange, http_exchange, smtp_session_exchange
from tests.tui.helpers import make_app, pilot_test, until, view_text

SIZE = (120, 36)


def make_playback(exchange) -> PlaybackApp:  # type: ignore[no-untyped-def]
    app = PlaybackApp(exchange)
    app.animation_level = "none"
    return app


def screen(app: PlaybackApp) -> PlaybackScreen:
    assert isinstance(app.screen, PlaybackScreen)
    return app.screen


def marked_line(app: PlaybackApp, view_id: str) -> str:
    """The text of the rows drawn in the mark style, joined."""
    lines = app.query_one(f"#{view_id}", LineView).lines
    return " / ".join(
        lines.line(y).plain.strip()
        for y in range(len(lines))
        if any("reverse" in str(span.style) for span in lines.line(y).spans)
    )


@pilot_test
async def test_playback_opens_before_the_first_event_with_nothing_received() -> None:
    app = make_playback(smtp_session_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Paused at event 0 of 8" in str(app.query_one("#playback-status").render())
        assert app.query_one(Timeline).row_count == 0
        assert "EHLO" not in view_text(app, "diagram-pane-view")


@pilot_test
async def test_stepping_fills_the_views_one_event_at_a_time_and_back() -> None:
    app = make_playback(smtp_session_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(4):
            await pilot.press("right")
        assert app.query_one(Timeline).row_count == 4
        assert "sendall() 22 bytes" in marked_line(app, "diagram-pane-view")
        assert "sock.sendall(b'EHLO sockscope.local\\r\\n')" in marked_line(app, "code-pane-view")
        assert "250-" not in view_text(app, "received-view")  # the reply has not come yet
        status = str(app.query_one("#playback-status").render())
        assert "Paused at event 4 of 8" in status and "sendall() handed 22 bytes" in status
        await pilot.press("right")
        assert "chunk = sock.recv(65536)" in marked_line(app, "code-pane-view")
        assert "250-lab.sockscope.test" in view_text(app, "received-view")
        await pilot.press("left", "left")
        assert app.query_one(Timeline).row_count == 3
        assert "recv() 50 bytes" in marked_line(app, "diagram-pane-view")


@pilot_test
async def test_space_plays_to_the_end_at_the_recorded_pace() -> None:
    app = make_playback(http_exchange())  # 2.5 ms long
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("space")
        await until(pilot, lambda: screen(app).playback.at_end, "the playback to end")
        assert screen(app).playback.paused
        assert "close(): FIN" in view_text(app, "diagram-pane-view")
        status = str(app.query_one("#playback-status").render())
        assert "Finished at event 5 of 5" in status and "recv() returned b''" in status


@pilot_test
async def test_plus_and_minus_change_the_speed_within_a_tenth_and_ten_times() -> None:
    app = make_playback(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*["plus"] * 8)
        assert screen(app).playback.speed == 10.0
        await pilot.press(*["minus"] * 12)
        assert screen(app).playback.speed == 0.1
        assert "0.1x" in str(app.query_one("#playback-status").render())


@pilot_test
async def test_t_draws_turns_and_g_draws_gaps_to_scale() -> None:
    app = make_playback(smtp_session_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("end", "t", "g")
        text = view_text(app, "diagram-pane-view")
        assert "turn 1: 22 bytes" in text and "⋮ 5.606 s later" in text


@pilot_test
async def test_presentation_keeps_the_two_picked_panes_in_high_contrast() -> None:
    app = make_playback(smtp_session_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        assert app.theme == "sockscope-high-contrast"
        shown = {pane.id for pane in app.query(".pane") if pane.display}
        assert shown == {"diagram-pane", "code-pane"}
        await pilot.press("3")  # Received replaces the older pick
        await pilot.pause()
        shown = {pane.id for pane in app.query(".pane") if pane.display}
        assert shown == {"code-pane", "received"}
        await pilot.press("p")
        await pilot.pause()
        assert app.theme != "sockscope-high-contrast"
        assert all(pane.display for pane in app.query(".pane"))


def _unsafe(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co")]


@pilot_test
async def test_a_hostile_recording_plays_back_as_visible_text() -> None:
    app = make_playback(hostile_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(len(hostile_exchange().events)):
            await pilot.press("right")
            await pilot.pause()
            for y, strip in enumerate(app.screen._compositor.render_strips()):
                for segment in strip:
                    assert _unsafe(segment.text) == [], f"row {y}: {segment.text!r}"
                    meta = segment.style.meta if segment.style is not None else {}
                    assert "@click" not in meta
        for view in app.query(LineView):
            for y in range(len(view.lines)):
                assert _unsafe(view.lines.line(y).plain) == [], view.id
        assert any(e.type is EventType.ERROR for e in hostile_exchange().events)


@pilot_test
async def test_f12_in_the_explorer_shows_the_diagram_of_the_shown_exchange() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, PlaybackScreen) and app.screen.playback.at_end
        lines = app.screen.query_one("#diagram-pane-view", LineView).lines
        assert any("close(): FIN" in lines.line(y).plain for y in range(len(lines)))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PlaybackScreen)
        app.run_command("teach")  # the palette's "Diagram and playback"
        await pilot.pause()
        assert isinstance(app.screen, PlaybackScreen)


def shown_views(app) -> set[str]:  # type: ignore[no-untyped-def]
    return {pane.id or "" for pane in app.screen.query("#views > .pane") if pane.display}


@pilot_test
async def test_the_explorer_presents_the_two_views_picked_last_in_high_contrast() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.run_command("present")
        await pilot.pause()
        assert app.theme == "sockscope-high-contrast"
        assert shown_views(app) == {"received", "decoded"}
        app.run_command("present_pane", "timeline-pane")
        await pilot.pause()
        assert shown_views(app) == {"decoded", "timeline-pane"}
        app.run_command("present")
        await pilot.pause()
        assert app.theme != "sockscope-high-contrast"
        assert len(shown_views(app)) == 6


@pilot_test
async def test_a_listen_conversation_plays_back_with_the_client_on_the_left_and_no_script() -> None:
    from tests.core.test_diagram import listened_exchange

    app = make_playback(listened_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("right", "right")
        assert "recv() 18 bytes" in marked_line(app, "diagram-pane-view")
        assert "sockscope was the server here" in view_text(app, "code-pane-view")


@pilot_test
async def test_at_80x24_f12_shows_the_whole_diagram_and_the_code_at_the_current_step() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f12")
        await until(pilot, lambda: isinstance(app.screen, PlaybackScreen), "the playback")
        await pilot.pause()
        diagram = app.screen.query_one("#diagram-pane-view", LineView)
        rows = [diagram.lines.line(y).plain for y in range(len(diagram.lines))]
        # Both lifelines and the header, within the pane: nothing runs past its edge.
        assert "server" in rows[0] and "sockscope" in rows[0]
        assert max(len(row) for row in rows) <= diagram.scrollable_content_region.width
        code = app.screen.query_one("#code-pane-view", LineView)
        marked = next(y for y in range(len(code.lines)) if "▶" in code.lines.line(y).plain)
        top = round(code.scroll_y)
        assert top <= marked < top + code.size.height


def footer_row(app: PlaybackApp) -> str:
    return app.screen._compositor.render_strips()[-1].text


@pilot_test
async def test_at_80x24_the_playback_footer_shows_every_key_whole() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f12")
        await until(pilot, lambda: isinstance(app.screen, PlaybackScreen), "the playback")
        await pilot.pause()
        assert footer_row(app).rstrip() == (
            "←→ Step space Play/Pause +- Speed t Turns p Present q Leave ^q Quit f1 Help"
        )
    played = make_playback(http_exchange())
    async with played.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert footer_row(played).rstrip() == (
            "←→ Step space Play/Pause +- Speed t Turns p Present q Leave"
        )


@pilot_test
async def test_from_90_columns_the_playback_footer_adds_the_palette_key() -> None:
    app = make_playback(http_exchange())
    async with app.run_test(size=(90, 24)) as pilot:
        await pilot.pause()
        row = footer_row(app).rstrip()
        assert row.startswith("←→ Step space Play/Pause") and row.endswith("▏^p palette")
