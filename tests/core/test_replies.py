"""Reply parsers for the line protocols: how a dialogue splits into replies."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.replies import MAX_LINES, Reply, parse_replies


def summary(data: bytes, protocol: str) -> list[tuple]:
    return [(r.code, r.lines, r.multiline, r.complete) for r in parse_replies(data, protocol)]


# --- SMTP -----------------------------------------------------------------------------


def test_smtp_single_line_reply_has_its_code_and_text():
    assert summary(b"220 mail.test ESMTP ready\r\n", "smtp") == [
        ("220", ["mail.test ESMTP ready"], False, True)
    ]


def test_smtp_continuation_lines_make_one_multiline_reply():
    data = b"250-mail.test\r\n250-SIZE 1000\r\n250 HELP\r\n"
    assert summary(data, "smtp") == [("250", ["mail.test", "SIZE 1000", "HELP"], True, True)]


def test_smtp_code_alone_ends_a_reply():
    assert summary(b"250-first\r\n250\r\n", "smtp") == [("250", ["first", ""], True, True)]


def test_smtp_dialogue_gives_one_reply_per_answer():
    data = b"220 hi\r\n250-a\r\n250 b\r\n354 go ahead\r\n221 bye\r\n"
    assert [r.code for r in parse_replies(data, "smtp")] == ["220", "250", "354", "221"]


def test_smtp_reply_cut_mid_line_is_incomplete():
    assert summary(b"220 hi\r\n451 temp", "smtp")[-1] == ("451", ["temp"], False, False)


def test_smtp_multiline_reply_without_its_last_line_is_incomplete():
    assert summary(b"250-a\r\n250-b\r\n", "smtp") == [("250", ["a", "b"], True, False)]


def test_smtp_other_code_before_the_last_line_ends_the_open_reply_as_incomplete():
    assert summary(b"250-a\r\n550 no\r\n", "smtp") == [
        ("250", ["a"], False, False),
        ("550", ["no"], False, True),
    ]


def test_smtp_line_without_a_code_is_a_reply_of_its_own():
    assert summary(b"hello there\r\n220 hi\r\n", "smtp")[0] == (None, ["hello there"], False, True)


def test_smtp_bare_lf_lines_still_split():
    assert summary(b"250-a\n250 b\n", "smtp") == [("250", ["a", "b"], True, True)]


# --- FTP ------------------------------------------------------------------------------


def test_ftp_multiline_reply_runs_to_the_same_code_with_a_space():
    data = b"220-Welcome\r\n  to the lab\r\n123 not the end\r\n220 ready\r\n331 password\r\n"
    assert summary(data, "ftp") == [
        ("220", ["Welcome", "  to the lab", "123 not the end", "ready"], True, True),
        ("331", ["password"], False, True),
    ]


def test_ftp_lines_repeating_the_code_with_a_hyphen_lose_the_prefix():
    data = b"230-Hello\r\n230-Rules apply\r\n230 Logged in\r\n"
    assert summary(data, "ftp") == [("230", ["Hello", "Rules apply", "Logged in"], True, True)]


def test_ftp_multiline_reply_without_its_end_is_incomplete():
    assert summary(b"220-Welcome\r\nmore", "ftp") == [("220", ["Welcome", "more"], True, False)]


# --- POP3 -----------------------------------------------------------------------------


def test_pop3_status_lines_are_replies():
    data = b"+OK POP3 ready\r\n-ERR no such message\r\n+OK bye\r\n"
    assert summary(data, "pop3") == [
        ("+OK", ["POP3 ready"], False, True),
        ("-ERR", ["no such message"], False, True),
        ("+OK", ["bye"], False, True),
    ]


def test_pop3_block_after_ok_belongs_to_it_and_is_dot_unstuffed():
    data = b"+OK 2 messages\r\n1 120\r\n..2 200\r\n.\r\n+OK\r\n"
    assert summary(data, "pop3") == [
        ("+OK", ["2 messages", "1 120", ".2 200"], True, True),
        ("+OK", [""], False, True),
    ]


def test_pop3_empty_block_is_just_the_dot():
    assert summary(b"+OK\r\n.\r\n", "pop3") == [("+OK", [""], False, True)]


def test_pop3_block_without_its_dot_is_incomplete():
    assert summary(b"+OK message\r\nSubject: hi\r\n", "pop3") == [
        ("+OK", ["message", "Subject: hi"], True, False)
    ]


def test_pop3_sasl_challenge_is_a_plus_reply():
    assert summary(b"+ VXNlcm5hbWU6\r\n", "pop3") == [("+", ["VXNlcm5hbWU6"], False, True)]


# --- IMAP -----------------------------------------------------------------------------


def test_imap_untagged_tagged_and_continuation_replies_carry_their_tag():
    data = b"* OK [CAPABILITY IMAP4rev1] ready\r\n+ go ahead\r\na1 NO [AUTH] failed\r\n"
    replies = parse_replies(data, "imap")
    assert [(r.code, r.status, r.lines) for r in replies] == [
        ("*", "OK", ["OK [CAPABILITY IMAP4rev1] ready"]),
        ("+", None, ["go ahead"]),
        ("a1", "NO", ["NO [AUTH] failed"]),
    ]


def test_imap_data_response_has_no_status():
    assert parse_replies(b"* 23 EXISTS\r\n", "imap") == [
        Reply("*", ["23 EXISTS"], False, True, None)
    ]


def test_imap_literal_bytes_stay_in_the_same_reply():
    data = b"* 1 FETCH (BODY[] {12}\r\nhello\r\nworld)\r\na2 OK done\r\n"
    replies = parse_replies(data, "imap")
    assert [(r.code, r.lines, r.multiline, r.complete) for r in replies] == [
        ("*", ["1 FETCH (BODY[] {12}", "hello", "world", ")"], True, True),
        ("a2", ["OK done"], False, True),
    ]


def test_imap_literal_cut_short_is_incomplete():
    reply = parse_replies(b"* 1 FETCH (BODY[] {100}\r\npartial", "imap")[0]
    assert (reply.lines, reply.complete) == (["1 FETCH (BODY[] {100}", "partial"], False)


def test_imap_line_without_a_tag_and_space_has_no_code():
    assert summary(b"garbage\r\n", "imap") == [(None, ["garbage"], False, True)]


# --- NNTP -----------------------------------------------------------------------------


def test_nntp_status_line_is_a_single_line_reply():
    assert summary(b"200 news.test ready\r\n", "nntp") == [
        ("200", ["news.test ready"], False, True)
    ]


def test_nntp_article_block_is_part_of_its_reply_and_dot_unstuffed():
    data = b"220 1 <a@b>\r\nSubject: x\r\n\r\n..hidden\r\n.\r\n205 bye\r\n"
    assert summary(data, "nntp") == [
        ("220", ["1 <a@b>", "Subject: x", "", ".hidden"], True, True),
        ("205", ["bye"], False, True),
    ]


def test_nntp_211_has_a_block_only_when_article_numbers_follow():
    data = b"211 3 1 3 misc\r\n211 3 1 3 misc\r\n1\r\n2\r\n.\r\n"
    assert summary(data, "nntp") == [
        ("211", ["3 1 3 misc"], False, True),
        ("211", ["3 1 3 misc", "1", "2"], True, True),
    ]


def test_nntp_block_code_at_the_end_waits_for_its_block():
    assert summary(b"101 Capability list:\r\n", "nntp") == [
        ("101", ["Capability list:"], False, False)
    ]


# --- redis ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"+PONG\r\n", ("+", ["PONG"], False, True)),
        (b"-ERR unknown command\r\n", ("-", ["ERR unknown command"], False, True)),
        (b":1000\r\n", (":", ["1000"], False, True)),
        (b"$6\r\nfoobar\r\n", ("$", ["foobar"], False, True)),
        (b"$-1\r\n", ("$", ["(nil)"], False, True)),
        (b"$0\r\n\r\n", ("$", ['""'], False, True)),
        (b"_\r\n", ("_", ["(nil)"], False, True)),
        (b"*0\r\n", ("*", ["(empty array)"], False, True)),
        (b"$11\r\nline\r\nline2\r\n", ("$", ["line", "line2"], True, True)),
        (b"*2\r\n$3\r\nfoo\r\n:1\r\n", ("*", ["foo", "1"], True, True)),
        (b"*2\r\n*1\r\n+a\r\n+b\r\n", ("*", ["a", "b"], True, True)),
        (b"%1\r\n+key\r\n:7\r\n", ("%", ["key", "7"], True, True)),
        (b"*-1\r\n", ("*", ["(nil)"], False, True)),
    ],
)
def test_redis_values_are_one_reply_each(data, expected):
    assert summary(data, "redis") == [expected]


def test_every_redis_reply_has_a_line_to_show_so_the_count_matches_the_list():
    replies = parse_replies(b"+OK\r\n$-1\r\n*0\r\n$0\r\n\r\n", "redis")
    assert [reply.lines for reply in replies] == [["OK"], ["(nil)"], ["(empty array)"], ['""']]


def test_redis_bulk_cut_short_is_incomplete():
    assert summary(b"$10\r\nabc", "redis") == [("$", ["abc"], False, False)]


def test_redis_array_missing_elements_is_incomplete():
    assert summary(b"*3\r\n+a\r\n", "redis") == [("*", ["a"], False, False)]


def test_redis_line_that_is_no_resp_value_has_no_code():
    assert summary(b"hello\r\n+OK\r\n", "redis") == [
        (None, ["hello"], False, True),
        ("+", ["OK"], False, True),
    ]


# --- any protocol ---------------------------------------------------------------------


def test_unknown_protocol_is_a_value_error_naming_the_choices():
    with pytest.raises(ValueError, match="smtp"):
        parse_replies(b"", "gopher")


def test_undecodable_bytes_become_replacement_characters():
    assert parse_replies(b"250 caf\xe9\r\n", "smtp")[0].lines == ["caf\ufffd"]


@pytest.mark.parametrize("protocol", ["smtp", "ftp", "pop3", "imap", "nntp", "redis"])
def test_no_bytes_give_no_replies(protocol):
    assert parse_replies(b"", protocol) == []


PIECES = st.sampled_from(
    [b"\r\n", b"\n", b"250", b"-", b" ", b"+OK", b"-ERR", b".", b"..", b"* ", b"a1 ", b"{3}",
     b"{99999999999999999999}", b"$", b"*", b"%", b":", b"-1", b"3", b"OK", b"\x00", b"\xff"]
)  # fmt: skip
DIALOGUE_BYTES = st.one_of(st.binary(max_size=300), st.lists(PIECES, max_size=40).map(b"".join))


@given(DIALOGUE_BYTES, st.sampled_from(["smtp", "ftp", "pop3", "imap", "nntp", "redis"]))
def test_any_bytes_never_raise_and_lines_never_hold_a_line_break(data, protocol):
    replies = parse_replies(data, protocol)
    for reply in replies:
        assert all("\n" not in line for line in reply.lines)
        assert reply.multiline == (len(reply.lines) > 1)
    if data:
        assert replies


@pytest.mark.parametrize("protocol", ["smtp", "ftp", "pop3", "imap", "nntp", "redis"])
def test_a_flood_of_lines_lists_the_first_replies_and_names_what_is_left(protocol: str) -> None:
    # Millions of one-line replies became millions of objects (16 MB: 2.4 GB for --json).
    replies = parse_replies(b"+OK x\r\n" * (MAX_LINES + 1000), protocol)
    assert len(replies) == MAX_LINES + 1
    assert replies[-1].lines == [
        "… 7,000 bytes more not parsed: replies are listed for the first 100,000 lines"
    ]


@pytest.mark.parametrize(
    ("protocol", "data"),
    [
        ("redis", b"$%d\r\n" % (3 * MAX_LINES) + b"ab\n" * MAX_LINES + b"\r\n"),
        ("imap", b"* OK {%d}\r\n" % (3 * MAX_LINES) + b"ab\n" * MAX_LINES + b"\r\n"),
    ],
)
def test_the_lines_of_a_counted_run_count_against_the_same_bound(
    protocol: str, data: bytes
) -> None:
    lines = parse_replies(data, protocol)[0].lines
    assert len(lines) <= MAX_LINES
    assert "".join(lines).count("ab") == MAX_LINES  # past the bound, one line holds the rest
