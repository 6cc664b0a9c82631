"""The request editor: the exact bytes to send, as payload text or as hex.

Text mode is core.payload's syntax (a literal newline is LF, `\\r` is CR); hex mode is
`47 45 54 ...`. Toggling converts through the bytes, so nothing is lost either way; a
text that does not parse stays as typed and the line under the editor says why.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static, TextArea
from textual.widgets.text_area import EditResult, Location

from sockscope.core.payload import (
    PayloadError,
    bare_lf_lines,
    escape_text,
    format_hex,
    format_text,
    parse_hex,
    parse_text,
    to_crlf,
)
from sockscope.core.views import human_bytes
from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, WARNING_STYLE, plain, safe


class RequestText(TextArea):
    """The editor's TextArea. Its own select-all key (f7) is the session's Half-close, so
    ctrl+a selects all here, as in most editors; Home still goes to the line start.

    A TextArea draws its text as it is, and a paste may hold anything a clipboard got
    (ESC sequences copied from a terminal): inserted text is written in payload syntax
    (`\\x1b`, `\\r`), which sends the same bytes and draws no control character."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+a", "select_all", "Select all", id="select-all", show=False),
    ]

    def insert(
        self, text: str, location: Location | None = None, *, maintain_selection_offset: bool = True
    ) -> EditResult:
        return super().insert(
            escape_text(text), location, maintain_selection_offset=maintain_selection_offset
        )

    def replace(
        self, insert: str, start: Location, end: Location, *, maintain_selection_offset: bool = True
    ) -> EditResult:
        return super().replace(
            escape_text(insert), start, end, maintain_selection_offset=maintain_selection_offset
        )


class RequestEditor(Vertical):
    """A TextArea for the request and one line of facts about it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._hex = False
        self.line_protocol = False

    def compose(self) -> ComposeResult:
        yield RequestText(
            id="request-text",
            soft_wrap=False,
            show_line_numbers=True,
            tab_behavior="focus",
        )
        yield Static(id="request-info")

    def on_mount(self) -> None:
        self.border_title = "Request"
        self._update_subtitle()

    @property
    def is_hex(self) -> bool:
        return self._hex

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def request_bytes(self) -> bytes:
        """The bytes to send; raises PayloadError naming the column of the mistake."""
        return parse_hex(self.text) if self._hex else parse_text(self.text)

    def set_bytes(self, data: bytes) -> None:
        """Show `data` in the current mode (replaces the text; undo history resets)."""
        self.query_one(TextArea).load_text(format_hex(data) if self._hex else format_text(data))
        self.refresh_info()

    def toggle_mode(self) -> bool:
        """Switch text <-> hex through the bytes; False (and nothing changes) if the
        current text does not parse."""
        try:
            data = self.request_bytes()
        except PayloadError:
            self.refresh_info()
            return False
        self._hex = not self._hex
        self.set_bytes(data)
        self._update_subtitle()
        return True

    def to_crlf(self) -> None:
        try:
            data = self.request_bytes()
        except PayloadError:
            return
        self.set_bytes(to_crlf(data))

    def _update_subtitle(self) -> None:
        mode = "hex" if self._hex else "text: newline = LF, \\r = CR"
        self.border_subtitle = f"{mode} · ctrl+t switches text/hex"

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.refresh_info()

    def refresh_info(self) -> None:
        info = self.query_one("#request-info", Static)
        self.remove_class("-error")
        try:
            data = self.request_bytes()
        except PayloadError as exc:
            self.add_class("-error")
            info.update(safe(str(exc), ERROR_STYLE, one_line=True))
            return
        parts = [plain(human_bytes(len(data)), "bold")]
        bare = bare_lf_lines(data) if self.line_protocol else []
        if bare:
            lines = ", ".join(str(n) for n in bare[:5]) + (" …" if len(bare) > 5 else "")
            which = f"line {lines} ends" if len(bare) == 1 else f"lines {lines} end"
            parts.append(
                plain(
                    f"  {which} in a bare LF; this protocol expects CRLF (ctrl+r converts)",
                    WARNING_STYLE,
                )
            )
        elif not data:
            parts.append(plain("  nothing to send: the server speaks first", DIM_STYLE))
        info.update(plain("").join(parts))
