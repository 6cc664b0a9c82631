"""Start-up: process start to the first painted frame, headless, for sockscope and for a
bare Textual app, each in a fresh interpreter (imports count), alternating runs.

Run as a script (`python tests/bench/startup.py sockscope|bare`), it starts that app
headless and prints the CLOCK_MONOTONIC time of its first frame; `time.monotonic` is
the same clock in every process, so the parent subtracts its own start time.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.bench.common import Row

RUNS = 5


def _first_frame(kind: str) -> None:
    if kind == "bare":
        from textual.app import App

        app = App()
    elif kind == "sockscope":
        from sockscope.tui.app import SockscopeApp

        # `sockscope 127.0.0.1 8080 -T http-get`: the explorer on a given target.
        app = SockscopeApp(host="127.0.0.1", port=8080, template="http-get")
    else:
        raise SystemExit(f"unknown kind {kind!r}")
    original = app._display

    def display(screen, renderable):  # type: ignore[no-untyped-def]
        original(screen, renderable)
        if renderable is not None:
            print(time.monotonic(), flush=True)
            app.exit()

    app._display = display  # type: ignore[method-assign]
    app.run(headless=True, size=(120, 36))


def measure(kind: str) -> float:
    # Imported here: as a script, this file's directory is on sys.path, not the repo.
    from tests.bench.common import PYTHON, REPO

    started = time.monotonic()
    out = subprocess.run(
        [PYTHON, __file__, kind], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    return float(out.split()[0]) - started


def rows() -> list[Row]:
    from tests.bench.common import Row, compile_bytecode, median, ms, ratio

    compile_bytecode()
    times: dict[str, list[float]] = {"bare": [], "sockscope": []}
    for _ in range(RUNS):
        for kind, values in times.items():
            values.append(measure(kind))
    bare, ours = median(times["bare"]), median(times["sockscope"])
    value = ours / bare
    return [
        Row(
            "Start-up",
            f"process start to first frame, headless (median of {RUNS})",
            ms(ours),
            f"bare textual App: {ms(bare)}",
            ratio(value),
            "<= 1.3x",
            value <= 1.3,
        )
    ]


if __name__ == "__main__":
    _first_frame(sys.argv[1])
