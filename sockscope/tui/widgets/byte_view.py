"""A line-API view of bytes: only the visible rows are ever formatted.

`LineView.render_line(y)` asks a `Lines` source for row `scroll_y + y`, which formats
that one row straight from the byte buffer (toolong's approach), so a 10 MiB capture
costs what a 10-byte one does. Sources are cheap to build and replaced wholesale when
the bytes or the encoding change; a received buffer only grows, so the repr and decoded
sources carry the rows already split over to the next, larger buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def _grow_spans(data: bytes, previous: Sequence[tuple[int, int]] | None) -> list[tuple[int, int]]:
    """`views.line_spans(data)`, reusing the rows of a prefix of `data` already split.

    Spans end after each LF or every MAX_LINE bytes, so splitting again from the start
    of the last (possibly unfinished) span gives the same rows as splitting it all.
    """
    if not previous:
        return views.line_spans(data, MAX_LINE)
    start = previous[-1][0]
    tail = views.line_spans(data[start:], MAX_LINE)
    return [*previous[:-1], *((s + start, e + start) for s, e in tail)]


class ReprLines:
    def __init__(self, data: bytes, previous: ReprLines | None = None) -> None:
        self._data = data
        self.spans = _grow_spans(data, previous.spans if previous else None)
        # repr() turns a byte into at most 4 characters, plus b'' around it.
        self.width = 4 * max((e - s for s, e in self.spans), default=0) + 3

    def __len__(self) -> int:
        return len(self.spans)

    def line(self, y: int) -> Content:
        start, end = self.spans[y]
        return repr_content(views.repr_line(self._data[start:end]))


class DecodedLines:
    """The decoded text; rows come from `views.decoded_lines` (sanitised segments)."""

    def __init__(self, data: bytes, encoding: str) -> None:
        self._rows: list[list[TextSegment]] = views.decoded_lines(data, encoding, MAX_LINE)
        self.width = max((sum(len(t) for t, _ in row) for row in self._rows), default=0)

    def __len__(self) -> int:
        return len(self._rows)

    def line(self, y: int) -> Content:
        return segments(self._rows[y], one_line=True)


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
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, row)
