"""Turns: each reply belongs to the send before it; the greeting is turn 0."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.model import Event, EventType, Exchange, Target, Transport
from sockscope.core.turns import TURN_KEY, turn_rows, turns


def send(t: float, data: bytes, turn: int | None = None) -> Event:
    detail = {} if turn is None else {TURN_KEY: turn}
    return Event(EventType.SEND, t, data, len(data), detail=detail)


def recv(t: float, data: bytes, size: int | None = None, turn: int | None = None) -> Event:
    detail = {} if turn is None else {TURN_KEY: turn}
    return Event(EventType.RECV, t, data, len(data) if size is None else size, detail=detail)


SMTP = [
    Event(EventType.CONNECT, 0.001),
    recv(0.002, b"220 ready\r\n"),
    send(0.010, b"EHLO me\r\n"),
    recv(0.011, b"250-hello\r\n"),
    recv(0.013, b"250 HELP\r\n"),
    send(0.020, b"QUIT\r\n"),
    recv(0.021, b"221 bye\r\n"),
    Event(EventType.CLOSE, 0.022),
]


def test_a_greeting_is_turn_zero_and_each_reply_belongs_to_the_send_before_it() -> None:
    found = turns(SMTP)

    assert [t.number for t in found] == [0, 1, 2]
    assert (found[0].request, found[0].reply) == (b"", b"220 ready\r\n")
    assert (found[1].request, found[1].reply) == (b"EHLO me\r\n", b"250-hello\r\n250 HELP\r\n")
    assert (found[2].request, found[2].reply) == (b"QUIT\r\n", b"221 bye\r\n")
    assert found[0].started is None
    assert found[1].started == 0.010
    assert (found[1].first_reply, found[1].last_reply) == (0.011, 0.013)
    assert found[1].replies == 2


def test_the_wait_for_a_reply_is_measured_from_the_send() -> None:
    found = turns(SMTP)

    assert found[0].waited is None  # nobody asked for the greeting
    assert round(found[2].waited or 0.0, 6) == 0.001


def test_a_message_sent_in_pieces_stays_one_turn_when_tagged() -> None:
    events = [
        send(0.1, b"a" * 10, turn=1),
        recv(0.15, b"a" * 4, turn=1),
        send(0.2, b"b" * 10, turn=1),
        recv(0.3, b"ab", turn=1),
        send(0.4, b"next", turn=2),
    ]
    found = turns(events)

    assert [(t.number, t.sent, t.sends, t.received) for t in found] == [
        (1, 20, 2, 6),
        (2, 4, 1, 0),
    ]


def test_a_send_without_reply_is_a_turn_of_its_own() -> None:
    found = turns([send(0.1, b"one"), send(0.2, b"two"), recv(0.3, b"2")])

    assert [(t.request, t.reply) for t in found] == [(b"one", b""), (b"two", b"2")]


def test_bytes_past_the_capture_limit_count_in_the_turn_but_are_not_kept() -> None:
    found = turns([send(0.1, b"go"), recv(0.2, b"abc", size=1000)])

    assert (found[0].reply, found[0].received) == (b"abc", 1000)


def test_turn_rows_say_who_spoke_when_and_how_much() -> None:
    exchange = Exchange(Target("127.0.0.1", 25), b"", events=SMTP)
    rows = turn_rows(exchange)

    assert [(r.turn, r.who, r.size) for r in rows] == [
        ("0", "peer", "11 bytes"),
        ("1", "you", "9 bytes"),
        ("1", "peer", "21 bytes"),
        ("2", "you", "6 bytes"),
        ("2", "peer", "9 bytes"),
    ]
    assert rows[1].t == "10.0 ms"
    assert rows[2].detail == "first byte after 1.00 ms · over 2.00 ms"
    assert rows[0].detail == ""


def test_turn_rows_count_datagrams_and_name_a_send_nobody_answered() -> None:
    events = [send(0.1, b"ping"), recv(0.2, b"pong"), recv(0.3, b"pong"), send(0.4, b"?")]
    rows = turn_rows(Exchange(Target("127.0.0.1", 7, Transport.UDP), b"", events=events))

    assert rows[1].detail.endswith("2 datagrams")
    assert (rows[2].who, rows[2].detail) == ("you", "no reply")


def test_a_cut_reply_says_how_much_was_not_kept() -> None:
    events = [send(0.1, b"go"), recv(0.2, b"abc", size=20_000)]
    rows = turn_rows(Exchange(Target("127.0.0.1", 7), b"", events=events))

    assert rows[1].detail.endswith("19.5 KiB not kept")


_EVENTS = st.lists(
    st.tuples(st.sampled_from([EventType.SEND, EventType.RECV, EventType.INFO]), st.binary()),
    max_size=30,
)


@given(_EVENTS)
def test_turns_share_out_every_byte_in_order(spec: list[tuple[EventType, bytes]]) -> None:
    events = [Event(kind, i / 10, data, len(data)) for i, (kind, data) in enumerate(spec)]
    exchange = Exchange(Target("h", 1), b"", events=events)
    found = turns(events)

    assert b"".join(t.request for t in found) == exchange.sent
    assert b"".join(t.reply for t in found) == exchange.received
    assert [t.number for t in found] == sorted({t.number for t in found})
    assert sum(t.sends for t in found) == sum(1 for k, _ in spec if k is EventType.SEND)
    assert all(t.number > 0 for t in found if t.sends)
