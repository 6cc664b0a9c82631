"""Listen mode: be the server, accept clients, and record what each one really sends.

One thread runs a selector over the listening socket and every client, so a session's
`send()` and `close()` from any thread are handed to that thread (TLS sockets must not be
read and written from two threads). Each accepted connection is its own conversation,
recorded as an Exchange whose events are the usual ones seen from the server's side:
CONNECT (the client arrived; `peer`), TLS (`sni`, `alpn`), RECV (the client's bytes),
SEND (our replies), SHUTDOWN (we finished sending), CLOSE, ERROR, INFO.

Every conversation ends after `idle_timeout` seconds in which nothing moved either way
(STREAM_IDLE for TCP, TLS and Unix when None, UDP_IDLE for UDP), so silent clients cannot
hold the client slots for ever.

UDP (see listen_udp.py): one conversation per client address, ended by its silence;
every datagram is a RECV event of its own, every reply
(`send()`, a responder's answer) one datagram to that address. Only responders with
`datagram` set (echo, fixed replies) may answer over UDP; `start()` refuses the others.

The Exchange's `target` is the client as seen from here: its address and port (for Unix
sockets, which rarely have a client address, the listening path and no port), with the
transport, and for TLS `tls.server_name` = the client's SNI and `tls.alpn` = what we offer.
`request` is every byte we sent and kept (replies are the "request" of a listening
conversation).

Limits: with `max_clients` conversations open the listener stops accepting until one
ends, as `socat ... fork,max-children=N` does: new clients wait in the kernel's backlog
and are served, in order, the moment a slot frees; a note says the limit was reached. A
slot frees as soon as its client goes (EOF, reset), is idle too long, or we close it.
Over UDP, where nothing can wait, a new address's datagrams are dropped, noted once.
Past `capture_limit` bytes in either direction the rest is counted, not kept
(listen_conversation.py), so one client costs at most twice the limit in recorded bytes.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import queue
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sockscope.core.model import (
    ErrorInfo,
    ErrorKind,
    Event,
    EventType,
    Exchange,
    StopReason,
    Target,
    TlsOptions,
    Transport,
)
from sockscope.core.responders import Answer, Responder, datagram_refusal
from sockscope.core.sanitize import sanitize
from sockscope.engine.binding import ListenError, peer_of
from sockscope.engine.connection import COALESCE_BYTES, POLL, Recorder
from sockscope.engine.errors import seconds
from sockscope.engine.listen_conversation import Conversation
from sockscope.engine.listen_udp import UDP_IDLE, DatagramEndpoint
from sockscope.engine.server_tls import client_facts
from sockscope.engine.serving import BindPlan, ListenAddress, Serving, conversation_record

__all__ = ["ClientSession", "ListenAddress", "ListenConfig", "ListenError", "Listener"]

READ_SIZE = 256 * 1024
READS_PER_TURN = 4  # per readable client and loop turn, so one flood cannot starve the rest
OUT_LIMIT = 4 * 1024 * 1024  # unsent reply bytes at which we stop reading that client
ACCEPTS_PER_TURN = 32
_WOULD_BLOCK = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
_RESETS = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
# Seconds a TCP, TLS or Unix client may stay without a byte either way, unless told.
STREAM_IDLE = 30.0
# The limit of ncat's --max-conns: room for a load tool's 50 connections beside a few
# that hang, while the bytes kept stay bounded (twice the capture limit per client).
MAX_CLIENTS = 100
# How often the "limit reached" note may repeat while clients come and go at the limit.
LIMIT_NOTE_EVERY = 10.0


def default_idle(transport: Transport) -> float:
    """The idle timeout a conversation over `transport` gets when none is given."""
    return UDP_IDLE if transport is Transport.UDP else STREAM_IDLE


@dataclass(frozen=True)
class ListenConfig:
    host: str = "127.0.0.1"  # the address to bind, or the Unix socket path
    port: int | None = 0  # 0: the OS picks; None for Unix
    transport: Transport = Transport.TCP  # TCP, TLS, UDP or UNIX
    max_clients: int = MAX_CLIENTS  # open conversations; more clients wait (TCP, TLS, Unix)
    capture_limit: int = 1024 * 1024  # bytes kept per client and direction
    cert_file: str | None = None  # TLS: PEM chain (and key); None: made at start
    key_file: str | None = None
    alpn: tuple[str, ...] = ("http/1.1",)  # offered; we speak HTTP/1.1 whatever is chosen
    handshake_timeout: float = 10.0
    linger: float = 2.0  # after our last reply, how long the client may stay
    # Close a client with nothing moving either way this long; None: default_idle().
    idle_timeout: float | None = None

    @property
    def idle(self) -> float:
        """The idle timeout in force: the one given, or the transport's default."""
        return default_idle(self.transport) if self.idle_timeout is None else self.idle_timeout


