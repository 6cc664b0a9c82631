"""Transcripts are read a slice at a time: large base64 strings are decoded as they are read,
into the exchange's one copy of its received bytes, and everything else reads as `json`
reads it. Loading costs the kept bytes once, up to a cap on each part that is named."""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sockscope.core.model import EventType
from sockscope.export import transcript
from sockscope.export.json_bulk import Bulk, TooLarge, read_document
from sockscope.export.transcript import (
    TranscriptError,
    load_transcript,
    parse_transcript,
    save_transcript,
)
from tests.export.conftest import made_exchange

MIB = 1024 * 1024


def _read_back(text: bytes, *, large: int, slice_size: int) -> Any:
    """The document as the streaming reader gives it, each large string back as text,
    checking on the way that each decoded one holds the bytes its text says."""
    read = read_document(
        io.BytesIO(text),
        max_structure=10 * MIB,
        max_decoded=10 * MIB,
        describe=str,
        large=large,
        slice_size=slice_size,
    )
    prefix = read.token + ":"

    def back(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(prefix):
            bulk = read.bulks[int(value[len(prefix) :])]
            assert bulk.data == binascii.a2b_base64(bulk.text(), strict_mode=True)
            return bulk.text()
        if isinstance(value, dict):
            return {back(k): back(v) for k, v in value.items()}
        if isinstance(value, list):
            return [back(v) for v in value]
        return value

    return back(json.loads(read.structure.decode("utf-8")))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# Strings that are base64, nearly base64 (one character off, padding in the middle,
# a group cut short), or text with escapes, quotes and non-ASCII characters.
_STRINGS = st.one_of(
    st.binary(max_size=40).map(_b64),
    st.tuples(
        st.binary(min_size=3, max_size=40), st.integers(0, 60), st.sampled_from('=!\\"é\n')
    ).map(lambda t: (s := _b64(t[0]))[: t[1] % len(s)] + t[2] + s[t[1] % len(s) :]),
    st.binary(min_size=1, max_size=30).map(lambda b: _b64(b)[:-1]),
    st.text(max_size=30),
)
_DOCS = st.recursive(
    st.one_of(_STRINGS, st.integers(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_STRINGS, inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400)
@given(doc=_DOCS, large=st.integers(1, 24), slice_size=st.integers(1, 17), indent=st.booleans())
def test_every_document_reads_as_json_reads_it_wherever_the_slices_fall(
    doc: Any, large: int, slice_size: int, indent: bool
) -> None:
    text = json.dumps(doc, indent=2 if indent else None, ensure_ascii=False).encode()
    assert _read_back(text, large=large, slice_size=slice_size) == json.loads(text)


@pytest.mark.parametrize("slice_size", range(1, 12))
def test_an_escaped_quote_or_backslash_split_between_slices_does_not_end_the_string(
    slice_size: int,
) -> None:
    doc = {'a"b': ['\\"', 'QUJD\\QUJD"QUJD', "x" * 20 + '"', _b64(b"\x00" * 30)]}
    text = json.dumps(doc).encode()
    assert _read_back(text, large=4, slice_size=slice_size) == doc


def test_a_large_base64_string_becomes_its_bytes_and_leaves_a_placeholder() -> None:
    data = os.urandom(100_001)  # padded: 100,001 is not a multiple of 3
    text = json.dumps({"a": "small", "blob": _b64(data), "z": [1]}).encode()

    read = read_document(
        io.BytesIO(text), max_structure=MIB, max_decoded=MIB, describe=str, slice_size=4096
    )

    assert [bulk.data for bulk in read.bulks] == [data]
    assert json.loads(read.structure)["blob"] == f"{read.token}:0"
    assert len(read.structure) < 200


def test_each_cap_is_passed_to_describe_and_reading_stops_there() -> None:
    text = json.dumps({"blob": _b64(os.urandom(300_000)), "pad": "x" * 1000}).encode()
    with pytest.raises(TooLarge, match="decoded"):
        read_document(io.BytesIO(text), max_structure=MIB, max_decoded=200_000, describe=str)
    with pytest.raises(TooLarge, match="structure"):
        read_document(io.BytesIO(text), max_structure=500, max_decoded=MIB, describe=str)


def test_a_padded_last_group_reads_back_as_written() -> None:
    # "QR==" decodes to the same byte as "QQ==" (the free bits differ): kept as written.
    text = _b64(os.urandom(99_999)) + "QR=="
    read = read_document(
        io.BytesIO(json.dumps([text]).encode()), max_structure=MIB, max_decoded=MIB, describe=str
    )
    assert read.bulks == [Bulk(binascii.a2b_base64(text), b"QR==")]
    assert read.bulks[0].text() == text


# ---- transcripts -------------------------------------------------------------------------


def _saved(tmp_path: Path, received: list[bytes], **changes: Any) -> Path:
    exchange = made_exchange([b"GET / HTTP/1.0\r\n\r\n"], received)
    doc = exchange.to_dict() | changes
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def test_a_loaded_transcript_holds_its_received_bytes_once(tmp_path: Path) -> None:
    chunks = [os.urandom(64 * 1024) for _ in range(40)]
    exchange = made_exchange([b"GET / HTTP/1.0\r\n\r\n"], chunks)
    path = tmp_path / "once.json"
    save_transcript(exchange, path)

    loaded = load_transcript(path)

    assert loaded == exchange
    received = loaded.received
    assert received is loaded.received  # no join: the one copy
    recvs = [e for e in loaded.events if e.type is EventType.RECV]
    assert all(isinstance(e.data, memoryview) and e.data.obj is received for e in recvs)
    assert [bytes(e.data) for e in recvs] == chunks


def test_a_transcript_over_the_cap_on_kept_bytes_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transcript, "MAX_KEPT", 1 << 20)
    path = _saved(tmp_path, [os.urandom(MIB // 2), os.urandom(MIB // 2 + 1)])

    with pytest.raises(TranscriptError) as caught:
        load_transcript(path)

    assert str(caught.value) == (
        f"transcript {path}: holds over 1.0 MiB of kept bytes (its base64 fields), the most "
        "sockscope loads: opening a transcript holds its kept bytes in memory; keep less "
        "with --capture-limit for an exchange you mean to reopen"
    )


def test_the_cap_on_kept_bytes_is_a_gibibyte_and_its_message_says_so() -> None:
    assert transcript.MAX_KEPT == 1 << 30
    assert transcript._too_large("decoded").startswith("holds over 1.0 GiB of kept bytes")


def test_a_large_base64_value_in_a_text_field_stays_its_text(tmp_path: Path) -> None:
    text = _b64(os.urandom(120_000))
    path = _saved(tmp_path, [b"HTTP/1.0 200 OK\r\n\r\n"], stop_message=text, x_note=[text])

    loaded = load_transcript(path)

    assert loaded.stop_message == text


def test_a_large_value_that_is_not_base64_is_refused_as_before(tmp_path: Path) -> None:
    bad = _b64(os.urandom(120_000))[:-1]  # a group cut short
    path = _saved(tmp_path, [b"x"], received_b64=bad)

    with pytest.raises(TranscriptError) as caught:
        load_transcript(path)

    assert str(caught.value).startswith(
        f'transcript {path}: received_b64: must be base64, got "{bad[:40]}"...'
    )


def test_a_json_error_after_a_large_string_names_the_files_line_and_column() -> None:
    text = '{"received_b64": "' + _b64(os.urandom(90_000)) + '", "x": tru}'
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        expected = f"line {exc.lineno}, column {exc.colno}"

    with pytest.raises(TranscriptError) as caught:
        parse_transcript(text.encode(), "bad.json")

    assert str(caught.value).startswith(f"transcript bad.json: not JSON at {expected}: a value")


def test_bytes_that_are_not_utf8_after_a_large_string_are_named_at_their_offset() -> None:
    head = ('{"received_b64": "' + _b64(os.urandom(90_000)) + '", "x": "').encode()
    raw = head + b'\xff"}'

    with pytest.raises(TranscriptError) as caught:
        parse_transcript(raw, "bad.json")

    assert str(caught.value) == (
        f"transcript bad.json: not a sockscope transcript: byte {len(head)} is not UTF-8 text "
        "(transcripts are UTF-8 JSON)"
    )


# ---- hostile layouts -----------------------------------------------------------------------


@pytest.mark.parametrize("slice_size", range(1, 12))
@pytest.mark.parametrize("data", [b"\x01", b"\x01\x02"])  # "AQ==" and "AQI="
def test_a_padded_last_group_split_between_slices_is_still_decoded(
    slice_size: int, data: bytes
) -> None:
    # Where a 1 MiB slice ends is chance: a large string must not turn into text (and be
    # refused as structure over its cap) because the slice ended inside its padding.
    value = _b64(b"\x00" * 30 + data)
    read = read_document(
        io.BytesIO(json.dumps([value]).encode()),
        max_structure=MIB,
        max_decoded=MIB,
        describe=str,
        large=4,
        slice_size=slice_size,
    )
    assert [bulk.text() for bulk in read.bulks] == [value]


def test_a_large_string_nested_past_the_cap_is_refused_in_one_line() -> None:
    # The depth json accepts (hundreds of levels) is more than Python frames left for
    # reading a large string back as text: refused as any nesting past the cap.
    deep = '{"a":' * 600 + json.dumps(_b64(os.urandom(70_000))) + "}" * 600
    raw = ('{"sockscope": 1, "x": ' + deep + "}").encode()

    with pytest.raises(TranscriptError) as caught:
        parse_transcript(raw, "deep.json")

    assert str(caught.value) == (
        f"transcript deep.json: nested deeper than {transcript.MAX_DEPTH} levels of lists "
        "and objects (sockscope writes 6 at most)"
    )


def test_many_small_strings_cost_about_their_text_not_an_object_each() -> None:
    # A transcript is mostly small strings (every key): the reader keeps the text they
    # are in as it was read, not a piece per string (hundreds of megabytes for a file of
    # 64 MiB, and a minute of reading).
    import tracemalloc

    text = json.dumps([{"type": "close", "t": 0.5}] * 50_000).encode()
    tracemalloc.start()
    try:
        read = read_document(io.BytesIO(text), max_structure=MIB * 8, max_decoded=MIB, describe=str)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert read.structure == text
    assert peak < 3 * len(text)


class _Endless(io.RawIOBase):
    """A file of `fill` without end, that fails the test once read far past `bound`."""

    def __init__(self, fill: bytes, bound: int) -> None:
        self.fill, self.bound, self.read_so_far = fill, bound, 0

    def read(self, size: int = -1) -> bytes:
        self.read_so_far += size
        assert self.read_so_far < 10 * self.bound, "read on past the cap, holding it all"
        return (self.fill * size)[:size]


@pytest.mark.parametrize("fill", [b"\\", b'"\\', b"x"])
def test_a_run_of_backslashes_without_end_is_refused_at_the_cap(fill: bytes) -> None:
    # A backslash is held back until the character it escapes is read: only the last one.
    with pytest.raises(TooLarge, match="structure"):
        read_document(
            _Endless(fill, 1000),
            max_structure=1000,
            max_decoded=MIB,
            describe=str,
            large=4,
            slice_size=16,
        )


def test_a_file_of_more_values_than_sockscope_writes_is_refused_before_json_builds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 64 MiB of `{},` is 22 million objects: 1.7 GB once json has built them.
    monkeypatch.setattr(transcript, "MAX_VALUES", 1000)
    path = _saved(tmp_path, [b"x"], x_facts=[{}] * 1001)

    with pytest.raises(TranscriptError) as caught:
        load_transcript(path)

    assert str(caught.value) == (
        f"transcript {path}: holds over 1,000 JSON values (objects, lists and their items) "
        "besides its kept bytes, more than sockscope writes in a transcript of this size"
    )


def test_the_cap_on_values_leaves_room_for_the_densest_transcript_sockscope_writes() -> None:
    # Close events are the densest: a value in every 18 bytes, indented as sockscope saves.
    closes = [{"type": "close", "t": 0.005}] * 1000
    text = json.dumps({"events": closes}, indent=2).encode()
    values = sum(text.count(mark) for mark in (b"{", b"[", b","))
    assert transcript.MAX_STRUCTURE // len(text) * values < transcript.MAX_VALUES
