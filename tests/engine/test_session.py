"""Persistent sessions: connect once, send several times, each reply in the turn of the
send before it; half-close, close and reset as asked; the state always reported."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from sockscope.core.http import parse_response
from sockscope.core.model import (
    ErrorKind,
    Event,
    EventType,
    Overflow,
    ReadPolicy,
    StopReason,
    Target,
    TlsOptions,
    Transport,
)
from sockscope.core.turns import TURN_KEY, turns
from sockscope.engine import Action, Session, SessionState
from tests.engine.conftest import Servers

POLICY = ReadPolicy(connect_timeout=5.0)
# A failure guard only: every wait ends as soon as what it waits for happens.
WAIT = 10.0

S = SessionState


class Watch:
    """A session's callbacks, collected; tests wait on these instead of sleeping."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.events: list[Event] = []
        self.states: list[tuple[SessionState, str]] = []

    def on_event(self, event: Event) -> None:
        with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def on_state(self, state: SessionState, message: str) -> None:
        with self.changed:
            self.states.append((state, message))
            self.changed.notify_all()

    def until(self, done: Callable[[], bool], what: str) -> None:
        with self.changed:
            assert self.changed.wait_for(done, WAIT), f"gave up waiting for {what}"

    def reached(self, state: SessionState) -> str:
        """Wait for `state`; its message."""
        self.until(lambda: any(s is state for s, _ in self.states), f"state {state}")
        return next(m for s, m in self.states if s is state)

    def reply(self, turn: int) -> bytes:
        return b"".join(
            e.data
            for e in list(self.events)
            if e.type is EventType.RECV and e.detail.get(TURN_KEY) == turn
        )

    def reply_ends(self, turn: int, ending: bytes) -> bytes:
        self.until(lambda: self.reply(turn).endswith(ending), f"turn {turn} to end {ending!r}")
        return self.reply(turn)

    def sequence(self) -> list[SessionState]:
        with self.changed:
            return [s for s, _ in self.states]


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def open_session(watch: Watch) -> Iterator[Callable[..., Session]]:
    """Sessions connected and open; each is closed and its worker joined at teardown."""
    made: list[Session] = []

    def start(target: Target, policy: ReadPolicy = POLICY, **kwargs: object) -> Session:
        session = Session(
            target, policy, on_event=watch.on_event, on_state=watch.on_state, **kwargs
        )
        made.append(session)
        assert session.connect() is None
        watch.reached(S.OPEN)
        return session

    yield start
    for session in made:
        session.close()
        assert session.join(WAIT), "the session's worker thread did not end"


def test_an_smtp_dialogue_on_one_connection_puts_each_reply_in_its_turn(
    lab, watch: Watch, open_session: Callable[..., Session]
) -> None:
    # A session ignores the read policy's idle timeout and deadline: silence is normal.
    policy = replace(POLICY, idle_timeout=0.001, deadline=0.001)
    session = open_session(Target(lab.host, lab.port("smtp")), policy)

    greeting = watch.reply_ends(0, b"\r\n")
    assert greeting.startswith(b"220 ")
    assert session.send(b"EHLO me\r\n") is None
    assert watch.reply_ends(1, b"250 HELP\r\n").startswith(b"250-localhost")
    assert session.send(b"QUIT\r\n") is None
    assert watch.reply_ends(2, b"\r\n").startswith(b"221 ")
    message = watch.reached(S.PEER_CLOSED)
    assert message.startswith("the peer finished sending (EOF)")
    assert session.state is S.PEER_CLOSED

    assert session.close() is None
    assert session.join(WAIT)
    exchange = session.exchange()
    found = turns(exchange.events)
    assert [t.number for t in found] == [0, 1, 2]
    assert [t.request for t in found] == [b"", b"EHLO me\r\n", b"QUIT\r\n"]
    assert found[0].reply == greeting
    assert exchange.request == b"EHLO me\r\nQUIT\r\n"
    assert exchange.stop is StopReason.PEER_CLOSED
    assert exchange.events[-1].type is EventType.CLOSE
    assert watch.sequence() == [S.CONNECTING, S.OPEN, S.PEER_CLOSED, S.CLOSED]