# Callback types; every callback runs on the listener's thread.
ClientCallback = Callable[["ClientSession"], None]
EventCallback = Callable[["ClientSession", Event], None]
FinishedCallback = Callable[["ClientSession", Exchange], None]
NoteCallback = Callable[[str, dict[str, Any]], None]
ResponderFactory = Callable[[], Responder | None]


class ClientSession:
    """One client's conversation. `send` and `close` may be called from any thread."""

    def __init__(self, listener: Listener, number: int, peer: str, exchange: Exchange) -> None:
        self.number = number  # 1, 2, 3... in the order clients arrived
        self.peer = peer  # "127.0.0.1:50312", or "pid 123 (uid 1000)" on a Unix socket
        self.exchange = exchange  # live: events are appended by the listener thread
        self._listener = listener

    @property
    def finished(self) -> bool:
        return self.exchange.finished

    def send(self, data: bytes) -> None:
        """Queue `data` for this client; a SEND event follows once it is written.
        Over UDP `data` is one datagram (sendto the client's address); b"" sends nothing."""
        self._listener._post(self, Answer(data))

    def close(self) -> None:
        """Finish sending (queued bytes first), then close once the client goes or lingers.
        Over UDP: stop replying; the conversation ends `linger` seconds later."""
        self._listener._post(self, Answer(close=True))


