"""Content codings (RFC 9110 section 8.4): a body's gzip, deflate and br layers undone.

The body a parser hands over is already de-chunked; `BodyDecoder` undoes the
`Content-Encoding` layers on top, last applied first, as the body's bytes arrive: each
layer an incremental decompressor whose output is bounded by `MAX_DECODED` (a few
kilobytes of gzip can inflate to gigabytes, and a server's bytes are hostile), fed as
much as the caller allows per step so a view can decode between frames. `decode_body`
is the same decoder fed a whole body at once: however a body is split, it decodes
alike. Nothing raises: a corrupt, cut or unknown layer stops the decoding there, keeps
what was decoded, and `DecodedBody.problem` says why.

`charset_of` reads the charset a `Content-Type` names; `pretty_text` lays out a JSON or
XML body for reading. Both leave bytes they cannot use alone.
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from sockscope.core.http.head import first_value
from sockscope.core.views import check_encoding, human_bytes

# A decoded body larger than this is cut there: the capture limit's order of size.
MAX_DECODED = 64 * 1024 * 1024
# Pretty-printing reads the whole body as a document; past this it shows as it came.
MAX_PRETTY = 8 * 1024 * 1024
# Characters a layout may take. Indents grow with depth, so a small body nested deep lays
# out to the square of its size (8 MiB of `<a>` to terabytes): past this, as it came.
MAX_LAID_OUT = 4 * MAX_PRETTY
# Content codings one body may stack (each layer holds a decompressor); curl allows 5.
MAX_CODINGS = 8


# A NamedTuple, as the parsers' Problem is: no methods compiled at import.
class DecodedBody(NamedTuple):
    """A body with its content codings undone, as far as they could be."""

    data: bytes
    chain: list[str]  # "chunked", then the codings undone
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
    if not body or not content_codings(headers):
        return None
    decoder = BodyDecoder(headers, chunked=chunked, cap=cap)
    decoder.feed(body)
    decoder.run()
    return decoder.result(ended=True)


class BodyDecoder:
    """The content codings of one body undone as its (de-chunked) bytes arrive: `feed`
    queues bytes, `run` decodes queued bytes (bounded per call, for a view that decodes
    between frames), `result` is the body decoded so far."""

    def __init__(
        self, headers: list[tuple[str, str]], *, chunked: bool = False, cap: int = MAX_DECODED
    ) -> None:
        self.chain = ["chunked"] if chunked else []
        self._layers: list[_Layer] = []
        self._unknown = ""  # a coding sockscope does not decode: the layers stop before it
        codings = content_codings(headers)
        if len(codings) > MAX_CODINGS:
            self._unknown = (
                f"{len(codings):,} content codings, more than the {MAX_CODINGS} sockscope undoes"
            )
            codings = []
        for coding in reversed(codings):
            layer = _layer_for(coding, cap)
            if layer is None:
                self._unknown = f"{coding!r} is not a coding sockscope decodes"
                break
            self._layers.append(layer)
            self.chain.append(coding)
        # What the last layer decoded (the body as it came, with none), joined when a
        # result is asked for: decompressors hand out new bytes, kept without a copy.
        self._out: list[bytes] = []
        self.size = 0  # decoded bytes so far
        self.fed = 0  # bytes fed so far

    def feed(self, data: bytes) -> None:
        self.fed += len(data)
        if self._layers:
            self._layers[0].push(data)
        elif data:
            self._out.append(data)
            self.size += len(data)

    def run(self, budget: int | None = None) -> bool:
        """Decode what is queued, about `budget` bytes read or decoded at most (None: all
        of it). True while queued bytes are left for another call."""
        layers = self._layers
        while budget is None or budget > 0:
            moved = False
            for index, layer in enumerate(layers):
                limit = _STEP if budget is None else min(_STEP, budget)
                handed = layer.handed
                chunks = layer.pull(limit)
                # Input counts too: gzip members or brotli metadata that decode to
                # nothing would otherwise let one step read the whole body.
                read = layer.handed - handed
                if not chunks and not read:
                    continue
                moved = True
                if index + 1 < len(layers):
                    for chunk in chunks:
                        layers[index + 1].push(chunk)
                else:
                    got = sum(map(len, chunks))
                    self._out += chunks
                    self.size += got
                    read += got
                if budget is not None:
                    budget -= read
            if not moved:
                return False
        return any(layer.ready for layer in layers)

    def result(self, *, ended: bool) -> DecodedBody:
        """The body decoded so far. `ended`: no more bytes come, so a layer that has not
        reached its end is named as cut (call it once `run` has decoded every byte)."""
        problem = next((p for layer in self._layers if (p := layer.problem_now(ended))), "")
        # Joined once: a result of the same size again is the same bytes object.
        data = b"".join(self._out)
        self._out = [data]
        return DecodedBody(data, list(self.chain), problem or self._unknown)


# Decoded bytes one step of `run` asks a layer for: a bound on the memory and time of
# a step, however much a few input bytes inflate to.
_STEP = 1024 * 1024
# What one decompress call is handed: small, as a gzip member's end copies what is
# left of it (`unused_data`); handing it the whole rest would copy the body again for
# every member, and a body of many empty members would never end.
_FEED = 4096
# A brotli stream has no members: it is handed larger pieces, fewer calls.
_BROTLI_FEED = 256 * 1024


class _Layer:
    """One coding's decompressor, its input queued: `pull` decodes some of it."""

    def __init__(self, name: str, cap: int) -> None:
        self.name = name
        self.cap = cap
        self.size = 0  # bytes decoded
        self.problem = ""  # corrupt, or the cap: nothing more is decoded
        self.after = 0  # bytes after the coded data's end
        self._chunks: deque[memoryview] = deque()
        self._front = memoryview(b"")
        self._at = 0  # the next byte of _front
        self.queued = 0
        self.handed = 0  # bytes handed to the decompressor so far (some again, untaken)

    def push(self, data: bytes | bytearray) -> None:
        if self.problem:
            return
        if self.at_end:
            self.after += len(data)
        elif data:
            self._chunks.append(memoryview(data))
            self.queued += len(data)

    @property
    def at_end(self) -> bool:
        """Past the end of the coded data: bytes fed now are counted as after it."""
        return False

    @property
    def ready(self) -> bool:
        return not self.problem and self.queued > 0

    def _take(self, size: int) -> bytes:
        """The next queued bytes, at most `size` (fewer at a pushed chunk's end)."""
        if self._at == len(self._front):
            if not self._chunks:
                return b""
            self._front, self._at = self._chunks.popleft(), 0
        piece = bytes(self._front[self._at : self._at + size])
        self._at += len(piece)
        self.queued -= len(piece)
        self.handed += len(piece)
        return piece

    def _untake(self, size: int) -> None:
        """Put back the last `size` bytes of the piece just taken."""
        self._at -= size
        self.queued += size

    def _peek(self, size: int) -> bytes:
        got = bytes(self._front[self._at : self._at + size])
        for chunk in self._chunks:
            if len(got) >= size:
                break
            got += bytes(chunk[: size - len(got)])
        return got

    def _skip_rest(self) -> None:
        """What is queued lies after the coded data: counted, not decoded."""
        self.after += self.queued
        self.queued, self._front, self._at = 0, memoryview(b""), 0
        self._chunks.clear()

    def _capped(self, out: list[bytes]) -> list[bytes]:
        """`out` counted; past the cap it is cut there and the layer stops."""
        self.size += sum(map(len, out))
        while self.size > self.cap:
            over = self.size - self.cap
            last = out.pop()
            if len(last) > over:
                out.append(last[: len(last) - over])
            self.size -= min(over, len(last))
            self.problem = f"{self.name} stopped at the {human_bytes(self.cap)} decoded-size cap"
        return out

    def pull(self, limit: int) -> list[bytes]:
        """Decoded bytes from what is queued, about `limit` read and decoded at most."""
        raise NotImplementedError

    def finished(self) -> bool:
        """Whether the coded data reached its end."""
        raise NotImplementedError

    def problem_now(self, ended: bool) -> str:
        if self.problem:
            return self.problem
        if ended and not self.finished():
            return f"{self.name} data ends early (the stream is cut)"
        if self.after:
            return f"{self.after:,} bytes after the {self.name} data"
        return ""


