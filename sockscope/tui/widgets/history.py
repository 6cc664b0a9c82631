"""Every exchange of the session; selecting one shows it again in the panes.

One entry may be marked as the left side of a comparison ("Compare with…"): the next
entry selected is compared with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sockscope.core.model import Exchange
from sockscope.core.templates import Template
from sockscope.core.views import human_bytes
from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, KEY_STYLE, WARNING_STYLE, plain, safe
from sockscope.tui.explorer import run_kind

_MARK = plain("  ◆ compare with…", f"bold {WARNING_STYLE}")


def history_label(
    number: int, exchange: Exchange, templates: Mapping[str, Template] | None = None
) -> Content:
    """`#2 http-get 127.0.0.1:8080 tcp · 1,024 bytes · peer-closed`; a Listen client's
    conversation is `#3 client 127.0.0.1:51000 tcp · ...` (the bytes it sent).
    `templates` tells a dialogue run step by step from its bytes sent in one go."""
    stop = exchange.stop.value if exchange.stop is not None else "running"
    kind = run_kind(exchange, templates or {})
    return Content.assemble(
        plain(f"#{number} ", KEY_STYLE),
        # The template name and the host may come from a saved transcript.
        safe(kind, one_line=True, limit=40),
        plain(" "),
        safe(exchange.target.label, one_line=True, limit=80),
        plain(f" {exchange.target.transport.value}", DIM_STYLE),
        plain(f" · {human_bytes(exchange.bytes_in)} · "),
        plain(stop, ERROR_STYLE if exchange.error is not None else DIM_STYLE),
    )


class History(OptionList):
    """Lists `exchanges` (the explorer's history): `add` after each one joins it."""

    def __init__(
        self,
        exchanges: Sequence[Exchange],
        templates: Mapping[str, Template] | None = None,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.exchanges = exchanges
        self._templates = templates
        # Each entry's label, so that marking one does not read its exchange back.
        self._labels: list[Content] = []
        self.marked: int | None = None  # the index of the entry marked for comparison

    def add(self, exchange: Exchange) -> None:
        """`exchange` joined the history (it is the last of `exchanges`)."""
        number = len(self._labels) + 1
        self._labels.append(history_label(number, exchange, self._templates))
        self.add_option(Option(self._labels[-1], id=str(number - 1)))
        self.highlighted = number - 1

    def mark(self, index: int | None) -> None:
        """Mark entry `index` as the left side of a comparison (None: no mark)."""
        for changed in {self.marked, index} - {None}:
            assert changed is not None
            label = self._labels[changed]
            self.replace_option_prompt_at_index(
                changed, label + _MARK if changed == index else label
            )
        self.marked = index
