"""JSON documents holding more bytes than one string should: written a piece at a time.

A transcript or `send --json` carries every kept byte as base64. Built as one `str` by
`json.dumps`, a 256 MiB capture would take its base64 several times over (each field,
then the document); here each `Base64` value is encoded a slice at a time while the
pieces are written, so the document never exists whole.
"""

from __future__ import annotations

import binascii
import json
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

# Bytes per encoded slice: a multiple of 3, so the slices' base64 joins without padding.
_SLICE = 3 * 64 * 1024


class Base64:
    """A JSON string value: the base64 of `chunks` (bytes, in order) as if joined."""

    def __init__(self, chunks: Iterable[bytes | memoryview]) -> None:
        self.chunks = chunks


def json_pieces(doc: Any, *, indent: int | None = None) -> Iterator[str]:
    """The text of `json.dumps(doc, indent=indent)` in pieces, where each `Base64` value
    in `doc` is its base64 string."""
    # Each Base64 value stands in the small document as a string no field can hold by
    # chance (the token is random), then its pieces are written in the placeholder's place.
    token = os.urandom(16).hex()
    blobs: list[Base64] = []

    def stand_in(value: Any) -> Any:
        if isinstance(value, Base64):
            blobs.append(value)
            return f"{token}:{len(blobs) - 1}"
        if isinstance(value, dict):
            return {key: stand_in(item) for key, item in value.items()}
        if isinstance(value, list):
            return [stand_in(item) for item in value]
        return value

    text = json.dumps(stand_in(doc), indent=indent)
    at = 0
    for match in re.finditer(f'"{token}:([0-9]+)"', text):
        yield text[at : match.start() + 1]
        yield from base64_pieces(blobs[int(match[1])].chunks)
        at = match.end() - 1
    yield text[at:]


def base64_pieces(chunks: Iterable[bytes | memoryview]) -> Iterator[str]:
    """The base64 of the joined `chunks`, a slice at a time, without joining them."""
    carry = b""  # the last 1 or 2 bytes of a chunk, completed by the next one
    for chunk in chunks:
        with memoryview(chunk) as view:
            start = 0
            if carry:
                start = 3 - len(carry)
                carry += view[:start]
                if len(carry) < 3:
                    continue
                yield _encode(carry)
                carry = b""
            whole = start + (len(view) - start) // 3 * 3
            for at in range(start, whole, _SLICE):
                with view[at : min(at + _SLICE, whole)] as part:
                    yield _encode(part)
            carry = bytes(view[whole:])
    if carry:
        yield _encode(carry)


def _encode(data: bytes | memoryview) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")
