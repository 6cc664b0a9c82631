"""Exact bytes as a `printf` command that bash, dash, zsh and fish all run alike."""

from __future__ import annotations

from sockscope.export.shell_words import quote

_NAMED = {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x25: "%%"}


def printf_format(data: bytes) -> str:
    r"""A printf format that prints exactly `data`, in each shell's own printf.

    Printable ASCII stays readable; every other byte becomes a three-digit octal escape
    (`\NNN` is POSIX, and the builtin printf of bash, dash, zsh and fish each prints it as
    that one byte, 0x80-0xFF and NUL included, in any locale; `\xNN` is not POSIX). The
    quote and the backslash are octal too (`\047`, `\134`), so the format holds no `'` and
    no `\\`: quoted, it reads the same in fish, where those two are escapes even inside
    single quotes.
    """
    out = []
    for byte in data:
        if byte in _NAMED:
            out.append(_NAMED[byte])
        elif 0x20 <= byte < 0x7F and byte not in (0x27, 0x5C):
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03o}")
    text = "".join(out)
    # A format starting with "-" would be read as an option.
    return "\\055" + text[1:] if text.startswith("-") else text


def printf_command(data: bytes) -> str:
    return f"printf {quote(printf_format(data))}"
