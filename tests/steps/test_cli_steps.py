"""`sockscope send -T <dialogue>`: each step's outcome in the report and the JSON, exit 3
when a step's expectation failed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.dialogue_fixtures import DIALOGUES, RCPT_FIRST


@pytest.mark.parametrize("protocol", DIALOGUES)
def test_each_dialogue_template_reports_every_step_ok(cli, lab, protocol: str) -> None:
    result = cli("send", lab.host, lab.port(protocol), "-T", f"{protocol}-dialogue")
    assert result.code == 0, result.out + result.err
    assert "Steps  all ok" in result.out
    assert "step 3 ok: " in result.out  # the timeline's INFO row
    assert "all 3 steps ok" in result.out


def test_json_carries_the_step_outcomes(cli, lab) -> None:
    data = cli("send", lab.host, lab.port("smtp"), "-T", "smtp-dialogue", "--json").json()
    assert [(s["index"], s["kind"], s["ok"]) for s in data["steps"]] == [
        (1, "expect", True),
        (2, "expect", True),
        (3, "expect", True),
    ]
    assert data["steps"][1]["message"] == "250 after EHLO sockscope.local"
    assert [e["detail"]["step"] for e in data["events"] if "step" in e.get("detail", {})] == (
        data["steps"]
    )


def test_a_user_dialogue_whose_step_fails_exits_3_and_says_why(
    cli, lab, user_templates: Path
) -> None:
    (user_templates / "rcpt-first.toml").write_text(RCPT_FIRST, encoding="utf-8")
    result = cli("send", lab.host, lab.port("smtp"), "-T", "rcpt-first")
    assert result.code == 3
    why = "expected 250 after RCPT TO:<bob@example.org>, got 503 5.5.1 Need MAIL before RCPT"
    assert f"FAILED   3  {why}" in result.out
    assert "Steps  3 run, 1 failed" in result.out
    assert f"step 3 failed: {why}" in result.out.split("Stopped")[1]

    data = cli("send", lab.host, lab.port("smtp"), "-T", "rcpt-first", "--json").json()
    assert [s["ok"] for s in data["steps"]] == [True, True, False]
    assert data["stop_message"] == f"step 3 failed: {why}"
    assert data["error"] is None


def test_the_payload_given_on_the_command_line_is_sent_at_once(cli, lab) -> None:
    result = cli(
        "send", lab.host, lab.port("smtp"), "-T", "smtp-dialogue", "-d", "QUIT\\r\\n", "--json"
    )
    assert result.code == 0
    assert result.json()["steps"] == []


def test_a_refused_dialogue_is_a_network_error(cli, lab) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert cli("send", "127.0.0.1", port, "-T", "smtp-dialogue").code == 1


def test_help_text_names_exit_status_3(capsys: pytest.CaptureFixture[str]) -> None:
    from sockscope.cli import main

    with pytest.raises(SystemExit):
        main(["send", "--help"])
    assert "3 a step of a multi-step template" in " ".join(capsys.readouterr().out.split())


def test_templates_lists_the_dialogues_and_explains_a_bad_step(cli, user_templates: Path) -> None:
    (user_templates / "broken.toml").write_text('[[steps]]\nexpect = "220"\nsilence = 1\n')
    result = cli("templates")
    assert "smtp-dialogue" in result.out and "redis-dialogue" in result.out
    assert "broken.toml': steps[1].silence: cannot be combined with expect or until" in result.out


def test_a_step_whose_reply_passes_the_capture_limit_fails_at_once_naming_it(cli, lab) -> None:
    # With a capture file the read counts past the limit: the EHLO reply is cut at 50
    # bytes kept in all, and no later read could decide the step: it fails without waiting.
    args = ("send", lab.host, lab.port("smtp"), "-T", "smtp-dialogue", "--capture-limit", 50)
    result = cli(*args, "-o", os.devnull, "--idle", 2)
    assert result.code == 3
    why = "step 2 failed: expected 250 after EHLO sockscope.local, got 9 bytes without it"
    assert f"{why}: 250-local; capture limit of 50 bytes reached" in result.out
