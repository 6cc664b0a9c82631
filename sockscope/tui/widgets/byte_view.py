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
from sockscope.core.sanitize import Segment as TextSegment
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


# `00000010  48 54 ...  |HTTP/1.1 200 OK.|`: offset, hex columns, ASCII gutter.
_HEX_OFFSET = 8
_HEX_GUTTER = 10 + 3 * views.HEX_WIDTH


class HexLines:
    width = _HEX_GUTTER + views.HEX_WIDTH + 2

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __len__(self) -> int:
        return -(-len(self._data) // views.HEX_WIDTH)

    def line(self, y: int) -> Content:
        text = views.hexdump_line(self._data, y * views.HEX_WIDTH)
        return Content.assemble(
            (text[:_HEX_OFFSET], DIM_STYLE),
            text[_HEX_OFFSET:_HEX_GUTTER],
            (text[_HEX_GUTTER:], "$text-secondary"),
        )


class ByteRows:
    """`views.line_spans(data)`: rows ending after each LF or every MAX_LINE bytes.

    A received buffer only grows, so `grow` splits again only from the start of the
    last (possibly unfinished) row: the rows before it cannot change.
    """

    def __init__(self, data: bytes, spans: list[tuple[int, int]]) -> None:
        self.data = data
        self.spans = spans

    @classmethod
    def of(cls, data: bytes, previous: ByteRows | None = None) -> ByteRows:
        if previous is None or not previous.spans or not data.startswith(previous.data):
            return cls(data, views.line_spans(data, MAX_LINE))
        start = previous.spans[-1][0]
        tail = views.line_spans(data[start:], MAX_LINE)
        return cls(data, [*previous.spans[:-1], *((s + start, e + start) for s, e in tail)])

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


# Encodings in which byte 0x0A is always a line feed, so each row decodes on its own.
_BYTEWISE = {"utf-8", "ascii", "latin-1", "cp1252"}


def _is_continuation(byte: int) -> bool:
    return 0x80 <= byte <= 0xBF


class DecodedLines:
    """The decoded text, one row per byte row, decoded and sanitised only when drawn.

    `views.decoded_lines` decodes and sanitises the whole buffer (seconds for 8 MiB),
    so for byte-wise encodings each visible row is decoded on its own with
    `views.decode_segments`; UTF-16, where 0x0A may be half a code unit, takes the
    whole-buffer path.
    """

    def __init__(self, rows: ByteRows, encoding: str) -> None:
        self.rows = rows
        self.encoding = encoding
        self._whole: list[list[TextSegment]] | None = None
        if encoding not in _BYTEWISE:
            self._whole = views.decoded_lines(rows.data, encoding, MAX_LINE)
        self.width = rows.widest

    def __len__(self) -> int:
        return len(self._whole) if self._whole is not None else len(self.rows.spans)

    def line(self, y: int) -> Content:
        if self._whole is not None:
            return segments(self._whole[y], one_line=True)
        data = self.rows.data
        start, end = self.rows.spans[y]
        if self.encoding == "utf-8":
            start, end = self._whole_characters(start, end)
        chunk = data[start:end]
        if chunk.endswith(b"\n"):
            chunk = chunk[:-1]  # the row break itself, as views.decoded_lines drops it
        return segments(views.decode_segments(chunk, self.encoding), one_line=True)

    def _whole_characters(self, start: int, end: int) -> tuple[int, int]:
        """Where a row was cut inside a UTF-8 character, the character's continuation
        bytes (at most 3) go with the row that holds its first byte."""
        data = self.rows.data
        if start > 0 and data[start - 1] != 0x0A:
            limit = min(start + 3, end)
            while start < limit and _is_continuation(data[start]):
                start += 1
        if end < len(data) and data[end - 1] != 0x0A:
            limit = min(end + 3, len(data))
            while end < limit and _is_continuation(data[end]):
                end += 1
        return start, end


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
