"""What the explorer shows reads in full: Received is the widest pane, Sent shows the repr
above a hex dump whose rows fit it, long Headers rows fold under themselves instead of being
cut, and the status line takes a second row rather than cut the hint or the total time."""

from __future__ import annotations

import re
from dataclasses import replace

from textual.geometry import Region

from sockscope.core.model import (
    ErrorInfo,
    ErrorKind,
    Event,
    EventType,
    Exchange,
    StopReason,
    TlsOptions,
)
from sockscope.engine.errors import INSECURE_HINT
from sockscope.tui.app import SockscopeApp
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.widgets.byte_view import CursorLineView, LineView
from sockscope.tui.widgets.panes import SentPane
from sockscope.tui.widgets.status import StatusLine
from tests.tui.exchanges import CERTIFICATE, http_exchange, tls_exchange, tls_session_detail
from tests.tui.helpers import make_app, pilot_test, until, view_text


def screen_rows(app: SockscopeApp, view_id: str) -> list[str]:
    """The rows of a line view as drawn (the Headers pane's wrapped ones each a row)."""
    lines = app.query_one(f"#{view_id}", LineView).lines
    return [lines.line(y).plain for y in range(len(lines))]


def pane_widths(app: SockscopeApp) -> dict[str, int]:
    return {name: app.query_one(f"#{name}").size.width for name in PANES}


PANES = ("sent", "received", "decoded", "headers")


@pilot_test
async def test_at_120_columns_received_is_the_widest_pane_and_every_empty_hint_reads_in_full() -> (
    None
):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        widths = pane_widths(app)
        assert max(widths, key=widths.__getitem__) == "received"
        for name in PANES:
            hint = view_text(app, f"{name}-view")
            assert len(hint) <= app.query_one(f"#{name}-view").size.width, (name, hint)


@pilot_test
async def test_sent_shows_the_repr_then_a_hex_dump_whose_rows_fit_the_pane() -> None:
    for size, per_row in (((120, 36), 4), ((200, 50), 8)):
        app = make_app(http_exchange())
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            assert app.query_one(SentPane).per_row == per_row
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
        rows = screen_rows(app, "headers-view")
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
        rows = screen_rows(app, "headers-view")
        folded = next(y for y, row in enumerate(rows) if row.startswith("Content-Type"))
        assert rows[folded + 1].startswith("  ")  # the rest of the header, indented
        await pilot.press(*["down"] * (folded + 1))
        assert view.cursor == folded
        await pilot.press("down")
        assert view.cursor is not None and view.cursor > folded + 1
        await pilot.press("up")
        assert view.cursor == folded


def status_text(app: SockscopeApp) -> str:
    """What the status line shows on screen, its rows joined by a newline."""
    status = app.query_one(StatusLine)
    width, height = status.size
    strips = status.render_lines(Region(0, 0, width, height))
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


@pilot_test
async def test_at_120_columns_the_status_line_takes_a_second_row_for_the_total_time() -> None:
    app = make_app(http_exchange())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        shown = status_text(app)
        assert "server finished sending" in shown and "total 2.50 ms" in shown
        assert shown.count("\n") == 1


@pilot_test
async def test_a_rejected_certificate_leaves_its_fingerprint_to_headers_and_keeps_the_hint() -> (
    None
):
    app = make_app(verify_failed_exchange())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = " ".join(status_text(app).split())  # the rows as one text
        assert "self-signed certificate" in shown and "(ctrl+o, verify off)" in shown
        assert "47:DD" not in shown
        assert "fingerprint 47:DD:D6" in view_text(app, "headers-view").replace("\n", " ")


def verify_failed_exchange() -> Exchange:
    """HTTPS to a self-signed certificate, refused by verification."""
    base = tls_exchange()
    certificate = tls_session_detail()["certificate"]
    error = ErrorInfo(
        ErrorKind.TLS_VERIFY,
        "certificate verify failed: self-signed certificate"
        f" (SHA-256 fingerprint {CERTIFICATE['sha256']})",
        INSECURE_HINT,
    )
    events = [
        *base.events[:2],
        Event(EventType.ERROR, 0.0009, detail={**error.to_dict(), "certificate": certificate}),
    ]
    target = replace(base.target, tls=TlsOptions())
    return replace(
        base,
        target=target,
        events=events,
        error=error,
        stop=StopReason.ERROR,
        stop_message=error.message,
    )


# A lab with every service, at fixed ports.
SERVICE_NAMES = ("http", "echo", "daytime", "qotd", "greeter", "trickle", "smtp")
SERVICE_NAMES += ("pop3", "imap", "ftp", "nntp", "redis")
FULL_LAB = LabInfo(
    "127.0.0.1",
    {
        **{
            name: {"tcp": 40000 + offset}
            for offset, name in enumerate(
                [
                    "http",
                    "echo",
                    "daytime",
                    "qotd",
                    "greeter",
                    "trickle",
                    "smtp",
                    "pop3",
                    "imap",
                    "ftp",
                    "nntp",
                    "redis",
                ]
            )
        },
        "https": {"tls": 40443},
    },
)
EVERY_SERVICE = ("http", "echo", "smtp", "pop3", "imap", "ftp", "nntp", "redis", "https")


def test_the_lab_line_names_every_service_when_the_width_allows() -> None:
    line = FULL_LAB.hint(200)
    assert all(f"{service} 40" in line for service in EVERY_SERVICE)
    assert "more" not in line


def test_the_lab_line_names_what_fits_and_where_the_rest_are() -> None:
    line = FULL_LAB.hint(110)
    assert len(line) <= 110
    rest = re.search(r" · (\d+) more in the palette \(ctrl\+p, Lab:\)$", line)
    assert rest is not None
    named = len(re.findall(r" 4\d{4}\b", line))
    assert named > 0 and named + int(rest.group(1)) == 13


@pilot_test
async def test_at_200_columns_the_lab_line_shows_every_service() -> None:
    app = make_app(lab=FULL_LAB)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        shown = str(app.query_one("#target-message").render())
        assert all(f"{service} 40" in shown for service in EVERY_SERVICE)
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        shown = str(app.query_one("#target-message").render())
        assert "redis" not in shown and "more in the palette (ctrl+p, Lab:)" in shown


@pilot_test
async def test_a_notification_leaves_the_status_line_in_view() -> None:
    from textual.widgets._toast import Toast

    for size in ((80, 24), (120, 36)):
        app = make_app(http_exchange())
        async with app.run_test(size=size, notifications=True) as pilot:
            await pilot.pause()
            app.notify("Saved to a file with a rather long name.json", title="Save")
            await until(pilot, lambda app=app: bool(app.screen.query(Toast)), "the notification")
            await pilot.pause()
            status = app.query_one(StatusLine).region
            assert status.height
            for toast in app.screen.query(Toast):
                assert not toast.region.overlaps(status), (size, toast.region, status)
