"""Helpers for the multi-step dialogue tests: run the CLI in-process, write user templates."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sockscope.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `sockscope ARGS...` in-process and capture what a user would read."""

    def run(*args: object) -> Result:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def user_templates() -> Path:
    """The user template directory of this test's (isolated) config home."""
    directory = Path(os.environ["XDG_CONFIG_HOME"]) / "sockscope" / "templates"
    directory.mkdir(parents=True, exist_ok=True)
    return directory
