"""The app, driven headless through `App.run_test()`: first frame and paging for a 1 MiB
and a 64 MiB capture, and key-press latency while a firehose streams in.

A frame is the moment the screen's compositor hands a finished update to the display
(headless, nothing is written, but every visible row has been rendered): the clock
wraps `App._display`, which Textual calls once per painted frame.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

from textual import events
from textual.app import App, ScreenStackError
from textual.css.query import NoMatches
from textual.worker import WorkerState

from sockscope.core.model import (
    Event,
    EventType,
    Exchange,
    Overflow,
    ReadPolicy,
    StopReason,
    Target,
)
from sockscope.core.templates import builtin_templates
from sockscope.lab.services import chargen_stream
from sockscope.tui.app import SockscopeApp
from sockscope.tui.widgets.byte_view import LineView
from tests.bench.common import HOST, LabProcess, Row, median, ms, p95, ratio

SIZE = (120, 36)
MIB = 1 << 20
PAGES = 20
RUNS = 3  # each figure is the median of this many runs
PRESSES = 40
ANSWER_TIMEOUT = 10.0
FIREHOSE_BYTES = 1 << 30


class FrameClock:
    """Records when each frame is painted, and answers the first frame painted while a
    condition holds: conditions are checked as each frame is painted, so a condition
    registered before the app starts can be met by its very first frame."""

    def __init__(self, app: App[object]) -> None:
        self.frames: list[float] = []
        self._waiting: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        original = app._display

        def display(screen, renderable):  # type: ignore[no-untyped-def]
            original(screen, renderable)
            if renderable is not None:
                painted = time.perf_counter()
                self.frames.append(painted)
                for waiting in list(self._waiting):
                    condition, answer = waiting
                    if answer.done() or condition():
                        self._waiting.remove(waiting)
                        if not answer.done():
                            answer.set_result(painted)

        app._display = display  # type: ignore[method-assign]

    def watch(self, condition: Callable[[], bool]) -> asyncio.Future[float]:
        """The time of the first frame painted from now on while `condition` holds."""
        answer: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting.append((condition, answer))
        return answer

    async def until(self, condition: Callable[[], bool], timeout: float = 60.0) -> float:
        return await asyncio.wait_for(self.watch(condition), timeout)


def _press(app: App[object], key: str) -> float:
    """Hand the key to the driver as a terminal would; the time it was sent."""
    assert app._driver is not None
    sent = time.perf_counter()
    app._driver.send_message(events.Key(key, None))
    return sent


def capture(size: int) -> Exchange:
    """A finished HTTP exchange whose reply body is `size` bytes of chargen lines."""
    body = b"".join(bytes(piece) for piece in chargen_stream(size))
    reply = f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode() + body
    request = b"GET /bytes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    return Exchange(
        target=Target(HOST, 8080),
        request=request,
        policy=ReadPolicy(capture_limit=len(reply)),
        events=[
            Event(EventType.CONNECT, 0.001),
            Event(EventType.SEND, 0.002, request, len(request)),
            Event(EventType.RECV, 0.003, reply, len(reply)),
            Event(EventType.CLOSE, 0.004),
        ],
        stop=StopReason.PEER_CLOSED,
        stop_message="server finished sending (EOF)",
        template="http-get",
    )


def _rows_shown(app: App[object]) -> int:
    """The rows of the Received view, 0 before it exists."""
    try:
        return len(app.query_one("#received-view", LineView).lines)
    except (NoMatches, ScreenStackError):
        return 0


async def _views(exchange: Exchange) -> tuple[float, float]:
    """Seconds to the first frame showing the capture, and the median page-down."""
    started = time.perf_counter()
    app = SockscopeApp(exchange=exchange, cursor_blink=False)
    clock = FrameClock(app)
    shown = clock.watch(lambda: _rows_shown(app) > 1)  # before the app paints anything
    async with app.run_test(size=SIZE):
        first = await asyncio.wait_for(shown, 60.0) - started
        view = app.query_one("#received-view", LineView)
        view.focus()
        await clock.until(lambda: view.has_focus)
        pages = []
        for _ in range(PAGES):
            before = view.scroll_y
            sent = _press(app, "pagedown")
            pages.append(await clock.until(lambda b=before: view.scroll_y > b) - sent)
    return first, median(pages)


def views() -> list[Row]:
    captures = {"small": capture(MIB), "large": capture(64 * MIB)}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in captures}
    for _ in range(RUNS):  # alternating, so a noisy moment hurts both sizes alike
        for name, exchange in captures.items():
            runs[name].append(asyncio.run(_views(exchange)))
    small_first, small_page = (median(values) for values in zip(*runs["small"], strict=True))
    large_first, large_page = (median(values) for values in zip(*runs["large"], strict=True))
    first_ratio = large_first / small_first
    page_ratio = large_page / small_page
    return [
        Row(
            "Views",
            f"first frame, 64 MiB capture (median of {RUNS})",
            ms(large_first),
            "",
            "",
            "< 200 ms",
            large_first < 0.2,
        ),
        Row(
            "Views",
            "first frame, 64 MiB vs 1 MiB capture",
            ms(large_first),
            f"1 MiB: {ms(small_first)}",
            ratio(first_ratio),
            "<= 1.5x",
            first_ratio <= 1.5,
        ),
        Row(
            "Views",
            f"page down (median of {PAGES}), 64 MiB vs 1 MiB",
            ms(large_page),
            f"1 MiB: {ms(small_page)}",
            ratio(page_ratio),
            "<= 1.5x",
            page_ratio <= 1.5,
        ),
    ]


def _streaming(app: App[object]) -> bool:
    return any(w.group == "conversation" and w.state is WorkerState.RUNNING for w in app.workers)


async def _firehose(port: int) -> tuple[list[float], int]:
    """Latencies of home/end presses in the Received view while 1 GiB streams in past
    the capture limit (as the app's capture-file option would), and the sends needed."""
    templates = builtin_templates()
    firehose = replace(
        templates["http-get"],
        name="firehose",
        defaults={"path": f"/bytes?n={FIREHOSE_BYTES}"},
        policy={"overflow": Overflow.COUNT, "deadline": None},
    )
    templates["firehose"] = firehose
    app = SockscopeApp(
        host=HOST, port=port, template="firehose", templates=templates, cursor_blink=False
    )
    clock = FrameClock(app)
    latencies: list[float] = []
    sends = 0
    async with app.run_test(size=SIZE):
        view = app.query_one("#received-view", LineView)
        while len(latencies) < PRESSES:
            sends += 1
            _press(app, "ctrl+s")
            # Probe once there is more than a screen to scroll: home and end both move.
            await clock.until(lambda: _streaming(app) and view.max_scroll_y > 0)
            view.focus()
            await clock.until(lambda: view.has_focus)
            while _streaming(app) and len(latencies) < PRESSES:
                # Answered: the first frame that moved the way the key asks (home and
                # end scroll smoothly, so later frames finish the move).
                before = view.scroll_y
                key, reached = (
                    ("home", lambda b=before: view.scroll_y < b)
                    if before > 0
                    else ("end", lambda: view.scroll_y > 0)
                )
                sent = _press(app, key)
                try:
                    painted = await clock.until(reached, timeout=ANSWER_TIMEOUT)
                except TimeoutError:
                    if not _streaming(app):
                        continue  # the stream ended under the key: not a firehose sample
                    painted = sent + ANSWER_TIMEOUT  # unanswered: counted as the timeout
                latencies.append(painted - sent)
                await asyncio.sleep(0.02)  # a typist's pace, not a synchronisation
            if _streaming(app):
                _press(app, "escape")  # Cancel, as a user would
            await app.wait_for_conversation()
    return latencies, sends


def responsiveness(lab: LabProcess) -> list[Row]:
    latencies, sends = asyncio.run(_firehose(lab.port("http")))
    worst = p95(latencies)
    return [
        Row(
            "Responsiveness",
            f"key press to painted frame during a 1 GiB stream, p95 of {len(latencies)} "
            f"({sends} sends)",
            ms(worst),
            f"median {ms(median(latencies))}, max {ms(max(latencies))}",
            "",
            "< 100 ms",
            worst < 0.1,
        )
    ]
