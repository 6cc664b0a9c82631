"""The chunked transfer coding (RFC 9112 section 7.1), decoded as the bytes arrive.

Chunk sizes, the CRLF after each chunk's data, the last (zero-size) chunk and the
trailer fields are checked; the first unusable one stops the decoding with a problem
that says where, and what the body holds up to there is kept.
"""

from __future__ import annotations

import re
from enum import Enum, auto

from sockscope.core.http.head import Buffer, Span, find, parse_field
from sockscope.core.http.problems import (
    MAX_CHUNK_DIGITS,
    MAX_HEADERS,
    MAX_LINE,
    Problem,
    Severity,
    quote,
)

# Chunk size lines whose bytes are recorded; a body of millions of tiny chunks keeps
# only the first ones' places (each is a tuple: thousands cost little, millions do).
MAX_CHUNK_SPANS = 10_000

_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]+)[ \t]*(?:;.*)?", re.S)
_HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]+")


class ChunkState(Enum):
    """What the decoder reads next."""

    SIZE = auto()  # a chunk size line
    DATA = auto()  # the chunk's data
    DATA_END = auto()  # the CRLF after the data
    TRAILER = auto()  # a trailer field, or the blank line that ends the body
    DONE = auto()
    FAILED = auto()  # a problem stopped the decoding


