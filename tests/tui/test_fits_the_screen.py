"""What the explorer shows at 120x36 reads in full: Sent shows the repr above a hex dump
of 8 bytes a row, long Headers rows fold under themselves instead of being cut."""

from __future__ import annotations

from sockscope.tui.widgets.byte_view import CursorLineView, LineView
from sockscope.tui.widgets.panes import SentPane
from tests.tui.exchanges import http_exchange
from tests.tui.helpers import make_app, pilot_test, view_text


@pilot_test
async def test_at_120_columns_sent_shows_the_repr_then_a_hex_dump_of_8_bytes_a_row() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert app.query_one(SentPane).per_row == 8
        view = app.query_one("#sent-view", LineView)
        rows = view_text(app, "sent-view").splitlines()
        # The request's lines first, all in view, then its dump, whose rows fit the pane.
        assert rows[0] == "repr" and rows[1] == "b'GET / HTTP/1.1\\r\\n'"
        assert rows.index("hex") < view.scrollable_content_region.height - 1
        dump = rows[rows.index("hex") + 1 :]
        assert all(len(row) <= view.scrollable_content_region.width for row in dump)


@pilot_test
async def test_long_headers_rows_fold_and_read_in_full() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one("#headers-view", LineView)
        rows = view_text(app, "headers-view").splitlines()
        assert all(len(row) <= view.scrollable_content_region.width for row in rows)
        text = "".join(row.strip() for row in rows)
        assert "Content-Type:text/html;charset=utf-8" in text.replace(" ", "")
        assert "framingcontent-length·complete·body" in text.replace(" ", "")


@pilot_test
async def test_the_headers_cursor_moves_over_a_folded_row_as_one() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one("#headers-view", CursorLineView)
        view.focus()
        rows = view_text(app, "headers-view").splitlines()
        folded = next(y for y, row in enumerate(rows) if row.startswith("Content-Type"))
        assert rows[folded + 1].startswith("  ")  # the rest of the header, indented
        await pilot.press(*["down"] * (folded + 1))
        assert view.cursor == folded
        await pilot.press("down")
        assert view.cursor is not None and view.cursor > folded + 1
        await pilot.press("up")
        assert view.cursor == folded
