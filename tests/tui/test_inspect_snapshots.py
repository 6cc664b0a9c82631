"""Pictures of inspecting an exchange: a find with its matches, the bytes of a header
linked from the Headers cursor, a gzip body decoded and laid out, and a find in that
body decoded, on wrapped rows.

Review every changed SVG before `--snapshot-update`: the report shows the difference.
"""

from __future__ import annotations

from typing import Any

from tests.tui.exchanges import http_exchange
from tests.tui.helpers import make_app
from tests.tui.test_decoded_bodies import JSON, coded_exchange

WIDE = (120, 36)


def test_find_highlights_every_match_and_counts_them(snap_compare) -> None:
    assert snap_compare(
        make_app(http_exchange()), terminal_size=WIDE, press=["ctrl+f", *"lab", "enter"]
    )


def test_the_headers_cursor_highlights_the_bytes_of_a_header(snap_compare) -> None:
    app = make_app(http_exchange())

    async def on_the_content_type(pilot: Any) -> None:
        app.query_one("#headers-view").focus()
        await pilot.press("down", "down", "down")

    assert snap_compare(app, terminal_size=WIDE, run_before=on_the_content_type)


def test_a_gzip_json_body_is_decoded_and_laid_out(snap_compare) -> None:
    app = make_app(coded_exchange(JSON, "application/json; charset=iso-8859-1"))

    async def laid_out(pilot: Any) -> None:
        app.query_one("#decoded-view").focus()
        await pilot.press("p")

    assert snap_compare(app, terminal_size=WIDE, run_before=laid_out)


def test_find_in_the_decoded_body_highlights_it_on_wrapped_rows(snap_compare) -> None:
    body = b'{"note":"' + b"a long line of the body, " * 6 + b'the word: needle","more":"needle"}'
    app = make_app(coded_exchange(body, "application/json; charset=utf-8"))

    async def found(pilot: Any) -> None:
        app.query_one("#decoded-view").focus()
        await pilot.press("w", "ctrl+f", *"needle", "enter")

    assert snap_compare(app, terminal_size=WIDE, run_before=found)


def test_the_hex_view_names_the_part_under_its_cursor_and_highlights_its_bytes(
    snap_compare,
) -> None:
    app = make_app(http_exchange())

    async def zoomed_hex_on_the_content_type(pilot: Any) -> None:
        app.query_one("#received-view").focus()
        await pilot.press("f2", "x", "down", "down", "down", "down")

    assert snap_compare(app, terminal_size=WIDE, run_before=zoomed_hex_on_the_content_type)
