"""Hostile user template files: a shared template directory written by an attacker.

`write_hostile_templates(directory, text)` fills `directory` with template files whose
every free-text spot carries `text` (an attack string such as ESC sequences, C1, bidi
overrides or Textual markup like `[@click=app.quit]x[/]`). Point sockscope at it with
`XDG_CONFIG_HOME` (templates live in `$XDG_CONFIG_HOME/sockscope/templates`) or pass it to
`load_templates(directory)`; then scan what the app or the CLI shows.

What it writes, and what sockscope does with each:

- `hostile.toml` loads as the template `hostile`: `text` is its title, its payload and the
  default of its `{hostile}` placeholder (sent after the payload).
- `hostile-steps.toml` loads as the multi-step template `hostile-steps`: `text` is its title,
  and its one step sends `text` and reads until `text` comes back.
- `hostile-name.toml` has `name = text`: a name that cannot be valid, so it is skipped with
  a warning that quotes the name.
- `hostile-file-TEXT.toml`, a file named after `text` (`/` and NUL, which no file name can
  hold, become `_`; cut at 255 bytes), carries no `name`, so the file name is the template
  name: when `text` holds anything but letters, digits, `.`, `-` and `_`, it is skipped
  with a warning that names the file.

`text` must be non-empty. Lone surrogates cannot be written in TOML and become U+FFFD.
"""

from __future__ import annotations

from pathlib import Path

# Bytes a file name may hold on Linux: its length is capped at 255 bytes.
_NAME_BYTES = 255 - len(".toml")


def write_hostile_templates(directory: Path, text: str) -> None:
    """Write template files into `directory` (created if missing) that all carry `text`."""
    if not text:
        raise ValueError("write_hostile_templates needs a non-empty text")
    directory.mkdir(parents=True, exist_ok=True)
    title = toml_string(text)
    payload = toml_string(_payload_syntax(text))
    (directory / "hostile.toml").write_text(
        f'name = "hostile"\ntitle = {title}\n'
        f"payload = {toml_string(_payload_syntax(text) + '{hostile}')}\n"
        f"[defaults]\nhostile = {title}\n",
        encoding="utf-8",
    )
    (directory / "hostile-steps.toml").write_text(
        f"title = {title}\n[[steps]]\nsend = {payload}\nuntil = {payload}\n",
        encoding="utf-8",
    )
    (directory / "hostile-name.toml").write_text(
        f"name = {title}\ntitle = {title}\npayload = {payload}\n", encoding="utf-8"
    )
    stem = "hostile-file-" + _without_surrogates(text).replace("/", "_").replace("\0", "_")
    encoded = stem.encode("utf-8")[:_NAME_BYTES]
    (directory / f"{encoded.decode('utf-8', 'ignore')}.toml").write_text(
        f"title = {title}\npayload = {payload}\n", encoding="utf-8"
    )


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: quotes, backslashes and controls escaped."""
    out = ['"']
    for ch in _without_surrogates(text):
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _payload_syntax(text: str) -> str:
    """Payload syntax that sends `text` as it is: backslashes doubled, `{` never a placeholder."""
    return text.replace("\\", "\\\\").replace("{", "\\x7b")


def _without_surrogates(text: str) -> str:
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
