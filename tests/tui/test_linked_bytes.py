"""Linked bytes: the Headers cursor on the status line, a header, the body, a chunk size
line, a reply line or a step highlights exactly those bytes in Received (as repr or hex)
and Decoded; the Received cursor, moved by a click or keys, names its row's part."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sockscope.core.model import Event, EventType, Exchange
from sockscope.tui.widgets.byte_view import (
    LINKED_STYLE,
    CursorLineView,
    HexLines,
    LineView,
    ReprLines,
)
from sockscope.tui.widgets.panes import BADGE_FRAME, HeadersPane, ReceivedPane, first_byte
from tests.tui.exchanges import failed_dialogue_exchange, http_exchange, one_reply_exchange
from tests.tui.helpers import make_app, pilot_test


def linked_text(app: object, view_id: str, row: int) -> str:
    """The characters of row `row` drawn with the linked style."""
    view = app.query_one(f"#{view_id}", LineView)  # type: ignore[attr-defined]
    line = view.lines.line(row)
    return "".join(
        line.plain[span.start : span.end] for span in line.spans if str(span.style) == LINKED_STYLE
    )


@pilot_test
async def test_the_headers_cursor_highlights_the_bytes_of_its_row() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        headers = app.query_one("#headers-view", CursorLineView)
        headers.focus()
        await pilot.press("down")  # the status line
        assert linked_text(app, "received-view", 0) == "HTTP/1.1 200 OK\\r\\n"
        assert linked_text(app, "decoded-view", 0) == "HTTP/1.1 200 OK␍"
        assert linked_text(app, "received-view", 1) == ""
        await pilot.press("down", "down")  # the second header
        assert (
            linked_text(app, "received-view", 2) == "Content-Type: text/html; charset=utf-8\\r\\n"
        )
        assert linked_text(app, "received-view", 0) == ""
        await pilot.press("down", "down", "down", "down")  # the framing row: the body
        assert linked_text(app, "received-view", 6) == "<!doctype html>\\n"
        assert linked_text(app, "received-view", 8) == "<p>Hello from the lab.</p>\\n"


@pilot_test
async def test_a_click_on_a_received_row_names_its_part_and_moves_the_headers_cursor() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        await pilot.click(view, offset=(3, 2))
        pane = app.query_one(ReceivedPane)
        assert str(pane.border_subtitle).startswith("header 2 (Content-Type) · ")
        assert app.query_one("#headers-view", CursorLineView).cursor == 2
        assert linked_text(app, "received-view", 2).startswith("Content-Type")


def chunked_exchange() -> Exchange:
    exchange = http_exchange()
    reply = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n"
    )
    events = [e for e in exchange.events if e.type is not EventType.RECV]
    events.insert(-1, Event(EventType.RECV, 0.0021, reply, len(reply)))
    return replace(exchange, events=events)


async def move_headers_to(pilot: Any, app: Any, entry: int) -> None:
    """Move the Headers cursor with the down key to entry `entry` (its first press puts
    the cursor on the first entry)."""
    app.query_one("#headers-view", CursorLineView).focus()
    await pilot.press(*["down"] * (entry + 1))
    await pilot.pause()


@pilot_test
async def test_the_headers_cursor_on_a_reply_line_highlights_that_line_s_bytes() -> None:
    app = make_app(failed_dialogue_exchange())
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        entries = [entry.plain for entry in app.query_one(HeadersPane).entries]
        size_line = next(i for i, text in enumerate(entries) if text.endswith("SIZE 1048576"))
        await move_headers_to(pilot, app, size_line)
        assert linked_text(app, "received-view", 2) == "250-SIZE 1048576\\r\\n"
        assert linked_text(app, "received-view", 1) == ""
        assert linked_text(app, "received-view", 3) == ""
        await pilot.press("down", "down", "down")  # the 503 refusal
        assert linked_text(app, "received-view", 5).startswith("503 5.5.1 Error")
        assert linked_text(app, "received-view", 2) == ""


@pilot_test
async def test_the_headers_cursor_on_a_step_highlights_the_reply_it_waited_for() -> None:
    app = make_app(failed_dialogue_exchange())
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await move_headers_to(pilot, app, 2)  # step 2: 250 after EHLO
        highlighted = [linked_text(app, "received-view", row) for row in range(6)]
        assert highlighted[0] == "" and highlighted[5] == ""
        assert [text[:8] for text in highlighted[1:5]] == [
            "250-lab.",
            "250-SIZE",
            "250-8BIT",
            "250 HELP",
        ]


@pilot_test
async def test_the_headers_cursor_on_a_chunk_size_line_highlights_that_line() -> None:
    app = make_app(chunked_exchange())
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        entries = [entry.plain for entry in app.query_one(HeadersPane).entries]
        assert [text for text in entries if "chunk " in text] == [
            "  chunk 1    5",
            "  chunk 2    7;ext=1",
            "  chunk 3    0",
        ]
        await move_headers_to(pilot, app, entries.index("  chunk 2    7;ext=1"))
        assert linked_text(app, "received-view", 5) == "7;ext=1\\r\\n"
        assert linked_text(app, "received-view", 4) == ""


@pilot_test
async def test_the_hex_view_shows_the_linked_bytes_in_the_hex_and_the_text_columns() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await move_headers_to(pilot, app, 0)  # the status line: 17 bytes
        app.query_one("#received-view", LineView).focus()
        await pilot.press("x")
        view = app.query_one("#received-view", LineView)
        assert isinstance(view.lines, HexLines)
        assert view.lines.per_row == 8  # the pane is narrow at 160 columns
        assert view.lines.line(0).plain == "00000000  48 54 54 50  2f 31 2e 31  |HTTP/1.1|"
        assert linked_text(app, "received-view", 0) == "48 54 54 50  2f 31 2e 31HTTP/1.1"
        assert linked_text(app, "received-view", 1) == "20 32 30 30  20 4f 4b 0d 200 OK."
        assert linked_text(app, "received-view", 2) == "0a."  # the LF ends it; S is not
        assert str(app.query_one(ReceivedPane).border_subtitle).endswith(" · hex")
        await pilot.press("x")
        assert isinstance(view.lines, ReprLines)
        assert linked_text(app, "received-view", 0) == "HTTP/1.1 200 OK\\r\\n"


@pilot_test
async def test_the_hex_view_at_120_columns_keeps_its_ascii_column_in_the_pane() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        view.focus()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(view.lines, HexLines)
        row = view.lines.line(0).plain
        assert row.endswith("|HTTP|")  # the bytes as text, beside their hex
        assert len(row) <= view.scrollable_content_region.width
        assert view.max_scroll_x == 0  # nothing to scroll sideways to


@pilot_test
async def test_moving_in_received_with_keys_names_each_row_s_part_in_repr_and_hex() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        pane = app.query_one(ReceivedPane)
        headers = app.query_one("#headers-view", CursorLineView)
        app.query_one("#received-view", LineView).focus()
        await pilot.press("down")  # the cursor comes to the top row: the status line
        await pilot.pause()
        assert str(pane.border_subtitle).startswith("status line · ")
        await pilot.press("down", "down")
        await pilot.pause()
        assert str(pane.border_subtitle).startswith("header 2 (Content-Type) · ")
        assert headers.cursor == 2
        assert linked_text(app, "received-view", 2).startswith("Content-Type")
        await pilot.press("x", "up", "up")  # hex: the row of the header's first byte, up 2
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        assert view.cursor is not None
        offset = first_byte(view.lines, view.cursor)
        assert offset is not None and offset < len(b"HTTP/1.1 200 OK\r\nServer: sockscope-lab\r\n")
        name = str(pane.border_subtitle)
        assert name.startswith(("status line · ", "header 1 (Server) · "))
        assert name.endswith(" · hex")


@pilot_test
async def test_the_hex_view_of_a_64_mib_capture_goes_to_its_last_row_at_once() -> None:
    body = b"0123456789abcdef" * (4 * 1024 * 1024)  # 64 MiB
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
    exchange = http_exchange()
    events = [e for e in exchange.events if e.type is not EventType.RECV]
    events.insert(-1, Event(EventType.RECV, 0.0021, head + body, len(head + body)))
    app = make_app(replace(exchange, events=events))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", LineView)
        view.focus()
        await pilot.press("x", "end")
        await pilot.pause()
        lines = view.lines
        assert isinstance(lines, HexLines)
        size = len(head + body)
        assert len(lines) == -(-size // lines.per_row)  # the rows are arithmetic
        last = (len(lines) - 1) * lines.per_row
        assert view.scroll_offset.y == view.max_scroll_y > 0
        assert lines.line(len(lines) - 1).plain.startswith(f"{last:08x}  ")


@pilot_test
async def test_a_hex_row_across_the_end_of_the_head_and_the_body_names_both_parts() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", CursorLineView)
        view.focus()
        await pilot.press("f2", "x")
        assert isinstance(view.lines, HexLines) and view.lines.per_row == 16
        view.move_to(7)  # bytes 112 to 127: b"ose\r\n\r\n<!doctype"
        await pilot.pause()
        pane = app.query_one(ReceivedPane)
        assert str(pane.border_subtitle) == "header 4 (Connection) … body · 193 bytes · hex"
        # The first part's bytes are the ones linked (the Headers cursor is on it).
        assert linked_text(app, "received-view", 6).endswith("Connection: ")


@pilot_test
async def test_a_part_named_in_a_narrow_received_pane_keeps_its_name_before_the_size() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", CursorLineView)
        view.focus()
        view.move_to(2)
        await pilot.pause()
        pane = app.query_one(ReceivedPane)
        room = pane.outer_size.width - BADGE_FRAME
        assert len("header 2 (Content-Type) · 193 bytes") > room
        assert str(pane.border_subtitle) == "header 2 (Content-Type)"


@pilot_test
async def test_parts_too_long_to_name_in_full_are_named_by_number() -> None:
    head = b"HTTP/1.1 200 OK\r\n"
    first = b"X-Long-Header-Name-Number-One: 111\r\n"  # ends at byte 53: within a hex row
    reply = head + first + b"X-Long-Header-Name-Number-Two: 2\r\n\r\nbody"
    app = make_app(one_reply_exchange(b"GET / HTTP/1.1\r\n\r\n", reply))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one("#received-view", CursorLineView)
        view.focus()
        await pilot.press("x")
        view.move_to(view.lines.row_of(len(head + first)))
        await pilot.pause()
        assert str(app.query_one(ReceivedPane).border_subtitle) == "header 1 … header 2"
