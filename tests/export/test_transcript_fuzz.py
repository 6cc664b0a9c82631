"""Whatever a transcript file holds, sockscope refuses it naming a field, or takes it.

Hypothesis builds transcripts from valid hostile ones (every string field an attack text,
see tests/hostile/files.py) with one field replaced by a hostile value: a wrong type,
infinity, NaN, 10**30, -1, a huge string, nested lists, control characters, a lone
surrogate, a 70,000-byte payload. Either the loader refuses the file with one line naming
the field, or every consumer runs without an exception: each export format (a refusal
by the format is an ExportError, a one-line message), the timeline, turns, TLS and
certificate rows, step outcomes, the analysis, the report, compare, and loading the JSON
export again.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rich.console import Console

from sockscope.cli.compare import print_comparison
from sockscope.cli.report import print_report
from sockscope.core.analysis import analyse
from sockscope.core.certificate import (
    certificate_rows,
    peer_certificate,
    session_summary,
    tls_session,
)
from sockscope.core.compare import compare
from sockscope.core.model import Exchange, Target, Transport
from sockscope.core.sanitize import sanitize
from sockscope.core.steps import step_outcomes
from sockscope.core.timeline import timeline_rows, timings_summary
from sockscope.core.turns import turn_rows
from sockscope.export import FORMATS, ExportError
from sockscope.export.formats import render
from sockscope.export.transcript import TranscriptError, parse_transcript
from tests.export.conftest import made_exchange
from tests.hostile.files import HOSTILE_TEXTS, hostile_transcript

Path_ = tuple[str | int, ...]


def _nested(depth: int) -> object:
    value: object = "bottom"
    for _ in range(depth):
        value = [value]
    return value


BIG = 70_000  # bytes: over the 65,507 a UDP datagram carries
HOSTILE_VALUES: list[object] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    0.5,
    -0.0,
    10**30,
    -(10**30),
    2**63,
    2**53 + 1,
    65536,
    4e9,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    "",
    "x" * BIG,
    "\x00",
    "\ud800",
    "%%%",
    "AAAA",
    base64.b64encode(b"\x00\xff" * (BIG // 2)).decode(),
    "tcp",
    "peer-closed",
    [],
    ["\x1b]0;t\x07"],
    [1, "a", None, 1.5],
    _nested(40),
    {},
    {"x": 1},
    {"subject": 5, "san": "x", "san_total": "many"},
    *HOSTILE_TEXTS.values(),
]


# Values that pass a field's type but not what a consumer assumes, tried half the time
# on the fields they fit.
_FITTING: dict[str, list[object]] = {
    "b64": [
        base64.b64encode(b"x" * BIG).decode(),
        base64.b64encode(b"\x16\x03\x01" + bytes(range(256))).decode(),
        "",
        "AA==",
    ],
    "address": [
        "127.0.0.1:99999",
        "127.0.0.1:-1",
        "[::1]:65536",
        "[::1]:80",
        "[fe80::1%eth0]:443",
        "10.0.0.1:0",
        "1.2.3.4:\u0663",
        "::1",
        "not an address",
    ],
    "seconds": [0, 1e9, 999_999_999.999, 4294967295, 2**31, 0.0000001],
}


def _fitting(key: str | int) -> list[object]:
    if isinstance(key, str) and key.endswith("_b64"):
        return _FITTING["b64"]
    if key in ("peer", "local"):
        return _FITTING["address"]
    if key in ("t", "started_at", "connect_timeout", "idle_timeout", "deadline"):
        return _FITTING["seconds"]
    return []


def _paths(node: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every place in a document a value sits, containers included."""
    found: list[Path_] = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


def _recorded(transport: Transport) -> dict[str, Any]:
    """A transcript as the engine writes one, with real addresses (the pcap uses them)."""
    target = Target("192.0.2.7", 8080, transport)
    return made_exchange(
        [b"GET / HTTP/1.0\r\n\r\n"], [b"HTTP/1.0 200 OK\r\n"], target=target
    ).to_dict()


_BASES = [
    *(_recorded(transport) for transport in Transport),
    *(
        hostile_transcript(text, transport=transport.value)
        for transport in Transport
        for text in (HOSTILE_TEXTS["osc52-clipboard"], HOSTILE_TEXTS["click-action"])
    ),
]


