"""The README's pictures are the snapshots themselves, so they never go stale."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / "test_snapshots"

# screenshots/<name> -> the snapshot test that draws it
SCREENSHOTS = {
    "start.svg": "test_start_screen_is_prefilled_for_the_lab_http_service.svg",
    "http-exchange-120x36.svg": "test_http_get_exchange_fills_every_pane.svg",
    "layout-80x24.svg": "test_80x24_shows_one_view_under_tabs.svg",
    "smtp-session-turns.svg": "test_smtp_session_shows_each_turn_in_the_timeline.svg",
}


@pytest.mark.parametrize("name", list(SCREENSHOTS))
def test_readme_screenshot_is_identical_to_its_snapshot(name: str) -> None:
    snapshot = SNAPSHOTS / SCREENSHOTS[name]
    picture = ROOT / "screenshots" / name
    refresh = (
        "review the snapshot (pytest tests/tui/test_snapshots.py, then --snapshot-update), "
        f"then refresh the picture: cp {snapshot.relative_to(ROOT)} {picture.relative_to(ROOT)}"
    )
    assert picture.exists(), f"screenshots/{name} is missing; {refresh}"
    assert picture.read_bytes() == snapshot.read_bytes(), (
        f"screenshots/{name} differs from its snapshot; {refresh}"
    )
