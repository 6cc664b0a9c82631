"""Select with the mouse or the keys in a pane, and copy the selection: its size in the
pane's badge, y (or the palette) copies it first, before the match, the linked bytes or
the whole pane, in payload syntax (never a server's raw escape sequences), hex or base64."""

from __future__ import annotations

import base64
from typing import Any

from textual.content import Content

from sockscope.core.payload import parse_hex, parse_text
from sockscope.tui.app import SockscopeApp
from sockscope.tui.widgets.byte_view import SELECTED_STYLE, ByteRows, LineView
from sockscope.tui.widgets.panes import Pane, ReceivedPane
from tests.tui.exchanges import HTTP_BODY, HTTP_HEAD, http_exchange
from tests.tui.helpers import make_app, pilot_test, until
from tests.tui.test_wrap import reply_exchange

SIZE = (160, 40)


def badge(app: SockscopeApp, view_id: str) -> str:
    view = app.query_one(f"#{view_id}", LineView)
    assert isinstance(view.parent, Pane)
    return str(view.parent.border_subtitle)


def selected(row: Content) -> list[str]:
    """The pieces of `row` drawn in the selection's style."""
    return [row.plain[s.start : s.end] for s in row.spans if str(s.style) == SELECTED_STYLE]


async def drag(pilot: object, view: LineView, start: tuple[int, int], end: tuple[int, int]) -> None:
    """Press at `start` (x, y in the view), move to `end` and let go there."""
    await pilot.mouse_down(view, offset=start)  # type: ignore[attr-defined]
    await pilot.hover(view, offset=end)  # type: ignore[attr-defined]
    await pilot.mouse_up(view, offset=end)  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


@pilot_test
async def test_a_drag_in_received_selects_those_bytes_and_y_copies_them() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        # From the H of b'HTTP/1.1 to the e of b'Server.
        await drag(pilot, view, (2, 0), (6, 1))
        assert badge(app, "received-view").startswith("selected 22 bytes · ")
        await pilot.press("y")
        assert app.clipboard == "HTTP/1.1 200 OK\\r\nServe"
        app.run_command("copy", "hex")
        assert parse_hex(app.clipboard) == HTTP_HEAD[:22]
        app.run_command("copy", "base64")
        assert base64.b64decode(app.clipboard) == HTTP_HEAD[:22]


@pilot_test
async def test_the_selection_comes_before_the_current_match_and_escape_clears_it() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f", *"Hello", "enter")
        view = app.query_one("#received-view", LineView)
        await drag(pilot, view, (2, 1), (7, 1))
        await pilot.press("ctrl+c")
        assert app.clipboard == "Server"
        await pilot.press("escape")
        assert view.selection is None
        assert not badge(app, "received-view").startswith("selected")
        await pilot.press("ctrl+c")
        assert app.clipboard == "Server"  # ctrl+c copies a selection only
        await pilot.press("y")
        assert app.clipboard == "Hello"  # the match again, as before the selection


@pilot_test
async def test_v_selects_rows_that_the_moving_keys_extend() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        view.focus()
        view.scroll_home(animate=False, immediate=True)
        await pilot.press("v", "down", "down")
        await pilot.press("y")
        assert parse_text(app.clipboard) == HTTP_HEAD.split(b"Content-Length")[0]
        await pilot.press("end")
        await pilot.press("y")
        assert parse_text(app.clipboard) == HTTP_HEAD + HTTP_BODY
        await pilot.press("home", "down")
        await pilot.press("y")
        assert parse_text(app.clipboard) == b"HTTP/1.1 200 OK\r\nServer: sockscope-lab\r\n"
        assert badge(app, "received-view").startswith("selected 40 bytes")
        await pilot.press("v")  # again: no selection, and the keys scroll again
        assert view.selection is None


@pilot_test
async def test_a_click_clears_the_selection_and_a_double_click_selects_a_row() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        await drag(pilot, view, (2, 0), (6, 1))
        await pilot.click(view, offset=(3, 4))
        assert view.selection is None
        await pilot.click(view, offset=(3, 1), times=2)
        await pilot.press("y")
        assert app.clipboard == "Server: sockscope-lab\\r\n"


@pilot_test
async def test_a_drag_does_not_name_the_part_a_click_would() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        await drag(pilot, view, (3, 2), (9, 2))
        assert badge(app, "received-view").startswith("selected 7 bytes")
        assert "Content-Type" not in badge(app, "received-view")


@pilot_test
async def test_the_headers_pane_copies_the_rows_selected_as_they_came_unfolded() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:  # Content-Type folded over two rows
        await pilot.pause()
        app.query_one("#headers-view").focus()
        await pilot.press("down", "down", "v", "down")  # Server, then Content-Type
        await pilot.press("y")
        assert app.clipboard == ("Server: sockscope-lab\nContent-Type: text/html; charset=utf-8\n")
        assert badge(app, "headers-view").startswith("selected 61 characters")


@pilot_test
async def test_bytes_selected_in_sent_s_hex_dump_are_drawn_in_its_repr_and_back() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#sent-view", LineView)
        hex_title = next(y for y in range(len(view.lines)) if view.lines.line(y).plain == "hex")
        # The first hex row's first two bytes: G and E of GET.
        await drag(pilot, view, (10, hex_title + 1), (13, hex_title + 1))
        await pilot.press("y")
        assert app.clipboard == "GE"
        assert selected(view.lines.line(1)) == ["GE"]  # b'GE|T / HTTP/1.1
        # And the other way: HTTP selected in the repr, its hex digits and characters.
        await drag(pilot, view, (8, 1), (11, 1))
        assert view.selected_bytes() == b"HTTP"
        assert selected(view.lines.line(hex_title + 2))[-1].endswith("HT")


