"""Relay mode: stand between a real client and a real server and record both directions.

Each accepted client is one conversation with a thread of its own: it finishes the
client's TLS handshake (when relaying TLS), connects to the target with the engine's
Connection (resolve, connect, TLS, each a classified error when it fails), then copies
bytes both ways until both sides have finished. Everything lands in one Exchange seen as
the client's: `target` is the server, SEND events are the client's bytes and RECV events
the server's, and every event carries its `direction` (which side it happened on), so
both handshakes, both half-closes and a reset are told apart on one timeline.

Backpressure: a direction's buffer holds at most relay_stream.RELAY_BUFFER bytes, and its source is
read only while there is room, so a server that reads slowly slows the client down (the
kernel's buffers fill, then the client's send blocks) instead of growing memory. Past
`capture_limit` bytes in a direction the relay keeps relaying and counting, not keeping.

Half-close passes through: a side's EOF becomes shutdown(SHUT_WR) towards the other once
its bytes are delivered (for TLS, a close_notify); the conversation ends once both sides
finished sending. A reset passes through as a reset (SO_LINGER 0). A conversation with
nothing relayed either way for the idle time is closed on both sides.

UDP is in relay_udp.py. Clients above `max_clients` wait in the backlog, as in listen.
"""

from __future__ import annotations

import contextlib
import itertools
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sockscope.core.model import (
    Direction,
    Event,
    EventType,
    Exchange,
    Target,
    Transport,
)
from sockscope.core.sanitize import sanitize
from sockscope.core.views import human_bytes
from sockscope.engine.binding import ListenError, peer_of
from sockscope.engine.connection import POLL, Recorder
from sockscope.engine.listener import MAX_CLIENTS, STREAM_IDLE
from sockscope.engine.serving import BindPlan, ListenAddress, Serving, conversation_record

__all__ = ["Relay", "RelayConfig", "RelayError", "RelaySession"]

RelayError = ListenError


@dataclass(frozen=True)
class RelayConfig:
    target: Target  # the server: host and port (or Unix path), transport, TLS options
    host: str = "127.0.0.1"  # the address to listen on, or the Unix socket path
    port: int | None = 0  # 0: the OS picks; None when listening on a Unix socket
    listen_unix: bool = False
    max_clients: int = MAX_CLIENTS
    capture_limit: int = 1024 * 1024  # bytes kept per conversation and direction
    cert_file: str | None = None  # TLS towards the client: PEM chain; None: made at start
    key_file: str | None = None
    alpn: tuple[str, ...] = ("http/1.1",)  # offered to the client
    connect_timeout: float = 10.0  # to the server, TLS handshake included
    handshake_timeout: float = 10.0  # the client's TLS handshake
    idle_timeout: float = STREAM_IDLE  # nothing relayed either way this long: close both

    @property
    def listen_transport(self) -> Transport:
        if self.listen_unix:
            return Transport.UNIX
        if self.target.transport in (Transport.TLS, Transport.UDP):
            return self.target.transport
        return Transport.TCP


# Callback types; they run on the relay's threads (one per conversation).
SessionCallback = Callable[["RelaySession"], None]
EventCallback = Callable[["RelaySession", Event], None]
FinishedCallback = Callable[["RelaySession", Exchange], None]
NoteCallback = Callable[[str, dict[str, Any]], None]


@dataclass
class RelaySession:
    """One client's relayed conversation; `exchange` grows while it runs."""

    number: int  # 1, 2, 3... in the order clients arrived
    peer: str  # the client: "127.0.0.1:50312", or "pid 123 (uid 1000)" on a Unix socket
    exchange: Exchange
    closing: threading.Event = field(default_factory=threading.Event)

    @property
    def finished(self) -> bool:
        return self.exchange.finished

    def close(self) -> None:
        """End the conversation: both sides are closed (from any thread)."""
        self.closing.set()


