"""Received and Decoded follow the end while bytes arrive, unless the user scrolled up:
then the badge counts the new rows, and End follows again."""

from __future__ import annotations

from sockscope.core.model import Event, EventType, Exchange, ReadPolicy, Target
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.panes import DecodedPane, ReceivedPane
from sockscope.tui.widgets.status import State
from tests.tui.helpers import make_app, pilot_test, until

SIZE = (120, 36)


def lines(start: int, count: int) -> bytes:
    return b"".join(b"line %05d\n" % i for i in range(start, start + count))


@pilot_test
async def test_a_live_stream_is_followed_until_the_user_scrolls_up_and_again_after_end() -> None:
    request = b"GIVE\r\n"
    live = Exchange(Target("127.0.0.1", 7), request, ReadPolicy())
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app._live = live  # as _start leaves it, without a network
        live.events += [
            Event(EventType.SEND, 0.001, request, len(request)),
            Event(EventType.RECV, 0.002, lines(0, 500), 5000),
        ]
        app._redraw_live()
        await pilot.pause()
        received = app.query_one("#received-view", LineView)
        decoded = app.query_one("#decoded-view", LineView)
        # The views scroll once the new height is laid out: a frame later.
        await until(pilot, lambda: received.is_vertical_scroll_end, "Received at the end")
        await until(pilot, lambda: decoded.is_vertical_scroll_end, "Decoded at the end")

        live.events.append(Event(EventType.RECV, 0.003, lines(500, 500), 5000))
        app._redraw_live()
        await pilot.pause()
        await until(pilot, lambda: received.scroll_offset.y > 900, "the new end")

        received.focus()
        await pilot.press("pageup")
        top = received.scroll_offset.y
        live.events.append(Event(EventType.RECV, 0.004, lines(1000, 300), 3000))
        app._redraw_live()
        await pilot.pause()
        assert received.scroll_offset.y == top  # left where the user is reading
        assert "↓ 300 new (End follows)" in str(app.query_one(ReceivedPane).border_subtitle)
        await until(pilot, lambda: decoded.scroll_offset.y > 1200, "Decoded at the new end")
        assert received.scroll_offset.y == top

        await pilot.press("end")
        live.events.append(Event(EventType.RECV, 0.005, lines(1300, 200), 2000))
        app._redraw_live()
        await until(pilot, lambda: received.scroll_offset.y > 1400, "the end again")
        assert "new" not in str(app.query_one(ReceivedPane).border_subtitle)
        assert "new" not in str(app.query_one(DecodedPane).border_subtitle)


@pilot_test
async def test_a_new_live_exchange_after_a_long_one_read_to_its_end_is_followed() -> None:
    request = b"GIVE\r\n"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        received = app.query_one("#received-view", LineView)
        for run in range(2):
            live = Exchange(Target("127.0.0.1", 7), request, ReadPolicy())
            app._live = live  # as _start leaves it, without a network
            app._show_exchange(live, State.CONNECTING, live=True)
            await pilot.pause()
            for part in range(3):
                size = 10 * 200
                live.events.append(Event(EventType.RECV, 0.01 * part, lines(part * 200, 200), size))
                app._redraw_live()
                await pilot.pause()
            # The view shrank to the new capture's few rows and grew again: it followed.
            await until(pilot, lambda: received.scroll_offset.y > 500, f"the end of run {run}")
            assert received.following
