"""A persistent session: connect once, then send, half-close, close or reset when asked.

One worker thread owns the Connection (an SSL socket must not be read and written from
two threads at once). It reads whatever the peer sends, whenever it sends it, and runs
the commands the UI queued in between. Commands are checked against the state when
they are given and refused in a plain sentence when it does not allow them.

Every SEND and RECV event carries its turn (`detail["turn"]`, see core/turns.py): each
send starts the next turn, and what arrives after it is the reply to it. Before a send,
whatever the peer already sent is read first, so it stays in the turn it belongs to.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sockscope.core.model import (
    ErrorInfo,
    ErrorKind,
    Event,
    EventType,
    Exchange,
    ReadPolicy,
    StopReason,
    Target,
    Transport,
)
from sockscope.core.turns import TURN_KEY
from sockscope.core.views import human_bytes
from sockscope.engine.connection import (
    COALESCE_SECONDS,
    POLL,
    Connection,
    ReadOutcome,
    Recorder,
)
from sockscope.engine.errors import CallbackError, Cancelled, TlsVerifyFailed, classify
from sockscope.engine.memory import receive_buffer

# A long message goes out in pieces of this size with reads in between: a peer that
# answers while it reads (echo) would otherwise fill our receive buffer, stop reading,
# and leave both sides blocked in send.
SEND_PIECE = 64 * 1024
# How the reader's note on passing the capture limit begins (connection.py).
_CAPTURE_NOTE = "capture limit of "


class SessionState(StrEnum):
    IDLE = "idle"  # not connected yet
    CONNECTING = "connecting"
    OPEN = "open"
    HALF_CLOSED = "half-closed"  # we finished sending (shutdown); the peer may still send
    PEER_CLOSED = "peer-closed"  # the peer finished sending (EOF); we may still send
    CLOSED = "closed"
    RESET = "reset"  # by us (Reset) or by the peer
    FAILED = "failed"

    @property
    def ended(self) -> bool:
        return self in (SessionState.CLOSED, SessionState.RESET, SessionState.FAILED)


class Action(StrEnum):
    CONNECT = "connect"
    SEND = "send"
    HALF_CLOSE = "half-close"
    CLOSE = "close"
    RESET = "reset"
    STARTTLS = "starttls"


StateCallback = Callable[[SessionState, str], None]


@dataclass(frozen=True)
class _Command:
    action: Action
    data: bytes = b""


@dataclass
class _End:
    """How the session ended: the final state and what the Exchange records."""

    state: SessionState
    stop: StopReason
    message: str
    error: ErrorInfo | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class _Interrupt(threading.Event):
    """The Connection's cancel event. The caller's cancel stops anything; Close and Reset
    stop connecting, sending and waiting for data; a queued command only ends a wait for
    data (it must not cut a send short). Reads before a send or a close see neither,
    they are short anyway."""

    def __init__(
        self, cancel: threading.Event, stopping: threading.Event, wake: threading.Event
    ) -> None:
        super().__init__()
        self.cancel = cancel
        self.stopping = stopping
        self.wake = wake
        self.on_stop = True
        self.on_command = False

    def is_set(self) -> bool:
        return (
            self.cancel.is_set()
            or (self.on_stop and self.stopping.is_set())
            or (self.on_command and self.wake.is_set())
        )

    def wait(self, timeout: float | None = None) -> bool:
        self.stopping.wait(timeout)
        return self.is_set()

    @contextlib.contextmanager
    def seeing(self, *, stop: bool, command: bool) -> Iterator[None]:
        saved = self.on_stop, self.on_command
        self.on_stop, self.on_command = stop, command
        try:
            yield
        finally:
            self.on_stop, self.on_command = saved


class _SessionRecorder(Recorder):
    """Tags sends and replies with the current turn and counts the bytes kept, which go
    into one buffer of the capture limit for the whole session."""

    def __init__(self, on_event: Callable[[Event], None] | None, capture_limit: int) -> None:
        super().__init__(on_event, receive_buffer(capture_limit))
        self.capture_limit = capture_limit
        self.turn = 0
        self.kept = 0
        self.received = 0
        self.overflowed = False

    def info(self, message: str, **facts: Any) -> None:
        if message.startswith(_CAPTURE_NOTE):
            # Each read notes the limit it was given, the room left; the session says it
            # once, with its own limit.
            if self.overflowed:
                return
            self.overflowed = True
            limit = human_bytes(self.capture_limit)
            message = f"{_CAPTURE_NOTE}{limit} reached: counting the rest without keeping it"
        super().info(message, **facts)

    def emit(
        self,
        type: EventType,
        *,
        data: bytes | memoryview = b"",
        size: int | None = None,
        calls: int = 1,
        detail: dict[str, Any] | None = None,
        at: float | None = None,
    ) -> Event:
        if type in (EventType.SEND, EventType.RECV):
            detail = {**(detail or {}), TURN_KEY: self.turn}
        if type is EventType.RECV:
            self.kept += len(data)
            self.received += len(data) if size is None else size
        return super().emit(type, data=data, size=size, calls=calls, detail=detail, at=at)


class Session:
    """One connection to `target`, driven by commands from any thread.

    `on_event(event)` gets each event as it is recorded and `on_state(state, message)`
    each change of state; both are called on the session's worker thread, in order.
    `policy` gives the connect timeout, the capture limit and what to do past it; a
    session has no idle timeout or deadline (silence is normal), and a send waits for
    the peer to take the bytes until Close or Reset. `cancel` ends the session like
    Close, at any time. Each command returns None when accepted, else the sentence
    saying why not. `close_name` is how the interface names Close in those sentences:
    what its user presses or types (the app's "Close", the CLI's ":close").
    """

    def __init__(
        self,
        target: Target,
        policy: ReadPolicy = ReadPolicy(),  # noqa: B008 (frozen, so sharing it is safe)
        *,
        on_event: Callable[[Event], None] | None = None,
        on_state: StateCallback | None = None,
        cancel: threading.Event | None = None,
        template: str | None = None,
        close_name: str = "Close",
    ) -> None:
        self.target = target
        self._close_name = close_name
        self.policy = policy
        self._on_state = on_state
        self._cancel = cancel if cancel is not None else threading.Event()
        self._lock = threading.Lock()
        self._state = SessionState.IDLE
        self._message = "not connected"
        self._commands: deque[_Command] = deque()
        self._wake = threading.Event()  # a command is queued
        self._stopping = threading.Event()  # Close or Reset was asked for
        self._half_closing = False  # a half-close was accepted: no more sends
        self._half_closed = False  # ...and done
        self._tls_asked = False  # a STARTTLS was accepted: the stream is (to be) TLS
        self._recorder = _SessionRecorder(on_event, policy.capture_limit)
        self._interrupt = _Interrupt(self._cancel, self._stopping, self._wake)
        self._exchange = Exchange(
            target, b"", policy, events=self._recorder.events, template=template
        )
        self._thread: threading.Thread | None = None

    # ---- what the UI reads -------------------------------------------------------

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def message(self) -> str:
        """The sentence that came with the current state."""
        return self._message

    def exchange(self) -> Exchange:
        """A snapshot of the conversation so far: its own event list, safe to keep."""
        with self._lock:
            # The worker only ever appends; copying a list is atomic under the GIL.
            events = list(self._recorder.events)
            request = b"".join(e.data for e in events if e.type is EventType.SEND)
            snapshot = replace(self._exchange, events=events, request=request)
            if self._recorder.buffer is not None:
                # Its replies are read from the session's buffer, not joined anew each time.
                snapshot.record_into(self._recorder.buffer)
            return snapshot

    def why_not(self, action: Action) -> str | None:
        """None when `action` is allowed now, else why not (to grey out a button)."""
        with self._lock:
            return self._refusal(action)

    # ---- commands ----------------------------------------------------------------

    def connect(self) -> str | None:
        """Start connecting in the background; the state says when it is open."""
        with self._lock:
            refusal = self._refusal(Action.CONNECT)
            if refusal is not None:
                return refusal
            self._state = SessionState.CONNECTING
            self._recorder.t0 = time.monotonic()
            self._exchange.started_at = time.time()
            self._thread = threading.Thread(target=self._run, name="sockscope-session", daemon=True)
            self._thread.start()
        return None

    def send(self, data: bytes) -> str | None:
        """Queue `data` to send: one datagram on datagram transports, bytes on streams."""
        if not data and not self.target.transport.is_datagram:
            return "nothing to send: the message is empty"
        return self._queue(_Command(Action.SEND, bytes(data)))

    def half_close(self) -> str | None:
        """Tell the peer nothing more is coming (shutdown SHUT_WR); keep reading."""
        return self._queue(_Command(Action.HALF_CLOSE))

    def close(self) -> str | None:
        """Send what is queued, then close gracefully (FIN); gives up a connect in progress."""
        return self._queue(_Command(Action.CLOSE))

    def reset(self) -> str | None:
        """Abort: drop queued sends and close with SO_LINGER 0, so the peer sees a RST."""
        return self._queue(_Command(Action.RESET))

    def start_tls(self) -> str | None:
        """Upgrade the connection to TLS once what is queued before is sent (STARTTLS:
        send the protocol's command, read its go-ahead, then ask for this)."""
        return self._queue(_Command(Action.STARTTLS))

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to finish; True once it has (or never started)."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
        self.join()

    def _queue(self, command: _Command) -> str | None:
        with self._lock:
            refusal = self._refusal(command.action)
            if refusal is not None:
                return refusal
            if command.action is Action.RESET:
                self._commands.clear()
            if command.action is Action.HALF_CLOSE:
                self._half_closing = True
            if command.action is Action.STARTTLS:
                self._tls_asked = True
            self._commands.append(command)
            if command.action in (Action.CLOSE, Action.RESET):
                self._stopping.set()
            self._wake.set()
        return None

    def _refusal(self, action: Action) -> str | None:
        state = self._state
        transport = self.target.transport
        if action is Action.CONNECT:
            if state is SessionState.IDLE:
                return None
            if state.ended:
                return f"this session has ended ({state.value}): start a new one to connect again"
            return "already connecting" if state is SessionState.CONNECTING else "already connected"
        if state is SessionState.IDLE:
            return "not connected: Connect first"
        if state.ended:
            return _ENDED[state]
        if self._stopping.is_set():
            return "the connection is closing"
        if action is Action.CLOSE:
            return None
        if state is SessionState.CONNECTING:
            return (
                f"still connecting: wait until the connection is open ({self._close_name} gives up)"
            )
        if action is Action.SEND:
            if self._half_closing:
                return "you half-closed the connection: nothing more can be sent"
            return None
        if transport.is_datagram:
            return (
                f"a datagram socket has no connection to {action.value}: {self._close_name} ends it"
            )
        tls = transport is Transport.TLS or self._tls_asked
        if action is Action.STARTTLS:
            if tls:
                return "the connection already speaks TLS"
            if self._half_closing:
                return "you half-closed the connection: TLS needs both directions"
            if state is SessionState.PEER_CLOSED:
                return "the peer finished sending: it cannot answer a TLS handshake"
            return None
        if action is Action.HALF_CLOSE:
            if tls:
                return f"TLS cannot close one direction only: use {self._close_name}"
            return "already half-closed" if self._half_closing else None
        return None

    # ---- the worker ----------------------------------------------------------------

    def _run(self) -> None:
        connection = Connection(self.target, self._recorder, self._interrupt)
        try:
            self._report(SessionState.CONNECTING, f"connecting to {self.target.label}")
            with self._interrupt.seeing(stop=True, command=False):
                connection.open(self.policy.connect_timeout)
            self._report(SessionState.OPEN, self._opened())
            end = self._serve(connection)
        except Cancelled as exc:
            end = self._cancelled(exc.phase)
        except Exception as exc:  # every failure becomes words; the worker never dies loud
            error = classify(exc, self.target)
            detail: dict[str, Any] = {}
            if isinstance(exc, TlsVerifyFailed) and exc.certificate:
                detail["certificate"] = exc.certificate
            end = _End(SessionState.FAILED, StopReason.ERROR, error.message, error, detail)
        self._finish(connection, end)

    def _serve(self, connection: Connection) -> _End:
        while True:
            if self._cancel.is_set():
                return self._cancelled("")
            self._wake.clear()  # before the commands: one queued later wakes the read
            end = self._run_commands(connection)
            if end is not None:
                return end
            if connection.peer_closed:
                self._wake.wait(POLL)  # nothing more can arrive: wait for a command
                continue
            with self._interrupt.seeing(stop=True, command=True):
                outcome = connection.read(self._read_policy())
            end = self._after_read(outcome)
            if end is not None:
                return end

    def _run_commands(self, connection: Connection) -> _End | None:
        while True:
            with self._lock:
                if not self._commands:
                    return None
                command = self._commands.popleft()
            end = self._run_command(connection, command)
            if end is not None:
                return end

    def _run_command(self, connection: Connection, command: _Command) -> _End | None:
        if command.action is Action.SEND:
            return self._send(connection, command.data)
        if command.action is Action.HALF_CLOSE:
            return self._shut(connection)
        if command.action is Action.STARTTLS:
            return self._start_tls(connection)
        if command.action is Action.CLOSE:
            end = self._drain(connection)  # unread data would turn our FIN into a RST
            if end is not None:
                return end
            stop = StopReason.PEER_CLOSED if connection.peer_closed else StopReason.CLOSED
            return _End(SessionState.CLOSED, stop, f"you closed the connection{self._totals()}")
        return self._reset(connection)

    def _send(self, connection: Connection, data: bytes) -> _End | None:
        end = self._drain(connection)  # what already arrived answers the turn before
        if end is not None:
            return end
        self._recorder.turn += 1
        pieces = [data] if self.target.transport.is_datagram else _pieces(data)
        try:
            for index, piece in enumerate(pieces):
                if index:
                    end = self._drain(connection)
                    if end is not None:
                        return end
                with self._interrupt.seeing(stop=True, command=False):
                    connection.send(piece)
        except Cancelled:
            if self._cancel.is_set():
                return self._cancelled("while sending")
            # Close or Reset cut a send the peer was not taking; that command comes next.
            return None
        if connection.peer_closed:
            # Nothing is read any more, so a reset the send met would go unreported:
            # one read after the end of the stream reports it at once.
            return self._drain(connection)
        return None

    def _start_tls(self, connection: Connection) -> _End | None:
        end = self._drain(connection)  # the go-ahead belongs to the turn before
        if end is None and not self._answered():
            # The go-ahead to the last send is not in yet (a script asks at once): wait
            # for its line, as long as a connect may take, so the handshake does not
            # start before it and read it as TLS.
            policy = replace(
                self._read_policy(), delimiter=b"\n", idle_timeout=self.policy.connect_timeout
            )
            with self._interrupt.seeing(stop=True, command=False):
                end = self._after_read(connection.read(policy))
        if end is not None:
            return end
        # A failed handshake raises: the worker ends the session with its error.
        with self._interrupt.seeing(stop=True, command=False):
            connection.start_tls(self.policy.connect_timeout)
        version = next(
            (
                e.detail.get("version")
                for e in reversed(self._recorder.events)
                if e.type is EventType.TLS
            ),
            None,
        )
        self._report(SessionState.OPEN, f"TLS started over the connection ({version or 'TLS'})")
        return None

    def _answered(self) -> bool:
        """True when something arrived after the last send (or nothing was sent)."""
        for event in reversed(self._recorder.events):
            if event.type is EventType.RECV:
                return True
            if event.type is EventType.SEND:
                return False
        return True

    def _shut(self, connection: Connection) -> _End | None:
        events = self._recorder.events
        connection.shutdown_write()
        if not events or events[-1].type is not EventType.SHUTDOWN:
            # The failure is recorded as a note; the connection stays as it was.
            with self._lock:
                self._half_closing = False
            return None
        self._half_closed = True
        if connection.peer_closed:
            return self._both_done()
        self._report(
            SessionState.HALF_CLOSED, "you finished sending (half-close); the peer may still send"
        )
        return None

    def _reset(self, connection: Connection) -> _End:
        sock = connection.sock
        assert sock is not None
        try:
            # Linger on, timeout 0: close() discards unsent data and sends a RST.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError as exc:
            message = f"could not reset ({classify(exc, self.target).message}): closed instead"
            self._recorder.info(message)
            return _End(SessionState.CLOSED, StopReason.CLOSED, message)
        self._recorder.info("reset: SO_LINGER 0, so closing sends a RST")
        return _End(
            SessionState.RESET,
            StopReason.RESET,
            f"you reset the connection (the peer sees a RST){self._totals()}",
        )

    def _drain(self, connection: Connection) -> _End | None:
        """Read what has already arrived, without waiting for more."""
        policy = replace(self._read_policy(), idle_timeout=0.0, deadline=COALESCE_SECONDS)
        with self._interrupt.seeing(stop=False, command=False):
            outcome = connection.read(policy)
        return self._after_read(outcome)

    def _after_read(self, outcome: ReadOutcome) -> _End | None:
        stop = outcome.stop
        if stop is StopReason.PEER_CLOSED:
            if self._half_closed:
                return self._both_done()
            if self._state is SessionState.PEER_CLOSED:
                return None  # a read after the end of the stream: nothing new
            # The read's own sentence counts only its own bytes; a TLS truncation
            # warning is worth keeping whole.
            if outcome.message.startswith("TLS stream truncated"):
                said = outcome.message
            else:
                said = f"the peer finished sending (EOF){self._totals()}"
            self._report(
                SessionState.PEER_CLOSED, f"{said}; you can still send, or {self._close_name}"
            )
            return None
        if stop is StopReason.RESET:
            message = f"connection reset by peer{self._totals()}"
            return _End(
                SessionState.RESET,
                stop,
                message,
                ErrorInfo(ErrorKind.RESET, message),
                outcome.detail,
            )
        if stop is StopReason.ERROR:
            error = outcome.error or ErrorInfo(ErrorKind.OS, outcome.message)
            return _End(SessionState.FAILED, stop, error.message, error, outcome.detail)
        if stop is StopReason.CAPTURE_LIMIT:
            limit = human_bytes(self.policy.capture_limit)
            return _End(SessionState.CLOSED, stop, f"closed at the capture limit ({limit} kept)")
        return None  # a command or a stop is waiting, or nothing more had arrived

    def _read_policy(self) -> ReadPolicy:
        # Each read keeps only what the session's capture limit still has room for.
        room = max(self.policy.capture_limit - self._recorder.kept, 0)
        return replace(
            self.policy,
            idle_timeout=None,
            deadline=None,
            delimiter=None,
            max_bytes=None,
            first_datagram=False,
            half_close=False,
            capture_limit=room,
        )

    def _both_done(self) -> _End:
        return _End(
            SessionState.CLOSED,
            StopReason.PEER_CLOSED,
            f"both sides finished sending: closed{self._totals()}",
        )

    def _cancelled(self, phase: str) -> _End:
        if self._cancel.is_set():
            message = " ".join(p for p in ("cancelled", phase) if p) + self._totals()
            return _End(SessionState.CLOSED, StopReason.CANCELLED, message)
        return _End(
            SessionState.CLOSED, StopReason.CLOSED, "you closed the connection before it opened"
        )

    def _opened(self) -> str:
        peer = self.target.label
        version = None
        for event in self._recorder.events:
            if event.type is EventType.CONNECT:
                peer = str(event.detail.get("peer") or peer)
            elif event.type is EventType.TLS:
                version = event.detail.get("version")
        return f"connected to {peer}" + (f" over {version}" if version else "")

    def _totals(self) -> str:
        recorder = self._recorder
        sent = sum(e.size for e in recorder.events if e.type is EventType.SEND)
        if not sent and not recorder.received:
            return ""
        return f" ({human_bytes(sent)} sent, {human_bytes(recorder.received)} received)"

    def _finish(self, connection: Connection, end: _End) -> None:
        with self._lock:
            self._state = end.state  # from here every command is refused
            dropped = sum(1 for c in self._commands if c.action is Action.SEND)
            self._commands.clear()
        # A failing event callback is dropped by the recorder; the events still land.
        with contextlib.suppress(CallbackError):
            if dropped:
                self._recorder.info(
                    ("1 queued send was" if dropped == 1 else f"{dropped} queued sends were")
                    + f" not sent: {end.message}"
                )
            if end.error is not None:
                self._recorder.emit(EventType.ERROR, detail={**end.error.to_dict(), **end.detail})
        with contextlib.suppress(CallbackError, OSError):
            connection.close()
        with self._lock:
            self._exchange.stop = end.stop
            self._exchange.stop_message = end.message
            self._exchange.error = end.error
        self._report(end.state, end.message)

    def _report(self, state: SessionState, message: str) -> None:
        with self._lock:
            self._state = state
            self._message = message
        callback = self._on_state
        if callback is None:
            return
        try:
            callback(state, message)
        except Exception as exc:
            self._on_state = None  # the failing callback is not called again
            if not state.ended:
                raise CallbackError("state callback", exc) from exc


_ENDED = {
    SessionState.CLOSED: "the connection is closed: Connect again first",
    SessionState.RESET: "the connection was reset: Connect again first",
    SessionState.FAILED: "the connection failed: Connect again first",
}


def _pieces(data: bytes) -> list[bytes]:
    view = memoryview(data)
    return [bytes(view[i : i + SEND_PIECE]) for i in range(0, len(data), SEND_PIECE)]
