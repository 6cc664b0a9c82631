"""Multi-step templates: the built-in dialogues, and user TOML files with [[steps]]."""

from __future__ import annotations

from pathlib import Path

import pytest

from sockscope.core.steps import Step, parse_expect, reply_protocol
from sockscope.core.templates import builtin_templates, load_templates

DIALOGUES = ("smtp", "pop3", "imap", "ftp", "nntp", "redis")


@pytest.mark.parametrize("protocol", DIALOGUES)
def test_each_builtin_dialogue_parses_with_its_own_protocol(protocol: str) -> None:
    template = builtin_templates()[f"{protocol}-dialogue"]
    assert template.parser == protocol and len(template.steps) >= 3
    for step in template.steps:
        if step.expect is not None:
            parse_expect(step.expect, reply_protocol(template.parser))
    dialogue = template.dialogue("127.0.0.1", 2525)
    assert dialogue.request == template.render("127.0.0.1", 2525)
    assert all(data is None or data.endswith(b"\r\n") for data in dialogue.sends)


def test_the_smtp_dialogue_says_ehlo_with_a_name_the_user_can_set() -> None:
    template = builtin_templates()["smtp-dialogue"]
    assert template.dialogue("h", 25).sends[1] == b"EHLO sockscope.local\r\n"
    assert template.dialogue("h", 25, helo="mx.example").sends[1] == b"EHLO mx.example\r\n"


def _load(directory: Path, text: str, name: str = "mine") -> tuple[dict, list[str]]:
    (directory / f"{name}.toml").write_text(text, encoding="utf-8")
    return load_templates(directory)


def test_a_user_dialogue_loads_every_step_field(tmp_path: Path) -> None:
    templates, problems = _load(
        tmp_path,
        """
title = "Say hello to my mail server"
port = 2525
parser = "smtp"

[defaults]
helo = "me.example"

[[steps]]
expect = "220"
timeout = 5

[[steps]]
send = "EHLO {helo}\\r\\n"
expect = "2xx"

[[steps]]
send = "NOOP\\r\\n"
until = "\\r\\n"

[[steps]]
silence = 0.25

[[steps]]
send = "QUIT\\r\\n"
""",
    )
    assert problems == []
    mine = templates["mine"]
    assert mine.steps == (
        Step(expect="220", timeout=5.0),
        Step(send="EHLO {helo}\r\n", expect="2xx"),
        Step(send="NOOP\r\n", until=b"\r\n"),
        Step(silence=0.25),
        Step(send="QUIT\r\n"),
    )
    assert [step.kind for step in mine.steps] == ["expect", "expect", "until", "silence", "send"]
    assert mine.render("h", 2525) == b"EHLO me.example\r\nNOOP\r\nQUIT\r\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('steps = "EHLO"\n', "steps: must be a list of [[steps]] tables"),
        ("steps = []\n", "steps: is empty"),
        ('payload = "x"\n[[steps]]\nexpect = "220"\n', "steps: give either [[steps]] or a payload"),
        (
            '[[steps]]\nexpect = "220"\n[[steps]]\nsnd = "x"\n',
            'steps[2]: unknown field "snd" (did you mean "send"?',
        ),
        ("[[steps]]\nsend = 5\n", "steps[1].send: must be a string, got 5"),
        ('[[steps]]\nsend = "\\\\q"\n', 'steps[1].send: column 1: unknown escape "\\q"'),
        ('[[steps]]\nsend = "HELO {who}"\n', "steps[1].send: uses {who}, which has no value"),
        (
            'parser = "smtp"\n[[steps]]\nexpect = "OK"\n',
            "steps[1].expect: must be a reply code such as 250, 2xx or 200|201, got 'OK' "
            "(patterns follow parser = 'smtp')",
        ),
        ('parser = "pop3"\n[[steps]]\nexpect = "250"\n', "steps[1].expect: must be +OK, -ERR or +"),
        ('[[steps]]\nuntil = ""\n', "steps[1].until: is empty"),
        ("[[steps]]\nsilence = -1\n", "steps[1].silence: -1 must be a positive number of seconds"),
        (
            '[[steps]]\nsilence = 1\nexpect = "x"\n',
            "steps[1].silence: cannot be combined with expect",
        ),
        ("[[steps]]\nsilence = true\n", "steps[1].silence: must be a number of seconds, got True"),
        ('[[steps]]\nsend = "x"\ntimeout = 1\n', "steps[1].timeout: needs expect or until"),
        ("[[steps]]\ntimeout = 1\n", "steps[1]: waits for nothing and sends nothing"),
    ],
)
def test_a_bad_step_is_one_message_naming_the_file_the_step_and_the_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    templates, problems = _load(tmp_path, text, name="bad")
    assert "bad" not in templates
    assert len(problems) == 1
    assert problems[0].startswith(f"template file '{tmp_path / 'bad.toml'}': {expected}")
