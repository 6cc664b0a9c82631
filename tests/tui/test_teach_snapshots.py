"""Pictures of the teaching views: playback half-way, the diagram, the code view.

Review every changed SVG (as a PNG: rsvg-convert) before `--snapshot-update`.
"""

from __future__ import annotations

from tests.tui.exchanges import http_exchange, smtp_session_exchange, tls_exchange
from tests.tui.helpers import make_app
from tests.tui.test_playback import make_playback

WIDE = (120, 36)


def test_playback_half_way_through_an_smtp_session(snap_compare) -> None:
    app = make_playback(smtp_session_exchange())
    assert snap_compare(app, terminal_size=WIDE, press=["right"] * 5)


def test_diagram_of_a_whole_session_by_turn_and_to_scale(snap_compare) -> None:
    app = make_playback(smtp_session_exchange())
    assert snap_compare(app, terminal_size=WIDE, press=["end", "t", "g", "p", "5", "1"])


def test_code_view_marks_wrap_socket_on_the_tls_handshake(snap_compare) -> None:
    app = make_playback(tls_exchange())
    assert snap_compare(app, terminal_size=WIDE, press=["right"] * 3 + ["p", "2", "3"])


def test_explorer_presentation_shows_two_large_views(snap_compare) -> None:
    async def present(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.run_command("present")
        await pilot.pause()

    app = make_app(http_exchange())
    assert snap_compare(app, terminal_size=WIDE, run_before=present)
