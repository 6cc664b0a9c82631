"""The terminal app, on Textual."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Around the import of the app: Textual's and the app's modules build tens of
    thousands of objects that live as long as the process, which the cyclic collector
    would walk again and again as they come. They are frozen after (the collector never
    walks them) and the collector runs again as it did for what comes next. Paused here,
    around the import, not by importing the package: a process that imports a part of
    the app (a test, a CLI printer) keeps its collector."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
