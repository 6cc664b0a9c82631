"""The transcript schema: each rule refuses a file with one line naming the file and the field.

A transcript is a file someone else may have written. Whatever the loader accepts, every
consumer can take; everything else is refused as `transcript FILE: FIELD: what it must be,
got what it is`, with the quoted value escaped so it cannot act on a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sockscope.core.model import Transport
from sockscope.export.transcript import (
    MAX_DEPTH,
    MAX_STRUCTURE,
    TranscriptError,
    load_transcript,
    parse_transcript,
)
from tests.hostile.files import HOSTILE_TEXTS, hostile_transcript, write_hostile_transcript

Change = Callable[[dict[str, Any]], object]


def _good() -> dict[str, Any]:
    """A full transcript: TLS, a certificate, a dialogue step, an error."""
    return hostile_transcript("plain text")


def refusal(tmp_path: Path, content: str | bytes | Change) -> str:
    """The one line the loader refuses `content` with (a change to a good transcript, or
    the file's text); fails if it loads."""
    path = tmp_path / "run.json"
    if callable(content):
        doc = _good()
        content(doc)
        content = json.dumps(doc)  # writes float("inf") as Infinity, as a hand-edit might
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)
    with pytest.raises(TranscriptError) as caught:
        load_transcript(path)
    message = str(caught.value)
    assert message.startswith(f"transcript {path}: ")
    assert "\n" not in message
    return message.removeprefix(f"transcript {path}: ")


def _set(path: str, value: object) -> Change:
    """Set the field at `path` (`events.2.detail.certificate.san`) to `value`."""

    def change(doc: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = doc
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def test_a_good_transcript_and_every_hostile_one_load(tmp_path: Path) -> None:
    for name, text in HOSTILE_TEXTS.items():
        for transport in Transport:
            path = write_hostile_transcript(tmp_path / f"{name}.json", text, transport=transport)
            assert load_transcript(path).target.host == text


def test_a_wrong_type_names_the_field_what_it_must_be_and_what_it_is(tmp_path: Path) -> None:
    assert refusal(tmp_path, _set("events.1.t", "soon")) == (
        'events[1].t: must be a number of seconds from 0 to 1,000,000,000, got "soon"'
    )


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("target.port", "target.port: must be a port from 1 to 65535 or null, got true"),
        ("events.3.size", "events[3].size: must be a whole number from 0 to"),
        ("events.3.t", "events[3].t: must be a number of seconds from 0 to"),
        ("policy.max_bytes", "policy.max_bytes: must be a whole number from 0 to"),
    ],
)
def test_true_and_false_are_not_numbers(tmp_path: Path, field: str, expected: str) -> None:
    assert refusal(tmp_path, _set(field, True)).startswith(expected)


@pytest.mark.parametrize("spelling", ["Infinity", "-Infinity", "1e400", "NaN"])
def test_infinity_and_nan_are_refused_however_they_are_written(
    tmp_path: Path, spelling: str
) -> None:
    text = json.dumps(_good()).replace('"t": 0.005', f'"t": {spelling}')
    message = refusal(tmp_path, text)
    assert message.startswith("events[4].t: must be a number of seconds from 0 to 1,000,000,000")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("policy.connect_timeout", float("inf"), "policy.connect_timeout: must be a number of"),
        ("policy.idle_timeout", float("nan"), "policy.idle_timeout: must be a number of seconds"),
        ("started_at", float("inf"), "started_at: must be an epoch time in seconds from 0"),
        ("events.6.detail.x_fact", float("-inf"), "events[6].detail.x_fact: must be a finite"),
    ],
)
def test_infinity_and_nan_are_refused_in_every_number_field(
    tmp_path: Path, field: str, value: float, expected: str
) -> None:
    assert refusal(tmp_path, _set(field, value)).startswith(expected)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("events.3.size", 10**30),
        ("events.4.calls", 2**64),
        ("policy.capture_limit", 10**20),
        ("events.2.detail.certificate.san_total", 10**30),
        ("events.3.detail.turn", -1),
    ],
)
def test_huge_or_negative_counts_are_refused(tmp_path: Path, field: str, value: int) -> None:
    message = refusal(tmp_path, _set(field, value))
    assert "must be a whole number from" in message
    assert message.startswith(field.split(".")[0])


