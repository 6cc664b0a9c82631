"""The selection model without a screen: a drag selects the items between the press and
the pointer, keys select whole rows, and what is selected is a span of the source's
items (bytes, or characters of a text pane), never a copy of them."""

from __future__ import annotations

from textual.content import Content

from sockscope.core.views import HEX_WIDTH
from sockscope.tui import selection as select
from sockscope.tui.widgets.byte_view import (
    MAX_LINE,
    SELECTED_STYLE,
    ByteRows,
    ContentLines,
    DecodedLines,
    HexLines,
    Lines,
    Marks,
    ReprLines,
    Stacked,
)
from sockscope.tui.widgets.panes import fold_rows

REPLY = b"HTTP/1.1 200 OK\r\nServer: lab\r\nContent-Length: 5\r\n\r\nhello"


def repr_lines(data: bytes = REPLY) -> ReprLines:
    return ReprLines(ByteRows(data))


def dragged(lines: Lines, start: tuple[int, int], end: tuple[int, int]) -> select.Selection:
    """A drag from (row, cell) `start` to `end`."""
    pressed = select.press(lines, *start)
    assert pressed is not None
    return select.drag(pressed, lines, *end)


def rows(lines: Lines, first: int, last: int) -> select.Selection:
    """Row `first` selected with `v`, then the keys taken to row `last`."""
    selection = select.select_row(lines, first)
    assert selection is not None
    return select.extend_rows(selection, lines, last)


def selected_text(lines: Lines, y: int) -> str:
    """The characters of row `y` drawn in the selection's style."""
    line = lines.line(y)
    return "".join(
        line.plain[span.start : span.end]
        for span in line.spans
        if str(span.style) == SELECTED_STYLE
    )


def test_a_drag_selects_the_bytes_from_the_press_to_the_pointer_inclusive() -> None:
    lines = repr_lines()
    selection = dragged(lines, (0, 2), (1, 2))  # from b'|H to the S of Server
    assert selection.span == (0, 18)
    assert lines.copied(selection.span) == b"HTTP/1.1 200 OK\r\nS"


def test_a_drag_upwards_selects_the_same_bytes_as_a_drag_downwards() -> None:
    lines = repr_lines()
    down = dragged(lines, (0, 11), (1, 4))
    up = dragged(lines, (1, 4), (0, 11))
    assert down.span == up.span == (9, 20)
    assert lines.copied(up.span) == b"200 OK\r\nSer"


def test_an_escape_is_one_byte_whichever_of_its_characters_is_under_the_pointer() -> None:
    lines = repr_lines()
    # b'HTTP/1.1 200 OK\r\n': the \r takes columns 17 and 18.
    assert lines.item_at(0, 17) == lines.item_at(0, 18) == (15, 16)


def test_past_either_end_of_a_row_the_pointer_takes_its_first_or_last_byte() -> None:
    lines = repr_lines()
    assert lines.item_at(0, 0) == (0, 1)  # on b'
    assert lines.item_at(0, 500) == (16, 17)  # the LF, after the closing quote


def test_a_drag_past_the_last_row_stops_at_the_last_byte() -> None:
    lines = repr_lines()
    selection = dragged(lines, (3, 2), (99, 99))
    assert lines.copied(selection.span) == b"\r\nhello"


def test_keys_select_whole_rows_and_extend_either_way_from_the_first() -> None:
    lines = repr_lines()
    selection = select.select_row(lines, 1)
    assert selection is not None and lines.copied(selection.span) == b"Server: lab\r\n"
    down = select.extend_rows(selection, lines, 2)
    assert lines.copied(down.span) == b"Server: lab\r\nContent-Length: 5\r\n"
    up = select.extend_rows(down, lines, 0)
    assert lines.copied(up.span) == b"HTTP/1.1 200 OK\r\nServer: lab\r\n"
    assert select.extend_rows(up, lines, -5).head_row == 0
    assert select.extend_rows(up, lines, 99).head_row == len(lines) - 1


def test_a_selection_of_a_large_capture_is_a_span_and_only_drawn_rows_look_at_it() -> None:
    data = b"x" * 100 + b"\n" + b"y" * (64 * 1024 * 1024)
    lines = repr_lines(data)
    first = select.select_row(lines, 0)
    assert first is not None
    # Past the rows indexed so far: the last row's bytes.
    selection = select.extend_rows(first, lines, 10**9)
    assert selection.span == (0, len(data))
    assert len(selection) == len(data)
    lines.marks = Marks(selected=selection.span)
    last = lines.rows.row_of(len(data) - 1)
    assert selected_text(lines, last) == lines.line(last).plain[2:-1]
    first_byte, end = lines.row_span(last) or (0, 0)
    assert 0 < end - first_byte <= MAX_LINE  # drawing a row formats its bytes only


