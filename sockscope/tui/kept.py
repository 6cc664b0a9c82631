"""The history's exchanges, their bytes held in memory only up to a budget.

A session of many large exchanges would otherwise hold every byte of every one: past
`BUDGET` bytes (the request, and every event's data), the exchanges used least recently
are written to a temporary directory of the app's own as transcripts and read back when
they are asked for again. The newest, and the one asked for last, always stay. The
directory is removed when the app ends (`close`, or at the latest when the interpreter
exits).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import overload

from sockscope.core.model import Exchange

BUDGET = 64 * 1024 * 1024


def held(exchange: Exchange) -> int:
    """The bytes an exchange holds: its request and every event's data."""
    return len(exchange.request) + sum(len(event.data) for event in exchange.events)


class Kept(Sequence[Exchange]):
    """Exchange `i` is `kept[i]`, in memory or read back from its transcript."""

    def __init__(self, budget: int = BUDGET) -> None:
        self.budget = budget
        self._resident: dict[int, Exchange] = {}  # least recently used first
        # What each holds, counted once: an exchange never changes, and counting one of
        # a million events takes a tenth of a second.
        self._sizes: dict[int, int] = {}
        self._files: dict[int, Path] = {}
        self._count = 0
        self._dir: TemporaryDirectory[str] | None = None

    def append(self, exchange: Exchange) -> None:
        self._count += 1
        self._use(self._count - 1, exchange)

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Exchange: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Exchange]: ...
    def __getitem__(self, index: int | slice) -> Exchange | Sequence[Exchange]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        exchange = self._resident.pop(index, None)
        if exchange is None:
            from sockscope.export.transcript import load_transcript  # start-up: when used

            exchange = load_transcript(self._files[index], own=True)
        self._use(index, exchange)
        return exchange

    def __iter__(self) -> Iterator[Exchange]:
        return (self[i] for i in range(self._count))

    def index_of(self, exchange: Exchange | None) -> int | None:
        """Where `exchange` (this very object, as shown) is, None if it is not here: an
        exchange shown is in memory, so only those are looked at."""
        return next((i for i, e in self._resident.items() if e is exchange), None)

    @property
    def held(self) -> int:
        """The bytes of the exchanges in memory."""
        return sum(self._sizes[index] for index in self._resident)

    def _use(self, index: int, exchange: Exchange) -> None:
        """`exchange` (number `index`) was used last; then the least recently used ones
        go to disk while more than the budget is held."""
        self._resident[index] = exchange
        if index not in self._sizes:
            self._sizes[index] = held(exchange)
        total = self.held
        for old in list(self._resident)[:-1]:
            if total <= self.budget:
                break
            spilled = self._resident.pop(old)
            if old not in self._files:  # an exchange never changes: written once
                from sockscope.export.transcript import save_transcript  # when used

                self._files[old] = self._directory() / f"{old}.json"
                save_transcript(spilled, self._files[old])
            total -= self._sizes[old]

    def _directory(self) -> Path:
        if self._dir is None:
            self._dir = TemporaryDirectory(prefix="sockscope-history-")
        return Path(self._dir.name)

    def close(self) -> None:
        """Remove the transcripts written (the app is ending)."""
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