def test_a_huge_integer_among_unnamed_facts_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, _set("events.5.detail.x_count", 10**30))
    assert message.startswith("events[5].detail.x_count: must be a whole number within 64 bits")


def test_a_number_thousands_of_digits_long_is_refused_where_it_is(tmp_path: Path) -> None:
    text = json.dumps(_good()).replace('"bits": 256', '"bits": ' + "9" * 5000)
    column = text.index("9" * 5000) + 1
    assert refusal(tmp_path, text) == (
        f"not a transcript: line 1, column {column} holds a whole number 5,000 digits long "
        "(a transcript's numbers have 16 digits at most)"
    )


@pytest.mark.parametrize("port", [0, 65536, -1, 443.0])
def test_a_port_outside_1_to_65535_is_refused(tmp_path: Path, port: object) -> None:
    assert refusal(tmp_path, _set("target.port", port)).startswith(
        "target.port: must be a port from 1 to 65535 or null, got "
    )


def test_a_network_target_needs_a_port(tmp_path: Path) -> None:
    assert refusal(tmp_path, _set("target.port", None)) == (
        "target.port: must be a port from 1 to 65535 for a tls target, got null"
    )


def test_a_negative_start_time_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path, _set("started_at", -1)) == (
        "started_at: must be an epoch time in seconds from 0 to 4294967295, got -1"
    )


def test_a_negative_event_time_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path, _set("events.0.t", -0.5)).startswith(
        "events[0].t: must be a number of seconds from 0"
    )


@pytest.mark.parametrize("value", [0, -2.5])
def test_a_timeout_must_be_positive(tmp_path: Path, value: float) -> None:
    assert refusal(tmp_path, _set("policy.deadline", value)).startswith(
        "policy.deadline: must be a number of seconds above 0 to 1,000,000,000 or null"
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("target.tls.verify", "yes", 'target.tls.verify: must be true or false, got "yes"'),
        ("target.tls.alpn", "h2", 'target.tls.alpn: must be a list, got "h2"'),
        ("target.tls.alpn", [""], "target.tls.alpn[0]: must be a protocol name of 1 to 255"),
        ("target.tls.alpn", ["x" * 256], "target.tls.alpn[0]: must be a protocol name of 1 to"),
        ("target.tls.server_name", 7, "target.tls.server_name: must be a string or null, got 7"),
        ("target.tls", [], "target.tls: must be an object or null, got a list"),
        ("events.2.detail.verified", 1, "events[2].detail.verified: must be true or false, got 1"),
        ("events.2.detail.version", 1.3, "events[2].detail.version: must be a string or null"),
        (
            "events.2.detail.certificate",
            "CN=x",
            'events[2].detail.certificate: must be an object or null, got "CN=x"',
        ),
        (
            "events.2.detail.certificate.san",
            "DNS:x",
            'events[2].detail.certificate.san: must be a list, got "DNS:x"',
        ),
        (
            "events.2.detail.certificate.subject",
            ["CN=x"],
            "events[2].detail.certificate.subject: must be a string or null, got a list",
        ),
    ],
)
def test_wrongly_typed_tls_details_are_refused(
    tmp_path: Path, field: str, value: object, expected: str
) -> None:
    assert refusal(tmp_path, _set(field, value)).startswith(expected)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("target.transport", "carrier-pigeon", "target.transport: must be one of tcp, udp, tls"),
        ("events.0.type", "teleport", "events[0].type: must be one of resolve, connect"),
        ("stop_reason", True, "stop_reason: must be one of peer-closed"),
        ("policy.overflow", "spill", "policy.overflow: must be one of stop, count, got"),
        ("error.kind", "oops", "error.kind: must be one of name-not-found"),
        ("target.family", 5, "target.family: must be 0, 4 or 6, got 5"),
    ],
)
def test_unknown_enum_values_are_refused(
    tmp_path: Path, field: str, value: object, expected: str
) -> None:
    assert refusal(tmp_path, _set(field, value)).startswith(expected)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("events.3.data_b64", "%%%", 'events[3].data_b64: must be base64, got "%%%"'),
        ("request_b64", "ab", 'request_b64: must be base64, got "ab" (incorrect padding)'),
        ("request_b64", "é===", 'request_b64: must be base64, got "\\u00e9===" (not ASCII)'),
        ("policy.delimiter_b64", "", "policy.delimiter_b64: must not be empty"),
    ],
)
def test_base64_errors_are_refused(tmp_path: Path, field: str, value: str, expected: str) -> None:
    assert refusal(tmp_path, _set(field, value)).startswith(expected)


