"""Fixed costs: a tiny exchange and `--help` as whole processes beside `python3 -c pass`,
`--full` on one 5 MB line, and process start to the first painted frame, headless at
120x36, for sockscope, a bare Textual app, Toolong and Posting (each of those two in a
virtual environment of its own, with its own Textual).

Run as a script (`python tests/bench/startup.py KIND [FILE]`), it starts that app
headless and prints the CLOCK_MONOTONIC time of its first frame ("bench-frame T"), and of
the first frame that shows the app's own screen ("bench-shown T": Toolong paints an empty
frame of tabs first and its log lines frames later; sockscope's first frame is its
screen); `time.monotonic` is the same clock in every process, so the parent subtracts its
own start time. It imports nothing from this repository at the top: it also runs in the
peers' venvs.
"""

from __future__ import annotations

import subprocess
import sys
import time
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.bench.common import Measured, Row
    from tests.bench.servers import Nginx

SIZE = (120, 36)
# kind -> what to pip install: Posting's Textual takes any tree-sitter >= 0.25, and
# 0.26's bindings crash it (SIGSEGV in TextArea) at start.
PEERS = {"toolong": "toolong", "posting": "posting 'tree-sitter<0.26'"}


def _app(kind: str, argument: str) -> tuple[Any, Any]:
    """The app of `kind`, and the condition its first counted frame must meet."""
    if kind in ("sockscope", "lab", "open"):  # this checkout's, not an installed one
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    if kind == "bare":
        from textual.app import App

        return App(), None
    if kind in ("sockscope", "lab", "open"):
        # As the CLI imports the app: with the collector paused (sockscope/cli/explore.py).
        from sockscope.tui import collector_paused

        with collector_paused():
            from sockscope.tui.app import SockscopeApp
    if kind == "sockscope":
        from sockscope.tui.app import SockscopeApp

        # `sockscope 127.0.0.1 8080 -T http-get`: the explorer on a given target.
        return SockscopeApp(host="127.0.0.1", port=8080, template="http-get"), None
    if kind == "lab":
        # `sockscope` with no arguments, as sockscope/tui/launch.py starts it: the lab
        # listening in-process, its TLS identity made after the first frame.
        import atexit
        from contextlib import ExitStack

        from sockscope.tui.app import SockscopeApp
        from sockscope.tui.launch import in_process_lab

        lab = ExitStack()
        atexit.register(lab.close)  # the lab's temporary directory goes with it
        return SockscopeApp(lab=lab.enter_context(in_process_lab())), None
    if kind == "open":
        # As `sockscope open FILE` builds it (sockscope/cli/open.py), until the
        # received bytes are on screen; prints how many bytes the exchange holds.
        from sockscope.export.transcript import load_transcript
        from sockscope.tui.app import SockscopeApp
        from sockscope.tui.widgets.byte_view import LineView

        exchange = load_transcript(argument)
        app = SockscopeApp(exchanges=[exchange])

        def shown() -> bool:
            try:
                return len(app.query_one("#received-view", LineView).lines) > 1
            except Exception:  # the screen is not built yet
                return False

        print("bench-kept", len(exchange.received), flush=True)
        return app, shown
    if kind == "toolong":
        from toolong.ui import UI  # type: ignore[import-not-found]  # `tl FILE`

        toolong = UI([argument])

        def log_shown() -> bool:
            return any(lines.line_count > 0 for lines in toolong.screen.query("LogLines"))

        return toolong, log_shown
    if kind == "posting":
        # `posting` with its default collection (posting/__main__.py's `default`).
        from posting.__main__ import (  # type: ignore[import-not-found]
            create_config_file,
            create_default_collection,
            make_posting,
        )

        create_config_file()
        return make_posting(create_default_collection(), using_default_collection=True), None
    raise SystemExit(f"unknown kind {kind!r}")


def _first_frame(kind: str, argument: str) -> None:
    app, condition = _app(kind, argument)
    original = app._display
    painted: list[float] = []

    def display(screen, renderable):  # type: ignore[no-untyped-def]
        original(screen, renderable)
        if renderable is None:
            return
        now = time.monotonic()
        if not painted:
            painted.append(now)
            print("bench-frame", now, flush=True)
        if condition is None or condition():
            print("bench-shown", now, flush=True)
            app.exit()

    app._display = display
    app.run(headless=True, size=SIZE)


# ---- the rows (run from the bench) ------------------------------------------------------


