"""Pictures of the app at fixed sizes, built from saved exchanges (no network, no clock).

Review every changed SVG before `--snapshot-update`: the report shows the difference.
"""

from __future__ import annotations

from tests.tui.exchanges import (
    LAB,
    binary_exchange,
    failed_dialogue_exchange,
    hostile_exchange,
    http_bytes_exchange,
    http_exchange,
    qotd_udp_exchange,
    refused_exchange,
    smtp_session_exchange,
    tls_exchange,
)
from tests.tui.helpers import make_app, until

WIDE = (120, 36)
NARROW = (80, 24)


def test_start_screen_is_prefilled_for_the_lab_http_service(snap_compare) -> None:
    assert snap_compare(make_app(lab=LAB), terminal_size=WIDE)


def test_http_get_exchange_fills_every_pane(snap_compare) -> None:
    assert snap_compare(make_app(http_exchange()), terminal_size=WIDE)


def test_http_head_exchange_has_headers_and_no_body(snap_compare) -> None:
    assert snap_compare(make_app(http_exchange("HEAD", "http-head")), terminal_size=WIDE)


def test_udp_qotd_exchange_shows_one_datagram(snap_compare) -> None:
    assert snap_compare(make_app(qotd_udp_exchange()), terminal_size=WIDE)


def test_refused_connection_is_named_in_the_status_line(snap_compare) -> None:
    assert snap_compare(make_app(refused_exchange()), terminal_size=WIDE)


def test_binary_response_shows_hex_and_byte_tokens(snap_compare) -> None:
    assert snap_compare(make_app(binary_exchange()), terminal_size=WIDE)


def test_escape_sequences_and_markup_are_shown_as_text(snap_compare) -> None:
    assert snap_compare(make_app(hostile_exchange()), terminal_size=WIDE)


def test_80x24_shows_one_view_under_tabs(snap_compare) -> None:
    assert snap_compare(make_app(http_exchange()), terminal_size=NARROW)


def test_help_screen_lists_keys_panes_and_stop_reasons(snap_compare) -> None:
    assert snap_compare(make_app(http_exchange()), terminal_size=WIDE, press=["f1"])


def test_hex_rows_are_as_wide_as_the_sent_pane_allows(snap_compare) -> None:
    # 120x36 fits 4 bytes a row, 80x24 (one view at a time) 16, 180 columns 8.
    assert snap_compare(
        make_app(binary_exchange(request=bytes(range(64)))), terminal_size=(180, 40)
    )


def test_options_screen_shows_tls_and_read_policy_fields(snap_compare) -> None:
    assert snap_compare(make_app(http_exchange()), terminal_size=WIDE, press=["ctrl+o"])


def test_tls_exchange_shows_the_session_and_certificate_in_headers(snap_compare) -> None:
    async def headers_tab(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.query_one("#view-tabs").active = "tab-headers"
        await pilot.pause()

    assert snap_compare(make_app(tls_exchange()), terminal_size=NARROW, run_before=headers_tab)


def test_smtp_session_shows_each_turn_in_the_timeline(snap_compare) -> None:
    assert snap_compare(make_app(smtp_session_exchange()), terminal_size=WIDE, press=["ctrl+l"])


def test_dialogue_with_a_failed_step_names_it_in_headers_and_status(snap_compare) -> None:
    assert snap_compare(make_app(failed_dialogue_exchange()), terminal_size=WIDE)


def test_compare_screen_marks_changed_headers_and_bytes(snap_compare) -> None:
    async def compare_first_with_second(pilot) -> None:  # type: ignore[no-untyped-def]
        history = pilot.app.query_one("#history")
        history.focus()
        history.highlighted = 0
        await pilot.press("enter", "f4")
        history.highlighted = 1
        await pilot.press("enter")
        screen = pilot.app.screen
        await until(pilot, lambda: screen.comparison is not None, "the comparison")
        await pilot.pause()

    app = make_app(exchanges=[http_bytes_exchange(5), http_bytes_exchange(6)])
    assert snap_compare(app, terminal_size=WIDE, run_before=compare_first_with_second)
