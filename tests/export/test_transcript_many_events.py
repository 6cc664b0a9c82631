"""A transcript of very many events (a server that sent its reply a byte per read): its
events are checked by a quick test that agrees with the schema, and loading it does no
work in proportion to the whole heap for each event."""

from __future__ import annotations

import gc
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sockscope.core.model import Event, EventType, Exchange, StopReason, Target
from sockscope.export import transcript
from sockscope.export.transcript import load_transcript, save_transcript

EVENT_CHECK = transcript._object(transcript._EVENT)

_KEYS = ["type", "t", "size", "kept", "calls", "direction", "detail", "note"]
_EDGES = [-1, 0, 1, 1e9, 1e9 + 1, 2**53, 2**53 + 1, 2**63, -0.0, math.inf, -math.inf, math.nan]
_ODD = [True, False, None, [], {}, "1", "recv", "close", "client", "server", ""]
_values = st.one_of(
    st.sampled_from(_EDGES),
    st.sampled_from(_ODD),
    st.integers(min_value=-2, max_value=2**54),
    st.floats(allow_nan=True, allow_infinity=True),
)
_sound = st.fixed_dictionaries(
    {"type": st.sampled_from(["recv", "send", "close"]), "t": st.floats(0, 1e9)},
    optional={
        "size": st.integers(0, 2**53),
        "kept": st.integers(0, 2**53),
        "calls": st.integers(1, 2**53),
        "direction": st.sampled_from([None, "client", "server"]),
    },
)


@st.composite
def _events(draw: st.DrawFn) -> dict[str, Any]:
    """A sound event with one field set to anything, or taken out."""
    event = draw(_sound)
    key = draw(st.sampled_from(_KEYS))
    if draw(st.booleans()):
        event.pop(key, None)
    else:
        event[key] = draw(_values)
    return event


def _schema_passes(event: Any) -> bool:
    try:
        EVENT_CHECK(event)
    except transcript._BadField:
        return False
    return True


@settings(max_examples=1000)
@given(_events())
def test_the_quick_check_of_an_event_passes_exactly_what_the_schema_passes(
    event: dict[str, Any],
) -> None:
    if transcript._plain_event(event):
        assert _schema_passes(event)
    elif event.keys() <= {"type", "t", "size", "kept", "calls", "direction"}:
        assert not _schema_passes(event)  # refused by the schema too, which names why


@pytest.mark.parametrize("value", _EDGES + _ODD, ids=repr)
@pytest.mark.parametrize("key", _KEYS)
def test_the_quick_check_agrees_with_the_schema_at_each_edge(key: str, value: object) -> None:
    event = {"type": "recv", "t": 1.5, "size": 3, "kept": 3, "calls": 1, key: value}
    if key in ("detail", "note"):  # not of the plain kind: left to the schema
        assert not transcript._plain_event(event)
    else:
        assert transcript._plain_event(event) == _schema_passes(event)


def test_the_quick_check_passes_the_events_sockscope_writes() -> None:
    events = [
        Event(EventType.CONNECT, 0.0),
        Event(EventType.RECV, 0.25, b"x", 1, calls=3),
        Event(EventType.RECV, 1e9, b"", 2**53),
        Event(EventType.CLOSE, 2),
    ]
    assert all(transcript._plain_event(event.to_dict()) for event in events)


def test_loading_a_long_transcript_runs_no_collection_and_leaves_the_collector_on(
    tmp_path: Path,
) -> None:
    reply = b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 20_000
    events = [Event(EventType.RECV, i / 1000, reply[i : i + 1], 1) for i in range(len(reply))]
    path = tmp_path / "trickle.json"
    save_transcript(
        Exchange(Target("127.0.0.1", 80), b"GET /\r\n", events=events, stop=StopReason.PEER_CLOSED),
        path,
    )
    collections: list[int] = []

    def counted(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(counted)
    try:
        loaded = load_transcript(path)
    finally:
        gc.callbacks.remove(counted)
    assert loaded.received == reply and len(loaded.events) == len(reply)
    # Each collection walks every object made so far: a million events made it quadratic.
    assert collections == []
    assert gc.isenabled()
