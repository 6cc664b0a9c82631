"""Transcripts: an Exchange saved as JSON reopens unchanged; a bad file is named in a sentence."""

from __future__ import annotations

import base64
import json
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
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
_seconds = st.floats(min_value=0.001, max_value=1e6, allow_nan=False)
_json_value = st.one_of(st.none(), st.booleans(), st.integers(), _text, st.lists(_text, max_size=3))

_events = st.builds(
    Event,
    type=st.sampled_from(EventType),
    t=st.floats(min_value=0, max_value=1e5, allow_nan=False),
    data=st.binary(max_size=64),
    size=st.integers(min_value=0, max_value=2**40),
    calls=st.integers(min_value=1, max_value=1000),
    detail=st.dictionaries(st.text(string.ascii_lowercase, min_size=1), _json_value, max_size=3),
).map(
    # Only sends and receives carry bytes in a transcript, as the engine records them.
    lambda e: (
        e if e.type in (EventType.SEND, EventType.RECV) else Event(e.type, e.t, detail=e.detail)
    )
)

_exchanges = st.builds(
    Exchange,
    target=st.builds(
        Target,
        host=st.text(min_size=1, max_size=40),
        port=st.one_of(st.none(), st.integers(min_value=0, max_value=65535)),
        transport=st.sampled_from(Transport),
        family=st.sampled_from([0, 4, 6]),
        tls=st.builds(
            TlsOptions,
            verify=st.booleans(),
            server_name=st.one_of(st.none(), _text),
            alpn=st.lists(_text, max_size=3).map(tuple),
            ca_file=st.one_of(st.none(), _text),
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


@settings(max_examples=150, deadline=None)
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


def _good() -> dict:
    return made_exchange([b"GET / HTTP/1.0\r\n\r\n"], [b"HTTP/1.0 200 OK\r\n"]).to_dict()


def _with(change) -> str:  # type: ignore[no-untyped-def]
    doc = _good()
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"sockscope": 1,\n  "target": }', "is not JSON (line 2, column 13"),
        ("[1, 2]", "is not a sockscope transcript"),
        ('{"hello": "world"}', "is not a sockscope transcript"),
        ('{"sockscope": 2}', "has transcript format 2, but this sockscope reads format 1; upgrade"),
        ('{"sockscope": "one"}', 'has transcript format "one"'),
        (
            _with(lambda d: d["events"][3].update(data_b64="%%%")),
            "events[3].data_b64 is not base64",
        ),
        (_with(lambda d: d["events"][1].update(t="soon")), "events[1].t is a string, not a number"),
        (_with(lambda d: d["events"][0].pop("type")), "events[0].type is missing"),
        (_with(lambda d: d["events"].append(7)), "events[5] is a number, not an object"),
        (_with(lambda d: d.pop("target")), "target is missing"),
        (
            _with(lambda d: d["target"].update(transport="carrier-pigeon")),
            'target.transport is "carrier-pigeon", not one of tcp, udp, tls, unix, unix-dgram',
        ),
        (_with(lambda d: d["target"].update(port=70000)), "target.port is a number, not a port"),
        (_with(lambda d: d["policy"].update(half_close="yes")), "policy.half_close is a string"),
        (_with(lambda d: d["policy"].update(delimiter_b64=5)), "policy.delimiter_b64 is a number"),
        (_with(lambda d: d.update(request_b64="ab")), "request_b64 is not base64"),
        (_with(lambda d: d.update(error={"kind": "oops"})), 'error.kind is "oops", not one of'),
        (_with(lambda d: d.update(stop_reason=True)), "stop_reason is true, not one of"),
    ],
)
def test_a_bad_transcript_is_one_sentence_naming_the_file_and_the_problem(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "run.json"
    path.write_text(content)
    with pytest.raises(TranscriptError) as caught:
        load_transcript(path)
    message = str(caught.value)
    assert str(path) in message and expected in message
    assert "\n" not in message


def test_a_missing_transcript_names_the_file_and_the_reason(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match=r"cannot read .*nope\.json: No such file"):
        load_transcript(tmp_path / "nope.json")


def test_a_binary_file_is_not_a_transcript(tmp_path: Path) -> None:
    path = tmp_path / "capture.pcap"
    path.write_bytes(b"\xd4\xc3\xb2\xa1\x02\x00")
    with pytest.raises(TranscriptError, match="is not a sockscope transcript: byte 0 is not UTF-8"):
        load_transcript(path)


def test_control_characters_quoted_from_the_file_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(_with(lambda d: d["target"].update(transport="\x1b[2J\u202e")))
    with pytest.raises(TranscriptError) as caught:
        load_transcript(path)
    assert "\x1b" not in str(caught.value) and "\u202e" not in str(caught.value)
    assert '"\\u001b[2J\\u202e"' in str(caught.value)


def test_an_unwritable_path_is_a_transcript_error(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match=r"cannot write .*: No such file or directory"):
        save_transcript(made_exchange([b"x"]), tmp_path / "missing" / "run.json")


@settings(max_examples=150, deadline=None)
@given(
    path=st.lists(st.sampled_from(["target", "policy", "events", 0, 1, 3, "t", "type", "tls"])),
    value=_json_value,
)
def test_a_damaged_field_anywhere_loads_or_is_a_transcript_error(tmp_path_factory, path, value):
    doc = _good()
    node = doc
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return
    if path and isinstance(node, dict | list):
        try:
            node[path[-1]] = value
        except (IndexError, TypeError):
            return
    file = tmp_path_factory.mktemp("d") / "run.json"
    file.write_text(json.dumps(doc))
    try:
        exchange = load_transcript(file)
    except TranscriptError as exc:
        assert str(file) in str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(exchange, Exchange)
