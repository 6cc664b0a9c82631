"""Find over the focused pane: from Sent it searches the bytes sent, from Decoded the
body it shows decoded (or laid out); the bar says which, and the matches are
highlighted in every view that shows those bytes, wrapped rows included."""

from __future__ import annotations

from textual.widgets import Tabs

from sockscope.tui.widgets.byte_view import CURRENT_STYLE, LINKED_STYLE, MATCH_STYLE, LineView
from sockscope.tui.widgets.find_bar import FindBar
from tests.tui.exchanges import one_reply_exchange
from tests.tui.helpers import make_app, pilot_test
from tests.tui.test_decoded_bodies import coded_exchange

JSON = b'{"greeting":"hello","items":["needle one","needle two"]}'


def bar_says(app: object) -> tuple[str, str]:
    """What the bar searches and where the find stands: `find in Sent (text)`, `1 of 2`."""
    bar = app.query_one(FindBar)  # type: ignore[attr-defined]
    return str(bar.query_one("#find-mode").render()), str(bar.query_one("#find-position").render())


def marked_rows(app: object, view_id: str) -> dict[int, str]:
    """Each highlighted row of a view: `current` (the current match on it), else
    `match`, else `linked`."""
    lines = app.query_one(f"#{view_id}", LineView).lines  # type: ignore[attr-defined]
    found: dict[int, str] = {}
    for y in range(len(lines)):
        styles = {str(span.style) for span in lines.line(y).spans}
        for style, name in (
            (CURRENT_STYLE, "current"),
            (MATCH_STYLE, "match"),
            (LINKED_STYLE, "linked"),
        ):
            if style in styles:
                found[y] = name
                break
    return found


@pilot_test
async def test_ctrl_f_in_sent_finds_the_bytes_sent_and_highlights_them_there() -> None:
    request = b"GET /needle HTTP/1.1\r\nHost: needle.example\r\n\r\n"
    app = make_app(one_reply_exchange(request, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        app.query_one("#sent-view").focus()
        await pilot.press("ctrl+f", *"needle")
        await pilot.pause()
        assert bar_says(app) == ("find in Sent (text)", "1 of 2")
        # The repr rows under the `repr` title row: the request line, then Host; and the
        # same bytes in the hex dump under its title (4 bytes a row: rows 1-2 and 7-8).
        hex_rows = {6: "current", 7: "current", 12: "match", 13: "match"}
        assert marked_rows(app, "sent-view") == {1: "current", 2: "match", **hex_rows}
        assert marked_rows(app, "received-view") == {}
        await pilot.press("enter")
        hex_rows = {6: "match", 7: "match", 12: "current", 13: "current"}
        assert marked_rows(app, "sent-view") == {1: "match", 2: "current", **hex_rows}
        await pilot.press("escape")
        assert app.focused is app.query_one("#sent-view")


@pilot_test
async def test_ctrl_f_in_decoded_finds_in_the_body_decoded_and_laid_out() -> None:
    app = make_app(coded_exchange(JSON, "application/json"))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        app.query_one("#decoded-view").focus()
        await pilot.press("ctrl+f", *"needle")
        await pilot.pause()
        # The received bytes are gzip: only the decoded body holds the word.
        assert bar_says(app) == ("find in Decoded body (text)", "1 of 2")
        assert marked_rows(app, "decoded-view") == {0: "current"}
        assert marked_rows(app, "received-view") == {}
        app.query_one("#decoded-view").focus()
        await pilot.press("p")  # laid out: each needle on a row of its own
        await pilot.pause()
        assert bar_says(app) == ("find in Decoded body (text)", "1 of 2")
        marked = marked_rows(app, "decoded-view")
        assert list(marked.values()) == ["current", "match"]
        assert (
            b"needle"
            in app.query_one("#decoded-view", LineView).lines.line(min(marked)).plain.encode()
        )


@pilot_test
async def test_from_received_or_a_decoded_pane_showing_the_same_bytes_both_highlight() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nneedle here"
    app = make_app(one_reply_exchange(b"GET / HTTP/1.1\r\n\r\n", reply))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        app.query_one("#decoded-view").focus()
        await pilot.press("ctrl+f", *"needle")
        await pilot.pause()
        assert bar_says(app) == ("find in Received (text)", "1 of 1")
        assert marked_rows(app, "received-view") == {3: "current"}
        assert marked_rows(app, "decoded-view") == {3: "current"}


@pilot_test
async def test_matches_show_on_wrapped_decoded_rows() -> None:
    body = b"x" * 150 + b"needle" + b"y" * 20
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    app = make_app(one_reply_exchange(b"GET / HTTP/1.1\r\n\r\n", reply))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#decoded-view").focus()
        await pilot.press("w", "ctrl+f", *"needle")
        await pilot.pause()
        view = app.query_one("#decoded-view", LineView)
        assert view.wraps
        marked = marked_rows(app, "decoded-view")
        assert list(marked.values()) == ["current"]
        (row,) = marked
        text = view.lines.line(row).plain
        assert row > 3  # a wrapped row of the body, past its first
        assert "needle" in text or text.endswith(("n", "ne", "nee", "need", "needl"))


@pilot_test
async def test_linked_bytes_show_on_wrapped_rows_too() -> None:
    long_value = "v" * 150
    reply = f"HTTP/1.1 200 OK\r\nX-Long: {long_value}\r\nContent-Length: 0\r\n\r\n".encode()
    app = make_app(one_reply_exchange(b"GET / HTTP/1.1\r\n\r\n", reply))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#decoded-view").focus()
        await pilot.press("w")
        app.query_one("#headers-view").focus()
        await pilot.press("down", "down")  # the status line, then X-Long
        await pilot.pause()
        marked = marked_rows(app, "decoded-view")
        assert len(marked) >= 2  # the header's wrapped rows, each highlighted
        assert all(name == "linked" for name in marked.values())


@pilot_test
async def test_at_80x24_a_find_from_sent_keeps_sent_in_front() -> None:
    request = b"GET /needle HTTP/1.1\r\n\r\n"
    app = make_app(one_reply_exchange(request, b"HTTP/1.1 204 No Content\r\n\r\n"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tabs = app.query_one("#view-tabs", Tabs)
        tabs.active = "tab-sent"
        await pilot.pause()
        app.query_one("#sent-view").focus()
        await pilot.press("ctrl+f", *"needle")
        await pilot.pause()
        assert tabs.active == "tab-sent" and app.query_one("#sent").display
        assert bar_says(app) == ("find in Sent (text)", "1 of 1")
