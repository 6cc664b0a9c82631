"""What showing a large capture costs in memory beyond the capture itself."""

from __future__ import annotations

import tracemalloc

from tests.tui.exchanges import http_bytes_exchange
from tests.tui.helpers import make_app, pilot_test, view_text

SIZE = 16 * 1024 * 1024


@pilot_test
async def test_a_large_body_is_not_copied_to_be_shown_and_its_size_is_still_named() -> None:
    exchange = http_bytes_exchange(SIZE)
    app = make_app(exchange)
    tracemalloc.start()
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            await pilot.pause()  # the parsed headers come a frame after the bytes
            memory, _ = tracemalloc.get_traced_memory()
            headers = " ".join(view_text(app, "headers-view").split())  # rows wrap
    finally:
        tracemalloc.stop()
    # The row index and the app's own widgets, not another copy of the body.
    assert memory < SIZE
    assert "body 16.0 MiB" in headers
