"""Two history entries compared: the summary, then the status, headers, sent and received
bytes with each difference marked (- only in the first, + only in the second, ~ changed).

The differences come from core.compare; every line of them quotes server bytes, so each
goes through the sanitiser like the panes' rows.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import get_current_worker

from sockscope.core.compare import (
    BytesDiff,
    Change,
    Comparison,
    HeaderDiff,
    bytes_summary,
    compare,
)
from sockscope.core.model import Exchange
from sockscope.tui.content import (
    DIM_STYLE,
    ERROR_STYLE,
    KEY_STYLE,
    OK_STYLE,
    WARNING_STYLE,
    plain,
    safe,
)
from sockscope.tui.widgets.byte_view import ContentLines, LineView
from sockscope.tui.widgets.history import history_label

_MARK = {Change.SAME: "  ", Change.REMOVED: "- ", Change.ADDED: "+ ", Change.CHANGED: "~ "}
_STYLE = {
    Change.SAME: DIM_STYLE,
    Change.REMOVED: ERROR_STYLE,
    Change.ADDED: OK_STYLE,
    Change.CHANGED: WARNING_STYLE,
}
_LIMIT = 400


def _section(title: str, note: str = "") -> Content:
    return Content.assemble(plain(title, "bold $text-primary"), plain(note, DIM_STYLE))


def _marked(change: Change, *parts: Content) -> Content:
    return Content.assemble(plain(_MARK[change], f"bold {_STYLE[change]}"), *parts)


def header_row(diff: HeaderDiff) -> Content:
    style = _STYLE[diff.change]
    name = safe(diff.name, KEY_STYLE if diff.change is Change.SAME else f"bold {style}", 200, True)
    if diff.change is Change.CHANGED:
        values = Content.assemble(
            safe(diff.left or "", ERROR_STYLE, _LIMIT, True),
            plain(" → ", DIM_STYLE),
            safe(diff.right or "", OK_STYLE, _LIMIT, True),
        )
    else:
        value = diff.left if diff.change is not Change.ADDED else diff.right
        values = safe(value or "", "" if diff.change is Change.SAME else style, _LIMIT, True)
    return _marked(diff.change, name, plain(": "), values)


def bytes_rows(title: str, diff: BytesDiff) -> list[Content]:
    if diff.identical:
        return [_section(title, f"  identical ({diff.total:,} lines)")]
    rows = [_section(title, f"  {bytes_summary(diff)}")]
    for line in diff.lines:
        style = _STYLE[line.change]
        rows.append(_marked(line.change, safe(line.text, style, _LIMIT, True)))
    rows += [plain(f"  … {note}", DIM_STYLE) for note in diff.notes]
    return rows


def compare_rows(comparison: Comparison) -> list[Content]:
    """The differences, section by section: status, headers, sent, received."""
    rows: list[Content] = []
    if comparison.status is not None:
        left, right = comparison.status
        if left == right:
            rows += [_section("status"), _marked(Change.SAME, safe(left, "", _LIMIT, True))]
        else:
            rows += [
                _section("status"),
                _marked(Change.REMOVED, safe(left, ERROR_STYLE, _LIMIT, True)),
                _marked(Change.ADDED, safe(right, OK_STYLE, _LIMIT, True)),
            ]
        rows.append(Content(""))
    if comparison.headers:
        rows.append(_section("headers"))
        rows += [header_row(diff) for diff in comparison.headers]
        rows.append(Content(""))
    rows += bytes_rows("sent", comparison.sent)
    rows.append(Content(""))
    rows += bytes_rows("received", comparison.received)
    return rows


class CompareScreen(ModalScreen[None]):
    """The comparison is worked out in a thread (its cost is bounded, but a second or two
    of two large replies must not freeze the app): "comparing…" shows meanwhile, and
    escape closes the screen at once; a result that comes after is dropped."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close", id="compare.close"),
    ]

    def __init__(self, left: tuple[int, Exchange], right: tuple[int, Exchange]) -> None:
        super().__init__(id="compare")
        self._left = left
        self._right = right
        self.comparison: Comparison | None = None  # None while comparing

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-body") as body:
            body.border_title = f"compare #{self._left[0]} with #{self._right[0]}"
            body.border_subtitle = "- only in the first · + only in the second · escape closes"
            yield Static(self._summary(plain("comparing…", DIM_STYLE)), id="compare-summary")
            yield LineView(id="compare-view")

    def _summary(self, last_line: Content) -> Content:
        """The two entries compared (their labels quote transcript fields: sanitised by
        history_label), then `last_line`."""
        (left_number, left), (right_number, right) = self._left, self._right
        return Content("\n").join(
            [
                Content.assemble(
                    plain("- ", f"bold {ERROR_STYLE}"), history_label(left_number, left)
                ),
                Content.assemble(
                    plain("+ ", f"bold {OK_STYLE}"), history_label(right_number, right)
                ),
                last_line,
            ]
        )

    def on_mount(self) -> None:
        self.query_one(LineView).focus()
        self._compare()

    @work(thread=True, exclusive=True)
    def _compare(self) -> None:
        comparison = compare(self._left[1], self._right[1])
        rows = compare_rows(comparison)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_comparison, comparison, rows)

    def _show_comparison(self, comparison: Comparison, rows: list[Content]) -> None:
        if not self.is_attached:  # closed while the result was on its way
            return
        self.comparison = comparison
        summary = safe(comparison.summary, "bold", _LIMIT, True)
        self.query_one("#compare-summary", Static).update(self._summary(summary))
        self.query_one(LineView).show(ContentLines(rows))
