"""An Input the app fills with text from elsewhere, shown safely and kept as it is.

A host from a saved transcript or a path from the command line may hold control
characters; an Input draws its value as it is, so such text is shown with the
sanitiser's tokens (`␛]0;…`) while the true text is kept beside it. As long as the
field still shows exactly those tokens, `true_value` (and every validator) gets the
true text; once the user edits the field, what they typed is the value.

What a keyboard types is printable; a paste is not: the clipboard may hold text copied
from anywhere, ESC sequences included, and an Input would draw them to the terminal.
Pasted (and any inserted) text gets the same tokens, so the field shows `␛` where the
clipboard held ESC, and validation names it.
"""

from __future__ import annotations

from typing import Any

from textual.validation import ValidationResult
from textual.widgets import Input

from sockscope.tui.content import field_text


class FilledInput(Input):
    def __init__(self, value: str = "", **kwargs: Any) -> None:
        # (what the field shows, the true text), while they differ.
        self._filled: tuple[str, str] | None = None
        super().__init__(self._shown(value), **kwargs)

    def fill(self, value: str) -> None:
        """Put `value` in the field as the app's text (tokens shown, true text kept)."""
        self.value = self._shown(value)

    def _shown(self, value: str) -> str:
        shown = field_text(value)
        self._filled = (shown, value) if shown != value else None
        return shown

    def insert_text_at_cursor(self, text: str) -> None:
        super().insert_text_at_cursor(field_text(text))

    def replace(self, text: str, start: int, end: int) -> None:
        super().replace(field_text(text), start, end)

    def true_of(self, value: str) -> str:
        filled = self._filled
        return filled[1] if filled is not None and value == filled[0] else value

    @property
    def true_value(self) -> str:
        return self.true_of(self.value)

    def validate(self, value: str) -> ValidationResult | None:
        return super().validate(self.true_of(value))
