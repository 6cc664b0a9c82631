r"""Words of a command line a user pastes, read alike by bash, dash, zsh and fish.

POSIX single quotes (`shlex.quote`) are not enough: inside fish's single quotes `\\` and
`\'` are escapes, so a value holding a backslash or a quote can end the quoting early and
run the rest. The one form all four shells read identically:

- a word of `A-Za-z0-9 _@+=:,./-` (not starting with `=`, which zsh expands) stays bare;
- otherwise the value goes in single quotes, except that a quote is written `\'` outside
  them, and so is a backslash (`\\`) where fish would read it as an escape: before
  another backslash, a quote or the closing quote. Any other backslash is literal in
  fish's single quotes, as in every POSIX shell's.

A character that is not printable (a control character, an invisible formatting or
bidi character, an undecodable byte, a space other than U+0020) is refused rather than
encoded: a pasted line that holds one shows something other than what it runs, and no
host, server name or path needs one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sockscope.export import ExportError

_BARE = re.compile(r"[A-Za-z0-9_@+:,./-][A-Za-z0-9_@+=:,./-]*")

_KIND = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Cs": "a byte that is not UTF-8",
    "Co": "a private-use character",
    "Cn": "an unassigned character",
}


def check_field(value: str, field: str) -> str:
    """`value` as it is, or ExportError naming `field` if it holds a character no shell
    command line should carry."""
    for char in value:
        if not char.isprintable():
            kind = _KIND.get(unicodedata.category(char), "a space other than U+0020")
            raise ExportError(
                f"{field} holds U+{ord(char):04X} ({kind}), which a pasted command line "
                "cannot carry alike in bash, dash, zsh and fish; correct it in the "
                "transcript, or use --format python"
            )
    return value


def quote(value: str) -> str:
    """`value` as one word that bash, dash, zsh and fish all read back as `value`."""
    check_field(value, "a value in the command")
    if _BARE.fullmatch(value):
        return value
    out: list[str] = []
    run: list[str] = []
    for i, char in enumerate(value):
        following = value[i + 1 : i + 2]
        if char == "'" or (char == "\\" and following in ("", "\\", "'")):
            if run:
                out.append("'" + "".join(run) + "'")
                run = []
            out.append("\\" + char)
        else:
            run.append(char)
    if run or not out:
        out.append("'" + "".join(run) + "'")
    return "".join(out)


def join(args: Iterable[str]) -> str:
    """A command line of `args`, each one word in every one of the four shells."""
    return " ".join(quote(arg) for arg in args)
