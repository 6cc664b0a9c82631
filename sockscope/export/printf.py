"""Exact bytes as a POSIX `printf` command, safe to paste into any shell."""

from __future__ import annotations

import shlex

_NAMED = {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x5C: "\\\\", 0x25: "%%"}


def printf_format(data: bytes) -> str:
    r"""A printf format that prints exactly `data`.

    Printable ASCII stays readable; everything else (and the quote, so the format never
    needs one) becomes a three-digit octal escape, which POSIX printf supports where
    `\xNN` is a bash extension.
    """
    out = []
    for byte in data:
        if byte in _NAMED:
            out.append(_NAMED[byte])
        elif 0x20 <= byte < 0x7F and byte != 0x27:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03o}")
    text = "".join(out)
    # A format starting with "-" would be read as an option.
    return "\\055" + text[1:] if text.startswith("-") else text


def printf_command(data: bytes) -> str:
    return f"printf {shlex.quote(printf_format(data))}"
