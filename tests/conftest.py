"""Fixtures shared by every layer's tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings

from tests.clirun import CliResult

# Property tests draw the same examples on every run unless asked otherwise, so a run
# never fails by chance; a failure prints the blob that replays it. `dev` draws fresh
# examples each run, `deep` many more of them for a deliberate hunt for new failures.
settings.register_profile("ci", derandomize=True, print_blob=True, max_examples=100, deadline=None)
settings.register_profile("dev", print_blob=True, max_examples=100, deadline=None)
settings.register_profile("deep", print_blob=True, max_examples=2_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def lab() -> Iterator[object]:
    """The lab's services on loopback ports the OS picks, for the whole test session."""
    from sockscope.lab import LabThread

    with LabThread() as running:
        yield running


@pytest.fixture(autouse=True)
def _isolated_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test sees the developer's own user templates."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `sockscope ARGS...` in-process: its exit status and what a user would read."""
    from sockscope.cli import main

    def run(*args: object) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject's addopts): the whole suite runs on one worker per core; a
    selection (`pytest tests/core`) runs in this process, where starting workers would
    cost more than they save. `-n 2` runs a selection in parallel too."""
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS:
        return 0
    return None  # pytest-xdist's own count: one worker per core


# Under pytest-xdist the workers run the tests and only the controller writes the run's
# summary: a line a worker leaves in its workeroutput["summary"] is printed here.
_worker_summary: list[tuple[str, bool]] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    for line, alarming in getattr(node, "workeroutput", {}).get("summary", []):
        _worker_summary.append((line, alarming))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line, alarming in _worker_summary:
        terminalreporter.write_line(line, yellow=alarming, bold=True)
