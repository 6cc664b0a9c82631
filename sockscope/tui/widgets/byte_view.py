"""A line-API view of bytes: only the visible rows are ever formatted.

`LineView.render_line(y)` asks a `Lines` source for row `scroll_y + y`, which formats
that one row straight from the byte buffer (toolong's approach), so a 10 MiB capture
costs what a 10-byte one does. Where rows start is one index per buffer (`ByteRows`),
shared by the repr and decoded views and built lazily: the first screens at once, the
rest between frames, so showing 64 MiB costs what showing 1 MiB does. A received buffer
only grows, so its index carries over to the next, larger buffer.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from itertools import chain, islice
from operator import sub
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Offset, Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from sockscope.core import views
from sockscope.core.find import Matches, row_of
from sockscope.core.http.head import Span
from sockscope.core.views import human_bytes
from sockscope.tui import selection as select
from sockscope.tui.content import DIM_STYLE, plain, repr_content, segments
from sockscope.tui.selection import Selection

# views.row_starts cuts rows at this many bytes, so no row is unbounded.
MAX_LINE = 256
# Bytes indexed as soon as a buffer is shown (many screens of rows however large it is),
# then per step between frames (a few ms each) until the whole buffer is indexed.
FIRST_BLOCK = 256 * 1024
BLOCK = 2 * 1024 * 1024
# Seconds between those steps: the UI stays free for keys and frames meanwhile.
GROW_INTERVAL = 0.02
# Seconds between the rows a drag held above or below a view scrolls it by.
HOLD_INTERVAL = 0.05
# Wrapped lines are built all at once, so wrapping is offered up to this many rows (a
# few MiB of text); a longer source stays cut at the pane's edge and says so.
MAX_WRAP_ROWS = 20_000


# How highlighted bytes look: every find match, the current match, the linked part.
MATCH_STYLE = "on $warning 40%"
CURRENT_STYLE = "reverse $warning"
LINKED_STYLE = "on $accent 40%"
CURSOR_STYLE = "reverse"
# The user's selection: drawn over the others, in the colour Textual selects text with.
SELECTED_STYLE = "on $primary 60%"


class Marks:
    """Byte spans a view highlights: a find's matches and the current one, the bytes
    of the part chosen in the Headers pane, and the view's own selection."""

    def __init__(
        self,
        matches: Matches | None = None,
        current: Span | None = None,
        linked: Span | None = None,
        selected: Span | None = None,
    ) -> None:
        self.matches = matches
        self.current = current
        self.linked = linked
        self.selected = selected

    def with_selected(self, selected: Span | None) -> Marks:
        """These marks and a view's selection (the find's are shared by the views)."""
        return Marks(self.matches, self.current, self.linked, selected)

    def in_row(self, start: int, end: int) -> list[tuple[int, int, str]]:
        """(first byte, end byte, style) of each highlight in bytes [start, end)."""
        found: list[tuple[int, int, str]] = []
        if self.linked is not None:
            found.append((*self.linked, LINKED_STYLE))
        if self.matches is not None:
            found += [(a, b, MATCH_STYLE) for a, b in self.matches.within(start, end)]
        if self.current is not None:
            found.append((*self.current, CURRENT_STYLE))
        if self.selected is not None:
            found.append((*self.selected, SELECTED_STYLE))
        return [
            (max(a, start), min(b, end), style) for a, b, style in found if a < end and b > start
        ]


class Lines:
    """Rows formatted on demand; `width` bounds the widest row (for the scrollbar). A
    source whose rows are still being indexed says so from `grow`, which indexes more."""

    width = 0
    marks: Marks | None = None  # RowLines highlight these bytes

    def __len__(self) -> int:
        return 0

    def line(self, y: int) -> Content:
        raise IndexError(y)

    @property
    def pending(self) -> bool:
        """Whether rows remain to be indexed."""
        return False

    def grow(self) -> bool:
        """Index another step; True while more remains to index."""
        return False

    def first_of(self, y: int) -> int:
        """The first row of the entry row `y` belongs to (a folded entry takes several)."""
        return y

    def row_of(self, offset: int) -> int | None:
        """The row showing byte `offset`; None for rows that are not bytes."""
        return None

    def shows(self, data: bytes | memoryview) -> bool:
        """Whether the rows show `data` (that object), so marks of its bytes apply."""
        return False

    # What a selection is made of (selection.py): the items the rows show, bytes of a
    # byte source or characters of a text one, numbered from the start of the source.
    @property
    def in_bytes(self) -> bool:
        """Whether the items are bytes (else characters)."""
        return True

    @property
    def items(self) -> object:
        """What the items are items of: a source shown in place of this one over the
        same items (a live capture that grew) keeps the selection."""
        return self

    def row_span(self, y: int) -> Span | None:
        """The items row `y` shows; None for a row of none."""
        return None

    def item_at(self, y: int, cell: int) -> Span | None:
        """The item drawn at cell `cell` of row `y` (the row's nearest one for a cell
        outside them), as (first, end); None for a row of none."""
        return None

    def copied(self, span: Span) -> bytes:
        """The items `span` as bytes: the source's own, or the text's UTF-8."""
        return b""


