from __future__ import annotations

from collections.abc import Iterator

import pytest

from sockscope.tui.lab_info import LabInfo
from sockscope.tui.launch import in_process_lab


@pytest.fixture(scope="module")
def lab() -> Iterator[LabInfo]:
    """The lab on OS-chosen loopback ports, as the app sees it (as `sockscope` starts it:
    its TLS identity made after the app's first frame)."""
    with in_process_lab() as running:
        yield running


@pytest.fixture(autouse=True)
def _in_a_scratch_directory(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Save and export suggest paths in the current directory: keep them out of the repo."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
