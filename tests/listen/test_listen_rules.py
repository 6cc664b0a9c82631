"""Listen replies chosen by what arrived: `--on PATTERN=REPLY` rules, the default reply,
server template files with [[rules]] and [[steps]], refused in one line when malformed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sockscope.cli import main
from sockscope.core.fields import FieldError
from sockscope.core.server_rules import (
    RuleResponder,
    ServerScript,
    load_server_template,
    parse_on,
    script_from_args,
)
from tests.listen.conftest import WAIT

SMTP_LIKE = """
default = "500 what?\\r\\n"
[[steps]]
reply = "220 hello\\r\\n"
[[steps]]
match = "^EHLO"
reply = "250 ok\\r\\n"
[[rules]]
match = "QUIT"
reply = "221 bye\\r\\n"
close = true
[[rules]]
match = "^NOOP"
reply = "250 noop\\r\\n"
"""


def _responder(*on: str, default: str | None = None, datagram: bool = False) -> RuleResponder:
    return RuleResponder(script_from_args(list(on), default), per_datagram=datagram)


def test_the_first_matching_rule_answers_with_its_reply_in_payload_syntax() -> None:
    responder = _responder("PING=+PONG\\r\\n", "P.NG=+second\\r\\n")
    assert responder.opening().data == b""
    assert responder.received(b"*1\r\n$4\r\nPING\r\n").data == b"+PONG\r\n"
    assert responder.received(b"PANG\r\n").data == b"+second\r\n"


def test_a_pattern_sees_every_byte_since_the_last_reply_so_a_split_request_matches() -> None:
    responder = _responder("^GET /a=A", default="no\\n")
    assert responder.received(b"GE").data == b""
    assert responder.received(b"T /a HTTP/1.1\r\n").data == b"A"


def test_the_default_answers_a_whole_line_no_rule_matched_not_a_partial_one() -> None:
    responder = _responder("PING=+PONG\\r\\n", default="-ERR unknown\\r\\n")
    assert responder.received(b"GET x").data == b""
    assert responder.received(b"\r\n").data == b"-ERR unknown\r\n"
    assert responder.received(b"tail without a line end").data == b""
    done = responder.client_done()
    assert done.data == b"-ERR unknown\r\n" and done.close


def test_over_udp_each_datagram_no_rule_matched_gets_the_default() -> None:
    responder = _responder("PING=pong", default="?", datagram=True)
    assert responder.received(b"hello").data == b"?"
    assert responder.received(b"PING").data == b"pong"


def test_an_equals_sign_in_a_pattern_is_written_as_an_escape() -> None:
    rule = parse_on("a\\x3db=yes")
    assert rule.pattern is not None and rule.pattern.search(b"a=b")
    assert rule.reply == b"yes"


def test_template_steps_run_in_order_then_the_rules_answer(tmp_path: Path) -> None:
    path = tmp_path / "smtp-like.toml"
    path.write_text(SMTP_LIKE)
    script = load_server_template(path)
    responder = RuleResponder(script)

    assert responder.opening().data == b"220 hello\r\n"
    assert responder.received(b"NOOP\r\n").data == b""  # the EHLO step waits
    assert responder.received(b"EHLO me\r\n").data == b"250 ok\r\n"
    assert responder.received(b"NOOP\r\n").data == b"250 noop\r\n"
    assert responder.received(b"HELP\r\n").data == b"500 what?\r\n"
    bye = responder.received(b"QUIT\r\n")
    assert bye.data == b"221 bye\r\n" and bye.close
    assert script.words == "2 steps, 2 rules, a default reply"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[[rules]]\nmatch = "("\nreply = "x"\n', "rules[0].match"),
        ('[[steps]]\nmatch = "(a|a)*b"\nreply = "x"\n', "steps[0].match"),
        ('[[rules]]\nreply = "x"\n', "rules[0].match"),
        ('[[rules]]\nmatch = "a"\nreply = "\\\\xZZ"\n', "rules[0].reply"),
        ('[[rules]]\nmatch = "a"\nreplay = "x"\n', "rules[0].replay"),
        ('[[steps]]\nreply = "x"\nclose = "yes"\n', "steps[0].close"),
        ("rules = 3\n", "rules"),
        ('nonsense = "x"\n', "nonsense"),
        ("this is not toml", "file"),
        ("", "file"),
    ],
)
def test_a_bad_template_file_is_refused_naming_the_file_and_the_field(
    text: str, field: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(FieldError) as refused:
        load_server_template(path)
    assert str(path) in str(refused.value) and f"{field}:" in str(refused.value)


@pytest.mark.parametrize("pattern", ["(a|a)*b", "(a+)+$", "(\\w+\\s?)*$", "(?:x{1,9}){1,9}y"])
def test_a_pattern_that_can_backtrack_for_hours_is_refused_before_any_client(
    pattern: str,
) -> None:
    # (a|a)*b on 40 a's holds the matcher (and with it every thread) for hours.
    with pytest.raises(FieldError, match="inside a repeat"):
        parse_on(f"{pattern}=x")


@pytest.mark.parametrize("pattern", ["^GET ", "[ab]*c", "(\\r\\n)+", "^(GET|POST) ", "(a+)*+"])
def test_patterns_without_nested_repeats_are_taken(pattern: str) -> None:
    assert parse_on(f"{pattern}=x").pattern is not None


def test_bad_rules_on_the_command_line_are_one_line_and_exit_2(capsys, tmp_path: Path) -> None:
    hostile = tmp_path / "\x1b]0;title\x07.toml"
    for argv in (
        ["0", "--on", "no equals sign"],
        ["0", "--on", "(=x"],
        ["0", "--on", "x{99999999999}=y"],  # a repeat count past what re can hold
        ["0", "--on", "a=b", "--reply", "x"],
        ["0", "--reply-template", str(hostile)],
    ):
        assert main(["listen", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "\x1b" not in err and "\x07" not in err


def test_a_listener_with_rules_answers_each_request_by_what_it_holds(listen_cli) -> None:
    running = listen_cli("0", "--on", "^hello=hi\\n", "--default-reply", "what?\\n")
    assert running.listening["reply"] == "1 rule, a default reply"
    with socket.create_connection(("127.0.0.1", running.listening["port"])) as client:
        client.settimeout(WAIT)
        client.sendall(b"hello there\n")
        assert client.recv(100) == b"hi\n"
        client.sendall(b"something else\n")
        assert client.recv(100) == b"what?\n"


def test_a_server_template_file_drives_a_dialogue(listen_cli, tmp_path: Path) -> None:
    path = tmp_path / "smtp-like.toml"
    path.write_text(SMTP_LIKE)
    running = listen_cli("0", "--reply-template", str(path))
    with socket.create_connection(("127.0.0.1", running.listening["port"])) as client:
        client.settimeout(WAIT)
        assert client.recv(100) == b"220 hello\r\n"
        client.sendall(b"EHLO me\r\n")
        assert client.recv(100) == b"250 ok\r\n"
        client.sendall(b"QUIT\r\n")
        got = b""
        while chunk := client.recv(100):
            got += chunk
    assert got == b"221 bye\r\n"  # and the listener closed its side


def test_rules_need_no_stream_they_answer_over_udp(listen_cli) -> None:
    running = listen_cli("0", "-t", "udp", "--on", "ping=pong")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(WAIT)
        client.sendto(b"ping", ("127.0.0.1", running.listening["port"]))
        assert client.recv(100) == b"pong"


def test_an_empty_script_is_described_as_replying_nothing() -> None:
    assert ServerScript().words == "nothing"