def test_the_selection_is_drawn_on_the_bytes_it_holds_and_no_others() -> None:
    lines = repr_lines()
    lines.marks = Marks(selected=(9, 20))
    assert selected_text(lines, 0) == "200 OK\\r\\n"
    assert selected_text(lines, 1) == "Ser"
    assert selected_text(lines, 2) == ""


def test_a_utf8_character_is_selected_whole_from_any_of_its_cells() -> None:
    data = "añ中b\n".encode()
    lines = DecodedLines(ByteRows(data), "utf-8")
    assert lines.item_at(0, 1) == (1, 3)  # ñ: two bytes
    assert lines.item_at(0, 2) == lines.item_at(0, 3) == (3, 6)  # 中: two cells, three bytes
    selection = dragged(lines, (0, 1), (0, 3))
    assert lines.copied(selection.span) == "ñ中".encode()
    lines.marks = Marks(selected=selection.span)
    assert selected_text(lines, 0) == "ñ中"


def test_a_byte_s_hex_digits_and_its_gutter_character_select_the_same_byte() -> None:
    lines = HexLines(REPLY, HEX_WIDTH)
    # 00000000  48 54 54 50 2f 31 2e 31  20 32 30 30 20 4f 4b 0d  |HTTP/1.1 200 OK.|
    row = lines.line(0).plain
    assert row[38:40] == "32" and row[70] == "2"
    assert lines.item_at(0, 38) == lines.item_at(0, 40) == lines.item_at(0, 70) == (9, 10)
    assert lines.item_at(0, 61) == (0, 1)  # the gutter starts with the first byte
    assert lines.item_at(1, 0) == (16, 17)  # the offset column: the row's first byte
    assert lines.item_at(3, 999) == (REPLY.rindex(b"o"), len(REPLY))


def test_sent_s_repr_and_hex_share_their_bytes_and_titles_hold_none() -> None:
    stacked = Stacked(("repr", repr_lines()), ("hex", HexLines(REPLY, 8)))
    assert stacked.row_span(0) is None and stacked.item_at(0, 3) is None  # "repr"
    hex_title = 1 + len(repr_lines())
    in_hex = select.press(stacked, hex_title + 3, 13)  # the third hex row's second byte
    assert in_hex is not None and in_hex.span == (17, 18)
    stacked.marks = Marks(selected=in_hex.span)
    assert selected_text(stacked, 1 + 1) == "S"  # the repr row of Server shows it too
    over_the_title = rows(stacked, hex_title - 1, hex_title)
    assert over_the_title.head_row == hex_title  # keys move on past a title row
    assert select.extend_rows(over_the_title, stacked, hex_title + 1).span == (0, len(REPLY))


def test_text_rows_select_characters_and_each_row_ends_in_a_line_break() -> None:
    lines = ContentLines([Content("HTTP/1.1 200 OK"), Content("Server: lab")])
    selection = dragged(lines, (0, 9), (1, 5))
    assert lines.copied(selection.span) == b"200 OK\nServer"
    whole = rows(lines, 0, 1)
    assert lines.copied(whole.span) == b"HTTP/1.1 200 OK\nServer: lab\n"
    lines.marks = Marks(selected=selection.span)
    assert selected_text(lines, 1) == "Server"


def test_a_folded_entry_is_selected_as_one_row() -> None:
    shown = [Content("Host: a"), Content("X-Long: aaaa"), Content("  bbbb"), Content("Via: c")]
    lines = ContentLines(shown, firsts=[0, 1, 1, 3])
    folded = select.select_row(lines, 2)
    assert folded is not None and lines.copied(folded.span) == b"X-Long: aaaa\n  bbbb\n"


def test_nothing_is_selected_in_a_pane_of_no_items() -> None:
    assert select.select_row(Lines(), 0) is None
    assert select.press(Lines(), 0, 0) is None


def test_a_copy_of_folded_rows_gives_the_entries_back_as_they_were() -> None:
    entries = ["Content-Type: text/html;  charset=utf-8", "Set-Cookie: id=0123456789abcdef"]
    folded = fold_rows([Content(entry) for entry in entries], 16)
    assert len(folded.rows) > 4  # both folded, one between words, one inside a word
    lines = ContentLines(folded.rows, folded.first_of, folded.joins)
    everything = rows(lines, 0, len(folded.rows) - 1)
    assert lines.copied(everything.span) == ("\n".join(entries) + "\n").encode()
    # From inside a continuation's indent to the middle of the next continuation.
    assert [row.plain for row in folded.rows[1:3]] == ["  text/html;", "  charset=utf-8"]
    part = dragged(lines, (1, 0), (2, 3))
    assert lines.copied(part.span) == b"text/html;  ch"
