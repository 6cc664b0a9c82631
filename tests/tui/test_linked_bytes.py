"""Linked bytes: the Headers cursor on the status line, a header or the body highlights
exactly those bytes in Received and Decoded; a click on a Received row names its part."""

from __future__ import annotations

from sockscope.tui.widgets.byte_view import LINKED_STYLE, CursorLineView, LineView
from sockscope.tui.widgets.panes import ReceivedPane
from tests.tui.exchanges import http_exchange
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