class NoLines(Lines):
    def __init__(self, message: str = "") -> None:
        self._message = message

    def __len__(self) -> int:
        return 1 if self._message else 0

    def line(self, y: int) -> Content:
        return plain(self._message, DIM_STYLE)


class ContentLines(Lines):
    """Rows already built (headers, replies): tens to thousands, not millions. `firsts`
    names each row's entry (`first_of`) where entries were folded over several rows."""

    def __init__(
        self,
        rows: Sequence[Content],
        firsts: Sequence[int] | None = None,
        joins: Sequence[str] | None = None,
    ) -> None:
        """`joins`: what joins each row to the one before in a copy, where it is not a
        line break: a folded entry's continuation is joined by the spaces it broke at,
        without its indent."""
        self._rows = rows
        self._firsts = firsts
        self._joins = joins
        self.width = max((row.cell_length for row in rows), default=0)
        self._starts: list[int] | None = None  # where each row's characters start

    def first_of(self, y: int) -> int:
        return y if self._firsts is None else self._firsts[y]

    @property
    def in_bytes(self) -> bool:
        return False  # its items are characters of the rows, each row ending in a break

    def __len__(self) -> int:
        return len(self._rows)

    def line(self, y: int) -> Content:
        row = self._rows[y]
        selected = self.marks.selected if self.marks is not None else None
        span = self.row_span(y)
        if selected is not None and span is not None:
            first, end = max(selected[0], span[0]), min(selected[1], span[1])
            if first < end:
                row = row.stylize(SELECTED_STYLE, first - span[0], end - span[0])
        return row

    def row_span(self, y: int) -> Span | None:
        if self._starts is None:
            self._starts = [0]
            for row in self._rows:
                self._starts.append(self._starts[-1] + len(row.plain) + 1)
        if not 0 <= y < len(self._rows):
            return None
        return self._starts[y], self._starts[y + 1]

    def item_at(self, y: int, cell: int) -> Span | None:
        span = self.row_span(y)
        if span is None:
            return None
        text = self._rows[y].plain
        index, used = 0, 0
        while index < len(text) and used + cell_len(text[index]) <= cell:
            used += cell_len(text[index])
            index += 1
        item = span[0] + index  # the line break for a cell past the text
        return item, item + 1

    def copied(self, span: Span) -> bytes:
        first, end = span
        pieces: list[str] = []
        for y, row in enumerate(self._rows):
            start, stop = self.row_span(y) or (0, 0)
            if stop <= first or start >= end:
                continue
            text = row.plain
            # A continuation's indent is the fold's, not the entry's.
            skip = len(text) - len(text.lstrip(" ")) if self._join(y) != "\n" else 0
            pieces.append(text[max(first - start, skip) : end - start])
            if end - start > len(text):  # and its break, or what joins it to the next row
                pieces.append(self._join(y + 1))
        return "".join(pieces).encode("utf-8", "surrogateescape")

    def _join(self, y: int) -> str:
        return self._joins[y] if self._joins is not None and y < len(self._joins) else "\n"


