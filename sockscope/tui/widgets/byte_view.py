"""A line-API view of bytes: only the visible rows are ever formatted.

`LineView.render_line(y)` asks a `Lines` source for row `scroll_y + y`, which formats
that one row straight from the byte buffer (toolong's approach), so a 10 MiB capture
costs what a 10-byte one does. Sources are cheap to build and replaced wholesale when
the bytes or the encoding change; a received buffer only grows, so the repr and decoded
sources carry the rows already split over to the next, larger buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Protocol

from rich.segment import Segment
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from sockscope.core import views
from sockscope.tui.content import DIM_STYLE, plain, repr_content, segments

# views.line_spans cuts lines at this many bytes, so no row is unbounded.
MAX_LINE = 256


class Lines(Protocol):
    """Rows formatted on demand; `width` bounds the widest row (for the scrollbar)."""

    width: int

    def __len__(self) -> int: ...

    def line(self, y: int) -> Content: ...


class NoLines:
    width = 0

    def __init__(self, message: str = "") -> None:
        self._message = message

    def __len__(self) -> int:
        return 1 if self._message else 0

    def line(self, y: int) -> Content:
        return plain(self._message, DIM_STYLE)


class ContentLines:
    """Rows already built (headers, replies): tens to thousands, not millions."""

    def __init__(self, rows: Sequence[Content]) -> None:
        self._rows = rows
        self.width = max((row.cell_length for row in rows), default=0)

    def __len__(self) -> int:
        return len(self._rows)

    def line(self, y: int) -> Content:
        return self._rows[y]


class HexLines:
    """`hexdump -C` rows of `per_row` bytes (16, 8 or 4: what fits the pane)."""

    def __init__(self, data: bytes, per_row: int = views.HEX_WIDTH) -> None:
        self._data = data
        self.per_row = per_row
        self.width = views.hexdump_row_length(per_row)
        # `00000010  48 54 ...  |HTTP/1.1 200 OK.|`: offset, hex columns, ASCII gutter.
        self._gutter = self.width - per_row - 2

    def __len__(self) -> int:
        return -(-len(self._data) // self.per_row)

    def line(self, y: int) -> Content:
        text = views.hexdump_line(self._data, y * self.per_row, self.per_row)
        return Content.assemble(
            (text[:8], DIM_STYLE),
            text[8 : self._gutter],
            (text[self._gutter :], "$text-secondary"),
        )


class ByteRows:
    """`views.row_spans(data, encoding)`: rows ending after each (encoded) LF or every
    MAX_LINE bytes. The default, a one-byte encoding, gives the plain line spans.

    A received buffer only grows, so `of` splits again only from the start of the
    last (possibly unfinished) row: the rows before it cannot change.
    """

    def __init__(self, data: bytes, spans: list[tuple[int, int]], encoding: str) -> None:
        self.data = data
        self.spans = spans
        self.encoding = encoding

    @classmethod
    def of(
        cls, data: bytes, previous: ByteRows | None = None, encoding: str = "latin-1"
    ) -> ByteRows:
        if (
            previous is None
            or not previous.spans
            or previous.encoding != encoding
            or not data.startswith(previous.data)
        ):
            return cls(data, views.row_spans(data, encoding, MAX_LINE), encoding)
        start = previous.spans[-1][0]
        tail = views.row_spans(data, encoding, MAX_LINE, start)
        return cls(data, [*previous.spans[:-1], *tail], encoding)

    @cached_property
    def widest(self) -> int:
        return max((e - s for s, e in self.spans), default=0)


class ReprLines:
    def __init__(self, rows: ByteRows) -> None:
        self.rows = rows
        # A guess for ASCII text (b'' and a few escapes); LineView widens on sight.
        self.width = rows.widest + 8

    def __len__(self) -> int:
        return len(self.rows.spans)

    def line(self, y: int) -> Content:
        start, end = self.rows.spans[y]
        return repr_content(views.repr_line(self.rows.data[start:end]))


class DecodedLines:
    """The decoded text, one row per span of `rows` (split for their encoding), each
    decoded and sanitised by `views.decoded_row` only when it is drawn."""

    def __init__(self, rows: ByteRows) -> None:
        self.rows = rows
        self.width = rows.widest

    def __len__(self) -> int:
        return len(self.rows.spans)

    def line(self, y: int) -> Content:
        start, end = self.rows.spans[y]
        row = views.decoded_row(self.rows.data, start, end, self.rows.encoding)
        return segments(row, one_line=True)


class Stacked:
    """Several sources one after the other, each under a title row (the Sent pane)."""

    def __init__(self, *parts: tuple[str, Lines]) -> None:
        self._parts = [(plain(title, "bold $text-accent"), lines) for title, lines in parts]
        self.width = max((lines.width for _, lines in parts), default=0)
        self._length = sum(len(lines) + 1 for _, lines in parts)

    def __len__(self) -> int:
        return self._length

    def line(self, y: int) -> Content:
        for title, lines in self._parts:
            if y == 0:
                return title
            y -= 1
            if y < len(lines):
                return lines.line(y)
            y -= len(lines)
        raise IndexError(y)


class LineView(ScrollView, can_focus=True):
    """Shows a `Lines` source; formats and caches only the rows that are drawn."""

    ALLOW_MAXIMIZE = False  # f2 zooms the pane around it, with its title and badge

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

    @property
    def lines(self) -> Lines:
        return self._lines

    def show(self, lines: Lines, *, follow: bool = False) -> None:
        """Replace the source; with `follow`, stay at the end if the view was there."""
        at_end = self.scroll_y >= self.max_scroll_y
        self._lines = lines
        self._strips.clear()
        self.virtual_size = Size(lines.width, len(lines))
        if follow and at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def _widen(self, width: int) -> None:
        if width > self.virtual_size.width:
            self.virtual_size = Size(width, self.virtual_size.height)

    def notify_style_update(self) -> None:
        # Theme changed: the cached strips carry the old colours.
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if row >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._strips.get(row)
        if strip is None:
            content = self._lines.line(row)
            # _get_style resolves theme variables ($text-accent) in the spans.
            rendered = content.render(self.visual_style, "", self._get_style)
            strip = Strip(
                [Segment(text, style.rich_style) for text, style in rendered],
                content.cell_length,
            )
            self._strips[row] = strip
            if strip.cell_length > self.virtual_size.width:
                # Sources guess their width; a wider row widens the scroll area.
                self.call_later(self._widen, strip.cell_length)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, row)