@pilot_test
async def test_a_server_s_escape_sequences_are_copied_as_payload_syntax() -> None:
    attack = b"\x1b]52;c;aGk=\x07\x1b[2J\r\n"
    app = make_app(reply_exchange(b"HTTP/1.1 200 OK\r\n\r\n" + attack))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        view.focus()
        await pilot.press("v", "end")
        await pilot.press("y")
        assert "\x1b" not in app.clipboard and "\x07" not in app.clipboard
        assert parse_text(app.clipboard).endswith(attack)


@pilot_test
async def test_a_selection_stays_while_the_capture_grows_and_goes_with_other_bytes() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        await drag(pilot, view, (2, 0), (6, 0))
        pane = app.query_one(ReceivedPane)
        rows = ByteRows(HTTP_HEAD)
        pane.show(app.explorer.current, rows, live=True)
        await drag(pilot, view, (2, 0), (6, 0))
        pane.show(app.explorer.current, ByteRows.of(HTTP_HEAD + HTTP_BODY, rows), live=True)
        assert view.selected_bytes() == b"HTTP/"
        pane.show(app.explorer.current, ByteRows(b"other bytes"), live=True)
        await pilot.pause()
        assert view.selection is None
        assert not badge(app, "received-view").startswith("selected")


def test_a_selection_is_highlighted_and_sized_in_the_badge(snap_compare: Any) -> None:
    app = make_app(http_exchange())

    async def drag_over_two_headers(pilot: Any) -> None:
        await pilot.pause()  # laid out: the drag lands on the rows drawn
        view = app.query_one("#received-view", LineView)
        await drag(pilot, view, (10, 1), (12, 3))

    assert snap_compare(app, terminal_size=(120, 36), run_before=drag_over_two_headers)


@pilot_test
async def test_wrapping_decoded_keeps_the_selection_of_its_bytes() -> None:
    long = b"x" * 150
    app = make_app(reply_exchange(b"HTTP/1.1 200 OK\r\nX-Long: " + long + b"\r\n\r\n"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#decoded-view", LineView)
        view.focus()
        view.scroll_home(animate=False, immediate=True)
        await pilot.press("v", "down", "down")  # the status line to the blank row
        await pilot.press("w")
        assert view.wraps
        assert view.selected_bytes() == b"HTTP/1.1 200 OK\r\nX-Long: " + long + b"\r\n\r\n"
        await pilot.press("up")  # one row up, from the blank one: the X-Long row, wrapped
        await pilot.press("y")
        assert app.clipboard == "HTTP/1.1 200 OK\\r\nX-Long: " + "x" * 150 + "\\r\n"


@pilot_test
async def test_the_palette_copies_the_selection_of_the_pane_it_was_opened_from() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        await drag(pilot, view, (2, 0), (9, 0))
        await pilot.press("ctrl+p", *"copy hex")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.clipboard == "48 54 54 50 2f 31 2e 31"


@pilot_test
async def test_a_drag_past_the_bottom_of_the_pane_scrolls_it_and_selects_on() -> None:
    lines = b"".join(b"line %03d\n" % n for n in range(200))
    app = make_app(reply_exchange(lines))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        view.scroll_home(animate=False, immediate=True)
        height = view.scrollable_content_region.height
        await drag(pilot, view, (2, 0), (2, height + 2))
        top = view.scroll_offset.y
        assert top > 0
        selected = view.selected_bytes()
        assert selected is not None  # to the row at the bottom of the pane now
        assert selected.startswith(b"line 000\n") and selected.endswith(b"\nl")
        assert selected.count(b"\n") == top + height - 1


@pilot_test
async def test_a_drag_held_below_the_pane_goes_on_scrolling_and_selecting() -> None:
    lines = b"".join(b"line %03d\n" % n for n in range(200))
    app = make_app(reply_exchange(lines))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        view.scroll_home(animate=False, immediate=True)
        height = view.scrollable_content_region.height
        await pilot.mouse_down(view, offset=(2, 0))
        await pilot.hover(view, offset=(2, height))  # one row below, and held there
        await until(pilot, lambda: view.scroll_offset.y >= 10, "the held drag to scroll")
        await pilot.mouse_up(view, offset=(2, height))
        top = view.scroll_offset.y
        selected = view.selected_bytes() or b""
        assert selected.count(b"\n") == top + height - 1


@pilot_test
async def test_in_received_s_hex_dump_a_drag_selects_bytes_drawn_in_both_columns_and_in_repr() -> (
    None
):
    app = make_app(http_exchange())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        view.focus()
        await pilot.press("x")  # the hex dump
        await pilot.pause()
        assert view.lines.line(0).plain.startswith("00000000  48 54 54 50")
        await drag(pilot, view, (10, 0), (19, 0))  # 48 54 54 50: HTTP
        await pilot.press("y")
        assert app.clipboard == "HTTP"
        assert selected(view.lines.line(0)) == ["48 54 54 50", "HTTP"]
        await pilot.press("x")  # back to repr rows: the same bytes stay selected
        assert selected(view.lines.line(0)) == ["HTTP"]
