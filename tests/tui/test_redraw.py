"""The redraw path while an exchange streams: what a redraw touches, and what it must not."""

from __future__ import annotations

import sys

from textual.geometry import Region

from sockscope.core.model import (
    Event,
    EventType,
    Exchange,
    ReadPolicy,
    Target,
    Transport,
)
from sockscope.tui.app import HEADERS_AFTER_FRAME, SWITCH_INTERVAL
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.widgets.byte_view import FIRST_BLOCK, ByteRows, LineView
from sockscope.tui.widgets.panes import ReceivedPane
from sockscope.tui.widgets.status import State, StatusLine
from sockscope.tui.widgets.timeline import Timeline
from tests.tui.exchanges import http_bytes_exchange
from tests.tui.helpers import make_app, pilot_test, view_text

SIZE = (120, 36)


@pilot_test
async def test_quitting_while_the_trickle_streams_ends_the_app_cleanly(lab: LabInfo) -> None:
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        app.open_lab_service("trickle", "banner")
        await pilot.pause()
        assert app.query_one("#port").value == str(lab.port("trickle", Transport.TCP))
        await pilot.press("ctrl+s")
        while "trickle 1 of" not in view_text(app, "received-view"):
            await pilot.pause(0.05)
        await pilot.press("ctrl+q")
    assert app.return_code == 0


def test_a_large_buffer_is_indexed_only_as_far_as_the_view_needs() -> None:
    data = b"x" * 100 + b"\n"
    rows = ByteRows(data * 100_000)  # 10 MiB of 101-byte lines
    assert rows.indexed == FIRST_BLOCK
    assert rows.span(10) == (1010, 1111)
    assert rows.indexed == FIRST_BLOCK  # row 10 was indexed already
    assert len(rows) == 100_000  # estimated from the rows so far, exact here
    assert rows.span(99_999) == (99_999 * 101, 100_000 * 101)
    assert rows.complete
    assert rows.span(100_000) is None


def test_a_growing_buffer_is_indexed_from_its_last_open_row_only() -> None:
    rows = ByteRows(b"one\ntw")
    grown = ByteRows.of(b"one\ntwo\nthree", rows)
    assert grown is rows
    assert [rows.span(y) for y in range(len(rows))] == [(0, 4), (4, 8), (8, 13)]


@pilot_test
async def test_a_redraw_past_the_capture_limit_leaves_the_views_alone() -> None:
    request = b"GET / HTTP/1.1\r\n\r\n"
    live = Exchange(Target("127.0.0.1", 8080), request, ReadPolicy(capture_limit=16))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app._live = live  # as _start leaves it, without a network
        live.events += [
            Event(EventType.SEND, 0.001, request, len(request)),
            Event(EventType.RECV, 0.002, b"HTTP/1.1 200 OK\r\n"[:16], 16),
        ]
        app._redraw_live()
        await pilot.pause()
        views = [app.query_one(f"#{name}-view", LineView) for name in ("received", "decoded")]
        shown = [view.shown for view in views]
        timeline = app.query_one(Timeline)
        rebuilt = None
        for n in range(5):  # only counted, not kept
            live.events.append(Event(EventType.RECV, 0.003 + n, b"", 1000))
            app._redraw_live()
            await pilot.pause()
            # The first such row widens the detail column; the next ones are appended.
            rebuilt = rebuilt or timeline.rebuilt
        assert [view.shown for view in views] == shown
        assert timeline.rebuilt == rebuilt and timeline.row_count == 7
        assert "kept 16 bytes of 5,016 bytes" in str(app.query_one(ReceivedPane).border_subtitle)