_GZIP = 16 + zlib.MAX_WBITS
_GZIP_MAGIC = b"\x1f\x8b"


class _Inflate(_Layer):
    """gzip (several members may follow one another, RFC 1952) or deflate: RFC 9110
    says zlib-wrapped deflate; some servers send the raw stream, which a zlib header (a
    checksum over its two bytes) tells apart."""

    def __init__(self, name: str, cap: int, wbits: int | None) -> None:
        super().__init__(name, cap)
        self._wbits = wbits  # None: deflate, until its first two bytes arrive
        self._engine: Any = None
        self._tail = b""  # input the engine was handed and left for want of output room
        self._full = False  # the last call filled its output room: more may be pending
        self._between = False  # a gzip member ended: another may follow
        self._ended = False  # the stream ended: what follows is after it

    @property
    def at_end(self) -> bool:
        return self._ended

    @property
    def ready(self) -> bool:
        return not self.problem and (self.queued > 0 or bool(self._tail) or self._full)

    def finished(self) -> bool:
        return self._ended or (self._between and not self.queued)

    def problem_now(self, ended: bool) -> str:
        if ended and self._between and self.queued:
            self._skip_rest()  # one byte after a member: no member can start there
            self._ended = True
        return super().problem_now(ended)

    def _start(self) -> bool:
        """A new engine when the bytes that choose it are here; False to wait for them."""
        if self._wbits is None:
            if self.queued < 2:
                return False
            first, second = self._peek(2)
            zlib_header = first & 0x0F == 8 and (first << 8 | second) % 31 == 0
            self._wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
        elif self._between:
            if self.queued < 2:
                return False
            if self._wbits != _GZIP or self._peek(2) != _GZIP_MAGIC:
                self._skip_rest()
                self._ended = True
                return False
        self._engine = zlib.decompressobj(self._wbits)
        self._between = False
        return True

    def pull(self, limit: int) -> list[bytes]:
        out: list[bytes] = []
        got = 0
        handed = self.handed
        while got + self.handed - handed < limit and not self.problem and not self._ended:
            if (self._engine is None or self._between) and not self._start():
                break
            piece = self._tail or self._take(_FEED)
            if not piece and not self._full:
                break
            room = min(limit - got, self.cap + 1 - self.size - got)
            before = self._engine.copy()
            try:
                chunk = self._engine.decompress(piece, room)
            except zlib.error as exc:
                out.append(_before_error(before, piece, room))
                self.problem = f"{self.name} data is corrupt ({exc})"
                break
            out.append(chunk)
            got += len(chunk)
            self._tail = self._engine.unconsumed_tail
            self._full = len(chunk) == room
            if self._engine.eof:
                # What follows the end is in unused_data (and, past an output limit,
                # in unconsumed_tail too): it goes back to the queue.
                self._untake(len(self._engine.unused_data))
                self._tail, self._between, self._full = b"", True, False
            if self.size + got > self.cap:
                break
        return self._capped(out)