class Relay(Serving):
    """Bind with `start()`, relay on threads until `stop()` (or `cancel` is set)."""

    def __init__(
        self,
        config: RelayConfig,
        *,
        on_client: SessionCallback | None = None,
        on_event: EventCallback | None = None,
        on_finished: FinishedCallback | None = None,
        on_note: NoteCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        super().__init__(cancel)
        self.config = config
        self.sessions: list[RelaySession] = []
        self.on_client = on_client
        self.on_event = on_event
        self.on_finished = on_finished
        self.on_note = on_note
        self._numbers = itertools.count(1)
        self._slots = threading.BoundedSemaphore(config.max_clients)
        self._threads: list[threading.Thread] = []
        self._limit_said = False  # the max-clients note, once per time the limit is hit

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> ListenAddress:
        """Bind and start relaying; raises RelayError with a plain sentence."""
        config = self.config
        transport = config.listen_transport
        plan = BindPlan(
            config.host, config.port, transport, config.cert_file, config.key_file, config.alpn
        )
        note = self._bind(plan)
        assert self._server is not None and self.address is not None
        if note:
            self.note(note)
        if transport is Transport.UDP:
            from sockscope.engine.relay_udp import DatagramRelay

            loop: Callable[[], None] = DatagramRelay(self, self._server).serve
        else:
            loop = self._accept_loop
        self._run(loop, "sockscope-relay")
        return self.address

    def __enter__(self) -> Relay:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def note(self, message: str, **facts: Any) -> None:
        if self.on_note is not None:
            with contextlib.suppress(Exception):
                self.on_note(message, facts)

    # ---- accepting ---------------------------------------------------------------------

    def _accept_loop(self) -> None:
        server = self._server
        assert server is not None
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(server, selectors.EVENT_READ)
                while not self.cancel.is_set():
                    if not self._slot():
                        continue
                    if not selector.select(POLL):
                        self._slots.release()
                        continue
                    started = time.monotonic()
                    try:
                        sock, sockaddr = server.accept()
                    except (BlockingIOError, InterruptedError):
                        self._slots.release()
                        continue
                    except OSError as exc:  # EMFILE and friends: say so, keep serving
                        self._slots.release()
                        self.note(f"accept failed: {sanitize(exc.strerror or str(exc))}")
                        self.cancel.wait(POLL)
                        continue
                    self._begin(sock, sockaddr, started)
        finally:
            for thread in self._threads:
                thread.join()
            self._release()

    def _slot(self) -> bool:
        """Take a conversation slot; at the limit, say so once and wait (clients wait in
        the backlog meanwhile). False when none freed within a poll."""
        if self._slots.acquire(blocking=False):
            return True
        if not self._limit_said:
            self._limit_said = True
            self.note(
                f"the max-clients limit of {self.config.max_clients} is reached: "
                "new clients wait in the backlog until one ends"
            )
        if self._slots.acquire(timeout=POLL):
            self._limit_said = False
            return True
        return False

    def _begin(self, sock: socket.socket, sockaddr: Any, started: float) -> None:
        accepted = time.monotonic()
        peer, facts = peer_of(sock, sockaddr)
        session, recorder = self.new_session(peer, started)
        facts["listener"] = self.address.label if self.address else ""
        if sock.family != socket.AF_UNIX:
            facts["local"] = _label(sock.getsockname())
        facts["duration"] = accepted - started
        self.announce(session)
        recorder.emit(EventType.CONNECT, detail=facts, at=accepted)
        from sockscope.engine.relay_stream import StreamConversation

        conversation = StreamConversation(self, session, recorder, sock)
        thread = threading.Thread(
            target=conversation.run, name=f"sockscope-relay-{session.number}", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    # ---- what both kinds of conversation share ------------------------------------------

    def new_session(self, peer: str, started: float) -> tuple[RelaySession, Recorder]:
        """A numbered session for a new client, and its client-side recorder (times from
        the monotonic `started`)."""
        config = self.config
        exchange, recorder = conversation_record(
            config.target,
            connect_timeout=config.connect_timeout,
            idle_timeout=config.idle_timeout,
            capture_limit=config.capture_limit,
            started=started,
        )
        recorder.direction = Direction.CLIENT
        session = RelaySession(next(self._numbers), peer, exchange)
        if self.on_event is not None:
            recorder.on_event = _quiet(self.on_event, session)
        self.sessions.append(session)
        return session, recorder

    def announce(self, session: RelaySession) -> None:
        if self.on_client is not None:
            with contextlib.suppress(Exception):
                self.on_client(session)

    def finished(self, session: RelaySession) -> None:
        if self.on_finished is not None:
            with contextlib.suppress(Exception):
                self.on_finished(session, session.exchange)


def server_side(recorder: Recorder) -> Recorder:
    """A recorder for the server's side of a conversation: the same events, times and
    callback as the client's `recorder`, each event marked as the server's."""
    side = Recorder(recorder.on_event)
    side.events = recorder.events
    side.t0 = recorder.t0
    side.direction = Direction.SERVER
    return side


def capture_note(direction: Direction, limit: int) -> str:
    whose = "the client's" if direction is Direction.CLIENT else "the server's"
    return (
        f"capture limit of {human_bytes(limit)} reached for {whose} bytes: "
        "relaying and counting the rest without keeping it"
    )


def _quiet(callback: EventCallback, session: RelaySession) -> Callable[[Event], None]:
    """The event callback for `session`; a failing one is dropped, never the relay."""

    def call(event: Event) -> None:
        with contextlib.suppress(Exception):
            callback(session, event)

    return call


def _label(sockaddr: Any) -> str:
    return Target(sockaddr[0], sockaddr[1]).label
