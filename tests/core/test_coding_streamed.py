"""A coded body decoded as it arrives: however its bytes are split, and however little
each step may decode, the result is what decoding the whole body at once gives; what
shows meanwhile only grows; the decoded-size cap is named when hit."""

from __future__ import annotations

import gzip
import zlib
from itertools import pairwise

import brotli
from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.http.coding import BodyDecoder, DecodedBody, decode_body

TEXT = b"the quick brown fox jumps over the lazy dog\r\n"


def _raw_deflate(data: bytes) -> bytes:
    engine = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return engine.compress(data) + engine.flush()


# How each coding packs a body (mtime=0: the same bytes every run).
PACKERS = {
    "gzip": lambda data: gzip.compress(data, mtime=0),
    "deflate": zlib.compress,
    "raw deflate": _raw_deflate,
    "br": lambda data: brotli.compress(data, quality=5),
    "gzip members": lambda data: gzip.compress(data[:7], mtime=0) + gzip.compress(data, mtime=0),
    "br, then gzip": lambda data: gzip.compress(brotli.compress(data), mtime=0),
}
CODINGS = {"raw deflate": "deflate", "gzip members": "gzip", "br, then gzip": "br, gzip"}


def headers(packing: str) -> list[tuple[str, str]]:
    return [("Content-Encoding", CODINGS.get(packing, packing))]


def streamed(
    body: bytes, packing: str, cuts: list[int], budget: int | None, cap: int
) -> tuple[DecodedBody, list[bytes]]:
    """`body` fed in pieces cut at `cuts`, each step decoding at most `budget` bytes;
    the result once it has all arrived, and what showed after each piece."""
    decoder = BodyDecoder(headers(packing), chunked=True, cap=cap)
    shown: list[bytes] = []
    at = 0
    for cut in [*sorted(set(cuts)), len(body)]:
        decoder.feed(body[at:cut])
        at = cut
        decoder.run(budget)
        shown.append(decoder.result(ended=False).data)
    while decoder.run(budget):
        pass
    return decoder.result(ended=True), shown


bodies = st.binary(max_size=300) | st.sampled_from([TEXT * 40, bytes(5000)])


@given(
    data=bodies,
    packing=st.sampled_from(sorted(PACKERS)),
    cuts=st.lists(st.integers(0, 400), max_size=12),
    budget=st.none() | st.integers(1, 64),
    damage=st.sampled_from(["none", "cut", "trailing"]),
)
def test_any_split_decodes_as_the_whole_body_does(
    data: bytes, packing: str, cuts: list[int], budget: int | None, damage: str
) -> None:
    body = PACKERS[packing](data)
    if damage == "cut":
        body = body[: len(body) * 2 // 3]
    elif damage == "trailing" and not packing.startswith("br"):
        body += b"\x1f junk"  # (brotli names bytes past its end as corrupt when fed with it)
    whole = decode_body(body, headers(packing), chunked=True)
    if whole is None:  # an empty body, cut: nothing to decode
        assert not body
        return
    result, shown = streamed(body, packing, [c for c in cuts if c < len(body)], budget, 1 << 20)
    assert result == whole
    assert all(later.startswith(earlier) for earlier, later in pairwise(shown))
    if damage == "none":
        expected = data[:7] + data if packing == "gzip members" else data
        assert (result.data, result.problem) == (expected, "")


@given(
    position=st.integers(0, 10_000),
    packing=st.sampled_from(["gzip", "deflate", "raw deflate"]),
    cuts=st.lists(st.integers(0, 2_000), max_size=8),
)
def test_corrupt_bytes_keep_the_same_decoded_part_however_split(
    position: int, packing: str, cuts: list[int]
) -> None:
    body = bytearray(PACKERS[packing](TEXT * 40))
    body[position % len(body)] ^= 0x5A
    whole = decode_body(bytes(body), headers(packing), chunked=True)
    result, _ = streamed(bytes(body), packing, [c for c in cuts if c < len(body)], None, 1 << 20)
    assert result == whole


@given(
    packing=st.sampled_from(["gzip", "deflate", "br", "br, then gzip"]),
    cuts=st.lists(st.integers(0, 3_000), max_size=8),
    budget=st.none() | st.integers(1_000, 50_000),
)
def test_the_cap_is_named_and_holds_however_split(
    packing: str, cuts: list[int], budget: int | None
) -> None:
    body = PACKERS[packing](bytes(200_000))
    result, shown = streamed(body, packing, [c for c in cuts if c < len(body)], budget, 50_000)
    assert len(result.data) == 50_000
    assert all(len(part) <= 50_000 for part in shown)
    innermost = packing.split(", then ")[0]  # the coding applied first is undone last
    assert result.problem == f"{innermost} stopped at the 48.8 KiB decoded-size cap"


def test_a_body_shows_decoded_while_it_arrives() -> None:
    body = gzip.compress(TEXT * 1000, mtime=0)
    decoder = BodyDecoder(headers("gzip"))
    decoder.feed(body[: len(body) // 2])
    decoder.run()
    so_far = decoder.result(ended=False)
    assert so_far.problem == ""
    assert 0 < len(so_far.data) < len(TEXT * 1000)
    assert (TEXT * 1000).startswith(so_far.data)
    assert decoder.result(ended=True).problem == "gzip data ends early (the stream is cut)"


def test_a_step_decodes_about_its_budget_and_says_more_is_left() -> None:
    decoder = BodyDecoder(headers("gzip"))
    decoder.feed(gzip.compress(bytes(3_000_000), mtime=0))
    assert decoder.run(100_000)
    assert 100_000 <= decoder.size < 200_000
    while decoder.run(100_000):
        pass
    assert decoder.result(ended=True) == DecodedBody(bytes(3_000_000), ["gzip"])


def _empty_members(count: int) -> bytes:
    return gzip.compress(b"", mtime=0) * count


def test_a_step_bounds_the_bytes_it_reads_too_not_only_those_it_decodes() -> None:
    # Gzip members (or brotli metadata) that decode to nothing: a step that counted only
    # its output would read the whole body in one go and hold the screen.
    decoder = BodyDecoder(headers("gzip"))
    body = _empty_members(50_000)
    decoder.feed(body)
    assert decoder.run(100_000)
    assert decoder.result(ended=False).data == b""
    steps = 1
    while decoder.run(100_000):
        steps += 1
    assert steps >= len(body) // 100_000
    assert decoder.result(ended=True) == DecodedBody(b"", ["gzip"])
