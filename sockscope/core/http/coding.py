"""Content codings (RFC 9110 section 8.4): a body's gzip, deflate and br layers undone.

The body a parser hands over is already de-chunked; this undoes the `Content-Encoding`
layers on top, last applied first, each with an incremental decompressor whose output
is bounded by `MAX_DECODED`: a few kilobytes of gzip can inflate to gigabytes, and a
server's bytes are hostile. Nothing raises: a corrupt, cut or unknown layer stops the
decoding there, keeps what was decoded, and `DecodedBody.problem` says why.

`charset_of` reads the charset a `Content-Type` names; `pretty_text` lays out a JSON or
XML body for reading. Both leave bytes they cannot use alone.
"""

from __future__ import annotations

import codecs
import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sockscope.core.http.head import first_value
from sockscope.core.views import check_encoding, human_bytes

# A decoded body larger than this is cut there: the capture limit's order of size.
MAX_DECODED = 64 * 1024 * 1024
# Pretty-printing reads the whole body as a document; past this it shows as it came.
MAX_PRETTY = 8 * 1024 * 1024

# A layer's decoder: (encoded, cap) -> (decoded, at most cap bytes; a problem or "").
Decoder = Callable[[bytes, int], tuple[bytes, str]]


@dataclass(frozen=True)
class DecodedBody:
    """A body with its content codings undone, as far as they could be."""

    data: bytes
    chain: list[str] = field(default_factory=list)  # "chunked", then the codings undone
    problem: str = ""  # why the decoding stopped early: a cut, corrupt or unknown layer

    def summary(self) -> str:
        """`chunked → gzip, 75 bytes`, then the problem if any."""
        text = " → ".join(self.chain)
        text = f"{text}, {human_bytes(len(self.data))}" if text else human_bytes(len(self.data))
        return f"{text}; {self.problem}" if self.problem else text


def content_codings(headers: list[tuple[str, str]]) -> list[str]:
    """The codings every `Content-Encoding` field lists, in the order applied, lowercased
    (`identity` left out: it changes nothing)."""
    codings: list[str] = []
    for name, value in headers:
        if name.lower() == "content-encoding":
            for part in value.split(","):
                coding = part.strip().lower()
                if coding and coding != "identity":
                    codings.append(coding)
    return codings


def decode_body(
    body: bytes,
    headers: list[tuple[str, str]],
    *,
    chunked: bool = False,
    cap: int = MAX_DECODED,
) -> DecodedBody | None:
    """`body` with its content codings undone, or None when it is empty or has none:
    then the body is the bytes as they came. `chunked` names the de-chunking the
    parser did first."""
    codings = content_codings(headers)
    if not body or not codings:
        return None
    chain = ["chunked"] if chunked else []
    data = body
    for coding in reversed(codings):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            return DecodedBody(data, chain, f"{coding!r} is not a coding sockscope decodes")
        data, problem = decoder(data, cap)
        chain.append(coding)
        if problem:
            return DecodedBody(data, chain, problem)
    return DecodedBody(data, chain)


def _zlib_layer(name: str, wbits: int, data: bytes, cap: int) -> tuple[bytes, str]:
    """Inflate `data`; gzip may hold several members one after another (RFC 1952).

    The input goes in `_FEED` bytes at a time: at a member's end zlib copies the input
    it was given and did not use (`unused_data`), so handing it the whole rest would copy
    the body again for every member, and a body of many empty members would never end."""
    out = bytearray()
    view = memoryview(data)
    at = 0
    engine = zlib.decompressobj(wbits)
    while True:
        piece = view[at : at + _FEED]
        try:
            out += engine.decompress(piece, cap + 1 - len(out))
        except zlib.error as exc:
            return bytes(out[:cap]), f"{name} data is corrupt ({exc})"
        if len(out) > cap:
            return bytes(out[:cap]), f"{name} stopped at the {human_bytes(cap)} decoded-size cap"
        at += len(piece) - len(engine.unused_data)
        if not engine.eof:
            if at < len(data):
                continue
            return bytes(out), f"{name} data ends early (the stream is cut)"
        rest = view[at:]
        if not rest or wbits != _GZIP or bytes(rest[:2]) != b"\x1f\x8b":
            problem = f"{len(rest):,} bytes after the {name} data" if rest else ""
            return bytes(out), problem
        engine = zlib.decompressobj(wbits)


