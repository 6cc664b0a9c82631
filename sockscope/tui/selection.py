"""A selection in a line view, held as a span of the source's items, never as a copy.

A view's rows show items: the bytes of a byte source (Received, Sent, Decoded as it
came, wrapped or not), or the characters of a text one (Headers), each row's characters
followed by its line break. A selection is two spans of those items, where it started
and where it reaches now, and covers both and everything between: selecting the whole of
a 64 MiB capture is four integers, and only the rows on screen look at it to draw.

A drag selects items (the one under the press to the one under the pointer); the keys
and a double click select whole rows (an entry a pane folded over several rows counts as
one). Rows are numbered as the view shows them; an item keeps its number while a live
capture grows, so a selection outlives a redraw of the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from sockscope.core.http.head import Span


class Items(Protocol):
    """What a selection is made on: a view's source of rows (byte_view.Lines)."""

    def __len__(self) -> int: ...

    def row_span(self, y: int) -> Span | None:
        """The items row `y` shows; None for a row of none (a title, a message)."""

    def item_at(self, y: int, cell: int) -> Span | None:
        """The item drawn at cell `cell` of row `y`, as (first, end): the nearest one of
        the row for a cell before or after its items."""

    def first_of(self, y: int) -> int:
        """The first row of the entry row `y` belongs to."""


@dataclass(frozen=True)
class Selection:
    anchor: Span  # the item or row where the selection started
    head: Span  # the item or row it reaches now
    head_row: int  # the row of `head`: keys move on from there
    by_rows: bool  # whole rows (keys, a double click) rather than items (a drag)

    @property
    def span(self) -> Span:
        """The items selected, [first, end)."""
        return min(self.anchor[0], self.head[0]), max(self.anchor[1], self.head[1])

    def __len__(self) -> int:
        first, end = self.span
        return end - first


def clamp_row(items: Items, y: int) -> int:
    return max(0, min(y, len(items) - 1))


def entry_span(items: Items, y: int) -> Span | None:
    """The items of row `y`'s whole entry (every row a folded entry takes)."""
    first = items.first_of(y)
    last = y
    while last + 1 < len(items) and items.first_of(last + 1) == first:
        last += 1
    spans = [span for span in (items.row_span(first), items.row_span(last)) if span is not None]
    if not spans:
        return None
    return spans[0][0], spans[-1][1]


def select_row(items: Items, y: int) -> Selection | None:
    """Row `y` selected whole (`v`, a double click); None on a row of no items."""
    if not len(items):
        return None
    y = clamp_row(items, y)
    span = entry_span(items, y)
    return None if span is None else Selection(span, span, y, by_rows=True)


def extend_rows(selection: Selection, items: Items, y: int) -> Selection:
    """`selection` reaching row `y` whole (a row of no items, a title, moves on from
    there but selects no more)."""
    y = clamp_row(items, y)
    span = entry_span(items, y)
    return replace(selection, head=span or selection.head, head_row=y, by_rows=True)


def press(items: Items, y: int, cell: int) -> Selection | None:
    """Where a drag starts: the item at cell `cell` of row `y` (nothing selected yet,
    a drag that never leaves it selects nothing)."""
    if not len(items):
        return None
    y = clamp_row(items, y)
    item = items.item_at(y, cell)
    return None if item is None else Selection(item, item, y, by_rows=False)


def drag(selection: Selection, items: Items, y: int, cell: int) -> Selection:
    """A drag that started at `selection.anchor`, now at cell `cell` of row `y`."""
    y = clamp_row(items, y)
    item = items.item_at(y, cell)
    if item is None:
        return selection
    return replace(selection, head=item, head_row=y, by_rows=False)
