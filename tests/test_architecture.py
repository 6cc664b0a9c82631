"""The layers stay apart: a pure core, an engine without Textual, arrows pointing down."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from sockscope.lab import LabThread

PACKAGE = Path(__file__).resolve().parents[1] / "sockscope"
IO_MODULES = {"socket", "ssl", "selectors", "asyncio", "threading", "subprocess", "textual", "rich"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _roots(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def test_core_does_no_io_and_knows_no_ui() -> None:
    for path in (PACKAGE / "core").rglob("*.py"):
        imported = _imports(path)
        assert not (_roots(imported) & IO_MODULES), path.name
        assert not any(
            n.startswith("sockscope.") and not n.startswith("sockscope.core") for n in imported
        ), path.name


def test_engine_and_lab_never_import_the_ui() -> None:
    for layer in ("engine", "lab"):
        for path in (PACKAGE / layer).rglob("*.py"):
            imported = _imports(path)
            assert not (_roots(imported) & {"textual", "rich"}), path
            assert not any(n.startswith(("sockscope.tui", "sockscope.cli")) for n in imported), path


def test_importing_the_engine_loads_neither_textual_nor_rich() -> None:
    # Every module of the engine: the package itself imports its names only when used.
    code = (
        "import sys, importlib, pkgutil, sockscope.engine, sockscope.core.analysis;"
        "path, prefix = sockscope.engine.__path__, 'sockscope.engine.';"
        "[importlib.import_module(m.name) for m in pkgutil.iter_modules(path, prefix)];"
        "assert 'sockscope.engine.session' in sys.modules;"
        "bad = [m for m in ('textual', 'rich') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sockscope_send_loads_nothing_a_one_shot_exchange_does_not_run(lab: LabThread) -> None:
    """Start-up is most of a short `send`: no sessions, no TOML parser (there are no user
    templates), no crash-log machinery, no app."""
    argv = ["send", "127.0.0.1", str(lab.port("http")), "-T", "http-get", "-o", os.devnull]
    code = (
        "import sys; from sockscope.cli import main;"
        f"code = main({argv!r});"
        "unused = ('sockscope.engine.session', 'tomllib', 'tempfile', 'traceback', 'textual');"
        "bad = [m for m in unused if m in sys.modules];"
        "print(code, bad, file=sys.stderr); sys.exit(1 if code or bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def _modules_loaded_by(argv: list[str], stdin: str | None = None) -> tuple[int, set[str]]:
    """The exit status of `sockscope ARGV` run in a fresh interpreter, and the modules it
    loaded (its output goes to a pipe, as in a script)."""
    code = (
        "import sys; from sockscope.cli import main\n"
        "try:\n"
        f"    code = main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "sys.stdout.flush()\n"
        "print('\\0' + ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
        "sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, input=stdin
    )
    return proc.returncode, set(proc.stderr.rpartition("\0")[2].split())


def _roots_loaded(modules: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(r for r in roots if any(m == r or m.startswith(r + ".") for m in modules))


def test_help_loads_only_the_argument_parser() -> None:
    """`sockscope --help` prints text: no data model, JSON, typing, Rich, TLS or app, nor
    the sanitiser (it prints only sockscope's own text) or the export formats."""
    code, modules = _modules_loaded_by(["--help"])
    assert code == 0
    heavy = (
        *("sockscope.core.model", "dataclasses", "json", "typing", "rich", "ssl", "textual"),
        *("sockscope.core.sanitize", "unicodedata", "sockscope.export", "collections.abc"),
    )
    assert _roots_loaded(modules, heavy) == []


def test_send_json_over_tcp_loads_neither_tls_nor_rich(lab: LabThread) -> None:
    """A plain TCP exchange printed as JSON needs no TLS, no Rich and no app."""
    argv = ["send", "127.0.0.1", str(lab.port("http")), "-T", "http-head", "--json"]
    code, modules = _modules_loaded_by(argv)
    assert code == 0
    assert _roots_loaded(modules, ("ssl", "rich", "textual")) == []


def test_send_text_report_to_a_pipe_loads_neither_tls_nor_rich(lab: LabThread) -> None:
    """The text report into a pipe is plain text: no TLS, no Rich (only a terminal's
    styles need it), nor the teaching modules --explain loads; no JSON or base64 (only
    --json and transcripts write them), no IDNA codec (the host is an address), and of
    the parsers only the HTTP reply's: not the request parser, the reply-line parser
    (SMTP, FTP...) or telnet's."""
    argv = ["send", "127.0.0.1", str(lab.port("http")), "-T", "http-head"]
    code, modules = _modules_loaded_by(argv)
    assert code == 0
    unused = (
        *("ssl", "rich", "textual", "json", "base64", "encodings.idna"),
        *("sockscope.core.explain", "sockscope.core.diagram", "sockscope.core.json_stream"),
        "sockscope.engine.steps",  # a multi-step template's runner
        *("sockscope.core.http.request", "sockscope.core.replies", "sockscope.core.telnet"),
    )
    assert _roots_loaded(modules, unused) == []
    assert "sockscope.core.http.response" in modules  # the reply was analysed


# The dataclasses still on a plain send's way: each generates and compiles its methods
# at import (0.4-0.9 ms, a few per cent of a tiny exchange's start), so the records a
# send makes in passing are NamedTuples. This list is to be shortened, not added to.
SEND_DATACLASSES = {
    *(f"sockscope.core.model.{name}" for name in ("TlsOptions", "Target", "ReadPolicy")),
    "sockscope.core.model.Event",
    "sockscope.core.model.Exchange",
    "sockscope.core.templates.Template",
}


def test_a_plain_send_makes_no_dataclass_beyond_the_known_few(lab: LabThread) -> None:
    argv = ["send", "127.0.0.1", str(lab.port("http")), "-T", "http-head"]
    code = (
        "import sys; from sockscope.cli import main\n"
        f"code = main({argv!r})\n"
        "sys.stdout.flush()\n"
        "import dataclasses\n"
        "made = [\n"
        "    f'{c.__module__}.{c.__qualname__}'\n"
        "    for m in list(sys.modules.values()) if m.__name__.startswith('sockscope')\n"
        "    for c in vars(m).values()\n"
        "    if isinstance(c, type) and c.__module__ == m.__name__\n"
        "    and dataclasses.is_dataclass(c)\n"
        "]\n"
        "print('\\0' + ' '.join(made), file=sys.stderr)\n"
        "sys.exit(code)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    made = set(proc.stderr.rpartition("\0")[2].split())
    assert "sockscope.core.model.Exchange" in made  # the check sees the model's
    assert made - SEND_DATACLASSES == set()


def test_importing_a_part_of_the_app_leaves_the_garbage_collector_on() -> None:
    # Only the CLI's import of the whole app pauses the collector, and for that import
    # alone: a process that loads a widget or the sanitiser's Textual side keeps its own.
    code = (
        "import gc, sockscope.tui.content, sockscope.tui.widgets.byte_view;"
        "on = gc.isenabled();"
        "from sockscope.tui import collector_paused\n"
        "with collector_paused():\n    import sockscope.tui.app\n"
        "print(on, gc.isenabled())"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["True", "True"], proc.stdout + proc.stderr
