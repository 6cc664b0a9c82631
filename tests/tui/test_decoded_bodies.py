"""The Decoded pane shows a gzip body decoded, named by its chain, in its charset; `p`
lays out JSON; Received keeps the bytes as they came."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import threading
from typing import Any

import pytest
from textual.worker import WorkerCancelled

from sockscope.core.model import Event, EventType, Exchange, Target
from sockscope.tui.widgets import panes
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.panes import DecodedPane
from tests.tui.exchanges import one_reply_exchange
from tests.tui.helpers import make_app, pilot_test, until, view_text

JSON = b'{"greeting":"gr\xfc\xdfe","items":[1,2]}'


def coded_exchange(body: bytes, content_type: str, coding: str = "gzip") -> Exchange:
    # mtime=0: the same bytes every run (gzip writes the time into its header).
    packed = gzip.compress(body, mtime=0) if coding == "gzip" else body
    half = len(packed) // 2
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (packed[:half], packed[half:]))
    reply = (
        (
            f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Encoding: {coding}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
        + chunks
        + b"0\r\n\r\n"
    )
    request = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"
    return one_reply_exchange(request, reply)


@pilot_test
async def test_a_gzip_body_is_decoded_in_its_charset_and_received_keeps_the_bytes() -> None:
    app = make_app(coded_exchange(JSON, "application/json; charset=iso-8859-1"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        pane = app.query_one(DecodedPane)
        assert view_text(app, "decoded-view") == '{"greeting":"grüße","items":[1,2]}'
        app.query_one("#decoded-view").focus()
        await pilot.press("f2")  # zoomed: room for the whole badge
        assert pane.border_subtitle == f"body: chunked → gzip, {len(JSON)} bytes · latin-1"
        assert "\\x1f\\x8b" in view_text(app, "received-view")


@pytest.mark.parametrize(
    ("size", "badges"),
    [
        # Left out in turn: the framing (Headers names it), the encoding (the selector
        # above the text names it), the size.
        ((120, 36), (f"gzip, {len(JSON)} bytes", "gzip, laid out")),
        (
            (200, 50),
            (f"gzip, {len(JSON)} bytes · latin-1", f"gzip, {len(JSON)} bytes, laid out · latin-1"),
        ),
    ],
)
@pilot_test
async def test_the_decoded_badge_of_a_coded_body_fits_its_pane(
    size: tuple[int, int], badges: tuple[str, str]
) -> None:
    app = make_app(coded_exchange(JSON, "application/json; charset=iso-8859-1"))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        pane = app.query_one(DecodedPane)
        room = pane.outer_size.width - panes.BADGE_FRAME
        app.query_one("#decoded-view").focus()
        for badge in badges:
            assert pane.border_subtitle == badge and len(badge) <= room
            await pilot.press("p")  # laid out


@pilot_test
async def test_p_in_the_decoded_pane_lays_out_json_and_again_shows_it_as_it_came() -> None:
    app = make_app(coded_exchange(JSON, "application/json; charset=iso-8859-1"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#decoded-view").focus()
        await pilot.press("p")
        assert view_text(app, "decoded-view").splitlines() == [
            "{",
            '  "greeting": "grüße",',
            '  "items": [',
            "    1,",
            "    2",
            "  ]",
            "}",
        ]
        assert app.query_one(DecodedPane).border_subtitle == "gzip, laid out"
        await pilot.press("p")
        assert view_text(app, "decoded-view") == '{"greeting":"grüße","items":[1,2]}'


@pilot_test
async def test_a_bad_coding_shows_what_decoded_and_names_the_problem() -> None:
    app = make_app(coded_exchange(b"not really compressed", "text/plain", coding="br"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        badge = str(app.query_one(DecodedPane).border_subtitle)
        assert badge.startswith("br; br data is corrupt")


@pilot_test
async def test_listen_shows_a_gzip_request_body_decoded() -> None:
    from tests.tui.test_listen import (
        SIZE,
        ListenForm,
        client_labels,
        connect,
        open_listen,
        recv_all,
        until,
    )

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_listen(pilot, ListenForm(reply="http-ok"))
        body = gzip.compress(b"posted, then gzipped", mtime=0)
        head = b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"
        head += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)

        def post() -> bytes:
            with connect(screen) as client:
                client.sendall(head + body)
                return recv_all(client)

        assert (await asyncio.to_thread(post)).startswith(b"HTTP/1.")
        await until(screen, lambda: "peer-closed" in "".join(client_labels(screen)))
        pane = screen.query_one("#client-decoded", DecodedPane)
        lines = pane.query_one(LineView).lines
        assert [lines.line(y).plain for y in range(len(lines))] == ["posted, then gzipped"]
        badge = str(pane.border_subtitle)
        assert badge.startswith("gzip, 20 bytes")


@pilot_test
async def test_p_on_a_body_it_cannot_lay_out_says_why() -> None:
    app = make_app(coded_exchange(b"<p>hello</p>", "text/html"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#decoded-view").focus()
        await pilot.press("p")
        await pilot.pause()
        notes = [str(note.message) for note in app._notifications]
        assert notes == ["p lays out a JSON or XML body that parses; this one is text/html"]
        assert "laid out" not in str(app.query_one(DecodedPane).border_subtitle)


@pilot_test
async def test_p_while_a_json_body_arrives_says_it_is_laid_out_once_all_has_arrived() -> None:
    whole = coded_exchange(JSON, "application/json")
    reply = whole.events[1].data
    request = whole.events[0].data
    live = Exchange(Target("127.0.0.1", 80), request)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app._live = live  # as _start leaves it, without a network
        live.events += [
            Event(EventType.SEND, 0.001, request, len(request)),
            Event(EventType.RECV, 0.002, reply[:-20], len(reply) - 20),
        ]
        app._redraw_live()
        await pilot.pause()
        app.query_one("#decoded-view").focus()
        await pilot.press("p")
        await pilot.pause()
        badge = str(app.query_one(DecodedPane).border_subtitle)
        assert "laid out once it has all arrived" in badge
        assert not app._notifications


# A body past what the key's own handler lays out: made by a worker thread.
LARGE_JSON = json.dumps([{"id": n, "name": f"item {n}"} for n in range(8_000)]).encode()


class HeldLayout:
    """`pretty_text` as the Decoded pane's worker calls it, held until `release`: what
    the app does while a large layout is being made, without timing anything."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.on_ui_thread = False
        made = panes.pretty_text
        ui_thread = threading.get_ident()

        def held(*args: Any) -> bytes | None:
            self.on_ui_thread = threading.get_ident() == ui_thread
            self.started.set()
            self.release.wait(5)  # laid out in the key's handler, it would hold the app
            return made(*args)

        monkeypatch.setattr(panes, "pretty_text", held)