def test_every_send_and_reply_is_tagged_with_the_turn_core_turns_agrees_with(
    lab, watch: Watch, open_session: Callable[..., Session]
) -> None:
    session = open_session(Target(lab.host, lab.port("echo")))
    for n, line in enumerate([b"one\n", b"two\n", b"three\n"], 1):
        assert session.send(line) is None
        assert watch.reply_ends(n, line) == line

    events = session.exchange().events
    tagged = [e for e in events if e.type in (EventType.SEND, EventType.RECV)]
    assert all(TURN_KEY in e.detail for e in tagged)
    untagged = [replace(e, detail={}) for e in events]
    assert [(t.request, t.reply) for t in turns(untagged)] == [
        (t.request, t.reply) for t in turns(events)
    ]
    assert [(t.request, t.reply) for t in turns(events)] == [
        (b"one\n", b"one\n"),
        (b"two\n", b"two\n"),
        (b"three\n", b"three\n"),
    ]


def test_a_large_message_to_an_echo_server_comes_back_whole_without_deadlock(
    lab, watch: Watch, open_session: Callable[..., Session]
) -> None:
    payload = bytes(range(256)) * 8192  # 2 MiB: more than both socket buffers hold
    session = open_session(Target(lab.host, lab.port("echo")))
    assert session.send(payload) is None
    watch.until(lambda: len(watch.reply(1)) == len(payload), "the whole echo")

    found = turns(session.exchange().events)
    assert [t.number for t in found] == [1]
    assert found[0].request == payload
    assert found[0].reply == payload
    assert found[0].sends > 1  # it went out in pieces, with reads in between


def test_half_close_lets_the_echo_server_finish_and_then_both_sides_are_done(
    lab, watch: Watch, open_session: Callable[..., Session]
) -> None:
    session = open_session(Target(lab.host, lab.port("echo")))
    assert session.send(b"last words\n") is None
    assert session.half_close() is None
    assert session.send(b"more") == "you half-closed the connection: nothing more can be sent"

    message = watch.reached(S.CLOSED)
    assert message.startswith("both sides finished sending: closed")
    assert watch.sequence() == [S.CONNECTING, S.OPEN, S.HALF_CLOSED, S.CLOSED]
    exchange = session.exchange()
    assert exchange.received == b"last words\n"
    assert EventType.SHUTDOWN in [e.type for e in exchange.events]
    assert exchange.stop is StopReason.PEER_CLOSED


def _recording_server(servers: Servers) -> tuple[int, list[object], threading.Event]:
    """A TCP server that reads until EOF or an error and records which it was."""
    seen: list[object] = []
    done = threading.Event()

    def handler(conn: socket.socket, release: threading.Event) -> None:
        try:
            while conn.recv(65536):
                pass
            seen.append("eof")
        except OSError as exc:
            seen.append(exc)
        finally:
            done.set()

    return servers.tcp(handler), seen, done


def test_close_is_graceful_the_peer_reads_an_end_of_stream(
    servers: Servers, watch: Watch, open_session: Callable[..., Session]
) -> None:
    port, seen, done = _recording_server(servers)
    session = open_session(Target("127.0.0.1", port))
    assert session.send(b"hello") is None
    assert session.close() is None

    assert done.wait(WAIT)
    assert seen == ["eof"]
    assert watch.reached(S.CLOSED).startswith("you closed the connection")
    assert session.exchange().sent == b"hello"  # queued sends go out before the close
    assert session.join(WAIT)
    assert session.exchange().stop is StopReason.CLOSED


