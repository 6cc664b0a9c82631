"""Bad input to `sockscope send`: one line naming the field and the fix, exit status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("args", "field", "fix"),
    [
        (["send", "localhost", "70000"], "PORT", "1-65535"),
        (["send", "localhost", "http"], "PORT", "not a number"),
        (["send", "localhost"], "PORT", "--template"),
        (["send", "", "80"], "HOST", "empty"),
        (["send", "localhost", "80", "--template", "nope"], "--template", "http-get"),
        (["send", "localhost", "80", "--hex", "41 4g"], "--hex: column 5", "hex"),
        (["send", "localhost", "80", "--data", "a\\qb"], "--data: column 2", "\\"),
        (["send", "localhost", "80", "--until", "\\xZZ"], "--until: column 1", "\\x0d"),
        (["listen", "0", "--reply", "\\xZ"], "--reply: column 1", "\\x0d"),
        (["listen", "0", "--reply-hex", "g"], "--reply-hex: column 1", "hex digit"),
        (["send", "localhost", "80", "--idle=-1"], "--idle", "positive"),
        (["send", "localhost", "80", "--deadline", "0"], "--deadline", "positive"),
        (["send", "localhost", "80", "--timeout", "soon"], "--timeout", "seconds"),
        (["send", "localhost", "80", "--max-bytes", "lots"], "--max-bytes", "64k"),
        (["send", "localhost", "80", "--encoding", "klingon"], "--encoding", "utf-8"),
        (["send", "--unix", "/tmp/" + "x" * 120], "--unix", "107"),
        (["send", "localhost", "80", "--set", "path"], "--set", "NAME=VALUE"),
        (["send", "localhost", "80", "--transport", "carrier-pigeon"], "transport", "tcp"),
    ],
)
def test_bad_field_is_named_with_its_fix_and_exits_2(cli, args, field, fix) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert field in lines[0] and fix in lines[0]
    assert "Traceback" not in result.err


# argparse reads `-1` as an option once a parser has options such as -4 and -6; a
# negative number must reach the option's own check, which names the valid range.
@pytest.mark.parametrize(
    ("args", "field", "valid"),
    [
        (["send", "localhost", "80", "--deadline", "-1"], "--deadline", "positive"),
        (["send", "localhost", "80", "--idle", "-1"], "--idle", "positive"),
        (["send", "localhost", "80", "-4", "--timeout", "-0.5"], "--timeout", "positive"),
        (["send", "localhost", "80", "--max-bytes", "-5"], "--max-bytes", "at least 1 byte"),
        (["send", "localhost", "80", "--capture-limit", "-5"], "--capture-limit", "at least 1"),
        (["send", "localhost", "-80"], "PORT", "1 to 65535"),
        (["connect", "localhost", "80", "--timeout", "-1"], "--timeout", "positive"),
        (["listen", "0", "--max-clients", "-3"], "--max-clients", "from 1"),
        (["listen", "0", "--linger", "-1"], "--linger", "positive"),
        (["listen", "0", "--idle", "-2"], "--idle", "positive"),
        (["listen", "0", "--capture-limit", "-1"], "--capture-limit", "at least 1 byte"),
        (["listen", "0", "--count", "-1"], "--count", "from 1"),
        (["listen", "0", "--count", "0"], "--count", "from 1"),
        (["relay", "0", "localhost:9", "--count", "-1"], "--count", "from 1"),
        (["relay", "0", "localhost:9", "--max-clients", "-1"], "--max-clients", "from 1"),
        (["relay", "0", "localhost:9", "--timeout", "-1"], "--timeout", "positive"),
        (["lab", "--port-base", "-1"], "--port-base", "1 to 64535"),
    ],
)
def test_a_negative_number_is_refused_with_the_option_and_its_valid_range(
    cli, args, field, valid
) -> None:
    result = cli(*args)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert field in lines[0] and valid in lines[0], lines[0]
    assert "expected one argument" not in lines[0]


def test_bad_input_from_a_real_shell_has_no_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sockscope", "send", "localhost", "99999"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "sockscope send: error: PORT: 99999 is outside 1-65535"


def test_unknown_template_for_the_explorer_is_refused_before_the_screen_opens(cli) -> None:
    result = cli("localhost", "80", "--template", "nope")
    assert result.code == 2
    assert "--template" in result.err


def test_templates_lists_every_built_in_with_port_and_transport(cli) -> None:
    result = cli("templates")
    assert result.code == 0
    for name, port in [("http-get", "80"), ("smtp", "25"), ("qotd-udp", "17"), ("echo", "7")]:
        line = next(line for line in result.out.splitlines() if line.startswith(name + " "))
        assert port in line
    assert "sockscope/templates" in result.out


def test_an_unexpected_error_is_one_sanitised_line_and_a_log_file(cli, monkeypatch) -> None:
    import sockscope.cli.templates as templates_command

    def explode(args: object) -> int:
        raise RuntimeError("server said \x1b]52;c;cHduZWQ=\x07 and \x9b2J")

    monkeypatch.setattr(templates_command, "list_templates", explode)
    result = cli("templates")
    assert result.code == 70
    line = result.err.strip()
    assert len(line.splitlines()) == 1
    assert "\x1b" not in line and "\x07" not in line and "\x9b" not in line
    assert "RuntimeError: server said" in line
    log = line.rsplit("details in ", 1)[1].rstrip(")")
    with open(log, encoding="utf-8") as details:
        assert "Traceback" in details.read()
