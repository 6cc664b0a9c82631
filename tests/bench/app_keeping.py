"""Run as a script (`python tests/bench/app_keeping.py HOST PORT PATH`): the explorer,
headless, sends one GET for PATH with a capture limit of 1 GiB and waits until the
exchange is done and shown; prints the bytes it kept ("bench-kept N"). The bench reads
the process's peak memory around it: what the app costs to keep N bytes it received."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from pathlib import Path

SIZE = (120, 36)


async def keep(host: str, port: int, path: str) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's sockscope
    from sockscope.core.templates import builtin_templates
    from sockscope.tui.app import SockscopeApp
    from sockscope.tui.widgets.history import History

    templates = builtin_templates()
    templates["keep"] = replace(
        templates["http-get"],
        name="keep",
        defaults={"path": path},
        policy={"capture_limit": 1 << 30},  # type: ignore[typeddict-unknown-key]
    )
    app = SockscopeApp(host=host, port=port, template="keep", templates=templates)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await app.wait_for_conversation()
        await pilot.pause()
        return app.query_one(History).exchanges[-1].kept


if __name__ == "__main__":
    print("bench-kept", asyncio.run(keep(sys.argv[1], int(sys.argv[2]), sys.argv[3])))
