"""Building the app for tests, and reading what it shows."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from sockscope.core.model import Exchange
from sockscope.core.templates import builtin_templates
from sockscope.tui.app import SockscopeApp
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.panes import HeadersPane


def make_app(
    exchange: Exchange | None = None,
    lab: LabInfo | None = None,
    exchanges: Sequence[Exchange] = (),
) -> SockscopeApp:
    """The app as a test wants it: built-in templates only (no user files), no cursor
    blink, no animation."""
    app = SockscopeApp(
        exchange=exchange,
        exchanges=exchanges,
        lab=lab,
        templates=builtin_templates(),
        cursor_blink=False,
    )
    app.animation_level = "none"
    return app


def view_text(app: SockscopeApp, view_id: str) -> str:
    """Every row of a line view as plain text (not only the rows on screen); for the
    Headers pane, each entry as one row, however the pane's width wrapped it."""
    view = app.query_one(f"#{view_id}", LineView)
    if isinstance(view.parent, HeadersPane) and view.parent.entries:
        return "\n".join(entry.plain for entry in view.parent.entries)
    lines = view.lines
    return "\n".join(lines.line(y).plain for y in range(len(lines)))


def pilot_test(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async pilot test on its own event loop (no asyncio plugin is installed);
    pytest still sees the test's own signature, so fixtures work."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


async def until(pilot: Any, condition: Callable[[], bool], what: str) -> None:
    """Let the app run until `condition` holds: a session reports from its own thread,
    so a test waits for what a user would see, bounded rather than for a fixed time."""
    for _ in range(1000):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"still waiting for {what}")