def test_a_size_below_the_bytes_kept_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path, _set("events.3.size", 3)).startswith(
        "events[3].size: must count at least the "
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("target.host", "", "target.host: must not be empty"),
        ("target.host", "a\0b", "target.host: must not contain NUL"),
        ("target.tls.ca_file", "/tmp/\0", "target.tls.ca_file: must not contain NUL"),
        ("target.host", "h" * 5000, "target.host: must be at most 4,096 characters, got 5,000"),
        ("template", "t" * 5000, "template: must be at most 4,096 characters"),
    ],
)
def test_names_the_os_takes_are_bounded_and_hold_no_nul(
    tmp_path: Path, field: str, value: str, expected: str
) -> None:
    assert refusal(tmp_path, _set(field, value)).startswith(expected)


def test_a_lone_surrogate_is_not_text(tmp_path: Path) -> None:
    text = json.dumps(_good()).replace('"host": "plain text"', '"host": "a\\ud800b"')
    assert refusal(tmp_path, text) == (
        "target.host: must be Unicode text, got the lone surrogate \\ud800"
    )


def test_a_dialogue_step_outcome_is_checked(tmp_path: Path) -> None:
    assert refusal(tmp_path, _set("events.5.detail.step.ok", "no")) == (
        'events[5].detail.step.ok: must be true or false, got "no"'
    )
    assert refusal(tmp_path, _set("events.5.detail.step.index", 0)).startswith(
        "events[5].detail.step.index: must be a whole number from 1 to"
    )


def test_a_required_field_that_is_missing_is_named(tmp_path: Path) -> None:
    assert refusal(tmp_path, lambda d: d["events"][0].pop("type")) == "events[0].type: is missing"
    assert refusal(tmp_path, lambda d: d.pop("target")) == "target: is missing"