@pilot_test
async def test_a_large_layout_is_made_aside_while_keys_are_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(LARGE_JSON) > panes.LAID_OUT_AT_ONCE
    layout = HeldLayout(monkeypatch)
    app = make_app(coded_exchange(LARGE_JSON, "application/json; charset=utf-8"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one("#decoded-view", LineView)
        view.focus()
        await pilot.press("p")
        await until(pilot, layout.started.is_set, "the layout started")
        pane = app.query_one(DecodedPane)
        assert str(pane.border_subtitle) == "gzip, laying out…"
        await pilot.press("w")  # answered while the layout is being made
        assert view.wrap and not layout.on_ui_thread
        layout.release.set()
        await app.workers.wait_for_complete()
        await until(pilot, lambda: not view_text(app, "decoded-view").startswith("[{"), "shown")
        assert view_text(app, "decoded-view").splitlines()[:5] == [
            "[",
            "  {",
            '    "id": 0,',
            '    "name": "item 0"',
            "  },",
        ]
        assert str(pane.border_subtitle).startswith("gzip, laid out")


@pilot_test
async def test_a_layout_finished_after_another_exchange_is_shown_is_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layout = HeldLayout(monkeypatch)
    app = make_app(coded_exchange(LARGE_JSON, "application/json"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#decoded-view").focus()
        await pilot.press("p")
        await until(pilot, layout.started.is_set, "the layout started")
        pane = app.query_one(DecodedPane)
        pane.show(b"another exchange's bytes")
        [worker] = [w for w in app.workers if w.group == "layout"]
        assert worker.is_cancelled
        layout.release.set()
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        assert view_text(app, "decoded-view") == "another exchange's bytes"
        assert "laid out" not in str(pane.border_subtitle)
