from __future__ import annotations

from collections.abc import Iterator

import pytest

from sockscope.lab import LabThread
from sockscope.tui.lab_info import LabInfo


@pytest.fixture(scope="module")
def lab() -> Iterator[LabInfo]:
    """The lab on OS-chosen loopback ports, as the app sees it."""
    with LabThread() as running:
        yield LabInfo(running.host, running.ports, running.ca_file)