def _peer_python(kind: str, packages: str) -> Path | str:
    """The interpreter of the venv of `kind` (made on first use), or why not."""
    from tests.bench.common import CACHE, last_words

    venv = CACHE / kind
    python = venv / "bin" / "python"
    if python.exists():
        return python
    made = subprocess.run(
        f"python3 -m venv {venv} && {python} -m pip install -q {packages}",
        shell=True,
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        return f"skipped: pip install {packages} failed ({last_words(made.stderr)})"
    return python


def _frame(
    python: Path | str, kind: str, argument: str = "", env: dict[str, str] | None = None
) -> Measured:
    from tests.bench.common import REPO, Failed, Measured, last_words

    started = time.monotonic()
    done = subprocess.run(
        [str(python), __file__, kind, argument],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    if done.returncode != 0:
        raise Failed(f"exit {done.returncode}: {last_words(done.stderr)}")
    shown = said(done.stdout, "bench-shown") - started
    return Measured(said(done.stdout, "bench-frame") - started, more={"shown": shown})


def said(out: str, what: str) -> float:
    """The figure the script printed as `what` (an app may print more after it)."""
    for line in out.splitlines():
        if line.startswith(what + " "):
            return float(line.split()[1])
    from tests.bench.common import Failed

    raise Failed(f"no {what} line")


def first_frames() -> list[Row]:
    import os

    from tests.bench.common import (
        CACHE,
        PYTHON,
        Row,
        Tool,
        alternate,
        compared,
        compile_bytecode,
        ms,
    )

    compile_bytecode()
    log = CACHE / "toolong.log"
    if not log.exists():
        log.write_text(
            "".join(
                f"2026-12-02T14:{i // 60 % 60:02d}:{i % 60:02d} INFO request {i} took {i % 97} ms\n"
                for i in range(10_000)
            )
        )
    # Posting keeps its config and collection under XDG dirs: the bench's own.
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(CACHE / "xdg-config"),
        "XDG_DATA_HOME": str(CACHE / "xdg-data"),
    }
    tools = [
        Tool("bare Textual app", lambda: _frame(PYTHON, "bare")),
        Tool("sockscope", lambda: _frame(PYTHON, "sockscope")),
        Tool("sockscope, no arguments", lambda: _frame(PYTHON, "lab")),
    ]
    skipped: dict[str, str] = {}
    for kind, packages in PEERS.items():
        python = _peer_python(kind, packages)
        if isinstance(python, str):
            skipped[kind] = python
            continue
        argument = str(log) if kind == "toolong" else ""
        tools.append(Tool(kind.capitalize(), partial(_frame, python, kind, argument, env)))
    got = alternate(tools)
    ours = got["sockscope"]
    rows = [
        compared(
            "Start-up",
            "process start to first frame, headless 120x36, vs a bare Textual app",
            ours,
            got["bare Textual app"],
            ms,
            ratio_of=lambda o, p: o / p,
        )
    ]
    if "toolong" not in skipped:
        rows.append(
            compared(
                "Start-up",
                "`sockscope` with no arguments (the lab starts in-process first), process "
                "start to first frame, headless 120x36, vs Toolong",
                got["sockscope, no arguments"],
                got["Toolong"],
                ms,
                ratio_of=lambda o, p: o / p,
            )
        )
    for kind in PEERS:
        name = kind.capitalize()
        if kind in skipped:
            rows.append(Row("Start-up", f"first frame vs {name}", skipped[kind]))
            continue
        rows.append(
            compared(
                "Start-up",
                f"process start to first frame, headless 120x36, vs {name} (its own venv)",
                ours,
                got[name],
                ms,
                ratio_of=lambda o, p: o / p,
                target="<= 1.0x Toolong" if kind == "toolong" else "",
                meets=(lambda value: value <= 1.0) if kind == "toolong" else None,
            )
        )
        if kind == "toolong":
            rows.append(
                compared(
                    "Start-up",
                    "process start to the app's screen shown (Toolong: the first frame with "
                    "its log lines; sockscope: its first frame), headless 120x36, vs Toolong",
                    ours,
                    got[name],
                    ms,
                    ratio_of=lambda o, p: o / p,
                    key="shown",
                )
            )
    return rows


def fixed_costs(server: Nginx | str) -> list[Row]:
    from tests.bench.common import (
        PYTHON,
        Failed,
        Measured,
        Row,
        Tool,
        alternate,
        compared,
        compile_bytecode,
        ms,
        program,
        run_process,
    )

    compile_bytecode()

    def timed(
        argv: list[str], check: Callable[[bytes], None] | None = None
    ) -> Callable[[], Measured]:
        def run() -> Measured:
            done = run_process(argv, keep_stdout=check is not None)
            if check is not None:
                check(done.stdout)
            return Measured(done.seconds)

        return run

    python = Tool("python3 -c pass", timed([PYTHON, "-c", "pass"]))
    helped = Tool("sockscope --help", timed([PYTHON, "-m", "sockscope", "--help"]))
    tools = [python, helped]
    if isinstance(server, str):
        unavailable = server
    else:
        unavailable = ""
        head = [PYTHON, "-m", "sockscope", "send", "127.0.0.1", str(server.port), "-T", "http-head"]

        def full_line(out: bytes) -> None:
            if out.count(b'!"#$%&') < server.size("line.txt") // 94 * 0.9:
                raise Failed("--full did not print the whole line")

        line = [
            PYTHON,
            "-m",
            "sockscope",
            "send",
            "127.0.0.1",
            str(server.port),
            "-T",
            "http-get",
            "--path",
            "/line.txt",
            "--full",
        ]
        tools += [
            Tool("sockscope send -T http-head", timed(head)),
            Tool("curl -I", timed([program("curl"), "-s", "-I", server.url("index.html")])),
            Tool("sockscope send --full, 5 MB line", timed(line, full_line)),
        ]
    got = alternate(tools)
    base = got["python3 -c pass"]

    def slower(ours: float, peer: float) -> float:
        return ours / peer

    rows = [
        compared(
            "Start-up",
            "`sockscope --help`, whole process",
            got["sockscope --help"],
            base,
            ms,
            ratio_of=slower,
            target="<= 1.15x",
            meets=lambda v: v <= 1.15,
        ),
    ]
    if unavailable:
        return [*rows, Row("Start-up", "a tiny exchange; --full", unavailable)]
    rows += [
        compared(
            "Start-up",
            "a tiny exchange (HEAD to nginx), whole process",
            got["sockscope send -T http-head"],
            base,
            ms,
            ratio_of=slower,
            target="<= 2.0x",
            meets=lambda v: v <= 2.0,
        ),
        compared(
            "Start-up", "curl -I of the same (for scale)", got["curl -I"], base, ms, ratio_of=slower
        ),
        compared(
            "Start-up",
            "`send --full` on one 5 MB line, whole process",
            got["sockscope send --full, 5 MB line"],
            None,
            ms,
            target="< 1 s",
            meets=lambda v: v < 1.0,
        ),
    ]
    return rows


if __name__ == "__main__":
    _first_frame(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
