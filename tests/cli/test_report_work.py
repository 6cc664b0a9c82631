"""A report's work is in proportion to its rows: a `--full` view of megabytes is written a
block of rows at a time, never a write (or a Rich render) per row."""

from __future__ import annotations

import io

from sockscope.cli.output import ROWS_PER_WRITE, PlainPrinter
from sockscope.cli.report import print_text_views

ROW = 256  # bytes (or characters) per repr and decoded row


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_a_full_view_of_one_5_mb_line_is_written_a_block_of_rows_at_a_time() -> None:
    data = b"abcdefghij" * 500_000  # one 5 MB line, no newline
    stream = CountingStream()
    print_text_views(PlainPrinter(stream), "Received", data, "5 MB", "utf-8", None)
    rows_per_view = -(-len(data) // ROW)
    lines = stream.getvalue().splitlines()
    # Every row of both views (repr and decoded) is there, whole...
    assert len(lines) == 2 + 2 * rows_per_view
    assert sum(len(line) for line in lines if not line.startswith("  b'")) >= len(data)
    # ...written in blocks: two headings, then a write per block of rows in each view.
    blocks_per_view = -(-rows_per_view // ROWS_PER_WRITE)
    assert stream.writes <= 2 + 2 * blocks_per_view
