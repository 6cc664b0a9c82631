"""The styled lines of the command line's reports, without Rich until a terminal shows them.

A line is runs of text, each with a style in Rich's words ("bold cyan", "reverse") or
none, under the line's own style, as `rich.text.Text` holds them and with the part of its
interface the reports use. Into a pipe or a file only the characters are printed, so a
short command does not load Rich, whose import costs it more than its work; at a
terminal Rich renders each line (`__rich__`), styles and all.
"""

from __future__ import annotations

TYPE_CHECKING = False  # as in cli.output: no `typing` at run time for annotations
if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.text import Text as RichText


class Text:
    __slots__ = ("_runs", "no_wrap", "style")

    def __init__(self, text: str = "", style: str = "", *, no_wrap: bool = False) -> None:
        self.style = style
        self.no_wrap = no_wrap
        self._runs: list[tuple[str, str]] = [(text, "")] if text else []

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self._runs)

    def __str__(self) -> str:
        return self.plain

    def __len__(self) -> int:
        return sum(len(text) for text, _ in self._runs)

    def append(self, text: str, style: str | None = None) -> Text:
        if text:
            self._runs.append((text, style or ""))
        return self

    def append_text(self, other: Text) -> Text:
        """`other`'s runs, each under `other`'s own style as well."""
        self._runs.extend((text, _layered(other.style, style)) for text, style in other._runs)
        return self

    def copy(self) -> Text:
        out = Text(style=self.style, no_wrap=self.no_wrap)
        out._runs = list(self._runs)
        return out

    def __add__(self, other: Text | str) -> Text:
        out = self.copy()
        return out.append_text(other) if isinstance(other, Text) else out.append(other)

    def join(self, lines: Iterable[Text]) -> Text:
        """`lines` with this text between each two."""
        out = Text(style=self.style, no_wrap=self.no_wrap)
        for index, line in enumerate(lines):
            if index:
                out._runs.extend(self._runs)
            out.append_text(line)
        return out

    def __rich__(self) -> RichText:
        from rich.text import Text as RichText

        out = RichText(style=self.style, no_wrap=self.no_wrap or None)
        for text, style in self._runs:
            out.append(text, style or None)
        return out


def _layered(under: str, over: str) -> str:
    """Two Rich style strings as one: `over` wins where both set the same attribute."""
    return f"{under} {over}" if under and over else under or over