def test_a_file_over_the_cap_on_what_json_parses_is_refused_naming_the_cap(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as file:
        file.truncate(MAX_STRUCTURE + 1)
    with pytest.raises(TranscriptError) as caught:
        load_transcript(path)
    assert str(caught.value) == (
        f"transcript {path}: holds over 64.0 MiB besides its kept bytes (events and facts, "
        "which are parsed whole, at several times their size in memory); a session of "
        "hundreds of thousands of events saves one this big"
    )


def test_an_endless_device_is_refused_unread() -> None:
    # /dev/zero never ends: an unbounded read would exhaust memory instead of refusing.
    with pytest.raises(TranscriptError, match="/dev/zero: is not a regular file"):
        load_transcript("/dev/zero")


def test_json_nested_past_what_the_parser_can_recurse_is_refused_where_it_passes_the_cap(
    tmp_path: Path,
) -> None:
    # Brackets inside strings do not nest: the place named is the first list too deep.
    text = '{"a": "[[[[{{{{\\"[[[", "b": ' + "[" * 100_000 + "]" * 100_000 + "}"
    column = text.index("[[[[[") + MAX_DEPTH  # the object counts one level
    assert refusal(tmp_path, text) == (
        f"nested deeper than {MAX_DEPTH} levels of lists and objects at line 1, "
        f"column {column} (sockscope writes 6 at most)"
    )


_SMALL = json.dumps({"sockscope": 1, "target": {"host": "h", "port": 80}}, indent=2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            _SMALL[: _SMALL.index('"h"') + 2],
            "not JSON: the string at line 4, column 13 is not closed when the file ends: "
            "it was cut short (copy or save it again)",
        ),
        (
            _SMALL[: _SMALL.index("80") + 1],
            "not JSON: the file ends at line 5, column 14, inside the transcript: it was cut "
            "short (copy or save it again)",
        ),
        ('{"sockscope": tr', "not JSON: the file ends at line 1, column 15, inside the"),
        ("", "is empty, not a transcript (save one with `sockscope send --save FILE`)"),
        (" \n", "is empty, not a transcript"),
        ('{"sockscope": 1,\n}', "not JSON at line 2, column 1: a comma before `}`, which JSON"),
        ("[1, 2,]", "not JSON at line 1, column 7: a comma before `]`, which JSON does not allow"),
        (
            '{"sockscope": "\x1b[2J"}',
            "not JSON at line 1, column 16: a control character (U+001B) written as it is "
            "inside a string, where JSON writes \\u001b",
        ),
        ('{"a": "\x00"}', "not JSON at line 1, column 8: a control character (U+0000)"),
        ('{"a": "\\q"}', "not JSON at line 1, column 8: a backslash escape JSON does not have"),
        ('{"a": "\\u12"}', "not JSON at line 1, column 9: a \\u escape without its 4"),
        ('{"a" 1}', "not JSON at line 1, column 6: a colon belongs here, after the key"),
        ('{"a": 1 "b": 2}', "not JSON at line 1, column 9: a comma belongs here, between two"),
        ("{1: 2}", "not JSON at line 1, column 2: a key in double quotes belongs here"),
        ("{} x", "not JSON at line 1, column 4: text follows the end of the transcript's object"),
        ("hello", "not JSON at line 1, column 1: a value belongs here (a string, number,"),
        (
            "\ufeff{}",
            "not JSON: it starts with a byte order mark (save it as UTF-8 without one)",
        ),
    ],
)
def test_a_file_that_is_not_json_is_refused_saying_where_and_what_to_do(
    tmp_path: Path, text: str, expected: str
) -> None:
    message = refusal(tmp_path, text)
    assert message.startswith(expected)
    assert not message.endswith(" at)") and "\x1b" not in message and "\x00" not in message


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_transcript_cut_anywhere_is_refused_as_cut_short(data: st.DataObject) -> None:
    text = json.dumps(_good(), indent=data.draw(st.sampled_from([None, 2])))
    cut = data.draw(st.integers(0, len(text) - 1))
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(text[:cut].encode(), "cut.json")
    message = str(caught.value)
    assert "it was cut short (copy or save it again)" in message or message.endswith(
        "is empty, not a transcript (save one with `sockscope send --save FILE`)"
    )


def test_facts_nested_deeper_than_the_cap_are_refused(tmp_path: Path) -> None:
    deep: object = 1
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    message = refusal(tmp_path, _set("events.5.detail.x_deep", deep))
    assert message.startswith("events[5].detail.x_deep" + "[0]" * MAX_DEPTH + ": ")
    assert message.endswith(f"must not nest lists and objects deeper than {MAX_DEPTH} levels")


def test_a_hostile_key_in_a_field_path_is_shown_escaped(tmp_path: Path) -> None:
    message = refusal(tmp_path, _set("events.5.detail.\x1b]0;x\x07", float("nan")))
    assert message == 'events[5].detail["\\u001b]0;x\\u0007"]: must be a finite number, got NaN'


def test_a_value_quoted_in_a_refusal_is_escaped_and_cut(tmp_path: Path) -> None:
    message = refusal(tmp_path, _set("target.transport", "\x1b]52;c;" + "A" * 100 + "\x07"))
    assert "\x1b" not in message and "\x07" not in message
    assert 'got "\\u001b]52;c;AAAA' in message and message.endswith('AAA"...')


def test_the_cli_refuses_with_exit_2_and_one_sanitised_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "\x1b]0;title\x07.json"
    path.write_text(json.dumps(hostile_transcript("x") | {"started_at": -1}))
    for command in (["export", path, "-f", "json"], ["compare", path, path], ["open", path]):
        result = cli(*command)
        assert result.code == 2 and result.out == ""
        assert result.err.count("\n") == 1
        assert "\x1b" not in result.err and "\x07" not in result.err
        assert "␛]0;title␇.json: started_at: must be an epoch time" in result.err
