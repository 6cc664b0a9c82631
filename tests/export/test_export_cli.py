"""`sockscope send --save` and `sockscope export`: save a conversation, turn it into things."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sockscope.export.transcript import load_transcript, save_transcript
from tests.export.conftest import made_exchange


@pytest.fixture
def saved(cli, lab, tmp_path: Path) -> Path:
    """A transcript of an echo exchange with the lab, saved by `sockscope send --save`."""
    path = tmp_path / "echo.json"
    result = cli(
        "send", "127.0.0.1", lab.port("echo"), "-d", "hi\\r\\n", "--half-close", "--save", path
    )
    assert result.code == 0, result.err
    return path


def test_send_save_writes_a_transcript_and_still_prints_the_report(saved: Path) -> None:
    exchange = load_transcript(saved)
    assert exchange.sent == b"hi\r\n" and exchange.received == b"hi\r\n"


def test_send_save_to_an_unwritable_path_prints_the_report_then_one_error_line(
    cli, lab, tmp_path: Path
) -> None:
    where = tmp_path / "no" / "such" / "dir.json"
    result = cli("send", "127.0.0.1", lab.port("echo"), "-d", "hi", "--half-close", "--save", where)
    assert result.code == 2
    assert "hi" in result.out  # the report of the exchange that did happen
    lines = result.err.strip().splitlines()
    assert lines == [
        f"sockscope send: error: --save: cannot write {where}: No such file or directory"
    ]


def test_export_python_prints_a_runnable_script(cli, saved: Path, tmp_path: Path) -> None:
    result = cli("export", saved, "--format", "python")
    assert result.code == 0 and result.err == ""
    script = tmp_path / "replay.py"
    script.write_text(result.out)
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    assert "b'hi\\r\\n'" in proc.stdout


def test_export_to_a_file_with_o_makes_the_script_executable(
    cli, saved: Path, tmp_path: Path
) -> None:
    out = tmp_path / "replay.py"
    result = cli("export", saved, "-f", "python", "-o", out)
    assert result.code == 0 and result.out == ""
    assert out.read_text().startswith("#!/usr/bin/env python3")
    assert out.stat().st_mode & 0o111


def test_export_json_is_the_transcript_again(cli, saved: Path) -> None:
    result = cli("export", saved, "-f", "json")
    assert json.loads(result.out) == json.loads(saved.read_text())


@pytest.mark.parametrize(("fmt", "tool"), [("ncat", "| ncat "), ("socat", "| socat ")])
def test_export_shell_formats_print_one_command(cli, saved: Path, fmt: str, tool: str) -> None:
    result = cli("export", saved, "-f", fmt)
    assert result.code == 0
    assert result.out.startswith("printf 'hi\\r\\n' ") and tool in result.out


def test_export_pcap_to_a_file(cli, saved: Path, tmp_path: Path) -> None:
    out = tmp_path / "echo.pcap"
    assert cli("export", saved, "-f", "pcap", "-o", out).code == 0
    assert out.read_bytes()[:4] == bytes.fromhex("d4c3b2a1")


def test_export_pcap_to_a_pipe_writes_the_binary(saved: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sockscope", "export", str(saved), "-f", "pcap"],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout[:4] == bytes.fromhex("d4c3b2a1")


def test_export_pcap_refuses_to_write_binary_to_a_terminal(
    cli, saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    result = cli("export", saved, "-f", "pcap")
    assert result.code == 2
    assert "give -o FILE or redirect" in result.err


def _bad_events(path: Path) -> Path:
    doc = made_exchange([b"x"], [b"y"]).to_dict()
    doc["events"][3]["data_b64"] = "!!"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("make", "args", "expected"),
    [
        (lambda p: p.write_text("{oops"), ["-f", "python"], "not JSON at line 1, column 2: a key"),
        (_bad_events, ["-f", "python"], "events[3].data_b64: must be base64"),
        (lambda p: p, ["-f", "python"], "cannot read it: No such file"),
        (
            lambda p: save_transcript(made_exchange([b"\x16\x03\x01"]), p),
            ["-f", "curl"],
            "--format curl: curl cannot send a non-HTTP payload",
        ),
        (lambda p: p.write_text("{}"), ["-f", "gif"], "invalid choice: 'gif'"),
        (lambda p: p.write_text("{}"), [], "--format"),
    ],
)
def test_bad_export_input_is_one_line_with_exit_2_and_no_traceback(
    cli, tmp_path: Path, make, args: list[str], expected: str
) -> None:
    path = tmp_path / "run.json"
    make(path)
    result = cli("export", path, *args)
    assert result.code == 2 and result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sockscope export: error: ")
    assert expected in lines[0]


def test_curl_refusal_points_to_the_format_that_works(cli, tmp_path: Path) -> None:
    path = tmp_path / "tls-hello.json"
    save_transcript(made_exchange([b"\x16\x03\x01"]), path)
    assert "use --format ncat" in cli("export", path, "-f", "curl").err
