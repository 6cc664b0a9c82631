"""Fixtures shared by every layer's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


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