@pilot_test
async def test_a_streaming_status_line_is_repainted_without_a_layout_while_its_rows_stay() -> None:
    # A layout of the whole screen on each redraw (~10 a second) keeps key presses
    # waiting; a status line that needs another row still gets it.
    request = b"GET / HTTP/1.1\r\n\r\n"
    live = Exchange(Target("127.0.0.1", 8080), request, ReadPolicy(capture_limit=16))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app._live = live
        live.events += [
            Event(EventType.SEND, 0.001, request, len(request)),
            Event(EventType.RECV, 0.002, b"HTTP/1.1 200 OK\r\n"[:16], 16),
        ]
        app._redraw_live()
        await pilot.pause()
        status = app.query_one(StatusLine)
        layouts: list[bool] = []
        repaint = status.refresh

        def refresh(*regions: Region, **flags: bool) -> StatusLine:
            layouts.append(flags.get("layout", False))
            return repaint(*regions, **flags)

        status.refresh = refresh  # type: ignore[method-assign]
        for n in range(3):
            live.events.append(Event(EventType.RECV, 0.003 + n, b"", 1000))
            app._redraw_live()
            await pilot.pause()
        assert layouts and not any(layouts)
        assert "↓ 3,016 bytes" in str(status.visual)
        app._show_exchange(
            live, State.RECEIVING, live=True, note="x" * 200
        )  # two rows, and the numbers a third
        assert layouts[-1]
        await pilot.pause()
        assert status.size.height == 3  # the note wraps: its rows are laid out


@pilot_test
async def test_a_redraw_is_costed_up_to_its_painted_frame() -> None:
    # The frame a redraw paints costs more than the redraw: counted, it spaces the
    # redraws of a fast stream further apart on a busy machine, and keys are answered.
    request = b"GET / HTTP/1.1\r\n\r\n"
    live = Exchange(Target("127.0.0.1", 8080), request, ReadPolicy())
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        painted: list[float] = []
        app._throttle.drawn = painted.append  # type: ignore[method-assign]
        app._live = live
        live.events.append(Event(EventType.SEND, 0.001, request, len(request)))
        app._redraw_live()
        assert not painted  # not when the redraw returns
        await pilot.pause()
        assert len(painted) == 1


@pilot_test
async def test_a_live_timeline_keeps_room_for_counts_that_grow_by_a_digit() -> None:
    request = b"GET / HTTP/1.1\r\n\r\n"
    live = Exchange(Target("127.0.0.1", 8080), request, ReadPolicy(capture_limit=16))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app._live = live
        live.events += [
            Event(EventType.SEND, 0.001, request, len(request)),
            Event(EventType.RECV, 0.002, b"HTTP/1.1 200 OK\r\n"[:16], 16),
            Event(EventType.RECV, 0.003, b"", 9),
        ]
        app._redraw_live()
        await pilot.pause()
        timeline = app.query_one(Timeline)
        rebuilt = timeline.rebuilt
        # A firehose's coalesced rows: "… 99 bytes not kept", then 999, 9,999, …
        for n, size in enumerate((99, 999, 9_999, 99_999, 999_999, 9_999_999)):
            live.events.append(Event(EventType.RECV, 0.004 + n, b"", size))
            app._redraw_live()
            await pilot.pause()
        assert timeline.rebuilt == rebuilt
        assert timeline.row_count == 9


@pilot_test
async def test_end_and_home_in_a_byte_view_jump_at_once_with_animations_on() -> None:
    app = make_app(http_bytes_exchange(2_000_000))
    app.animation_level = "full"  # as a user's terminal has it
    async with app.run_test(size=SIZE):
        view = app.query_one("#received-view", LineView)
        assert view.max_scroll_y > 5_000
        # The actions End and Home are bound to, checked as soon as they return (a
        # pilot's key press would wait for a smooth scroll to finish).
        await app.run_action("scroll_end", view)
        assert view.scroll_y == view.max_scroll_y  # there, not on the way
        await app.run_action("scroll_home", view)
        assert view.scroll_y == 0


@pilot_test
async def test_the_app_runs_at_a_short_gil_switch_interval_and_restores_the_callers() -> None:
    before = sys.getswitchinterval()
    app = make_app()
    async with app.run_test(size=SIZE):
        # The socket worker takes the GIL back after every recv(): a short interval
        # lets the screen's event loop have it within half a millisecond.
        assert sys.getswitchinterval() == SWITCH_INTERVAL < before
    assert sys.getswitchinterval() == before


@pilot_test
async def test_a_capture_too_large_to_parse_before_the_first_frame_gets_its_headers_after() -> None:
    app = make_app(http_bytes_exchange(HEADERS_AFTER_FRAME + 1))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        headers = view_text(app, "headers-view")
        assert "200" in headers and "Content-Length" in headers
        assert "parsing" not in headers
        assert view_text(app, "received-view").startswith("b'HTTP/1.1 200 OK")
