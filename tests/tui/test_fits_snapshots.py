"""Pictures of what reads in full at each size: the lab line naming every service at
200 columns, the footer offering Text while the request is hex, and a rejected
certificate whose hint the status line keeps at 80x24. Review every changed SVG before
`--snapshot-update`."""

from __future__ import annotations

from sockscope.tui.app import SockscopeApp
from tests.tui.helpers import make_app
from tests.tui.test_fits_the_screen import FULL_LAB, verify_failed_exchange


def test_at_200_columns_the_lab_line_names_every_service_and_hex_offers_text(snap_compare) -> None:
    app: SockscopeApp = make_app(lab=FULL_LAB)
    assert snap_compare(app, terminal_size=(200, 50), press=["ctrl+e", "ctrl+t"])


def test_at_80x24_a_rejected_certificate_keeps_its_hint_on_the_status_line(snap_compare) -> None:
    assert snap_compare(make_app(verify_failed_exchange()), terminal_size=(80, 24))
