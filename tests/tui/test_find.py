"""Find in the explorer: ctrl+f, a query as text, with escapes or hex, `k of N`, Enter and
n/N step through every match of the whole capture, which is scrolled into view and
highlighted in Received and Decoded."""

from __future__ import annotations

from sockscope.core.model import Event, EventType, Exchange, ReadPolicy, Target
from sockscope.tui.widgets.byte_view import CURRENT_STYLE, MATCH_STYLE, LineView
from sockscope.tui.widgets.find_bar import FindBar
from sockscope.tui.widgets.target_bar import TargetBar
from tests.tui.exchanges import one_reply_exchange
from tests.tui.helpers import make_app, pilot_test, until


def lines_exchange(count: int, needle_rows: tuple[int, ...]) -> Exchange:
    rows = [
        b"row %06d needle\r\n" % i if i in needle_rows else b"row %06d hay\r\n" % i
        for i in range(count)
    ]
    reply = b"".join(rows)
    request = b"GIVE\r\n"
    return one_reply_exchange(request, reply, 7)


def position(app: object) -> str:
    bar = app.query_one(FindBar)  # type: ignore[attr-defined]
    return str(bar.query_one("#find-position").render())


def styles_of_row(app: object, view_id: str, row: int) -> set[str]:
    view = app.query_one(f"#{view_id}", LineView)  # type: ignore[attr-defined]
    return {str(span.style) for span in view.lines.line(row).spans}