def _before_error(engine: Any, piece: bytes, room: int) -> bytes:
    """What `engine` decodes of `piece` before the byte that makes it fail: fed one byte
    at a time, so the bytes kept do not depend on how the body was split."""
    out = bytearray()
    for at in range(len(piece)):
        try:
            out += engine.decompress(piece[at : at + 1], max(1, room - len(out)))
        except zlib.error:
            break
        if len(out) >= room:
            break
    return bytes(out[:room])


class _Brotli(_Layer):
    def __init__(self, name: str, cap: int) -> None:
        import brotli  # only when a body is br-coded: most runs never load it

        super().__init__(name, cap)
        self._engine = brotli.Decompressor()
        self._error = brotli.error
        self._holding = False  # the last call gave output: more may wait for the next

    @property
    def at_end(self) -> bool:
        return bool(self._engine.is_finished())

    @property
    def ready(self) -> bool:
        return not self.problem and (self.queued > 0 or self._holding)

    def finished(self) -> bool:
        return bool(self._engine.is_finished())

    def pull(self, limit: int) -> list[bytes]:
        out: list[bytes] = []
        got = 0
        handed = self.handed
        engine = self._engine
        while got + self.handed - handed < limit and not self.problem:
            if engine.is_finished():
                self._skip_rest()
                break
            piece = self._take(_BROTLI_FEED) if engine.can_accept_more_data() else b""
            if not piece and not self._holding:
                break
            room = min(limit - got, self.cap + 1 - self.size - got)
            try:
                # Past the limit the decompressor keeps the rest for the next call.
                chunk = engine.process(piece, output_buffer_limit=room)
            except self._error as exc:
                self.problem = f"{self.name} data is corrupt ({exc})"
                break
            out.append(chunk)
            got += len(chunk)
            # After output the engine may hold more for the input it has: ask again.
            self._holding = bool(chunk)
            if self.size + got > self.cap:
                break
        return self._capped(out)


