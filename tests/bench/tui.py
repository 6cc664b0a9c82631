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
from functools import partial
from statistics import median
from typing import Any

from textual import events
from textual.app import App, ScreenStackError
from textual.css.query import NoMatches
from textual.worker import WorkerState

from sockscope.core.find import find_all
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
from sockscope.tui.widgets.history import History
from tests.bench.common import (
    HOST,
    Failed,
    LabProcess,
    Measured,
    Row,
    Tool,
    alternate,
    compared,
    ms,
    p95,
    reply_head,
)
from tests.bench.splice_spy import counting, path

SIZE = (120, 36)
MIB = 1 << 20
PAGES = 20
MIN_PRESSES = 1  # a run whose stream ended before any press was answered judged nothing
ANSWER_TIMEOUT = 10.0
FIREHOSE_BYTES = 1 << 30


class FrameClock:
    """Records when each frame is painted, and answers the first frame painted while a
    condition holds: conditions are checked as each frame is painted, so a condition
    registered before the app starts can be met by its very first frame."""

    def __init__(self, app: App[Any]) -> None:
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


def _press(app: App[Any], key: str) -> float:
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


def _moved_down(view: LineView, before: float) -> bool:
    return view.scroll_y > before


def _rows_shown(app: App[Any]) -> int:
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
            pages.append(await clock.until(partial(_moved_down, view, before)) - sent)
    return first, median(pages)


def views() -> list[Row]:
    def shown(exchange: Exchange) -> Callable[[], Measured]:
        def run() -> Measured:
            first, page = asyncio.run(_views(exchange))
            return Measured(first, more={"page": page})

        return run

    def found(received: bytes) -> Callable[[], Measured]:
        # A needle chargen never sends: every byte is scanned, the worst case of a find.
        def run() -> Measured:
            started = time.perf_counter()
            find_all(received, b"not in chargen \x00")
            return Measured(time.perf_counter() - started)

        return run

    got = alternate(
        [
            Tool("1 MiB capture", shown(capture(MIB))),
            Tool("64 MiB capture", shown(capture(64 * MIB))),
            Tool("find in 64 MiB", found(capture(64 * MIB).received)),
        ]
    )
    small, large = got["1 MiB capture"], got["64 MiB capture"]

    def slower(ours: float, peer: float) -> float:
        return ours / peer

    return [
        compared(
            "Views",
            "first frame, 64 MiB capture",
            large,
            None,
            ms,
            target="< 200 ms",
            meets=lambda v: v < 0.2,
        ),
        compared(
            "Views",
            "first frame, 64 MiB vs 1 MiB capture",
            large,
            small,
            ms,
            ratio_of=slower,
            target="<= 1.5x",
            meets=lambda v: v <= 1.5,
        ),
        compared(
            "Views",
            "find: every match in a 64 MiB capture",
            got["find in 64 MiB"],
            None,
            ms,
            target="< 200 ms",
            meets=lambda v: v < 0.2,
        ),
        compared(
            "Views",
            f"page down (median of {PAGES} per run), 64 MiB vs 1 MiB",
            large,
            small,
            ms,
            ratio_of=slower,
            target="<= 1.5x",
            meets=lambda v: v <= 1.5,
            key="page",
        ),
    ]


def _streaming(app: App[Any]) -> bool:
    return any(w.group == "conversation" and w.state is WorkerState.RUNNING for w in app.workers)


async def _firehose(port: int, pooled: list[float]) -> Measured:
    """Home/End presses in the Received view, at a typist's pace, for as long as one
    send of 1 GiB streams in past the capture limit (counted, not kept, as without a
    capture file): their p95, and the bytes the exchange received. The latencies are
    also added to `pooled`, for the p95 over every run."""
    templates = builtin_templates()
    firehose = replace(
        templates["http-get"],
        name="firehose",
        defaults={"path": f"/bytes?n={FIREHOSE_BYTES}"},
        # Past the capture limit, counted and not kept, as with the app's capture file
        # (a user's template cannot ask for this; the options apply it the same way).
        policy={"overflow": Overflow.COUNT, "deadline": None},  # type: ignore[typeddict-unknown-key]
    )
    templates["firehose"] = firehose
    app = SockscopeApp(
        host=HOST, port=port, template="firehose", templates=templates, cursor_blink=False
    )
    clock = FrameClock(app)
    latencies: list[float] = []
    started = time.perf_counter()
    with counting() as spliced:
        received = await _press_while_streaming(app, clock, latencies)
    if len(latencies) < MIN_PRESSES:
        raise Failed(f"only {len(latencies)} key presses answered during the stream")
    pooled.extend(latencies)
    return Measured(
        p95(latencies),
        received,
        path(spliced(), received),
        {
            "median": median(latencies),
            "max": max(latencies),
            "presses": len(latencies),
            "seconds": time.perf_counter() - started,
        },
    )


async def _press_while_streaming(
    app: SockscopeApp, clock: FrameClock, latencies: list[float]
) -> int:
    """Send, press keys until the stream ends; the bytes the exchange received."""
    async with app.run_test(size=SIZE):
        view = app.query_one("#received-view", LineView)
        _press(app, "ctrl+s")
        # Probe once there is more than a screen to scroll: home and end both move.
        await clock.until(lambda: _streaming(app) and view.max_scroll_y > 0)
        view.focus()
        await clock.until(lambda: view.has_focus)
        while _streaming(app):
            # Answered: the first frame that moved the way the key asks.
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
                    break  # the stream ended under the key: not a sample
                painted = sent + ANSWER_TIMEOUT  # unanswered: counted as the timeout
            latencies.append(painted - sent)
            await asyncio.sleep(0.02)  # a typist's pace, not a synchronisation
        await app.wait_for_conversation()
        received = app.query_one(History).exchanges[-1].bytes_in
    return received


def responsiveness(lab: LabProcess) -> list[Row]:
    """The p95 of every press of every run (a loaded run answers fewer presses: pooling
    weighs each press alike), with each run's p95 as the spread."""
    port = lab.port("http")
    expect = FIREHOSE_BYTES + reply_head(port, f"/bytes?n={FIREHOSE_BYTES}")
    pooled: list[float] = []
    got = alternate([Tool("app", lambda: asyncio.run(_firehose(port, pooled)), expect)])
    sample = got["app"]
    row = compared(
        "Responsiveness",
        "key press to painted frame during a 1 GiB stream (the app; bytes counted, not "
        "kept): p95 of all presses [each run's p95]",
        sample,
        None,
        ms,
        target="< 100 ms",
    )
    if sample.failure is None:
        worst = p95(pooled)
        each = sample.stats()
        row = replace(
            row,
            ours=f"{ms(worst)} [{ms(min(each.values))}-{ms(max(each.values))}]",
            peer=f"{len(pooled)} presses: median {ms(median(pooled))}, max {ms(max(pooled))}; "
            f"each stream {sample.stats('seconds').show(_seconds)}",
            met=worst < 0.1,
        )
    return [row]


def _seconds(value: float) -> str:
    return f"{value:.1f} s"