class HexLines(Lines):
    """`hexdump -C` rows of `per_row` bytes (16, 8 or 4: what fits the pane): the row of
    a byte is arithmetic, so any size scrolls alike. Marks show in both the hex digits
    and the gutter."""

    def __init__(
        self, data: bytes | memoryview, per_row: int = views.HEX_WIDTH, items: object = None
    ) -> None:
        """`items`: what else shows these bytes (the row index of the repr rows they
        take turns with), so that a selection stays when the view switches."""
        self._data = data
        self.per_row = per_row
        self.width = views.hexdump_row_length(per_row)
        # `00000010  48 54 ...  |HTTP/1.1 200 OK.|`: offset, hex columns, ASCII gutter.
        self._gutter = self.width - per_row - 2
        self._items = self if items is None else items

    @property
    def items(self) -> object:
        return self._items

    def __len__(self) -> int:
        return -(-len(self._data) // self.per_row)

    def shows(self, data: bytes | memoryview) -> bool:
        return self._data is data

    def line(self, y: int) -> Content:
        start = y * self.per_row
        text = views.hexdump_line(self._data, start, self.per_row)
        content = Content.assemble(
            (text[:8], DIM_STYLE),
            text[8 : self._gutter],
            (text[self._gutter :], "$text-secondary"),
        )
        if self.marks is not None:
            end = min(start + self.per_row, len(self._data))
            for first, last, style in self.marks.in_row(start, end):
                for columns in views.hexdump_columns(first - start, last - start, self.per_row):
                    content = content.stylize(style, *columns)
        return content

    def row_of(self, offset: int) -> int:
        return offset // self.per_row

    def row_span(self, y: int) -> Span | None:
        first = y * self.per_row
        if not 0 <= first < len(self._data):
            return None
        return first, min(len(self._data), first + self.per_row)

    def item_at(self, y: int, cell: int) -> Span | None:
        span = self.row_span(y)
        if span is None:
            return None
        # `00000010  48 54 54 50 ...  |HTTP...|`: a byte's two digits and the space
        # after them are its cells, and so is its character in the gutter.
        half = self.per_row // 2
        if cell > self._gutter:  # the gutter's characters start after its `|`
            index = cell - self._gutter - 1
        elif cell < 10 + 3 * half:
            index = (cell - 10) // 3
        else:
            index = (cell - 11) // 3
        item = span[0] + max(0, min(index, span[1] - span[0] - 1))
        return item, item + 1

    def copied(self, span: Span) -> bytes:
        return bytes(self._data[span[0] : span[1]])


def split_encoding(encoding: str) -> str:
    """The encoding rows are split for: every encoding but UTF-16 ends a row at an LF
    byte, so their rows are the same (one index serves the repr and decoded views)."""
    return encoding if encoding.startswith("utf-16") else "latin-1"


class ByteRows:
    """The row index of one buffer (`views.row_starts`): rows ending after each encoded
    LF or every MAX_LINE bytes, built lazily. The first FIRST_BLOCK bytes are indexed at
    once, the rest by `grow` a BLOCK at a time, or as far as `span` is asked to reach;
    meanwhile `len` estimates the rows from the average row so far.

    A received buffer only grows, so `of` carries the index over to the longer buffer
    (in place) and indexes again only from the start of the last, still open, row.
    """

    def __init__(self, data: bytes | memoryview, encoding: str = "latin-1") -> None:
        self.data = data
        self.encoding = encoding
        self._starts: array[int] = array("q")  # of the complete rows
        self._open = 0  # where the row still open starts
        self.indexed = 0  # bytes of `data` looked at so far
        self._widest = 0  # of the complete rows
        self._index(FIRST_BLOCK)

    @classmethod
    def of(
        cls,
        data: bytes | memoryview,
        previous: ByteRows | None = None,
        encoding: str = "latin-1",
    ) -> ByteRows:
        if previous is None or previous.encoding != encoding:
            return cls(data, encoding)
        if data is previous.data:
            return previous
        if not views.goes_on(data, previous.data):
            return cls(data, encoding)
        previous._extend(data)
        return previous

    def _extend(self, data: bytes | memoryview) -> None:
        self.data = data
        self.indexed = self._open
        self._index(FIRST_BLOCK)

    def _index(self, size: int) -> None:
        stop = min(len(self.data), self.indexed + size)
        if stop <= self.indexed and self.indexed:
            return
        starts, opened = views.row_starts(self.data, self.encoding, MAX_LINE, self._open, stop)
        if starts:
            ends = chain(islice(starts, 1, None), (opened,))
            self._widest = max(self._widest, max(map(sub, ends, starts)))
            self._starts.extend(starts)
        self._open = opened
        self.indexed = stop

    @property
    def complete(self) -> bool:
        return self.indexed >= len(self.data)

    def grow(self) -> bool:
        self._index(BLOCK)
        return not self.complete

    def __len__(self) -> int:
        rows = len(self._starts)
        left = len(self.data) - self._open
        if self.complete:
            return rows + (left > 0)
        average = self._open / rows if rows else MAX_LINE
        return rows + max(1, round(left / average))

    def span(self, y: int) -> tuple[int, int] | None:
        """Row `y`'s (start, end), indexing as far as it needs; None past the last row."""
        starts = self._starts
        while y >= len(starts) and not self.complete:
            self._index(BLOCK)
        if y + 1 < len(starts):
            return starts[y], starts[y + 1]
        if y + 1 == len(starts):
            return starts[y], self._open
        if y == len(starts) and self._open < len(self.data):
            return self._open, len(self.data)
        return None

    def row_of(self, offset: int) -> int:
        """The row holding byte `offset`, indexing as far as it needs."""
        while self.indexed <= offset and not self.complete:
            self._index(BLOCK)
        if offset >= self._open:
            return len(self._starts)
        return row_of(self._starts, offset)

    @property
    def widest(self) -> int:
        """The widest row indexed so far (the open row as far as it was looked at)."""
        return max(self._widest, self.indexed - self._open)


class RowLines(Lines):
    """Rows of a shared row index (`ByteRows`), each formatted only when it is drawn."""

    def __init__(self, rows: ByteRows) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def pending(self) -> bool:
        return not self.rows.complete

    def grow(self) -> bool:
        return self.rows.grow()

    def row_of(self, offset: int) -> int:
        return self.rows.row_of(offset)

    def shows(self, data: bytes | memoryview) -> bool:
        return self.rows.data is data

    @property
    def items(self) -> object:
        return self.rows  # carried over, in place, to the longer buffer of a live capture

    def row_span(self, y: int) -> Span | None:
        span = self.rows.span(y) if y >= 0 else None
        if span is None and y > 0 and self.rows.data:
            # Past the rows: until the index is complete their count is an estimate.
            span = self.rows.span(self.rows.row_of(len(self.rows.data) - 1))
        return span

    def item_at(self, y: int, cell: int) -> Span | None:
        span = self.rows.span(y)
        if span is None:
            return None
        starts = self.starts(*span)
        # The last item drawn from a cell at or before `cell`.
        index = bisect_right(starts, cell, key=lambda at: self.cell_of(span[0], span[1], at))
        index = max(0, index - 1)
        return starts[index], starts[index + 1] if index + 1 < len(starts) else span[1]

    def starts(self, start: int, end: int) -> list[int]:
        """Where each item drawn in row [start, end) starts: every byte."""
        return list(range(start, end))

    def cell_of(self, start: int, end: int, at: int) -> int:
        """The cell of row [start, end) where byte `at` is drawn from."""
        return self.columns(start, end, (at, at))[0]

    def copied(self, span: Span) -> bytes:
        return bytes(self.rows.data[span[0] : span[1]])

    def line(self, y: int) -> Content:
        span = self.rows.span(y)
        if span is None:
            return Content("")
        content = self.format(*span)
        if self.marks is not None:
            for first, last, style in self.marks.in_row(*span):
                columns = self.columns(span[0], span[1], (first, last))
                content = content.stylize(style, *columns)
        return content

    def format(self, start: int, end: int) -> Content:
        raise NotImplementedError

    def columns(self, start: int, end: int, part: Span) -> Span:
        """The characters of row [start, end) that show the bytes `part`."""
        raise NotImplementedError


class ReprLines(RowLines):
    @property
    def width(self) -> int:  # type: ignore[override]
        # A guess for ASCII text (b'' and a few escapes); LineView widens on sight.
        return self.rows.widest + 8

    def format(self, start: int, end: int) -> Content:
        return repr_content(views.repr_line(bytes(self.rows.data[start:end])))

    def columns(self, start: int, end: int, part: Span) -> Span:
        columns = views.repr_columns(bytes(self.rows.data[start:end]))
        return columns[part[0] - start], columns[part[1] - start]


class DecodedLines(RowLines):
    """The decoded text, one row per span of `rows` (split for `encoding`), each
    decoded and sanitised by `views.decoded_row` only when it is drawn."""

    def __init__(self, rows: ByteRows, encoding: str) -> None:
        super().__init__(rows)
        self.encoding = encoding

    @property
    def width(self) -> int:  # type: ignore[override]
        return self.rows.widest

    def format(self, start: int, end: int) -> Content:
        row = views.decoded_row(self.rows.data, start, end, self.encoding)
        return segments(row, one_line=True)

    def columns(self, start: int, end: int, part: Span) -> Span:
        # The text of the bytes before each edge: a character cut by an edge counts
        # as one of the bytes it was decoded from.
        def before(at: int) -> int:
            return len(self.format(start, at).plain) if at > start else 0

        return before(part[0]), before(part[1])

    def cell_of(self, start: int, end: int, at: int) -> int:
        return self.format(start, at).cell_length if at > start else 0

    def starts(self, start: int, end: int) -> list[int]:
        """The first byte of each character: a UTF-8 character's continuation bytes and
        the second byte of a UTF-16 unit are not starts."""
        data = self.rows.data
        if self.encoding.startswith("utf-16"):
            return list(range(start, end, 2))
        if self.encoding == "utf-8":
            return [at for at in range(start, end) if at == start or not 0x80 <= data[at] < 0xC0]
        return list(range(start, end))


class Stacked(Lines):
    """Several views of the same bytes one after the other, each under a title row (the
    Sent pane's repr and hex dump): a selection in one is drawn in all."""

    def __init__(self, *parts: tuple[str, Lines]) -> None:
        self._parts = [(plain(title, "bold $text-accent"), lines) for title, lines in parts]

    @property
    def marks(self) -> Marks | None:
        return self._parts[0][1].marks if self._parts else None

    @marks.setter
    def marks(self, marks: Marks | None) -> None:
        for _, lines in self._parts:
            lines.marks = marks

    def shows(self, data: bytes | memoryview) -> bool:
        return any(lines.shows(data) for _, lines in self._parts)

    def row_of(self, offset: int) -> int | None:
        """The row of the first part that shows the bytes."""
        above = 0
        for _, lines in self._parts:
            row = lines.row_of(offset)
            if row is not None:
                return above + 1 + row
            above += 1 + len(lines)
        return None

    def _part(self, y: int) -> tuple[Lines, int, int] | None:
        """The part row `y` is in, its row there (-1: the title) and the part's first row."""
        top = 0
        for _, lines in self._parts:
            size = len(lines) + 1
            if y < top + size:
                return lines, y - top - 1, top + 1
            top += size
        return None

    @property
    def items(self) -> object:
        return self._parts[0][1].items if self._parts else self

    def row_span(self, y: int) -> Span | None:
        part = self._part(y)
        return None if part is None or part[1] < 0 else part[0].row_span(part[1])

    def item_at(self, y: int, cell: int) -> Span | None:
        part = self._part(y)
        return None if part is None or part[1] < 0 else part[0].item_at(part[1], cell)

    def first_of(self, y: int) -> int:
        part = self._part(y)
        return y if part is None or part[1] < 0 else part[2] + part[0].first_of(part[1])

    def copied(self, span: Span) -> bytes:
        return self._parts[0][1].copied(span) if self._parts else b""

    @property
    def width(self) -> int:  # type: ignore[override]
        return max((lines.width for _, lines in self._parts), default=0)

    def __len__(self) -> int:
        return sum(len(lines) + 1 for _, lines in self._parts)

    @property
    def pending(self) -> bool:
        return any(lines.pending for _, lines in self._parts)

    def grow(self) -> bool:
        return any([lines.grow() for _, lines in self._parts])

    def line(self, y: int) -> Content:
        for title, lines in self._parts:
            if y == 0:
                return title
            y -= 1
            size = len(lines)
            if y < size:
                return lines.line(y)
            y -= size
        raise IndexError(y)


class WrappedLines(Lines):
    """`source`'s rows wrapped at `width` cells. Where each source row starts is counted
    once; a row is formatted (with its marks) and wrapped again when drawn, so find
    matches and linked bytes show on wrapped rows as on cut ones."""

    def __init__(self, source: Lines, width: int) -> None:
        self.source = source
        self.width = width
        self._firsts = array("q")  # the wrapped row each source row starts at
        total = 0
        for y in range(len(source)):
            self._firsts.append(total)
            total += len(self._pieces(source.line(y)))
        self._total = total

    def _pieces(self, row: Content) -> list[Content]:
        return row.wrap(self.width) if row.cell_length > self.width else [row]

    @property
    def marks(self) -> Marks | None:
        return self.source.marks

    @marks.setter
    def marks(self, marks: Marks | None) -> None:
        self.source.marks = marks

    def __len__(self) -> int:
        return self._total

    def line(self, y: int) -> Content:
        row = bisect_right(self._firsts, y) - 1
        pieces = self._pieces(self.source.line(row))
        at = y - self._firsts[row]
        return pieces[at] if at < len(pieces) else Content("")

    def shows(self, data: bytes | memoryview) -> bool:
        return self.source.shows(data)

    def row_of(self, offset: int) -> int | None:
        row = self.source.row_of(offset)
        if row is None or not self._firsts:
            return None
        return self._firsts[min(row, len(self._firsts) - 1)]

    # A selection is made on the source's items: the same with rows wrapped or cut, and
    # a wrapped row selects the whole source row.
    @property
    def in_bytes(self) -> bool:
        return self.source.in_bytes

    @property
    def items(self) -> object:
        return self.source.items

    def first_of(self, y: int) -> int:
        return self._firsts[bisect_right(self._firsts, y) - 1]

    def row_span(self, y: int) -> Span | None:
        return self.source.row_span(bisect_right(self._firsts, y) - 1)

    def item_at(self, y: int, cell: int) -> Span | None:
        row = bisect_right(self._firsts, y) - 1
        before = self._pieces(self.source.line(row))[: y - self._firsts[row]]
        return self.source.item_at(row, sum(piece.cell_length for piece in before) + cell)

    def copied(self, span: Span) -> bytes:
        return self.source.copied(span)


class LineView(ScrollView, can_focus=True):
    """Shows a `Lines` source; formats and caches only the rows that are drawn.

    A drag selects the items between the press and the pointer, a double click a row;
    `v` selects the row at the cursor (or the row clicked, or the top one), and the
    moving keys then take the selection's end with them; escape clears it. The selection
    is the view's own (selection.py), in items of its source: Textual's own selection is
    off here, as it is held in cells of rendered text and runs across widgets."""

    ALLOW_MAXIMIZE = False  # f2 zooms the pane around it, with its title and badge
    ALLOW_SELECT = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "select_rows", "Select rows", show=False),
        # Only while something is selected (check_action): else escape is the app's, and
        # ctrl+c (pressed to quit, by habit) copies nothing.
        Binding("escape", "clear_selection", "Clear the selection", show=False),
        Binding("ctrl+c", "copy_selection", "Copy the selection", show=False),
    ]

    class SelectionChanged(Message):
        """The view's selection changed (the pane's badge gives its size)."""

        def __init__(self, view: LineView) -> None:
            super().__init__()
            self.view = view

        @property
        def control(self) -> LineView:
            return self.view

    DEFAULT_CSS = """
    LineView {
        height: 1fr;
        background: $surface;
        scrollbar-size-vertical: 1;
        &:focus { background-tint: $foreground 5%; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: Lines = NoLines()
        self._strips: LRUCache[int, Strip] = LRUCache(1024)
        self._grower: Timer | None = None
        self._marks: Marks | None = None  # kept for every source shown after
        self.cursor: int | None = None  # a row cursor (CursorLineView), drawn while focused
        self.wrap = False  # rows wrapped at the view's width rather than cut
        # Following the end of a live source: until the user scrolls up, and again once
        # they come back to the end (End); `_left_at` is the row count when they left.
        self.following = True
        self._left_at = 0
        self._source: Lines = self._lines  # what was shown, before any wrapping
        self.shown = 0  # how many sources were shown (a redraw that changed nothing shows none)
        self.selection: Selection | None = None
        self._pressed: tuple[Selection, Offset] | None = None  # a drag: where it started
        self._dragged = False  # the last press moved before it was let go
        self._pointed = 0  # the row clicked last: `v` starts there while it is on screen
        self._holder: Timer | None = None  # scrolls while a drag is held outside the view
        self._held = (0, 0)  # that drag's direction (a row up or down) and cell

    @property
    def lines(self) -> Lines:
        return self._lines

    def show(self, lines: Lines, *, follow: bool = False) -> None:
        """Replace the source; with `follow` (bytes still arriving), go on to the new end
        unless the user has scrolled up from it (`following`)."""
        self._source = lines
        if self.wrap:
            lines = self._wrapped(lines)
        if self.selection is not None and lines.items is not self._lines.items:
            self.selection = None  # other items: the span would name other bytes
            self.post_message(self.SelectionChanged(self))
        elif self.selection is not None:
            # The same items on other rows (wrapped, or cut again): the keys go on from
            # the row that now shows the selection's end.
            row = lines.row_of(self.selection.head[0])
            if row is not None:
                self.selection = replace(self.selection, head_row=row)
        self._lines = lines
        lines.marks = self._marks_with_selection()
        self.shown += 1
        self._strips.clear()
        self._resize(Size(lines.width, len(lines)))
        if follow and self.following:
            # After the refresh: the new height is laid out by then, so the end is the end.
            self.scroll_end(animate=False, immediate=False, x_axis=False)
        self.refresh()
        if lines.pending and self._grower is None:
            self._grower = self.set_interval(GROW_INTERVAL, self._grow)

    # Home and End jump, as in less: Textual's smooth scroll crosses a 100,000-row capture
    # in a second of frames, and while a stream redraws the panes that is a second of
    # waiting for the place the key asked for.
    def action_scroll_home(self) -> None:
        if self._extending:
            self.extend_to(0)
            return
        self.scroll_home(animate=False, immediate=True, x_axis=self.scroll_y == 0)

    def action_scroll_end(self) -> None:
        if self._extending:
            while self._lines.grow():
                pass  # the true last row, not the estimate of a capture still indexed
            self.extend_to(len(self._lines) - 1)
            return
        self.following = True
        self.scroll_end(animate=False, immediate=True, x_axis=self.is_vertical_scroll_end)

    def follow(self) -> None:
        """Follow the end again (a new exchange started)."""
        self.following = True

    @property
    def new_rows(self) -> int:
        """Rows that arrived since the user scrolled up from the end (0 while following)."""
        return 0 if self.following else max(0, len(self._lines) - self._left_at)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Up, but only the user's scroll leaves the end: a shorter source (a new capture)
        # or a taller pane pulls the offset down to the new end, still following.
        if new_value < old_value and self.following and new_value < self.max_scroll_y:
            self.following = False  # scrolled up: the user reads; new rows are counted
            self._left_at = len(self._lines)
        elif not self.following and new_value >= self.max_scroll_y > 0:
            self.following = True  # back at the end

    def _grow(self) -> None:
        """Between frames: index more of the source; its height and width follow."""
        lines = self._lines
        more = lines.grow()
        size = Size(max(lines.width, self.virtual_size.width), len(lines))
        self._resize(size)
        if not more and self._grower is not None:
            self._grower.stop()
            self._grower = None

    @property
    def wraps(self) -> bool:
        """Whether the rows shown are wrapped (wrap is on and the source was short
        enough to wrap)."""
        return self._lines is not self._source

    def toggle_wrap(self) -> None:
        self.wrap = not self.wrap
        self.show(self._source)

    def _wrapped(self, lines: Lines) -> Lines:
        """`lines` wrapped at the view's width; as they are past MAX_WRAP_ROWS rows (or
        before the view has a width)."""
        width = self.scrollable_content_region.width - self.styles.scrollbar_size_vertical
        if width < 8:
            return lines
        while lines.pending and len(lines) <= MAX_WRAP_ROWS:
            lines.grow()
        if len(lines) > MAX_WRAP_ROWS:
            return lines
        return WrappedLines(lines, width)

    def on_resize(self) -> None:
        if self.wrap:
            self.show(self._source)

    def set_marks(self, marks: Marks | None) -> None:
        """Highlight other bytes: the rows drawn are formatted again."""
        self._marks = marks
        self._redraw_marks()

    def _marks_with_selection(self) -> Marks | None:
        if self.selection is None:
            return self._marks
        return (self._marks or Marks()).with_selected(self.selection.span)

    def _redraw_marks(self) -> None:
        self._lines.marks = self._marks_with_selection()
        self._strips.clear()
        self.refresh()

    # ---- the selection -------------------------------------------------------------

    @property
    def selection_note(self) -> str:
        """`selected 1,204 bytes` (`selected 80 characters` of text), or nothing."""
        if self.selection is None:
            return ""
        if self._lines.in_bytes:
            return f"selected {human_bytes(len(self.selection))}"
        # The characters a copy gives (a folded row's indent is not one): a few thousand.
        text = self._lines.copied(self.selection.span).decode("utf-8", "surrogateescape")
        return f"selected {len(text):,} characters"

    def selected_bytes(self) -> bytes | None:
        """What the selection holds: its bytes, or its text as UTF-8."""
        if self.selection is None:
            return None
        return self._lines.copied(self.selection.span)

    def select(self, selection: Selection | None) -> None:
        self.selection = selection
        self._redraw_marks()
        self.post_message(self.SelectionChanged(self))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("clear_selection", "copy_selection"):
            return self.selection is not None
        return super().check_action(action, parameters)

    def action_clear_selection(self) -> None:
        self.select(None)

    async def action_copy_selection(self) -> None:
        """ctrl+c, where a terminal app copies its selection: as y does."""
        await self.run_action("app.copy('text')")

    def action_select_rows(self) -> None:
        """`v`: select the cursor's row (or the row clicked last, if on screen, or the top
        row on screen); `v` again clears it."""
        if self.selection is not None and self.selection.by_rows:
            self.select(None)
            return
        top = self.scroll_offset.y
        row = self._pointed if top <= self._pointed < top + self.size.height else top
        self.select(select.select_row(self._lines, row if self.cursor is None else self.cursor))

    @property
    def _extending(self) -> bool:
        """Whether the moving keys take the selection with them (a row selection)."""
        return self.selection is not None and self.selection.by_rows

    def extend_to(self, row: int) -> None:
        """The selection reaches row `row`, brought into view."""
        assert self.selection is not None
        self.select(select.extend_rows(self.selection, self._lines, row))
        self.scroll_to_region(
            Region(0, self.selection.head_row, 1, 1), animate=False, immediate=True, force=True
        )

    def _key_step(self, rows: int) -> None:
        assert self.selection is not None
        self.extend_to(self.selection.head_row + rows)

    def action_scroll_up(self) -> None:
        if self._extending:
            self._key_step(-1)
        else:
            super().action_scroll_up()

    def action_scroll_down(self) -> None:
        if self._extending:
            self._key_step(1)
        else:
            super().action_scroll_down()

    def action_page_up(self) -> None:
        if self._extending:
            self._key_step(-max(1, self.scrollable_content_region.height - 1))
        else:
            super().action_page_up()

    def action_page_down(self) -> None:
        if self._extending:
            self._key_step(max(1, self.scrollable_content_region.height - 1))
        else:
            super().action_page_down()

    def _spot(self, event: events.MouseEvent) -> tuple[int, int]:
        """The row and cell of the source under the pointer; past the top or bottom of
        the view (a drag held outside it), the view scrolls towards the pointer first."""
        height = self.scrollable_content_region.height
        y = event.y - self.gutter.top
        if y < 0 or y >= height:
            self.scroll_to(
                y=self.scroll_offset.y + (y if y < 0 else y - height + 1),
                animate=False,
                immediate=True,
            )
            y = max(0, min(y, height - 1))
        scroll_x, scroll_y = self.scroll_offset
        return scroll_y + y, scroll_x + max(0, event.x - self.gutter.left)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        row, cell = self._spot(event)
        self._pointed = row
        pressed = select.press(self._lines, row, cell)
        self._pressed = None if pressed is None else (pressed, event.screen_offset)
        self._dragged = False
        if pressed is not None:
            self.capture_mouse()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._pressed is None:
            return
        pressed, at = self._pressed
        if event.screen_offset != at or self._dragged:
            # A new drag starts from its press, not from the selection before it.
            start = self.selection if self._dragged and self.selection is not None else pressed
            self._dragged = True
            self.select(select.drag(start, self._lines, *self._spot(event)))
            self._hold(event)

    def _hold(self, event: events.MouseMove) -> None:
        """A drag held above or below the view goes on scrolling it (a row each tick) and
        selecting, as in any terminal app, until the pointer comes back or lets go."""
        y = event.y - self.gutter.top
        step = -1 if y < 0 else 1 if y >= self.scrollable_content_region.height else 0
        self._held = (step, self.scroll_offset.x + max(0, event.x - self.gutter.left))
        if step and self._holder is None:
            self._holder = self.set_interval(HOLD_INTERVAL, self._scroll_held)
        elif not step and self._holder is not None:
            self._holder.stop()
            self._holder = None

    def _scroll_held(self) -> None:
        step, cell = self._held
        if self._pressed is None or self.selection is None or not step:
            return
        self.scroll_to(y=self.scroll_offset.y + step, animate=False, immediate=True)
        edge = 0 if step < 0 else self.scrollable_content_region.height - 1
        self.select(select.drag(self.selection, self._lines, self.scroll_offset.y + edge, cell))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._pressed is None:
            return
        self.release_mouse()
        self._pressed = None
        if self._holder is not None:
            self._holder.stop()
            self._holder = None
        if not self._dragged and self.selection is not None:
            self.select(None)  # a click clears the selection, as in any terminal app

    def on_click(self, event: events.Click) -> None:
        if event.chain == 2:
            self.select(select.select_row(self._lines, self._spot(event)[0]))
        elif self._dragged:
            event.stop()  # a drag ended here: not a click on a row (Received names its part)

    def center_on(self, row: int) -> None:
        """Scroll so `row` is in the middle of the view, unless it is on screen."""
        top = self.scroll_offset.y
        if not top <= row < top + self.scrollable_content_region.height:
            y = max(0, row - self.scrollable_content_region.height // 2)
            self.scroll_to(y=y, animate=False, immediate=True)

    def _widen(self, width: int) -> None:
        if width > self.virtual_size.width:
            self._resize(Size(width, self.virtual_size.height))

    def _resize(self, size: Size) -> None:
        """A source that grew (a live one, every redraw) updates the scrollbars without a
        layout pass of the whole screen, which a view of rows with no children to place
        does not need; one that shrank goes the usual way, which also brings the scroll
        offset back in range."""
        old = self.virtual_size
        if size.width >= old.width and size.height >= old.height:
            if size != old:
                self.set_reactive(LineView.virtual_size, size)
                self._scroll_update(size)
                self.refresh()
        else:
            self.virtual_size = size

    def notify_style_update(self) -> None:
        # Theme changed: the cached strips carry the old colours.
        super().notify_style_update()
        self._strips.clear()

    def strip_of(self, content: Content) -> Strip:
        """`content` as one row of segments in this view's styles."""
        # _get_style resolves theme variables ($text-accent) in the spans.
        rendered = content.render(self.visual_style, "", self._get_style)
        return Strip(
            [Segment(text, style.rich_style) for text, style in rendered], content.cell_length
        )

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        # The style the rows are drawn in (cached per style change; `rich_style` walks
        # every ancestor, for each row of each frame).
        base = self.visual_style.rich_style
        if row >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._strips.get(row)
        if strip is None:
            content = self._lines.line(row)
            if self.has_focus and self._lines.first_of(row) == self.cursor:
                content = content.stylize(CURSOR_STYLE)
            strip = self.strip_of(content)
            self._strips[row] = strip
            if strip.cell_length > self.virtual_size.width:
                # Sources guess their width; a wider row widens the scroll area.
                self.call_later(self._widen, strip.cell_length)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, row)