def _layer_for(coding: str, cap: int) -> _Layer | None:
    if coding in ("gzip", "x-gzip"):
        return _Inflate(coding, cap, _GZIP)
    if coding == "deflate":
        return _Inflate(coding, cap, None)
    if coding == "br":
        return _Brotli(coding, cap)
    return None


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


def lays_out(media: str) -> bool:
    """Whether `pretty_text` lays out a body of this media type (JSON or XML)."""
    return media.endswith(("/json", "+json", "/xml", "+xml"))


def pretty_text(data: bytes | memoryview, media: str, encoding: str) -> bytes | None:
    """A JSON or XML body laid out with indents, in `encoding`; None when the media
    type is neither, the body is too large, or it does not parse."""
    if len(data) > MAX_PRETTY or not lays_out(media):
        return None
    try:
        text = str(data, encoding)  # a view of a capture too, without a copy of it
    except (UnicodeError, LookupError):
        return None
    if media.endswith("/json") or media.endswith("+json"):
        import json  # a reply's analysis loads it only for a JSON body shown pretty

        try:
            encoder = json.JSONEncoder(indent=2, ensure_ascii=False)
            pieces = _bounded(encoder.iterencode(json.loads(text, object_pairs_hook=_object)))
        except (ValueError, RecursionError):
            return None
    else:
        pieces = _bounded(_indent_xml(text))
    if pieces is None:
        return None
    return "".join(pieces).encode(encoding, errors="backslashreplace")


def _bounded(pieces: Iterable[str]) -> list[str] | None:
    """The pieces of a layout, or None once they pass MAX_LAID_OUT characters."""
    kept: list[str] = []
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > MAX_LAID_OUT:
            return None
        kept.append(piece)
    return kept


# Compiled when an XML body is first shown (re keeps it), not at every start.
_XML_TOKEN = r"<[^>]*>|[^<]+"


def _indent_xml(text: str) -> Iterator[str]:
    """One tag or text run a line, indented by depth: a lexical layout, not a parser,
    so no entity is expanded and malformed XML still shows (it may just lean)."""
    depth = 0
    newline = ""
    for token in re.finditer(_XML_TOKEN, text):
        stripped = token.group().strip()
        if not stripped:
            continue
        if stripped.startswith("</"):
            depth = max(0, depth - 1)
            yield newline + "  " * depth + stripped
        elif (
            stripped.startswith("<")
            and not stripped.startswith(("<?", "<!"))
            and not (stripped.endswith("/>"))
        ):
            yield newline + "  " * depth + stripped
            depth += 1
        else:
            yield newline + "  " * depth + stripped
        newline = "\n"


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as json makes it, but by Python code: json's C parser holds the
    interpreter for the whole document unless it calls back into Python, so a layout
    in a worker thread would stop the app's own thread for as long."""
    return dict(pairs)
