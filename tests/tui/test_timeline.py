"""The timeline of an exchange of very many events: rows made as they are drawn."""

from __future__ import annotations

from typing import Any

import pytest

import sockscope.core.timeline
import sockscope.tui.widgets.timeline
from sockscope.core.model import Event, EventType, Exchange, StopReason, Target
from sockscope.tui.widgets.timeline import Timeline
from tests.tui.helpers import make_app, pilot_test, until

SIZE = (120, 36)
TRICKLED = 100_000  # one recv() a byte: more rows than one step measures


def trickled_exchange(note: str) -> Exchange:
    """A reply read one byte per recv(), the last read saying `note`."""
    reply = b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * (TRICKLED - 19)
    events = [Event(EventType.SEND, 0.001, b"GET / HTTP/1.0\r\n\r\n", 18)]
    events += [
        Event(EventType.RECV, 0.002 + i / 1000, reply[i : i + 1], 1) for i in range(TRICKLED)
    ]
    events.append(Event(EventType.RECV, 200.0, b"", 0, detail={"note": note}))
    return Exchange(
        Target("127.0.0.1", 80),
        b"GET / HTTP/1.0\r\n\r\n",
        events=events,
        stop=StopReason.PEER_CLOSED,
        stop_message="server finished sending (EOF)",
    )


@pytest.fixture
def rows_made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the timeline rows made from events, wherever the timeline makes them."""
    made: list[int] = []
    original = sockscope.core.timeline.timeline_row

    def counted(*args: Any) -> Any:
        made.append(1)
        return original(*args)

    for module in (sockscope.core.timeline, sockscope.tui.widgets.timeline):
        monkeypatch.setattr(module, "timeline_row", counted, raising=False)
    return made


@pilot_test
async def test_a_timeline_of_many_events_makes_only_the_rows_it_draws(
    rows_made: list[int],
) -> None:
    note = "the very last read, wider than any row before it " * 2
    app = make_app(trickled_exchange(note))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        timeline = app.query_one(Timeline)
        assert timeline.row_count == TRICKLED + 3  # the send, every recv, the stop
        assert 0 < len(rows_made) < 100  # a screenful, not a hundred thousand
        # The widest detail is measured between frames, up to the last event.
        fixed = sum(width + 2 for width in (9, 9, 8, 9)) + 2
        await until(pilot, lambda: not timeline.lines.pending, "the timeline measured")
        assert timeline.virtual_size.width >= fixed + len(note)
        assert len(rows_made) < 100


@pilot_test
async def test_a_row_far_down_a_long_timeline_gives_its_time_and_delta() -> None:
    app = make_app(trickled_exchange("last"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        timeline = app.query_one(Timeline)

        def row(y: int) -> list[str]:
            return [str(cell).strip() for cell in timeline.get_row_at(y)]

        assert row(TRICKLED) == ["100.001 s", "1.00 ms", "recv", "1", ""]
        assert row(TRICKLED + 1) == ["200.000 s", "99.999 s", "recv", "0", "last"]
        assert row(TRICKLED + 2)[2:] == ["stop", "", "peer-closed: server finished sending (EOF)"]
        with pytest.raises(IndexError):
            timeline.get_row_at(TRICKLED + 3)
