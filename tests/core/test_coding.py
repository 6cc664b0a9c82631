"""Content codings undone: gzip, deflate (zlib and raw), br, chained, cut, corrupt, bombs."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from sockscope.core.http import coding, parse_response
from sockscope.core.http.coding import (
    MAX_DECODED,
    charset_of,
    content_codings,
    decode_body,
    pretty_text,
)

TEXT = b"hello, decoded world\n" * 3


def _raw_deflate(data: bytes) -> bytes:
    engine = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return engine.compress(data) + engine.flush()


def _coded(coding: str) -> list[tuple[str, str]]:
    return [("Content-Type", "text/plain"), ("Content-Encoding", coding)]


# mtime=0: a gzip header carries the time it was made, and the bodies are in the test
# ids, which every pytest-xdist worker must collect the same.
@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(TEXT, mtime=0)),
        ("x-gzip", gzip.compress(TEXT, mtime=0)),
        ("deflate", zlib.compress(TEXT)),
        ("deflate", _raw_deflate(TEXT)),
        ("br", brotli.compress(TEXT)),
        ("GZIP", gzip.compress(TEXT, mtime=0)),
    ],
)
def test_each_coding_gives_back_the_text_and_names_itself(coding: str, body: bytes) -> None:
    decoded = decode_body(body, _coded(coding))
    assert decoded is not None
    assert decoded.data == TEXT
    assert decoded.chain == [coding.lower()]
    assert decoded.problem == ""


def test_a_chunked_gzip_response_is_named_chunked_then_gzip_with_its_size() -> None:
    packed = gzip.compress(TEXT)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (packed[:10], packed[10:]))
    raw = (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunks
        + b"0\r\n\r\n"
    )
    response = parse_response(raw, eof=True)
    assert response is not None
    decoded = decode_body(response.body, response.headers, chunked=True)
    assert decoded is not None
    assert decoded.data == TEXT
    assert decoded.summary() == "chunked → gzip, 63 bytes"


def test_codings_listed_in_order_applied_are_undone_last_first() -> None:
    body = brotli.compress(gzip.compress(TEXT))
    headers = [("Content-Encoding", "gzip"), ("content-encoding", "identity, br")]
    assert content_codings(headers) == ["gzip", "br"]
    decoded = decode_body(body, headers)
    assert decoded is not None
    assert decoded.data == TEXT
    assert decoded.chain == ["br", "gzip"]


def test_a_plain_or_empty_body_is_left_as_it_came() -> None:
    assert decode_body(TEXT, [("Content-Type", "text/plain")]) is None
    assert decode_body(b"", _coded("gzip")) is None
    assert decode_body(TEXT, [("Content-Encoding", "identity")], chunked=True) is None


@pytest.mark.parametrize(
    ("coding", "body", "problem"),
    [
        ("gzip", gzip.compress(TEXT, mtime=0)[:-12], "gzip data ends early (the stream is cut)"),
        ("deflate", zlib.compress(TEXT)[:-6], "deflate data ends early (the stream is cut)"),
        ("br", brotli.compress(TEXT * 50)[:-3], "br data ends early (the stream is cut)"),
    ],
)
def test_a_cut_body_keeps_what_decoded_and_says_it_is_cut(
    coding: str, body: bytes, problem: str
) -> None:
    decoded = decode_body(body, _coded(coding))
    assert decoded is not None
    assert decoded.problem == problem
    assert (TEXT * 50).startswith(decoded.data)
    assert problem in decoded.summary()


def test_corrupt_bytes_are_named_not_raised() -> None:
    gz = decode_body(b"\x1f\x8b\x08\x00garbage that is not deflate", _coded("gzip"))
    br = decode_body(b"\xff\xff\xff\xffnot brotli", _coded("br"))
    assert gz is not None and gz.problem.startswith("gzip data is corrupt")
    assert br is not None and br.problem.startswith("br data is corrupt")


def test_an_unknown_coding_stops_there_and_is_named() -> None:
    decoded = decode_body(b"whatever", _coded("compress"))
    assert decoded is not None
    assert decoded.data == b"whatever"
    assert decoded.problem == "'compress' is not a coding sockscope decodes"


def test_bytes_after_the_gzip_data_are_counted() -> None:
    decoded = decode_body(gzip.compress(TEXT) + b"junk", _coded("gzip"))
    assert decoded is not None
    assert (decoded.data, decoded.problem) == (TEXT, "4 bytes after the gzip data")


def test_several_gzip_members_decode_as_one_body() -> None:
    decoded = decode_body(gzip.compress(b"one ") + gzip.compress(b"two"), _coded("gzip"))
    assert decoded is not None
    assert (decoded.data, decoded.problem) == (b"one two", "")


def test_what_zlib_is_fed_grows_with_the_body_not_with_its_square(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 20,000 empty members (400 kB): handing each member the whole rest fed zlib 4 GB,
    # and a capture of such members never finished decoding.
    fed = 0
    real = zlib.decompressobj

    class Counting:
        def __init__(self, wbits: int) -> None:
            self._engine = real(wbits)

        def __getattr__(self, name: str) -> object:
            return getattr(self._engine, name)

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            nonlocal fed
            fed += len(data)
            return self._engine.decompress(data, max_length)

    monkeypatch.setattr(zlib, "decompressobj", Counting)
    body = gzip.compress(b"", mtime=0) * 20_000 + gzip.compress(b"end", mtime=0)
    decoded = decode_body(body, _coded("gzip"))
    assert decoded is not None
    assert (decoded.data, decoded.problem) == (b"end", "")
    assert fed < 500 * len(body)


def test_a_gzip_bomb_stops_at_the_decoded_size_cap() -> None:
    # 1,024 members of 1 MiB of zeros each: about 1 MiB that inflates to 1 GiB.
    member = gzip.compress(bytes(1024 * 1024))
    bomb = member * 1024
    decoded = decode_body(bomb, _coded("gzip"))
    assert decoded is not None
    assert len(decoded.data) == MAX_DECODED
    assert decoded.problem == "gzip stopped at the 64.0 MiB decoded-size cap"


@pytest.mark.parametrize(
    ("coding", "pack"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", lambda data: brotli.compress(data, quality=1)),
    ],
)
def test_every_coding_is_bounded_by_the_cap(coding: str, pack: object) -> None:
    assert callable(pack)
    decoded = decode_body(pack(bytes(4 * 1024 * 1024)), _coded(coding), cap=1024 * 1024)
    assert decoded is not None
    assert len(decoded.data) == 1024 * 1024
    assert decoded.problem == f"{coding} stopped at the 1.0 MiB decoded-size cap"


def test_a_bomb_inside_a_second_layer_is_bounded_too() -> None:
    inner = gzip.compress(bytes(4 * 1024 * 1024))
    decoded = decode_body(brotli.compress(inner), _coded("gzip, br"), cap=1024 * 1024)
    assert decoded is not None
    assert len(decoded.data) == 1024 * 1024
    assert decoded.chain == ["br", "gzip"]
    assert "gzip stopped at the 1.0 MiB decoded-size cap" in decoded.summary()


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ("text/plain; charset=utf-8", "utf-8"),
        ('text/html; Charset="ISO-8859-1"', "iso8859-1"),
        ("text/plain;charset=latin1", "iso8859-1"),
        ("text/plain; charset=no-such-thing", None),
        ("text/plain; charset=rot13", None),
        ("text/plain; charset=punycode", None),
        ("text/plain; charset=utf-32", None),
        ("text/plain", None),
    ],
)
def test_the_content_type_charset_names_a_codec(content_type: str, charset: str | None) -> None:
    assert charset_of([("Content-Type", content_type)]) == charset


def test_json_is_laid_out_with_indents() -> None:
    pretty = pretty_text(b'{"a":[1,2],"b":"\xc3\xa9"}', "application/json", "utf-8")
    assert pretty == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": "é"\n}'.encode()


def test_xml_is_laid_out_by_depth_without_expanding_entities() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "boom">]><a><b>&x;</b><c/></a>'
    pretty = pretty_text(body, "application/xml", "utf-8")
    assert pretty is not None
    assert pretty.decode().splitlines() == [
        '<?xml version="1.0"?>',
        '<!DOCTYPE a [<!ENTITY x "boom">',
        "]>",
        "<a>",
        "  <b>",
        "    &x;",
        "  </b>",
        "  <c/>",
        "</a>",
    ]


@pytest.mark.parametrize(
    ("body", "media"),
    [
        (b"{not json", "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"plain words", "text/plain"),
        (b"\xff\xfe{}", "application/json"),
    ],
)
def test_a_body_that_cannot_be_laid_out_is_left_alone(body: bytes, media: str) -> None:
    assert pretty_text(body, media, "utf-8") is None


@pytest.mark.parametrize(
    ("body", "media"),
    [
        # Each level indents its line further: thousands of tags open, never closed, lay
        # out to the square of their count (30 KB to 100 MB; 8 MiB to terabytes).
        (b"<a>" * 10_000, "application/xml"),
        # json nests hundreds deep; its indents add up the same way in every block.
        (b"[" + b",".join([b"[" * 900 + b"]" * 900] * 3) + b"]", "application/json"),
    ],
    ids=["xml-tags-never-closed", "json-blocks-nested-deep"],
)
def test_a_layout_past_its_cap_leaves_the_body_as_it_came(
    body: bytes, media: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coding, "MAX_LAID_OUT", 1024 * 1024)
    assert pretty_text(body, media, "utf-8") is None


def test_the_layout_cap_is_four_times_the_largest_body_laid_out() -> None:
    assert coding.MAX_LAID_OUT == 4 * coding.MAX_PRETTY == 32 * 1024 * 1024


def test_a_chain_of_more_codings_than_the_cap_is_not_decoded_and_says_so() -> None:
    # Each layer holds a decompressor's state (curl stops at 5 for the same reason).
    many = ", ".join(["gzip"] * 1000)
    decoded = decode_body(gzip.compress(TEXT, mtime=0), _coded(many))
    assert decoded is not None
    assert decoded.data == gzip.compress(TEXT, mtime=0)
    assert decoded.summary() == (
        "44 bytes; 1,000 content codings, more than the 8 sockscope undoes"
    )