class ChunkedDecoder:
    """Decodes a chunked body as bytes arrive; a decision waits for every byte it reads,
    so any split of the same bytes decodes alike."""

    def __init__(self, pos: int) -> None:
        self.pos = pos
        self.scan = pos  # where the search for the current line's LF resumes
        self.state = ChunkState.SIZE
        self.size = 0
        self.remaining = 0
        self.chunk_at = pos
        self.body = bytearray()
        self.trailers: list[tuple[str, str]] = []
        self.problems: list[Problem] = []
        self.bare_lf = False
        self.can_fold = False
        self.line_at = pos  # where the last whole line started
        self.size_lines: list[Span] = []  # each chunk size line's bytes, line end included
        self.end: int | None = None  # just past the blank line after the trailers

    def advance(self, buf: Buffer) -> None:
        while self.state not in (ChunkState.DONE, ChunkState.FAILED):
            if self.state == ChunkState.DATA:
                take = min(self.remaining, len(buf) - self.pos)
                self.body += buf[self.pos : self.pos + take]
                self.pos += take
                self.remaining -= take
                if self.remaining:
                    return
                self.state = ChunkState.DATA_END
            elif self.state == ChunkState.DATA_END:
                ending = bytes(buf[self.pos : self.pos + 2])
                if ending == b"\r\n":
                    self.pos += 2
                elif ending[:1] == b"\n":
                    self._note_bare_lf(self.pos)
                    self.pos += 1
                elif len(ending) < 2:
                    # Wait for both bytes: the problem quotes them, and every split of the
                    # body must name the same ones (cut_short names a lone last byte).
                    return
                else:
                    self.state = ChunkState.FAILED
                    self.problems.append(self._missing_crlf(ending))
                    return
                self.state = ChunkState.SIZE
                self.scan = self.pos
            else:
                line = self._line(buf)
                if line is None:
                    return
                if self.state == ChunkState.SIZE:
                    self._size_line(line)
                else:
                    self._trailer_line(line)

    def _line(self, buf: Buffer) -> bytes | None:
        """The next line without its ending, once its LF has arrived."""
        limit = self.pos + MAX_LINE + 1
        newline = find(buf, b"\n", self.scan, limit)
        if newline == -1:
            self.scan = max(self.pos, min(len(buf), limit))
            if len(buf) >= limit:
                what = "chunk size line" if self.state == ChunkState.SIZE else "trailer line"
                self._fail(
                    "chunk-size" if self.state == ChunkState.SIZE else "malformed-header",
                    f"the {what} at byte {self.pos:,} has no line end within {MAX_LINE:,} bytes",
                    self.pos,
                )
            return None
        start = self.pos
        if newline > start and buf[newline - 1] == 0x0D:
            line = bytes(buf[start : newline - 1])
        else:
            line = bytes(buf[start:newline])
            self._note_bare_lf(newline)
        self.pos = self.scan = newline + 1
        self.line_at = start
        return line

    def _size_line(self, line: bytes) -> None:
        self.chunk_at = self.line_at
        if len(self.size_lines) < MAX_CHUNK_SPANS:
            self.size_lines.append((self.line_at, self.pos))
        match = _CHUNK_SIZE.fullmatch(line)
        digits = _HEX_DIGITS.match(line)
        if digits and len(digits.group()) > MAX_CHUNK_DIGITS:
            self._fail(
                "chunk-size-too-long",
                f"chunk size {quote(digits.group())} at byte {self.chunk_at:,} is too long"
                f" ({len(digits.group())} digits; the limit is {MAX_CHUNK_DIGITS})",
                self.chunk_at,
            )
            return
        if match is None:
            self._fail(
                "chunk-size",
                f"invalid chunk size {quote(line)} at byte {self.chunk_at:,}",
                self.chunk_at,
            )
            return
        self.size = self.remaining = int(match.group(1), 16)
        self.state = ChunkState.DATA if self.size else ChunkState.TRAILER

    def _trailer_line(self, line: bytes) -> None:
        if not line:
            self.state = ChunkState.DONE
            self.end = self.pos
            return
        where = f"trailer line at byte {self.line_at:,}"
        if len(self.trailers) >= MAX_HEADERS:
            self.can_fold = False
            if len(self.trailers) == MAX_HEADERS and not any(
                p.code == "too-many-headers" for p in self.problems
            ):
                self.problems.append(
                    Problem(
                        "too-many-headers",
                        f"more than {MAX_HEADERS:,} trailer fields; only the first are listed",
                        offset=self.line_at,
                    )
                )
            return
        before = len(self.problems)
        self.can_fold = parse_field(
            line[:MAX_LINE], where, None, self.trailers, self.problems, self.can_fold
        )
        for index in range(before, len(self.problems)):
            self.problems[index] = self.problems[index]._replace(offset=self.line_at)

    def _note_bare_lf(self, at: int) -> None:
        if not self.bare_lf:
            self.bare_lf = True
            self.problems.append(
                Problem(
                    "bare-lf",
                    f"non-CRLF line endings (bare LF) in the chunked body, first at byte {at:,}",
                    severity=Severity.WARNING,
                    offset=at,
                )
            )

    def _missing_crlf(self, found: bytes) -> Problem:
        return Problem(
            "chunk-missing-crlf",
            f"the {self.size:,}-byte chunk at byte {self.chunk_at:,} is not"
            f" followed by CRLF (found {quote(found)})",
            offset=self.pos,
        )

    def _fail(self, code: str, message: str, offset: int) -> None:
        self.state = ChunkState.FAILED
        self.problems.append(Problem(code, message, offset=offset))

    def cut_short(self, buf: Buffer, eof: bool) -> Problem:
        """What is missing when the body has not ended (yet)."""
        last = bytes(buf[self.pos : self.pos + 1])
        if eof and self.state == ChunkState.DATA_END and last not in (b"", b"\r"):
            return self._missing_crlf(last)
        if not eof:
            return Problem(
                "incomplete-body",
                f"waiting for the rest of the chunked body ({len(self.body):,} bytes so far)",
                severity=Severity.INFO,
            )
        if self.state == ChunkState.TRAILER:
            return Problem(
                "chunk-missing-crlf",
                "the chunked body ends without the blank line after the last chunk",
                offset=self.pos,
            )
        inside = ""
        if self.state in (ChunkState.DATA, ChunkState.DATA_END) and self.size:
            got = self.size - self.remaining
            inside = f"; it stops inside a chunk ({got:,} of {self.size:,} bytes)"
        return Problem(
            "no-last-chunk",
            f"the chunked body ends without the last (zero-size) chunk{inside}",
            offset=self.pos,
        )
