"""Judging a turn: each protocol's reply patterns, decided on complete replies only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sockscope.core.steps import Step, judge, parse_expect, send_label, step_outcome


@pytest.mark.parametrize(
    ("protocol", "expect", "data", "ok"),
    [
        ("smtp", "250", b"250 OK\r\n", True),
        ("smtp", "2xx", b"251 forwarded\r\n", True),
        ("smtp", "250", b"550 mailbox unavailable\r\n", False),
        ("smtp", "25", b"252 cannot verify\r\n", True),
        ("nntp", "200|201", b"201 no posting\r\n", True),
        ("pop3", "+OK", b"+OK ready\r\n", True),
        ("pop3", "+ok", b"-ERR no\r\n", False),
        ("imap", "* OK", b"* OK [CAPABILITY IMAP4rev1] hi\r\n", True),
        ("imap", "a1 OK", b"* CAPABILITY IMAP4rev1\r\na1 OK done\r\n", True),
        ("imap", "a1 OK", b"* CAPABILITY IMAP4rev1\r\na1 NO sorry\r\n", False),
        ("imap", "a2 OK|* BYE", b"* BYE bye\r\n", True),
        ("redis", "+PONG", b"+PONG\r\n", True),
        ("redis", "+PONG", b"-NOAUTH Authentication required.\r\n", False),
        ("redis", "$", b"$5\r\nhello\r\n", True),
        ("redis", "$hello", b"$5\r\nhello\r\n", True),
        ("ftp", "226", b"150 opening\r\n226 done\r\n", True),
        (None, "SSH-2.0", b"SSH-2.0-OpenSSH_9.6\r\n", True),
        (None, "SSH-2.0", b"HTTP/1.1 400 Bad Request\r\n", False),
    ],
)
def test_a_complete_reply_decides_the_expectation(
    protocol: str | None, expect: str, data: bytes, ok: bool
) -> None:
    verdict = judge(Step(expect=expect), data, protocol)
    assert verdict is not None and verdict.ok is ok


@pytest.mark.parametrize(
    ("protocol", "expect", "data"),
    [
        ("smtp", "250", b""),
        ("smtp", "250", b"250-first line\r\n250-second\r\n"),
        ("smtp", "250", b"250 no line end yet"),
        ("ftp", "226", b"150 opening data connection\r\n"),
        ("imap", "a1 OK", b"* CAPABILITY IMAP4rev1\r\n"),
        ("nntp", "101", b"101 Capability list:\r\nVERSION 2\r\n"),
        ("redis", "$", b"$10\r\nhello"),
        (None, "SSH", b"SSH-2.0-"),
    ],
)
def test_an_unfinished_reply_decides_nothing_yet(
    protocol: str | None, expect: str, data: bytes
) -> None:
    assert judge(Step(expect=expect), data, protocol) is None


def test_until_with_expect_waits_for_the_delimiter_after_a_matching_status() -> None:
    step = Step(expect="+OK", until=b"\r\n.\r\n")
    assert judge(step, b"+OK list follows\r\n", "pop3") is None
    verdict = judge(step, b"+OK list follows\r\nUSER\r\n.\r\n", "pop3")
    assert verdict is not None and verdict.ok
    # A refusal needs no delimiter to be a failure.
    refused = judge(step, b"-ERR no CAPA here\r\n", "pop3")
    assert refused is not None and not refused.ok


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=60))
def test_the_verdict_on_the_whole_reply_does_not_depend_on_earlier_splits(cut: int) -> None:
    data = b"250-localhost\r\n250-SIZE 10\r\n250 HELP\r\n"
    step = Step(expect="250")
    early = judge(step, data[:cut], "smtp")
    assert early is None or cut >= len(data)
    assert judge(step, data, "smtp") == judge(step, data + b"221 bye\r\n", "smtp")


@pytest.mark.parametrize(
    ("protocol", "expect", "message"),
    [
        ("smtp", "25O", "must be a reply code such as 250, 2xx or 200|201, got '25O'"),
        ("pop3", "OK", "must be +OK, -ERR or + (a continuation), got 'OK'"),
        ("imap", "a1 OK extra", 'must be a tag and a status such as "* OK" or "a1 OK"'),
        ("redis", "PONG", "must start with a RESP type such as +, -, :, $ or *"),
        ("smtp", "250|", "is empty; give what the reply starts with"),
    ],
)
def test_a_malformed_pattern_is_one_plain_sentence(
    protocol: str, expect: str, message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        parse_expect(expect, protocol)
    assert str(raised.value).startswith(message), raised.value


def test_a_failed_step_says_what_was_expected_after_what_and_what_came() -> None:
    step = Step(send="RCPT TO:<bob@example.org>\\r\n", expect="250")
    data = b"503 5.5.1 Need MAIL before RCPT\r\n"
    context = send_label(b"RCPT TO:<bob@example.org>\r\n")
    outcome = step_outcome(2, step, context, judge(step, data, "smtp"), data=data)
    assert outcome.line == (
        "step 2 failed: expected 250 after RCPT TO:<bob@example.org>, "
        "got 503 5.5.1 Need MAIL before RCPT"
    )


def test_a_step_that_got_nothing_says_how_the_read_ended() -> None:
    outcome = step_outcome(
        1, Step(expect="220"), "connecting", None, data=b"", ended="idle: no data for 2 s"
    )
    assert (
        outcome.line
        == "step 1 failed: expected 220 after connecting, got nothing; idle: no data for 2 s"
    )


def test_silence_holds_only_when_the_read_ended_for_want_of_data() -> None:
    step = Step(silence=0.5)
    quiet = step_outcome(3, step, "NOOP", None, data=b"", ended="idle", quiet=True)
    closed = step_outcome(3, step, "NOOP", None, data=b"", ended="closed by server")
    assert quiet.ok and quiet.message == "silence for 0.5 s after NOOP"
    assert not closed.ok and closed.message.endswith("got closed by server")
