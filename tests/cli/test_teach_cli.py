"""`send --diagram` and `export -f diagram`: the sequence diagram from the command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sockscope.export.transcript import save_transcript
from tests.tui.exchanges import smtp_session_exchange


@pytest.fixture
def session_file(tmp_path: Path) -> Path:
    path = tmp_path / "smtp.json"
    save_transcript(smtp_session_exchange(), path)
    return path


def test_send_diagram_draws_the_exchange_after_the_report(cli, lab) -> None:
    result = cli(
        "send", "127.0.0.1", lab.port("echo"), "-d", "hi\\r\\n", "--half-close", "--diagram"
    )
    assert result.code == 0, result.err
    report, drawn = result.out.split("\nDiagram\n")
    assert "Timeline" in report
    lines = drawn.splitlines()
    assert "sockscope (client)" in lines[0] and f"server 127.0.0.1:{lab.port('echo')}" in lines[0]
    assert any("connect(): TCP handshake" in line for line in lines)
    sent = next(i for i, line in enumerate(lines) if "sendall() 4 bytes" in line)
    assert lines[sent].rstrip().endswith("▶│") and "hi\\r\\n" in lines[sent + 1]
    assert any("shutdown(SHUT_WR): FIN" in line for line in lines)
    assert any("recv() 4 bytes" in line and line.rstrip().endswith("┤") for line in lines)


def test_send_diagram_with_json_is_refused_in_one_line(cli) -> None:
    result = cli("send", "127.0.0.1", "7", "-d", "x", "--diagram", "--json")
    assert result.code == 2 and result.out == ""
    assert "--diagram" in result.err and len(result.err.strip().splitlines()) == 1


def test_export_diagram_prints_the_text_diagram(cli, session_file: Path) -> None:
    result = cli("export", session_file, "-f", "diagram")
    assert result.code == 0, result.err
    assert "EHLO sockscope.local\\r\\n" in result.out
    assert max(len(line) for line in result.out.splitlines()) <= 80


def test_export_diagram_to_an_svg_file_writes_a_picture_rsvg_can_render(
    cli, session_file: Path, tmp_path: Path
) -> None:
    svg = tmp_path / "smtp.svg"
    result = cli("export", session_file, "-f", "diagram", "-o", svg)
    assert result.code == 0, result.err
    assert svg.read_text().startswith("<?xml")
    png = tmp_path / "smtp.png"
    subprocess.run(["rsvg-convert", "-o", str(png), str(svg)], check=True, timeout=60)
    assert png.read_bytes().startswith(b"\x89PNG")


def test_export_diagram_svg_prints_svg(cli, session_file: Path) -> None:
    result = cli("export", session_file, "-f", "diagram-svg")
    assert result.code == 0 and "<svg" in result.out and "EHLO sockscope.local\\r\\n" in result.out


def test_send_explain_puts_a_sentence_under_each_step_and_the_stop(cli, lab) -> None:
    result = cli(
        "send", "127.0.0.1", lab.port("echo"), "-d", "hi\\r\\n", "--half-close", "--explain"
    )
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    recv = next(i for i, line in enumerate(lines) if "  recv  " in line)
    assert lines[recv + 1].strip() == (
        "↳ recv() returned 4 bytes: TCP is a stream, so one recv can hold part of a reply, "
        "or several"
    )
    assert any("↳ shutdown(SHUT_WR) sent a FIN" in line for line in lines)
    stopped = lines.index("Stopped")
    assert lines[stopped + 2].strip().startswith("↳ recv() returned b'' (0 bytes)")


def test_send_without_explain_prints_no_sentences(cli, lab) -> None:
    result = cli("send", "127.0.0.1", lab.port("echo"), "-d", "hi", "--half-close")
    assert result.code == 0 and "↳" not in result.out


def test_open_play_plays_the_last_file_back(
    cli, session_file: Path, tmp_path: Path, monkeypatch
) -> None:
    import sockscope.tui.launch
    import sockscope.tui.playback

    monkeypatch.setattr(sockscope.tui.launch, "launch", lambda *args: 0)  # not the explorer
    played = []
    monkeypatch.setattr(
        sockscope.tui.playback, "play", lambda exchange: played.append(exchange) or 0
    )
    result = cli("open", session_file, "--play")
    assert result.code == 0 and [e.template for e in played] == ["smtp"]


def test_open_play_refuses_a_broken_transcript_in_one_line(cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"sockscope": 1}')
    result = cli("open", broken, "--play")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1


def test_export_diagram_by_turn_and_to_scale(cli, session_file: Path) -> None:
    result = cli("export", session_file, "-f", "diagram", "--by-turn", "--to-scale")
    assert result.code == 0, result.err
    assert "turn 1: 22 bytes" in result.out and "⋮ 5.606 s later" in result.out
    plain = cli("export", session_file, "-f", "diagram").out
    assert "turn 1" not in plain and "later" not in plain


def test_diagram_switches_without_a_diagram_are_refused(cli, session_file: Path) -> None:
    exported = cli("export", session_file, "-f", "python", "--by-turn")
    sent = cli("send", "127.0.0.1", "7", "-d", "x", "--to-scale")
    for result in (exported, sent):
        assert result.code == 2 and result.out == "" and "diagram" in result.err


def test_send_diagram_by_turn(cli, lab) -> None:
    result = cli(
        "send", "127.0.0.1", lab.port("echo"), "-d", "hi", "--half-close", "--diagram", "--by-turn"
    )
    assert result.code == 0 and "turn 1: 2 bytes" in result.out
