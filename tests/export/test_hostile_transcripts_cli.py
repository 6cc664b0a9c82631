"""Hostile transcripts through the command line: no byte a terminal would act on comes out.

Every string field of the transcript holds an attack (OSC 52, OSC 0, CSI, C1, bidi,
Textual markup); `sockscope export` to each text format and `sockscope compare` print
it inert (escaped in programs and command lines, as tokens in reports and diagrams), and
a refusal is one clean line.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

from sockscope.export import FORMATS
from tests.hostile.conftest import unsafe_characters
from tests.hostile.files import HOSTILE_TEXTS, hostile_transcript, write_hostile_transcript

TEXT_FORMATS = [fmt for fmt in FORMATS if fmt != "pcap"]
ATTACKS = ["osc52-clipboard", "osc0-title-bel", "c1-csi", "bidi", "click-action", "newline-cr"]


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_export_of_a_hostile_transcript_puts_no_control_byte_on_the_terminal(
    cli, tmp_path: Path, fmt: str, attack: str
) -> None:
    path = write_hostile_transcript(tmp_path / "evil.json", HOSTILE_TEXTS[attack])
    result = cli("export", path, "-f", fmt)
    # ncat, socat and curl may refuse a value they cannot carry: one line, exit 2.
    assert result.code == 0 or (fmt not in ("python", "json") and result.code == 2)
    if result.code == 2:
        assert result.out == "" and result.err.count("\n") == 1
    assert unsafe_characters(result.err) == set()
    # Programs carry the values escaped ("\x1b" as four characters, never the byte),
    # command lines as printf escapes, diagrams as tokens.
    assert unsafe_characters(result.out) == set()


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_python_export_carries_hostile_values_as_inert_literals(
    cli, tmp_path: Path, attack: str
) -> None:
    text = HOSTILE_TEXTS[attack]
    path = write_hostile_transcript(tmp_path / "evil.json", text)
    script = cli("export", path, "-f", "python").out
    constants = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(script).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
        if node.targets[0].id in ("HOST", "SERVER_NAME", "CA_FILE")
    }
    assert constants == {"HOST": text, "SERVER_NAME": text, "CA_FILE": text}


def test_the_json_export_of_a_hostile_transcript_is_the_transcript_escaped(
    cli, tmp_path: Path
) -> None:
    text = HOSTILE_TEXTS["osc52-clipboard"]
    path = write_hostile_transcript(tmp_path / "evil.json", text)
    out = cli("export", path, "-f", "json").out
    assert out.isascii() and json.loads(out)["target"]["host"] == text


@pytest.mark.parametrize("attack", ATTACKS)
def test_compare_of_hostile_transcripts_prints_them_inert(cli, tmp_path: Path, attack: str) -> None:
    left = write_hostile_transcript(tmp_path / "a.json", HOSTILE_TEXTS[attack])
    right = tmp_path / "b.json"
    doc = hostile_transcript(HOSTILE_TEXTS[attack] + "!")
    right.write_text(json.dumps(doc))
    result = cli("compare", left, right, "--all")
    assert result.code == 0 and result.err == ""
    assert "Headers" in result.out  # the hostile header value was compared and shown
    assert unsafe_characters(result.out) == set()


def test_a_hostile_file_name_in_an_export_error_is_shown_as_tokens(cli, tmp_path: Path) -> None:
    path = tmp_path / "\x1b]52;c;cHduZWQ=\x07\u202e.json"
    result = cli("export", path, "-f", "python")
    assert result.code == 2
    assert unsafe_characters(result.err) == set()
    assert "␛]52;c;cHduZWQ=␇\\u202e.json: cannot read it" in result.err


@pytest.mark.parametrize("command", ["open", "compare", "export"])
def test_a_transcript_that_is_a_named_pipe_is_refused_unread(
    cli, tmp_path: Path, command: str
) -> None:
    pipe = tmp_path / "t.json"
    os.mkfifo(pipe)
    # A writer that never writes: reading the pipe would wait for its bytes forever.
    writer_side = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open(pipe, os.O_WRONLY)
    try:
        args = {"open": [pipe], "compare": [pipe, pipe], "export": [pipe, "-f", "curl"]}
        result = cli(command, *args[command])
    finally:
        os.close(writer)
        os.close(writer_side)
    assert result.code == 2
    assert f"transcript {pipe}: is not a regular file" in result.err
