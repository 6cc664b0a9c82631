"""The app's compare screen: the diff runs in a worker while "comparing…" shows, escape
closes the screen at once (a late result is dropped), and the header quotes transcript
fields only sanitised."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

import pytest
from textual.app import App
from textual.widgets import Static

import sockscope.tui.screens.compare as compare_screen
from sockscope.core.compare import Comparison, compare
from sockscope.core.model import Event, EventType, Exchange, StopReason, Target
from sockscope.tui.screens.compare import CompareScreen
from sockscope.tui.widgets.byte_view import LineView


def _exchange(body: bytes, host: str = "127.0.0.1") -> Exchange:
    request = b"GET / HTTP/1.1\r\n\r\n"
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    return Exchange(
        Target(host, 8080),
        request,
        events=[
            Event(EventType.SEND, 0.001, request, len(request)),
            Event(EventType.RECV, 0.002, reply, len(reply)),
        ],
        stop=StopReason.PEER_CLOSED,
    )


class _Explorer(App[None]):
    """Only what the compare screen needs: an app that opens it on two entries."""

    def __init__(self, left: Exchange, right: Exchange) -> None:
        super().__init__()
        self.sides = left, right

    def on_mount(self) -> None:
        self.push_screen(CompareScreen((1, self.sides[0]), (2, self.sides[1])))


@pytest.fixture
def held_compare(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The screen's compare waits until the test releases it."""
    release = threading.Event()

    def held(left: Exchange, right: Exchange) -> Comparison:
        release.wait(60)
        return compare(left, right)

    monkeypatch.setattr(compare_screen, "compare", held)
    yield release
    release.set()


def _summary(screen: CompareScreen) -> str:
    return str(screen.query_one("#compare-summary", Static).render())


def _rows(screen: CompareScreen) -> list[str]:
    lines = screen.query_one("#compare-view", LineView).lines
    return [lines.line(y).plain for y in range(len(lines))]


async def _until(pilot: object, condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await pilot.pause(0.01)  # type: ignore[attr-defined]
    raise AssertionError("the compare worker did not finish")


def test_comparing_shows_until_the_worker_brings_the_differences(held_compare) -> None:
    async def scenario() -> None:
        app = _Explorer(_exchange(b"one\ntwo\n"), _exchange(b"one\nTWO\n"))
        async with app.run_test() as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, CompareScreen)
            assert "comparing…" in _summary(screen)
            assert screen.comparison is None and _rows(screen) == []
            held_compare.set()
            await _until(pilot, lambda: screen.comparison is not None)
            await pilot.pause()
            assert "received: 1 line differs" in _summary(screen)
            assert "comparing…" not in _summary(screen)
            assert "- b'two\\n'" in _rows(screen) and "+ b'TWO\\n'" in _rows(screen)

    asyncio.run(scenario())


def test_escape_closes_while_comparing_and_the_late_result_is_dropped(held_compare) -> None:
    async def scenario() -> None:
        app = _Explorer(_exchange(b"a\n"), _exchange(b"b\n"))
        async with app.run_test() as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, CompareScreen)
            (worker,) = [w for w in app.workers if w.node is screen]
            await pilot.press("escape")
            assert not isinstance(app.screen, CompareScreen)
            assert worker.is_cancelled
            held_compare.set()
            await _until(pilot, lambda: worker.is_finished)
            await pilot.pause()
            assert screen.comparison is None
            assert app.return_code is None  # still running, no error

    asyncio.run(scenario())


def test_the_header_quotes_a_hostile_host_as_visible_text() -> None:
    async def scenario() -> None:
        host = "evil\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07[@click=app.quit]x[/]"
        app = _Explorer(_exchange(b"a\n", host), _exchange(b"b\n"))
        async with app.run_test() as pilot:
            screen = app.screen
            assert isinstance(screen, CompareScreen)
            await _until(pilot, lambda: screen.comparison is not None)
            await pilot.pause()
            summary = screen.query_one("#compare-summary", Static).render()
            text = str(summary)
            assert "evil␛]0;pwned" in text and "[@click=app.quit]" in text
            assert not any(ch in text for ch in "\x1b\x07")
            assert all("@click" not in str(span.style) for span in summary.spans)

    asyncio.run(scenario())