class CursorLineView(LineView):
    """A LineView with a row cursor (up and down move it, the view follows): the Headers
    pane, whose rows name parts of the received bytes, and Received, whose rows are
    those bytes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
    ]

    class Moved(Message):
        """The cursor is on row `row` now."""

        def __init__(self, view: CursorLineView, row: int) -> None:
            super().__init__()
            self.view = view
            self.row = row

        @property
        def control(self) -> CursorLineView:
            return self.view

    def show(self, lines: Lines, *, follow: bool = False) -> None:
        if self.cursor is not None and self.cursor >= len(lines):
            self.cursor = None
        super().show(lines, follow=follow)

    def move_to(self, row: int, *, announce: bool = True) -> None:
        """Put the cursor on the entry of `row` and bring that entry into view; with
        `announce`, say so (`Moved`)."""
        lines = self.lines
        self.cursor = lines.first_of(max(0, min(row, len(lines) - 1)))
        end = self.cursor + 1
        while end < len(lines) and lines.first_of(end) == self.cursor:
            end += 1
        self._strips.clear()
        self.scroll_to_region(
            Region(0, self.cursor, 1, end - self.cursor), animate=False, immediate=True, force=True
        )
        self.refresh()
        if announce:
            self.post_message(self.Moved(self, self.cursor))
        if self.selection is not None and self.selection.by_rows:
            self.select(select.extend_rows(self.selection, lines, self.cursor))

    def extend_to(self, row: int) -> None:
        self.move_to(row)  # the cursor is the selection's end

    def action_move(self, step: int) -> None:
        """To the next or previous entry, over the rows a folded entry takes. The first
        move goes on from the end of a row selection (`v`), else it puts the cursor on
        the top row on screen."""
        lines = self.lines
        if self.cursor is not None:
            row = self.cursor + step
        elif self.selection is not None and self.selection.by_rows:
            row = self.selection.head_row + step
        else:
            row = self.scroll_offset.y
        while step > 0 and 0 < row < len(lines) and lines.first_of(row) != row:
            row += 1
        self.move_to(row)

    def _on_focus(self, event: events.Focus) -> None:
        self._strips.clear()
        super()._on_focus(event)
        if self.cursor is not None:
            self.post_message(self.Moved(self, self.cursor))

    def _on_blur(self, event: events.Blur) -> None:
        self._strips.clear()
        super()._on_blur(event)
