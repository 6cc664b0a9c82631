"""Where each reply and each of its lines (a telnet command, a dialogue step's reply) is
in the received bytes: what the Headers pane highlights in Received when its cursor is
on that row."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.replies import MAX_LINES, parse_replies
from sockscope.core.steps import StepKind, StepOutcome, step_spans
from sockscope.core.telnet import telnet_replies
from tests.core.test_replies import DIALOGUE_BYTES

PROTOCOLS = ["smtp", "ftp", "pop3", "imap", "nntp", "redis"]


def line_bytes(data: bytes, protocol: str) -> list[list[bytes]]:
    """The bytes of each line of each reply."""
    return [[data[a:b] for a, b in r.line_spans] for r in parse_replies(data, protocol)]


def reply_bytes(data: bytes, protocol: str) -> list[bytes]:
    replies = telnet_replies(data) if protocol == "telnet" else parse_replies(data, protocol)
    spans = [r.span for r in replies]
    return [data[span[0] : span[1]] for span in spans if span is not None]


def test_each_smtp_reply_line_is_its_bytes_with_the_line_end() -> None:
    data = b"220 mail.test ready\r\n250-mail.test\r\n250-SIZE 1000\r\n250 HELP\r\n"
    assert line_bytes(data, "smtp") == [
        [b"220 mail.test ready\r\n"],
        [b"250-mail.test\r\n", b"250-SIZE 1000\r\n", b"250 HELP\r\n"],
    ]
    assert reply_bytes(data, "smtp") == [
        b"220 mail.test ready\r\n",
        b"250-mail.test\r\n250-SIZE 1000\r\n250 HELP\r\n",
    ]


def test_an_smtp_reply_cut_by_another_code_ends_where_the_next_one_starts() -> None:
    data = b"250-first\r\n354 go ahead\r\n"
    assert reply_bytes(data, "smtp") == [b"250-first\r\n", b"354 go ahead\r\n"]


def test_a_reply_still_arriving_ends_at_the_last_byte() -> None:
    assert reply_bytes(b"220 ready\r\n250-mail", "smtp") == [b"220 ready\r\n", b"250-mail"]


def test_a_pop3_block_holds_its_lines_and_the_closing_dot() -> None:
    data = b"+OK 2 messages\r\n1 120\r\n..2 200\r\n.\r\n+OK bye\r\n"
    assert line_bytes(data, "pop3") == [
        [b"+OK 2 messages\r\n", b"1 120\r\n", b"..2 200\r\n"],
        [b"+OK bye\r\n"],
    ]
    assert reply_bytes(data, "pop3")[0].endswith(b"..2 200\r\n.\r\n")


def test_an_nntp_article_block_is_one_reply_of_its_lines() -> None:
    data = b"220 1 <a@b> article\r\nSubject: x\r\n\r\nbody\r\n.\r\n"
    assert line_bytes(data, "nntp") == [
        [b"220 1 <a@b> article\r\n", b"Subject: x\r\n", b"\r\n", b"body\r\n"]
    ]
    assert reply_bytes(data, "nntp") == [data]


def test_an_imap_literal_s_lines_are_the_literal_s_bytes() -> None:
    data = b"* 1 FETCH (BODY[] {12}\r\nhello\r\nworld)\r\na2 OK done\r\n"
    assert line_bytes(data, "imap") == [
        [b"* 1 FETCH (BODY[] {12}\r\n", b"hello\r\n", b"world", b")\r\n"],
        [b"a2 OK done\r\n"],
    ]


def test_a_redis_bulk_string_s_line_is_its_data_and_nil_is_its_header() -> None:
    data = b"*3\r\n$5\r\nhello\r\n$-1\r\n:42\r\n+OK\r\n"
    assert line_bytes(data, "redis") == [[b"hello", b"$-1\r\n", b":42\r\n"], [b"+OK\r\n"]]
    assert reply_bytes(data, "redis") == [b"*3\r\n$5\r\nhello\r\n$-1\r\n:42\r\n", b"+OK\r\n"]


def test_the_note_past_the_line_bound_names_the_bytes_left() -> None:
    data = b"250 x\r\n" * (MAX_LINES + 2)
    assert reply_bytes(data, "smtp")[-1] == b"250 x\r\n" * 2


@given(DIALOGUE_BYTES, st.sampled_from(PROTOCOLS))
def test_the_replies_cover_the_bytes_in_order_and_each_line_lies_in_its_reply(
    data: bytes, protocol: str
) -> None:
    replies = parse_replies(data, protocol)
    at = 0
    for reply in replies:
        assert reply.span is not None
        start, end = reply.span
        assert start == at and start <= end <= len(data)
        assert len(reply.line_spans) == len(reply.lines)
        assert all(start <= a <= b <= end for a, b in reply.line_spans)
        at = end
    assert at == len(data)


@pytest.mark.parametrize("protocol", ["smtp", "ftp", "pop3", "nntp"])
def test_a_line_s_text_comes_from_its_bytes(protocol: str) -> None:
    data = b"200 one\r\n200-two\r\n200 three\r\n"
    for reply in parse_replies(data, protocol):
        for line, (a, b) in zip(reply.lines, reply.line_spans, strict=True):
            assert line.encode() in data[a:b]


def test_each_step_s_reply_follows_the_steps_before_it() -> None:
    outcomes = [
        StepOutcome(1, StepKind.EXPECT, True, "220 after connecting", received=10),
        StepOutcome(2, StepKind.SEND, True, "sent QUIT", sent=6),
        StepOutcome(3, StepKind.EXPECT, True, "250 after EHLO", received=25),
        StepOutcome(4, StepKind.EXPECT, False, "expected 221", received=8),
    ]
    assert step_spans(outcomes, kept=100) == [(0, 10), None, (10, 35), (35, 43)]
    # Bytes past the capture limit were not kept: a span ends with what was.
    assert step_spans(outcomes, kept=30) == [(0, 10), None, (10, 30), None]


def test_each_telnet_command_row_is_the_bytes_of_that_command() -> None:
    data = b"\xff\xfd\x01login: \xff\xfa\x18\x01\xff\xf0\xff\xf1"
    assert reply_bytes(data, "telnet") == [
        b"\xff\xfd\x01",
        b"\xff\xfa\x18\x01\xff\xf0",
        b"\xff\xf1",
    ]
