"""Telnet commands inside the byte stream: split from the text, described as the RFCs
write them, and answered without loops."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.analysis import analyse, shown_text
from sockscope.core.model import Event, EventType, Exchange, Target
from sockscope.core.telnet import (
    DO,
    ECHO,
    IAC,
    MAX_COMMANDS,
    MAX_PENDING,
    NAWS,
    SB,
    SE,
    SUPPRESS_GO_AHEAD,
    TERMINAL_TYPE,
    WILL,
    Negotiator,
    TelnetStream,
    split_telnet,
    telnet_replies,
    telnet_text,
)

# What inetutils telnetd opens with, then its banner.
OPENING = (
    b"\xff\xfb\x25\xff\xfb\x26\xff\xfd\x18\xff\xfd\x20"
    b"\xff\xfa\x18\x01\xff\xf0" + b"\r\nDebian login: "
)


def described(data: bytes) -> list[str]:
    return [command.describe() for command in split_telnet(data).commands]


def test_commands_are_described_as_the_rfcs_write_them_and_the_text_is_kept_apart() -> None:
    assert described(OPENING) == [
        "IAC WILL AUTHENTICATION",
        "IAC WILL ENCRYPT",
        "IAC DO TERMINAL-TYPE",
        "IAC DO TERMINAL-SPEED",
        "IAC SB TERMINAL-TYPE SEND IAC SE",
    ]
    assert telnet_text(OPENING) == b"\r\nDebian login: "


def test_a_doubled_iac_is_one_255_byte_of_text_and_unknown_options_are_numbered() -> None:
    data = b"a\xff\xffb" + bytes([IAC, DO, 200]) + bytes([IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE])
    assert telnet_text(data) == b"a\xffb"
    assert described(data) == ["IAC DO OPTION-200", "IAC SB NAWS 80x24 IAC SE"]


def test_a_command_cut_between_two_reads_is_completed_by_the_next() -> None:
    stream = TelnetStream()
    first = stream.feed(b"hi" + bytes([IAC, SB, TERMINAL_TYPE, 1, IAC]))
    second = stream.feed(bytes([SE]) + b"there")
    assert (first.text, first.commands) == (b"hi", [])
    assert second.text == b"there"
    assert [c.describe() for c in second.commands] == ["IAC SB TERMINAL-TYPE SEND IAC SE"]


def test_a_subnegotiation_that_never_ends_is_not_held_back_without_bound() -> None:
    stream = TelnetStream()
    pieces = [stream.feed(bytes([IAC, SB, TERMINAL_TYPE]))]
    pieces += [stream.feed(b"x" * 1024) for _ in range(64)]
    held = sum(len(piece.text) for piece in pieces)
    # What is not yet shown stays under a few KiB; the rest is shown as the bytes it is.
    assert 3 + 64 * 1024 - held <= MAX_PENDING
    assert pieces[-1].text == b"x" * 1024


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=200))
def test_any_bytes_split_alike_whole_or_in_two_pieces(data: bytes, cut: int) -> None:
    whole = split_telnet(data)
    stream = TelnetStream()
    a, b = stream.feed(data[:cut]), stream.feed(data[cut:])
    assert a.text + b.text == whole.text
    assert a.commands + b.commands == whole.commands


def test_by_default_every_option_is_refused() -> None:
    negotiator = Negotiator()
    asked = [c for c in split_telnet(bytes([IAC, WILL, ECHO, IAC, DO, TERMINAL_TYPE])).commands]
    assert negotiator.answer(asked) == bytes([IAC, 254, ECHO, IAC, 252, TERMINAL_TYPE])


def test_the_common_options_are_accepted_and_a_repeated_request_is_not_answered_again() -> None:
    negotiator = Negotiator.accepting_common()
    ask = split_telnet(
        bytes([IAC, WILL, ECHO, IAC, WILL, SUPPRESS_GO_AHEAD, IAC, DO, TERMINAL_TYPE])
    ).commands
    assert negotiator.answer(ask) == bytes(
        [IAC, DO, ECHO, IAC, DO, SUPPRESS_GO_AHEAD, IAC, WILL, TERMINAL_TYPE]
    )
    assert negotiator.answer(ask) == b""  # already agreed: answering again could loop
    send = split_telnet(bytes([IAC, SB, TERMINAL_TYPE, 1, IAC, SE])).commands
    assert negotiator.answer(send) == bytes([IAC, SB, TERMINAL_TYPE, 0, *b"dumb", IAC, SE])


def test_agreeing_to_naws_sends_the_window_size() -> None:
    answer = Negotiator.accepting_common().answer(split_telnet(bytes([IAC, DO, NAWS])).commands)
    assert described(answer) == ["IAC WILL NAWS", "IAC SB NAWS 80x24 IAC SE"]


def test_the_telnet_parser_lists_commands_as_replies_and_decoded_text_drops_them() -> None:
    exchange = Exchange(
        Target("127.0.0.1", 23),
        b"",
        events=[Event(EventType.RECV, 0.1, OPENING, len(OPENING))],
        template="telnet",
    )
    analysis = analyse(exchange, "telnet")
    assert analysis.protocol == "telnet"
    assert [f"{r.code} {r.lines[0]}" for r in analysis.replies][:3] == [
        "IAC WILL AUTHENTICATION",
        "IAC WILL ENCRYPT",
        "IAC DO TERMINAL-TYPE",
    ]
    assert shown_text(exchange.received, "telnet") == b"\r\nDebian login: "
    assert shown_text(exchange.received, None) == OPENING


def test_a_flood_of_commands_lists_the_first_and_names_what_is_left() -> None:
    nop = bytes([IAC, 241])
    data = b"a" + nop * (MAX_COMMANDS + 500)
    replies = telnet_replies(data)
    assert len(replies) == MAX_COMMANDS + 1
    assert replies[-1].lines == [
        "… 1,000 bytes more not parsed: replies are listed for the first 100,000 commands"
    ]
    assert telnet_text(data + b"z") == b"az"
