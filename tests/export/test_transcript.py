"""Transcripts: an Exchange saved as JSON reopens unchanged; a bad file is named in a sentence."""

from __future__ import annotations

import base64
import json
import string
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.model import (
    ErrorInfo,
    ErrorKind,
    Event,
    EventType,
    Exchange,
    Overflow,
    ReadPolicy,
    StopReason,
    Target,
    TlsOptions,
    Transport,
)
from sockscope.export.transcript import (
    TranscriptError,
    load_transcript,
    save_transcript,
    transcript_text,
)
from tests.export.conftest import made_exchange

_text = st.text(max_size=20)
_name = st.text(st.characters(exclude_characters="\0"), min_size=1, max_size=40)
_seconds = st.floats(min_value=0.001, max_value=1e6, allow_nan=False)
_json_value = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), _text, st.lists(_text, max_size=3)
)

_events = st.builds(
    Event,
    type=st.sampled_from(EventType),
    t=st.floats(min_value=0, max_value=1e5, allow_nan=False),
    data=st.binary(max_size=64),
    size=st.integers(min_value=0, max_value=2**40),
    calls=st.integers(min_value=1, max_value=1000),
    # Facts of the engine's own have fixed types (the schema checks them); these are others.
    detail=st.dictionaries(
        st.text(string.ascii_lowercase, min_size=1).map("x_".__add__), _json_value, max_size=3
    ),
).map(
    # Only sends and receives carry bytes in a transcript, as the engine records them, and
    # their size counts at least the bytes kept.
    lambda e: (
        replace(e, size=max(e.size, len(e.data)))
        if e.type in (EventType.SEND, EventType.RECV)
        else Event(e.type, e.t, detail=e.detail)
    )
)

_exchanges = st.builds(
    Exchange,
    target=st.builds(
        Target,
        host=_name,
        port=st.integers(min_value=1, max_value=65535),
        transport=st.sampled_from(Transport),
        family=st.sampled_from([0, 4, 6]),
        tls=st.builds(
            TlsOptions,
            verify=st.booleans(),
            server_name=st.one_of(st.none(), _name),
            alpn=st.lists(st.text(min_size=1, max_size=20), max_size=3).map(tuple),
            ca_file=st.one_of(st.none(), _name),
        ),
    ),
    request=st.binary(max_size=200),
    policy=st.builds(
        ReadPolicy,
        connect_timeout=_seconds,
        idle_timeout=st.one_of(st.none(), _seconds),
        deadline=st.one_of(st.none(), _seconds),
        delimiter=st.one_of(st.none(), st.binary(min_size=1, max_size=8)),
        max_bytes=st.one_of(st.none(), st.integers(min_value=1, max_value=2**40)),
        first_datagram=st.booleans(),
        half_close=st.booleans(),
        capture_limit=st.integers(min_value=0, max_value=2**40),
        overflow=st.sampled_from(Overflow),
    ),
    events=st.lists(_events, max_size=8),
    stop=st.one_of(st.none(), st.sampled_from(StopReason)),
    stop_message=_text,
    error=st.one_of(
        st.none(),
        st.builds(ErrorInfo, st.sampled_from(ErrorKind), _text, st.one_of(st.none(), _text)),
    ),
    started_at=st.floats(min_value=0, max_value=4e9, allow_nan=False),
    template=st.one_of(st.none(), _text),
)


@given(exchange=_exchanges)
def test_any_exchange_saved_and_loaded_is_unchanged(tmp_path_factory, exchange) -> None:
    path = tmp_path_factory.mktemp("t") / "run.json"
    save_transcript(exchange, path)
    assert load_transcript(path) == exchange


def test_send_json_output_is_itself_a_transcript(cli, lab, tmp_path: Path) -> None:
    result = cli("send", "127.0.0.1", lab.port("echo"), "--data", "hi\\n", "--half-close", "--json")
    path = tmp_path / "out.json"
    path.write_text(result.out)
    exchange = load_transcript(path)
    assert exchange.sent == b"hi\n" and exchange.received == b"hi\n"
    assert exchange.stop is StopReason.PEER_CLOSED


def test_transcript_is_indented_json_with_the_format_version() -> None:
    text = transcript_text(made_exchange([b"ping"]))
    assert text.startswith('{\n  "sockscope": 1,')
    assert json.loads(text)["request_b64"] == base64.b64encode(b"ping").decode()


def test_an_unwritable_path_is_a_transcript_error(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match=r"cannot write .*: No such file or directory"):
        save_transcript(made_exchange([b"x"]), tmp_path / "missing" / "run.json")