_GZIP = 16 + zlib.MAX_WBITS
# What one decompress call is handed: small, as a member's end copies what is left of it.
_FEED = 4096


def _gzip(data: bytes, cap: int) -> tuple[bytes, str]:
    return _zlib_layer("gzip", _GZIP, data, cap)


def _deflate(data: bytes, cap: int) -> tuple[bytes, str]:
    # RFC 9110 says zlib-wrapped deflate; some servers send the raw stream, which a
    # zlib header (a checksum over its two bytes) tells apart.
    zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
    return _zlib_layer("deflate", zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS, data, cap)


def _brotli(data: bytes, cap: int) -> tuple[bytes, str]:
    import brotli  # only when a body is br-coded: most runs never load it

    engine = brotli.Decompressor()
    try:
        # Past the limit the decompressor keeps the rest for later calls: none is made.
        out = engine.process(data, output_buffer_limit=cap + 1)
    except brotli.error as exc:
        return b"", f"br data is corrupt ({exc})"
    if len(out) > cap:
        return out[:cap], f"br stopped at the {human_bytes(cap)} decoded-size cap"
    if not engine.is_finished():
        return out, "br data ends early (the stream is cut)"
    return out, ""


_DECODERS: dict[str, Decoder] = {
    "gzip": _gzip,
    "x-gzip": _gzip,
    "deflate": _deflate,
    "br": _brotli,
}

_CHARSET = re.compile(r';\s*charset\s*=\s*"?([^";\s]+)', re.I)


def charset_of(headers: list[tuple[str, str]]) -> str | None:
    """The Python codec the `Content-Type` charset names, or None (absent, or not one of
    the text encodings sockscope shows: the server picks the name, and Python's codecs
    also hold transforms such as rot13 or punycode that a view must not be handed)."""
    content_type = first_value(headers, "content-type") or ""
    match = _CHARSET.search(content_type)
    if match is None:
        return None
    try:
        return codecs.lookup(check_encoding(match.group(1))).name
    except ValueError:
        return None


def media_type(headers: list[tuple[str, str]]) -> str:
    """`application/json` from `application/json; charset=utf-8`, lowercased."""
    content_type = first_value(headers, "content-type") or ""
    return content_type.split(";", 1)[0].strip().lower()


def pretty_text(data: bytes, media: str, encoding: str) -> bytes | None:
    """A JSON or XML body laid out with indents, in `encoding`; None when the media
    type is neither, the body is too large, or it does not parse."""
    if len(data) > MAX_PRETTY:
        return None
    try:
        text = data.decode(encoding)
    except (UnicodeError, LookupError):
        return None
    if media.endswith("/json") or media.endswith("+json"):
        try:
            pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError):
            return None
    elif media.endswith("/xml") or media.endswith("+xml"):
        pretty = _indent_xml(text)
    else:
        return None
    return pretty.encode(encoding, errors="backslashreplace")


_XML_TOKEN = re.compile(r"<[^>]*>|[^<]+")


def _indent_xml(text: str) -> str:
    """One tag or text run a line, indented by depth: a lexical layout, not a parser,
    so no entity is expanded and malformed XML still shows (it may just lean)."""
    lines: list[str] = []
    depth = 0
    for token in _XML_TOKEN.findall(text):
        stripped = token.strip()
        if not stripped:
            continue
        if stripped.startswith("</"):
            depth = max(0, depth - 1)
            lines.append("  " * depth + stripped)
        elif (
            stripped.startswith("<")
            and not stripped.startswith(("<?", "<!"))
            and not (stripped.endswith("/>"))
        ):
            lines.append("  " * depth + stripped)
            depth += 1
        else:
            lines.append("  " * depth + stripped)
    return "\n".join(lines)