@st.composite
def damaged_documents(draw: st.DrawFn, *, fitting_only: bool = False) -> dict[str, Any]:
    """A base transcript with one to three fields replaced, deleted or added to.

    `fitting_only`: only fields that have values of their own type but out of what a
    consumer assumes (addresses, payloads, times), with sizes repaired, so most load.
    """
    doc = json.loads(json.dumps(draw(st.sampled_from(_BASES))))
    for _ in range(draw(st.sampled_from([1, 1, 2, 3]))):
        paths = _paths(doc)
        if fitting_only:
            paths = [path for path in paths if _fitting(path[-1])]
        path = draw(st.sampled_from(paths))
        *parents, last = path
        node: Any = doc
        for key in parents:
            node = node[key]
        fitting = _fitting(last)
        if fitting_only or (fitting and draw(st.booleans())):
            node[last] = draw(st.sampled_from(fitting))
            continue
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        value = copy.deepcopy(draw(st.sampled_from(HOSTILE_VALUES)))  # later steps mutate it
        if action == "delete":
            del node[last]
        elif action == "add" and isinstance(node[last], dict):
            node[last][draw(st.sampled_from(["x_fact", "turn", "peer", "detail", "t"]))] = value
        elif action == "add" and isinstance(node[last], list):
            node[last].append(value)
        else:
            node[last] = value
    if fitting_only or draw(st.booleans()):
        _repair_sizes(doc)  # so that a big or odd payload loads and reaches the exporters
    return doc


def _repair_sizes(doc: dict[str, Any]) -> None:
    for item in doc.get("events", []) if isinstance(doc.get("events"), list) else []:
        try:
            item["size"] = len(base64.b64decode(item["data_b64"], validate=True))
        except (TypeError, KeyError, ValueError):
            continue


# A field path (`events[3].detail["\\u001b"]`), or the format field itself.
_FIELD = re.compile(
    r'^transcript fuzz\.json: ([\w.\[\]"\\-]+: |transcript format |not a sockscope transcript)'
)


def _every_consumer(exchange: Exchange) -> None:
    for fmt in FORMATS:
        try:
            out = render(exchange, fmt)
        except ExportError as exc:
            assert "\n" not in str(exc)
            continue
        if fmt == "python":
            assert isinstance(out, str)
            compile(out, "replay.py", "exec")  # a program: values are inert literals
            assert sanitize(out) == out  # no character a terminal could act on
        elif fmt == "json":
            assert isinstance(out, str) and out.isascii()
            assert parse_transcript(out.encode(), "again.json") == exchange
        elif isinstance(out, str):
            out.encode("utf-8")  # written to a file or stdout as UTF-8
    timeline_rows(exchange)
    timings_summary(exchange.timings())
    turn_rows(exchange)
    step_outcomes(exchange)
    certificate = peer_certificate(exchange)
    if certificate:
        certificate_rows(certificate)
    session = tls_session(exchange)
    if session:
        session_summary(session)
    console = Console(file=io.StringIO(), width=100, highlight=False, markup=False)
    print_report(exchange, analyse(exchange), "utf-8", console=console)
    base = parse_transcript(json.dumps(_BASES[0]).encode(), "base.json")
    print_comparison(console, compare(base, exchange), "a", "b", show_all=True)


# Derandomised by the project's default Hypothesis profile (ci): the same examples on
# every run. 400 at least: fewer missed the pcap crashes this test was written to find.
_FUZZ = settings(
    max_examples=max(400, settings().max_examples),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_FUZZ
@given(doc=st.one_of(damaged_documents(), damaged_documents(fitting_only=True)))
def test_a_damaged_transcript_is_refused_naming_a_field_or_every_consumer_takes_it(
    doc: dict[str, Any],
) -> None:
    raw = json.dumps(doc).encode("utf-8", "surrogatepass")
    try:
        exchange = parse_transcript(raw, "fuzz.json")
    except TranscriptError as exc:
        event("refused")
        message = str(exc)
        assert "\n" not in message
        assert _FIELD.match(message), message
        assert sanitize(message) == message
        return
    event("loaded")
    _every_consumer(exchange)


def test_every_hostile_transcript_goes_through_every_consumer() -> None:
    for base in _BASES:
        _every_consumer(parse_transcript(json.dumps(base).encode(), "hostile.json"))


def test_a_datagram_too_big_for_udp_is_a_pcap_refusal_not_a_crash(tmp_path: Path) -> None:
    doc = hostile_transcript("plain", transport="udp")
    doc["events"][4].update(data_b64=base64.b64encode(b"x" * BIG).decode(), size=BIG)
    exchange = parse_transcript(json.dumps(doc).encode(), "udp.json")
    try:
        render(exchange, "pcap")
    except ExportError as exc:
        assert "65,507" in str(exc) and "events[4]" in str(exc)
    else:
        raise AssertionError("a 70,000-byte datagram cannot be one UDP packet")