@pilot_test
async def test_ctrl_f_finds_every_match_of_the_capture_and_enter_goes_to_the_next() -> None:
    app = make_app(lines_exchange(3000, (5, 1500, 2900)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f")
        assert app.query_one(FindBar).is_open
        await pilot.press(*"needle")
        await pilot.pause()
        assert position(app) == "1 of 3"
        assert CURRENT_STYLE in styles_of_row(app, "received-view", 5)
        assert MATCH_STYLE in styles_of_row(app, "received-view", 1500)
        assert MATCH_STYLE in styles_of_row(app, "decoded-view", 1500)
        await pilot.press("enter")
        await pilot.pause()
        assert position(app) == "2 of 3"
        received = app.query_one("#received-view", LineView)
        top = received.scroll_offset.y
        assert top <= 1500 < top + received.scrollable_content_region.height
        assert CURRENT_STYLE in styles_of_row(app, "received-view", 1500)
        await pilot.press("up")
        await pilot.pause()
        assert position(app) == "1 of 3"


@pilot_test
async def test_n_and_shift_n_in_a_pane_step_and_wrap_around() -> None:
    app = make_app(lines_exchange(50, (3, 40)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f", *"needle")
        await pilot.pause()
        received = app.query_one("#received-view", LineView)
        received.focus()
        await pilot.press("n")
        assert position(app) == "2 of 2"
        await pilot.press("n")
        assert position(app) == "1 of 2"
        await pilot.press("N")
        assert position(app) == "2 of 2"


@pilot_test
async def test_escapes_and_hex_find_bytes_a_bad_query_is_named_escape_closes() -> None:
    app = make_app(lines_exchange(10, (2,)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f", *"hay\\r\\n")
        await pilot.pause()
        assert position(app) == "no matches"  # as text, the backslashes are themselves
        await pilot.press("ctrl+t")  # text with escapes
        await pilot.pause()
        assert position(app) == "1 of 9"
        await pilot.press("ctrl+t")  # hex: "hay\r\n" is not hex
        await pilot.pause()
        assert position(app).startswith("column 1:")
        await pilot.press("ctrl+a", "ctrl+k", *"0d 0a")
        await pilot.pause()
        assert position(app) == "1 of 10"
        await pilot.press("escape")
        await pilot.pause()
        assert not app.query_one(FindBar).is_open
        assert styles_of_row(app, "received-view", 0) <= {"", "$text-secondary"}


@pilot_test
async def test_a_large_capture_is_searched_in_a_worker() -> None:
    app = make_app(lines_exchange(120_000, (119_999,)))  # about 2 MiB
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f", *"needle")
        await until(pilot, lambda: position(app) == "1 of 1", "the worker's matches")
        received = app.query_one("#received-view", LineView)
        assert received.scroll_offset.y > 100_000


@pilot_test
async def test_ctrl_b_goes_to_the_target() -> None:
    app = make_app(lines_exchange(10, ()))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#received-view").focus()
        await pilot.press("ctrl+b")
        assert app.focused is app.query_one(TargetBar).query_one("#host")


@pilot_test
async def test_ctrl_f_again_after_escape_finds_the_query_still_in_the_bar() -> None:
    app = make_app(lines_exchange(50, (3, 40)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f", *"needle", "escape")
        await pilot.pause()
        assert MATCH_STYLE not in styles_of_row(app, "received-view", 40)
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert position(app) == "1 of 2"
        assert CURRENT_STYLE in styles_of_row(app, "received-view", 3)
        await pilot.press("enter")
        assert position(app) == "2 of 2"


@pilot_test
async def test_n_after_escape_reopens_the_last_find_at_the_match_after_the_one_left() -> None:
    app = make_app(lines_exchange(50, (3, 20, 40)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f", *"needle", "enter", "escape")  # left at 2 of 3
        await pilot.pause()
        received = app.query_one("#received-view", LineView)
        assert app.focused is received and not app.query_one(FindBar).is_open
        await pilot.press("n")
        await pilot.pause()
        assert app.query_one(FindBar).is_open and position(app) == "3 of 3"
        assert CURRENT_STYLE in styles_of_row(app, "received-view", 40)
        assert app.focused is received  # n and N go on stepping, not typing in the bar
        await pilot.press("N", "N")
        assert position(app) == "1 of 3"


@pilot_test
async def test_at_80x24_a_long_problem_with_the_query_leaves_the_query_in_view() -> None:
    app = make_app(lines_exchange(10, (2,)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f", "ctrl+t", "ctrl+t", *"de ad bex")
        await pilot.pause()
        assert "not a hex digit" in position(app)
        field = app.query_one("#find-input")
        shown = app.query_one("#find-position")
        assert field.region.width > len("de ad bex") and field.region.right <= shown.region.x
        assert shown.region.right <= 80 and shown.region.height == 1


@pilot_test
async def test_ctrl_f_in_a_zoomed_pane_shows_the_bar_and_escape_closes_it() -> None:
    app = make_app(lines_exchange(50, (3, 40)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        received = app.query_one("#received-view", LineView)
        received.focus()
        await pilot.press("f2", "ctrl+f", *"needle")
        await pilot.pause()
        bar = app.query_one(FindBar)
        assert bar.region.width > 0 and position(app) == "1 of 2"  # the bar is in sight
        await pilot.press("escape")
        assert not bar.is_open and app.focused is received


@pilot_test
async def test_a_find_open_while_bytes_arrive_counts_the_matches_that_come() -> None:
    from sockscope.tui.widgets.status import State

    request = b"GIVE\r\n"
    live = Exchange(Target("127.0.0.1", 7), request, ReadPolicy())
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app._live = live  # as _start leaves it, without a network
        app._show_exchange(live, State.CONNECTING, live=True)
        live.events += [
            Event(EventType.SEND, 0.001, request, len(request)),
            Event(EventType.RECV, 0.002, b"hay needle hay\r\n", 16),
        ]
        app._redraw_live()
        await pilot.pause()
        await pilot.press("ctrl+f", *"needle")
        await pilot.pause()
        assert position(app) == "1 of 1"
        for part in range(2):
            chunk = b"hay\r\nne" if part == 0 else b"edle\r\nneedle\r\n"
            live.events.append(Event(EventType.RECV, 0.003 + part, chunk, len(chunk)))
            app._redraw_live()
            await pilot.pause()
        # One match split across two reads, one whole: counted as they came.
        assert position(app) == "1 of 3"
        assert CURRENT_STYLE in styles_of_row(app, "received-view", 0)
        assert MATCH_STYLE in styles_of_row(app, "received-view", 2)
