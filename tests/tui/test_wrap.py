"""w in Decoded: long rows wrapped at the pane's width, or cut at its edge; in Headers,
folded rows cut at the edge, or folded again."""

from __future__ import annotations

from sockscope.core.model import Exchange
from sockscope.tui.widgets.byte_view import MAX_WRAP_ROWS, LineView
from sockscope.tui.widgets.panes import DecodedPane, HeadersPane
from tests.tui.exchanges import one_reply_exchange
from tests.tui.helpers import make_app, pilot_test

LONG = "x" * 150


def reply_exchange(reply: bytes) -> Exchange:
    request = b"GET / HTTP/1.1\r\n\r\n"
    return one_reply_exchange(request, reply)


def rows(app: object, view_id: str) -> list[str]:
    lines = app.query_one(f"#{view_id}", LineView).lines  # type: ignore[attr-defined]
    return [lines.line(y).plain for y in range(len(lines))]


@pilot_test
async def test_w_wraps_long_rows_in_decoded_and_w_again_cuts_them() -> None:
    reply = f"HTTP/1.1 200 OK\r\nX-Long: {LONG}\r\nContent-Length: 150\r\n\r\n{LONG}".encode()
    app = make_app(reply_exchange(reply))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        before = rows(app, "decoded-view")
        app.query_one("#decoded-view").focus()
        await pilot.press("w")
        wrapped = rows(app, "decoded-view")
        width = app.query_one("#decoded-view", LineView).scrollable_content_region.width
        assert len(wrapped) > len(before)
        assert max(map(len, wrapped)) <= width
        assert "".join(wrapped).replace(" ", "") == "".join(before).replace(" ", "")
        assert str(app.query_one(DecodedPane).border_subtitle).endswith(" · wrapped")
        await pilot.press("w")
        assert rows(app, "decoded-view") == before


@pilot_test
async def test_a_source_too_long_to_wrap_stays_cut_and_says_so() -> None:
    body = b"line\n" * (MAX_WRAP_ROWS + 10)
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    app = make_app(reply_exchange(reply))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#decoded-view").focus()
        await pilot.press("w")
        assert str(app.query_one(DecodedPane).border_subtitle).endswith(" · too long to wrap")


@pilot_test
async def test_w_in_headers_cuts_folded_rows_at_the_edge_and_w_again_folds_them() -> None:
    reply = f"HTTP/1.1 200 OK\r\nX-Long: {LONG}\r\nContent-Length: 0\r\n\r\n".encode()
    app = make_app(reply_exchange(reply))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        pane = app.query_one(HeadersPane)
        folded = rows(app, "headers-view")
        assert len(folded) > len(pane.entries)  # X-Long takes several rows
        app.query_one("#headers-view").focus()
        await pilot.press("w")
        cut = rows(app, "headers-view")
        assert cut == [entry.plain for entry in pane.entries]
        assert f"X-Long: {LONG}" in cut
        assert str(pane.border_subtitle) == "http · cut"
        await pilot.press("w")
        assert rows(app, "headers-view") == folded
        assert str(pane.border_subtitle) == "http"


@pilot_test
async def test_the_headers_cursor_stays_on_its_header_as_w_cuts_and_folds() -> None:
    reply = f"HTTP/1.1 200 OK\r\nX-Long: {LONG}\r\nX-After: yes\r\n\r\n".encode()
    app = make_app(reply_exchange(reply))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one("#headers-view", LineView)
        view.focus()
        await pilot.press("down", "down", "down")  # the status line, X-Long, X-After
        assert view.lines.line(view.cursor or 0).plain == "X-After: yes"
        await pilot.press("w")
        assert view.lines.line(view.cursor or 0).plain == "X-After: yes"
        await pilot.press("w")
        assert view.lines.line(view.cursor or 0).plain == "X-After: yes"
