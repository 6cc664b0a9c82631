"""Helpers for the multi-step dialogue tests: user templates in the isolated config home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def user_templates() -> Path:
    """The user template directory of this test's (isolated) config home."""
    directory = Path(os.environ["XDG_CONFIG_HOME"]) / "sockscope" / "templates"
    directory.mkdir(parents=True, exist_ok=True)
    return directory