def test_reset_makes_the_peer_see_connection_reset(
    servers: Servers, watch: Watch, open_session: Callable[..., Session]
) -> None:
    port, seen, done = _recording_server(servers)
    session = open_session(Target("127.0.0.1", port))
    assert session.reset() is None

    assert done.wait(WAIT)
    assert len(seen) == 1 and isinstance(seen[0], ConnectionResetError)
    assert watch.reached(S.RESET) == "you reset the connection (the peer sees a RST)"
    exchange = session.exchange()
    assert exchange.stop is StopReason.RESET
    assert exchange.error is None  # we did it: not a failure


def test_a_reset_from_the_peer_ends_the_session_with_state_reset(
    servers: Servers, watch: Watch, open_session: Callable[..., Session]
) -> None:
    def reset_after_a_line(conn: socket.socket, release: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(b"goodbye\n")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    session = open_session(Target("127.0.0.1", servers.tcp(reset_after_a_line)))
    assert session.send(b"hi\n") is None

    message = watch.reached(S.RESET)
    assert message.startswith("connection reset by peer")
    assert session.join(WAIT)
    exchange = session.exchange()
    assert exchange.error is not None and exchange.error.kind is ErrorKind.RESET
    assert [e.type for e in exchange.events][-2:] == [EventType.ERROR, EventType.CLOSE]
    assert session.send(b"again") == "the connection was reset: Connect again first"


def test_commands_in_the_wrong_state_are_refused_in_plain_words(
    lab, watch: Watch, open_session: Callable[..., Session]
) -> None:
    idle = Session(Target(lab.host, lab.port("echo")))
    assert idle.send(b"x") == "not connected: Connect first"
    assert idle.half_close() == "not connected: Connect first"
    assert idle.close() == "not connected: Connect first"
    assert idle.reset() == "not connected: Connect first"
    assert idle.why_not(Action.CONNECT) is None
    assert idle.state is S.IDLE

    session = open_session(Target(lab.host, lab.port("echo")))
    assert session.connect() == "already connected"
    assert session.send(b"") == "nothing to send: the message is empty"
    assert session.close() is None
    assert session.send(b"x") in (
        "the connection is closing",
        "the connection is closed: Connect again first",
    )
    assert session.join(WAIT)
    assert session.send(b"x") == "the connection is closed: Connect again first"
    assert session.connect() == "this session has ended (closed): start a new one to connect again"


def test_a_refused_connection_fails_with_the_reason(free_port: int, watch: Watch) -> None:
    session = Session(
        Target("127.0.0.1", free_port), POLICY, on_event=watch.on_event, on_state=watch.on_state
    )
    assert session.connect() is None
    message = watch.reached(S.FAILED)
    assert session.join(WAIT)

    assert message == f"connection refused by 127.0.0.1:{free_port}"
    assert watch.sequence() == [S.CONNECTING, S.FAILED]
    exchange = session.exchange()
    assert exchange.error is not None and exchange.error.kind is ErrorKind.REFUSED
    assert exchange.stop is StopReason.ERROR


def test_a_tls_session_sends_two_requests_on_one_connection(
    lab, watch: Watch, open_session: Callable[..., Session]
) -> None:
    target = Target(lab.host, lab.port("https"), Transport.TLS, tls=TlsOptions(ca_file=lab.ca_file))
    session = open_session(target)
    assert watch.reached(S.OPEN).startswith(f"connected to 127.0.0.1:{lab.port('https')} over TLS")
    assert session.half_close() == "TLS cannot close one direction only: use Close"

    def complete(turn: int) -> bool:
        parsed = parse_response(watch.reply(turn), eof=False)
        return parsed is not None and parsed.complete

    assert session.send(b"GET / HTTP/1.1\r\nHost: lab\r\n\r\n") is None
    watch.until(lambda: complete(1), "the first response")
    assert session.send(b"GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n") is None
    watch.until(lambda: complete(2), "the second response")
    watch.reached(S.PEER_CLOSED)

    found = turns(session.exchange().events)
    assert [t.number for t in found] == [1, 2]
    assert all(t.reply.startswith(b"HTTP/1.1 200") for t in found)
    assert EventType.TLS in [e.type for e in session.exchange().events]


def test_a_unix_stream_session_talks_and_half_closes(
    servers: Servers, short_dir: Path, watch: Watch, open_session: Callable[..., Session]
) -> None:
    def echo_lines(conn: socket.socket, release: threading.Event) -> None:
        with conn.makefile("rb") as lines:
            for line in lines:
                conn.sendall(line.upper())
        conn.sendall(b"BYE\n")

    path = servers.unix(short_dir / "s.sock", echo_lines)
    session = open_session(Target(str(path), None, Transport.UNIX))
    assert session.send(b"ping\n") is None
    assert watch.reply_ends(1, b"\n") == b"PING\n"
    assert session.half_close() is None

    assert watch.reached(S.CLOSED).startswith("both sides finished sending")
    assert watch.reply(1) == b"PING\nBYE\n"


def test_a_udp_session_sends_datagrams_and_each_reply_follows_its_send(
    lab, watch: Watch, open_session: Callable[..., Session]
) -> None:
    session = open_session(Target(lab.host, lab.port("echo", "udp"), Transport.UDP))
    assert (
        session.half_close() == "a datagram socket has no connection to half-close: Close ends it"
    )
    assert session.reset() == "a datagram socket has no connection to reset: Close ends it"
    for n, datagram in enumerate([b"one", b"two", b"three"], 1):
        assert session.send(datagram) is None
        assert watch.reply_ends(n, datagram) == datagram

    assert session.close() is None
    assert watch.reached(S.CLOSED).startswith("you closed the connection")
    recvs = [e for e in session.exchange().events if e.type is EventType.RECV]
    assert [e.data for e in recvs] == [b"one", b"two", b"three"]  # one event per datagram


def test_the_cancel_event_ends_a_quiet_session_and_its_thread(
    servers: Servers, watch: Watch, open_session: Callable[..., Session]
) -> None:
    port, _seen, done = _recording_server(servers)
    cancel = threading.Event()
    session = open_session(Target("127.0.0.1", port), cancel=cancel)
    cancel.set()

    assert watch.reached(S.CLOSED) == "cancelled"
    assert session.join(WAIT)
    assert done.wait(WAIT)  # the socket was closed
    assert session.exchange().stop is StopReason.CANCELLED


def test_close_while_connecting_gives_up(short_dir: Path, watch: Watch) -> None:
    # A Unix listener that never accepts, its backlog full, keeps a connect waiting.
    path = str(short_dir / "full.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen(0)
        waiting = []
        while True:
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.setblocking(False)
            waiting.append(client)
            if client.connect_ex(path) != 0:
                break
        try:
            session = Session(
                Target(path, None, Transport.UNIX),
                POLICY,
                on_event=watch.on_event,
                on_state=watch.on_state,
            )
            assert session.connect() is None
            assert session.connect() == "already connecting"
            assert session.send(b"x") == (
                "still connecting: wait until the connection is open (Close gives up)"
            )
            assert session.close() is None

            assert watch.reached(S.CLOSED) == "you closed the connection before it opened"
            assert session.join(WAIT)
            assert watch.sequence() == [S.CONNECTING, S.CLOSED]
        finally:
            for client in waiting:
                client.close()


def test_bytes_that_arrived_before_a_send_stay_in_the_turn_before_it(
    servers: Servers, watch: Watch, open_session: Callable[..., Session]
) -> None:
    sent = threading.Event()

    def greet_then_echo(conn: socket.socket, release: threading.Event) -> None:
        conn.sendall(b"early bird\n")
        sent.set()
        while data := conn.recv(65536):
            conn.sendall(data)

    session = open_session(Target("127.0.0.1", servers.tcp(greet_then_echo)))
    assert sent.wait(WAIT)  # on loopback the greeting is in our receive buffer now
    assert session.send(b"worm\n") is None

    assert watch.reply_ends(1, b"worm\n") == b"worm\n"
    assert watch.reply(0) == b"early bird\n"


def test_the_capture_limit_counts_for_the_whole_session(
    lab, watch: Watch, open_session: Callable[..., Session]
) -> None:
    session = open_session(Target(lab.host, lab.port("echo")), replace(POLICY, capture_limit=10))
    assert session.send(b"12345678\n") is None
    assert watch.reply_ends(1, b"\n") == b"12345678\n"
    assert session.send(b"abcdefgh\n") is None

    assert watch.reached(S.CLOSED) == "closed at the capture limit (10 bytes kept)"
    exchange = session.exchange()
    assert exchange.received == b"12345678\na"
    assert exchange.stop is StopReason.CAPTURE_LIMIT


def test_past_the_capture_limit_with_overflow_count_the_session_keeps_counting(
    lab, watch: Watch, open_session: Callable[..., Session]
) -> None:
    policy = replace(POLICY, capture_limit=6, overflow=Overflow.COUNT)
    session = open_session(Target(lab.host, lab.port("echo")), policy)
    expected = 0
    for line in [b"one\n", b"two\n", b"three\n"]:
        assert session.send(line) is None
        expected += len(line)
        watch.until(lambda n=expected: session.exchange().bytes_in == n, f"{expected} bytes")

    exchange = session.exchange()
    assert session.state is S.OPEN
    assert exchange.received == b"one\ntw"
    notes = [e.detail["message"] for e in exchange.events if e.type is EventType.INFO]
    assert notes == ["capture limit of 6 bytes reached: counting the rest without keeping it"]


def test_a_send_after_the_peer_finished_and_then_reset_ends_the_session_as_reset(
    servers: Servers, watch: Watch, open_session: Callable[..., Session]
) -> None:
    go, gone = threading.Event(), threading.Event()

    def finish_then_reset(conn: socket.socket, release: threading.Event) -> None:
        conn.recv(65536)
        conn.shutdown(socket.SHUT_WR)
        go.wait(WAIT)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        gone.set()

    session = open_session(Target("127.0.0.1", servers.tcp(finish_then_reset)))
    assert session.send(b"hello\n") is None
    watch.reached(S.PEER_CLOSED)
    assert session.send(b"still there?\n") is None  # half-open TCP: allowed
    watch.until(lambda: len(list(turns(watch.events))) == 2, "the second send")
    go.set()
    assert gone.wait(WAIT)
    assert session.send(b"hello?\n") is None

    assert watch.reached(S.RESET).startswith("connection reset by peer")
    assert watch.sequence() == [S.CONNECTING, S.OPEN, S.PEER_CLOSED, S.RESET]


def test_a_udp_session_to_a_closed_port_fails_with_the_icmp_reason(
    free_udp_port: int, watch: Watch, open_session: Callable[..., Session]
) -> None:
    session = open_session(Target("127.0.0.1", free_udp_port, Transport.UDP))
    assert session.send(b"anyone?") is None

    message = watch.reached(S.FAILED)
    assert (
        message == f"refused (ICMP port unreachable): nothing listens on 127.0.0.1:{free_udp_port}"
    )


def test_every_turns_reply_is_kept_once_in_the_sessions_one_buffer(
    servers: Servers, watch: Watch, open_session: Callable[..., Session]
) -> None:
    def big_replies(conn: socket.socket, release: threading.Event) -> None:
        with conn.makefile("rb") as lines:
            for line in lines:
                conn.sendall(line.strip() * 100_000 + b"\n")

    session = open_session(Target("127.0.0.1", servers.tcp(big_replies)))
    assert session.send(b"a\n") is None
    first = watch.reply_ends(1, b"\n")
    assert session.send(b"b\n") is None
    second = watch.reply_ends(2, b"\n")

    snapshot = session.exchange()
    kept = snapshot.kept_bytes
    assert kept == first + second == b"a" * 100_000 + b"\n" + b"b" * 100_000 + b"\n"
    assert isinstance(kept, memoryview)
    assert all(
        e.data.obj is kept.obj for e in snapshot.of_type(EventType.RECV) if len(e.data) >= 256
    )