class Listener(Serving):
    """Bind with `start()`, serve on a thread until `stop()` (or `cancel` is set)."""

    def __init__(
        self,
        config: ListenConfig = ListenConfig(),
        *,
        responder: ResponderFactory | None = None,
        on_client: ClientCallback | None = None,
        on_event: EventCallback | None = None,
        on_finished: FinishedCallback | None = None,
        on_note: NoteCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        super().__init__(cancel)
        self.config = config
        self.sessions: list[ClientSession] = []  # every client so far, in arrival order
        self._accepting = False  # the listening stream socket is in the selector
        self._limit_noted_at: float | None = None
        self._responder = responder
        self._on_client = on_client
        self._on_event = on_event
        self._on_finished = on_finished
        self._on_note = on_note
        self._selector = selectors.DefaultSelector()
        self._clients: dict[ClientSession, Conversation] = {}
        self._datagrams: DatagramEndpoint | None = None
        self._inbox: queue.SimpleQueue[tuple[ClientSession, Answer]] = queue.SimpleQueue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._numbers = itertools.count(1)

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> ListenAddress:
        """Bind and start serving; raises ListenError with a plain sentence."""
        config = self.config
        try:
            self._check_transport()
        except BaseException:
            self._release()
            raise
        plan = BindPlan(
            config.host,
            config.port,
            config.transport,
            config.cert_file,
            config.key_file,
            config.alpn,
        )
        note = self._bind(plan)
        assert self._server is not None and self.address is not None
        if config.transport is Transport.UDP:
            self._server.setblocking(False)
            self._datagrams = DatagramEndpoint(self, self._server)
            self._selector.register(self._server, selectors.EVENT_READ, self._datagrams.ready)
        else:
            self._resume_accepting()
        self._selector.register(self._wake_r, selectors.EVENT_READ, self._drain_wakeups)
        self._wake_r.setblocking(False)
        if note:
            self._note(note)
        self._run(self._serve, "sockscope-listen")
        return self.address

    def _check_transport(self) -> None:
        transport = self.config.transport
        if transport not in (Transport.UNIX, Transport.TCP, Transport.TLS, Transport.UDP):
            raise ListenError("--transport", f"cannot listen on {transport.value}")
        if transport is not Transport.UDP:
            return
        responder = self._responder() if self._responder is not None else None
        refusal = datagram_refusal(responder) if responder is not None else None
        if refusal is not None:
            raise ListenError("--reply-template", refusal)

    def __enter__(self) -> Listener:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _release(self) -> None:
        with contextlib.suppress(Exception):
            self._selector.close()
        for sock in (self._wake_r, self._wake_w):
            sock.close()
        super()._release()

    # ---- the loop --------------------------------------------------------------------

    def _serve(self) -> None:
        try:
            while not self.cancel.is_set():
                for key, mask in self._selector.select(self._next_wait()):
                    key.data(mask)
                self._drain_inbox()
                self._check_clocks()
        finally:
            for client in list(self._clients.values()):
                client.drain()
                if client.session in self._clients:
                    client.finish(StopReason.CANCELLED, f"listener stopped{client.after()}")
            self._release()

    def _next_wait(self) -> float:
        wait = POLL
        now = time.monotonic()
        for client in self._clients.values():
            due = client.flush_due()
            if due is not None:
                wait = min(wait, due - now)
            if client.deadline is not None:
                wait = min(wait, client.deadline - now)
        return max(wait, 0.0)

    def _check_clocks(self) -> None:
        now = time.monotonic()
        for client in list(self._clients.values()):
            due = client.flush_due()
            if due is not None and now >= due:
                client.flush()
            if client.deadline is not None and now >= client.deadline:
                client.timed_out()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def _drain_wakeups(self, _mask: int) -> None:
        with contextlib.suppress(OSError):
            while self._wake_r.recv(4096):
                pass

    def _post(self, session: ClientSession, answer: Answer) -> None:
        self._inbox.put((session, answer))
        self._wake()

    def _drain_inbox(self) -> None:
        while True:
            try:
                session, answer = self._inbox.get_nowait()
            except queue.Empty:
                return
            client = self._clients.get(session)
            if client is not None:
                client.answer(answer)

    def _note(self, message: str, **facts: Any) -> None:
        if self._on_note is not None:
            with contextlib.suppress(Exception):
                self._on_note(message, facts)

    # ---- accepting ---------------------------------------------------------------------

    def _accept(self, _mask: int) -> None:
        assert self._server is not None
        for _ in range(ACCEPTS_PER_TURN):
            if len(self._clients) >= self.config.max_clients:
                self._pause_accepting()
                return
            started = time.monotonic()
            try:
                sock, sockaddr = self._server.accept()
            except _WOULD_BLOCK:
                return
            except OSError as exc:  # EMFILE and friends: say so, keep serving the others
                self._note(f"accept failed: {sanitize(exc.strerror or str(exc))}")
                return
            accepted = time.monotonic()
            self._admit(sock, sockaddr, started, accepted)

    def _pause_accepting(self) -> None:
        """At the client limit: leave new connections in the kernel's backlog."""
        if not self._accepting:
            return
        assert self._server is not None
        self._selector.unregister(self._server)
        self._accepting = False
        now = time.monotonic()
        if self._limit_noted_at is None or now - self._limit_noted_at >= LIMIT_NOTE_EVERY:
            self._limit_noted_at = now
            self._note(
                f"the max-clients limit of {self.config.max_clients} is reached: "
                "new clients wait in the backlog until one ends"
            )

    def _resume_accepting(self) -> None:
        if self._accepting or self._server is None or self.cancel.is_set():
            return
        self._selector.register(self._server, selectors.EVENT_READ, self._accept)
        self._accepting = True

    def _ended(self) -> None:
        """A conversation ended: its slot is free for whoever waits in the backlog."""
        if self._datagrams is None and len(self._clients) < self.config.max_clients:
            self._resume_accepting()

    def _admit(self, sock: socket.socket, sockaddr: Any, started: float, accepted: float) -> None:
        """A new stream client, accept()ed between the monotonic times `started`, `accepted`."""
        config = self.config
        peer, facts = peer_of(sock, sockaddr)
        if sock.family == socket.AF_UNIX:
            target = Target(config.host, None, Transport.UNIX)
        else:
            target = Target(
                sockaddr[0],
                sockaddr[1],
                config.transport,
                tls=TlsOptions(verify=False, alpn=config.alpn)
                if config.transport is Transport.TLS
                else TlsOptions(),
            )
        session, recorder = self._new_session(target, peer, started)
        client = _Client(self, session, sock, recorder)
        self._welcome(client, facts, accepted)
        sock.setblocking(False)
        if self._context is not None:
            try:
                client.sock = self._context.wrap_socket(
                    sock, server_side=True, do_handshake_on_connect=False
                )
            except (OSError, ssl.SSLError) as exc:
                client.failed(exc)
                return
            client.deadline = time.monotonic() + config.handshake_timeout
            self._selector.register(client.sock, selectors.EVENT_READ, client.ready)
            return
        self._selector.register(sock, selectors.EVENT_READ, client.ready)
        client.opened()

    def _new_session(
        self, target: Target, peer: str, started: float
    ) -> tuple[ClientSession, Recorder]:
        """A numbered session for a new client, and its recorder (times counted from the
        monotonic `started`)."""
        config = self.config
        exchange, recorder = conversation_record(
            target,
            connect_timeout=config.handshake_timeout,
            idle_timeout=config.idle,
            capture_limit=config.capture_limit,
            started=started,
        )
        session = ClientSession(self, next(self._numbers), peer, exchange)
        if self._on_event is not None:
            recorder.on_event = functools.partial(self._on_event, session)
        self.sessions.append(session)
        return session, recorder

    def _welcome(self, client: Conversation, facts: dict[str, Any], at: float) -> None:
        """Count `client` in, tell `on_client`, record its CONNECT event, which happened
        at the monotonic time `at`, and give it a fresh responder."""
        self._clients[client.session] = client
        if self._on_client is not None:
            with contextlib.suppress(Exception):
                self._on_client(client.session)
        assert self.address is not None
        client.emit(EventType.CONNECT, detail={**facts, "listener": self.address.label}, at=at)
        if self._responder is not None:
            try:
                client.responder = self._responder()
            except Exception as exc:  # a broken reply must not stop the listener accepting
                message = f"no reply for this client: making the reply failed ({exc!r:.80})"
                client.emit(EventType.INFO, detail={"message": message})


class _Client(Conversation):
    """The listener thread's state for one stream connection (TCP, TLS, Unix)."""

    coalesce_sends = True

    def __init__(
        self,
        listener: Listener,
        session: ClientSession,
        sock: socket.socket,
        recorder: Recorder,
    ) -> None:
        super().__init__(listener, session, recorder)
        self.sock = sock
        self.handshaking = listener._context is not None
        self.out = bytearray()
        self.close_after = False  # stop sending once `out` is empty
        self.client_done = False
        self._idle_reset()

    # ---- readiness ---------------------------------------------------------------------

    def ready(self, mask: int) -> None:
        if self.handshaking:
            self._handshake()
            return
        if mask & selectors.EVENT_WRITE:
            self._write()
        if mask & selectors.EVENT_READ and self.session in self.listener._clients:
            self._read()
        self._interest()

    def _interest(self) -> None:
        if self.session not in self.listener._clients:
            return
        # A client that does not read our replies stops being read, so `out` stays bounded.
        want = selectors.EVENT_WRITE if len(self.out) >= OUT_LIMIT else selectors.EVENT_READ
        if self.out:
            want |= selectors.EVENT_WRITE
        self.listener._selector.modify(self.sock, want, self.ready)

    def _handshake(self) -> None:
        sock = self.sock
        assert isinstance(sock, ssl.SSLSocket)
        try:
            sock.do_handshake()
            done = time.monotonic()
        except ssl.SSLWantReadError:
            self.listener._selector.modify(sock, selectors.EVENT_READ, self.ready)
            return
        except ssl.SSLWantWriteError:
            self.listener._selector.modify(sock, selectors.EVENT_WRITE, self.ready)
            return
        except (OSError, ssl.SSLError) as exc:
            self.failed(exc)
            return
        self.handshaking = False
        sni = self.listener._sni.pop(id(sock), None)
        self.emit(EventType.TLS, detail=client_facts(sock, sni), at=done)
        exchange = self.session.exchange
        exchange.target = replace(
            exchange.target, tls=replace(exchange.target.tls, server_name=sni)
        )
        self.opened()

    def opened(self) -> None:
        self.deadline = None
        self._idle_reset()
        if self.responder is not None:
            self.answer(self.responder.opening())
        if self.out:
            self._write()
        self._interest()

    # ---- sending -----------------------------------------------------------------------

    def answer(self, answer: Answer) -> None:
        if self.closing:
            return  # we already said goodbye
        self.out += answer.data
        self.close_after = self.close_after or answer.close
        if self.handshaking:
            return  # sent once the handshake is done
        self._write()
        self._interest()

    def _write(self) -> None:
        if not self.out:
            self._maybe_close()
            return
        started = time.monotonic()
        sent = calls = 0
        view = memoryview(self.out)
        try:
            while sent < len(view):
                try:
                    sent += self.sock.send(view[sent:])
                    calls += 1
                except _WOULD_BLOCK:
                    break
        except OSError as exc:
            view.release()
            self._record_sent(sent, calls, started)
            self.gone(exc)
            return
        view.release()
        self._record_sent(sent, calls, started)
        self._maybe_close()

    def _record_sent(self, sent: int, calls: int, started: float) -> None:
        if sent:
            with memoryview(self.out) as view:
                self.record_sent(view[:sent], calls=calls, at=started)
            del self.out[:sent]
            self._idle_reset()

    def _maybe_close(self) -> None:
        if self.out or not self.close_after or self.closing:
            return
        if self.client_done:
            self.finish(StopReason.PEER_CLOSED, self._client_closed_message())
            return
        self.closing = True
        try:
            if isinstance(self.sock, ssl.SSLSocket):
                # close_notify ends our direction only: the client may still send, and
                # OpenSSL keeps reading until the client's own close_notify.
                try:
                    self.sock.unwrap()
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
                else:  # the client had already said goodbye
                    self.emit(EventType.SHUTDOWN, detail={"message": "TLS close_notify sent"})
                    self.finish(StopReason.PEER_CLOSED, self._client_closed_message())
                    return
                self.emit(EventType.SHUTDOWN, detail={"message": "TLS close_notify sent"})
            else:
                self.sock.shutdown(socket.SHUT_WR)
                self.emit(EventType.SHUTDOWN)
        except OSError as exc:
            self.gone(exc)
            return
        self.deadline = time.monotonic() + self.listener.config.linger

    # ---- reading -----------------------------------------------------------------------

    def _read(self) -> None:
        for _ in range(READS_PER_TURN):
            try:
                data = self.sock.recv(READ_SIZE)
            except _WOULD_BLOCK:
                return
            except ssl.SSLZeroReturnError:
                data = b""
            except ssl.SSLEOFError:
                self._eof("the client closed without a TLS close_notify")
                return
            except OSError as exc:
                self.gone(exc)
                return
            if not data:
                self._eof(None)
                return
            self._take(data)
            if self.session not in self.listener._clients:
                return

    def drain(self) -> None:
        if not self.handshaking:
            self.closing = True
            self._read()

    def _take(self, data: bytes) -> None:
        n = len(data)
        keep = self.count_received(n)
        self.hold(self.incoming, data if keep == n else data[:keep], n, time.monotonic())
        if keep < n:
            self.past_limit()
        elif self.incoming.kept >= COALESCE_BYTES:
            self.flush()
        self._idle_reset()
        if self.responder is not None and not self.closing:
            self.answer(self.responder.received(data))

    def _eof(self, note: str | None) -> None:
        self.flush()
        if note:
            self.emit(EventType.INFO, detail={"message": note})
        self.client_done = True
        if self.closing or self.responder is None:
            self.finish(StopReason.PEER_CLOSED, self._client_closed_message())
            return
        self.answer(self.responder.client_done())
        self.close_after = True
        self._maybe_close()

    def _client_closed_message(self) -> str:
        if self.received.total == 0:
            return "the client closed the connection without sending anything"
        return f"the client finished sending (EOF){self.after()}"

    # ---- clocks ------------------------------------------------------------------------

    def _idle_reset(self) -> None:
        if not self.handshaking and not self.closing:
            self.deadline = time.monotonic() + self.listener.config.idle

    def timed_out(self) -> None:
        config = self.listener.config
        if self.handshaking:
            self.finish(
                StopReason.ERROR,
                f"TLS handshake timed out after {seconds(config.handshake_timeout)}",
                ErrorInfo(
                    ErrorKind.TLS_TIMEOUT,
                    f"TLS handshake timed out after {seconds(config.handshake_timeout)}",
                    "the client connected but never sent a TLS hello; it may speak plain text "
                    "(listen with --transport tcp to see it)",
                ),
            )
        elif self.closing:
            self.finish(
                StopReason.IDLE,
                f"we closed the connection: the client stayed {seconds(config.linger)} after "
                f"our last reply{self.after()}",
            )
        else:
            idle = seconds(config.idle)
            self.finish(
                StopReason.IDLE,
                f"idle: nothing sent either way for {idle} (the idle timeout){self.after()}",
            )

    # ---- endings -----------------------------------------------------------------------

    def gone(self, exc: OSError) -> None:
        if isinstance(exc, _RESETS):
            message = f"connection reset by the client{self.after()}"
            self.finish(StopReason.RESET, message, ErrorInfo(ErrorKind.RESET, message))
            return
        self.failed(exc)

    def failed(self, exc: BaseException) -> None:
        error = client_error(exc, self.handshaking)
        self.finish(StopReason.ERROR, error.message, error)

    def release(self) -> None:
        listener = self.listener
        listener._sni.pop(id(self.sock), None)
        with contextlib.suppress(KeyError, ValueError):
            listener._selector.unregister(self.sock)
        self.sock.close()


# OpenSSL reasons a client's handshake most often fails with, seen from the server.
_CLIENT_TLS_REASONS = {
    "TLSV1_ALERT_UNKNOWN_CA": (
        "the client does not trust our certificate (unknown CA)",
        "give the client the CA file printed at start (curl --cacert FILE), or use -k",
    ),
    "SSLV3_ALERT_BAD_CERTIFICATE": ("the client rejected our certificate", None),
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": (
        "the client rejected our certificate (certificate unknown)",
        "the name it asked for may not be in the certificate, or it does not trust the CA",
    ),
    "NO_APPLICATION_PROTOCOL": (
        "the client offered no ALPN protocol we offer",
        "offer the protocol it wants (--alpn)",
    ),
    "HTTP_REQUEST": (
        "the client sent plain HTTP to a TLS listener",
        "use https:// in the client, or listen with --transport tcp",
    ),
    "WRONG_VERSION_NUMBER": (
        "the client did not start a TLS handshake (wrong version number)",
        "it may speak plain text: listen with --transport tcp to see it",
    ),
    "UNSUPPORTED_PROTOCOL": ("no TLS version both sides accept", None),
    "NO_SHARED_CIPHER": ("no cipher in common with the client", None),
}


def client_error(exc: BaseException, handshaking: bool) -> ErrorInfo:
    if isinstance(exc, ssl.SSLError):
        if isinstance(exc, ssl.SSLEOFError):
            message, hint = "the client closed the connection during the TLS handshake", None
        else:
            reason = exc.reason or ""
            message, hint = _CLIENT_TLS_REASONS.get(
                reason, (sanitize(reason.replace("_", " ").lower() or str(exc)), None)
            )
        return ErrorInfo(ErrorKind.TLS_HANDSHAKE, f"TLS handshake failed: {message}", hint)
    if isinstance(exc, _RESETS):
        phase = "during the TLS handshake" if handshaking else ""
        return ErrorInfo(ErrorKind.RESET, f"connection reset by the client {phase}".strip())
    if isinstance(exc, OSError):
        return ErrorInfo(ErrorKind.OS, sanitize(exc.strerror or str(exc)))
    return ErrorInfo(ErrorKind.OS, f"internal error: {type(exc).__name__}")
