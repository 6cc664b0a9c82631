"""One relayed stream conversation (TCP, TLS or Unix): its thread, its two flows, its end.

See relay.py for what a relay records. Here: the client's TLS handshake, the connection
to the server (the engine's Connection, so resolve, connect and TLS failures are
classified as in `send`), and the copy loop, which reads a side only while the buffer
towards the other has room (backpressure), coalesces a side's consecutive reads into one
event the way the listener does, and passes EOF and resets on.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import struct
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sockscope.core.model import Direction, ErrorInfo, ErrorKind, EventType, StopReason
from sockscope.core.sanitize import sanitize
from sockscope.core.views import human_bytes
from sockscope.engine.connection import COALESCE_BYTES, POLL, Connection, Recorder
from sockscope.engine.errors import Cancelled, classify, seconds
from sockscope.engine.listen_conversation import Tally, Window
from sockscope.engine.listener import client_error
from sockscope.engine.relay import capture_note, server_side
from sockscope.engine.server_tls import client_facts
from sockscope.engine.tls_stream import TlsStream

if TYPE_CHECKING:
    from sockscope.engine.relay import Relay, RelaySession

RELAY_BUFFER = 64 * 1024  # bytes read from one side and not yet written to the other
_WOULD_BLOCK = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
_RESETS = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
# The client's side speaks TLS through an SSLSocket, the server's (a Connection's) a TlsStream.
_TLS = (ssl.SSLSocket, TlsStream)
_OTHER = {Direction.CLIENT: Direction.SERVER, Direction.SERVER: Direction.CLIENT}


class _Ended(Exception):
    """The conversation is over: why, in words."""

    def __init__(
        self,
        stop: StopReason,
        message: str,
        error: ErrorInfo | None = None,
        *,
        side: Direction | None = None,  # whose doing it was
    ) -> None:
        super().__init__(message)
        self.stop = stop
        self.message = message
        self.error = error
        self.side = side


class _Flow:
    """One direction: bytes read from `src` and not yet written to `dst`."""

    def __init__(self, direction: Direction, recorder: Recorder, src: Any, dst: Any) -> None:
        self.direction = direction
        self.recorder = recorder
        self.src = src
        self.dst = dst
        self.buffer = bytearray()
        self.tally = Tally()
        self.type = EventType.SEND if direction is Direction.CLIENT else EventType.RECV
        self.window = Window(self.type, self.tally)  # bytes read, not yet in an event
        self.eof = False  # the source finished sending
        self.passed = False  # ... and the destination was told

    @property
    def done(self) -> bool:
        return self.eof and self.passed

    @property
    def readable(self) -> bool:
        return not self.eof and len(self.buffer) < RELAY_BUFFER

    def has_pending_tls(self) -> bool:
        return self.readable and isinstance(self.src, _TLS) and self.src.pending() > 0


class StreamConversation:
    """One client's TCP, TLS or Unix conversation, on a thread of its own."""

    def __init__(
        self, relay: Relay, session: RelaySession, recorder: Recorder, sock: socket.socket
    ) -> None:
        self.relay = relay
        self.config = relay.config
        self.session = session
        self.client_recorder = recorder
        self.server_recorder = server_side(recorder)
        self.client: Any = sock
        self.server: Connection | None = None
        self.flows: list[_Flow] = []
        self.last_moved = time.monotonic()

    # ---- the whole life ------------------------------------------------------------------

    def run(self) -> None:
        ending: _Ended
        try:
            self._client_handshake()
            self._connect_server()
            self._relay()
            ending = _Ended(StopReason.PEER_CLOSED, "both sides finished sending")
        except _Ended as exc:
            ending = exc
        except Exception as exc:  # a bug must end this conversation, never the relay
            ending = _Ended(
                StopReason.ERROR,
                f"internal error: {type(exc).__name__}",
                ErrorInfo(ErrorKind.OS, f"internal error: {type(exc).__name__}"),
            )
        self._finish(ending)

    def _recorder(self, side: Direction) -> Recorder:
        return self.client_recorder if side is Direction.CLIENT else self.server_recorder

    def _finish(self, ending: _Ended) -> None:
        self._flush()
        if ending.error is not None:
            side = ending.side or Direction.CLIENT
            self._recorder(side).emit(EventType.ERROR, detail=ending.error.to_dict())
        if ending.stop is StopReason.RESET and ending.side is not None:
            other = _OTHER[ending.side]
            _reset(self.client if other is Direction.CLIENT else self._server_sock())
            self._recorder(other).info(f"reset passed on to the {other.value}")
        if self.server is not None:
            self.server.close()  # CLOSE on the server's side
        with contextlib.suppress(OSError):
            self.client.close()
        self.relay._sni.pop(id(self.client), None)
        self.client_recorder.emit(EventType.CLOSE)
        exchange = self.session.exchange
        exchange.request = exchange.sent
        if self.flows and self.flows[0].eof:
            # What the server saw: the client finished sending. A replay does the same.
            exchange.policy = replace(exchange.policy, half_close=True)
        exchange.stop = ending.stop
        exchange.stop_message = ending.message
        exchange.error = ending.error
        self.relay._slots.release()
        self.relay.finished(self.session)

    def _server_sock(self) -> Any:
        return None if self.server is None else self.server.sock

    def _check_stop(self) -> None:
        if self.relay.cancel.is_set():
            raise _Ended(StopReason.CANCELLED, f"relay stopped{self._after()}")
        if self.session.closing.is_set():
            raise _Ended(StopReason.CLOSED, f"closed by the user{self._after()}")

    # ---- opening --------------------------------------------------------------------------

    def _client_handshake(self) -> None:
        context = self.relay._context
        self.client.setblocking(False)
        if context is None:
            return
        tls = context.wrap_socket(self.client, server_side=True, do_handshake_on_connect=False)
        self.client = tls
        started = time.monotonic()
        until = started + self.config.handshake_timeout
        with selectors.DefaultSelector() as selector:
            selector.register(tls, selectors.EVENT_READ)
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    want = selectors.EVENT_READ
                except ssl.SSLWantWriteError:
                    want = selectors.EVENT_WRITE
                except (OSError, ssl.SSLError) as exc:
                    raise _Ended(
                        StopReason.ERROR, *_client_tls_error(exc), side=Direction.CLIENT
                    ) from None
                selector.modify(tls, want)
                while not selector.select(POLL):
                    self._check_stop()
                    if time.monotonic() >= until:
                        message = (
                            "the client's TLS handshake timed out after "
                            f"{seconds(self.config.handshake_timeout)}"
                        )
                        error = ErrorInfo(ErrorKind.TLS_TIMEOUT, message)
                        raise _Ended(StopReason.ERROR, message, error, side=Direction.CLIENT)
        facts = client_facts(tls, self.relay._sni.pop(id(tls), None))
        facts["duration"] = time.monotonic() - started
        self.client_recorder.emit(EventType.TLS, detail=facts)

    def _connect_server(self) -> None:
        target = self.config.target
        self.server = Connection(target, self.server_recorder, self.relay.cancel)
        try:
            self.server.open(self.config.connect_timeout)
        except Cancelled:
            raise _Ended(StopReason.CANCELLED, "relay stopped while connecting") from None
        except Exception as exc:
            error = classify(exc, target)
            message = f"could not reach the server {target.label}: {error.message}"
            raise _Ended(StopReason.ERROR, message, error, side=Direction.SERVER) from None
        server = self.server.sock
        assert server is not None
        self.flows = [
            _Flow(Direction.CLIENT, self.client_recorder, self.client, server),
            _Flow(Direction.SERVER, self.server_recorder, server, self.client),
        ]

    # ---- relaying -------------------------------------------------------------------------

    def _relay(self) -> None:
        with selectors.DefaultSelector() as selector:
            sockets = [self.client, self._server_sock()]
            while not all(flow.done for flow in self.flows):
                self._check_stop()
                wants = {id(sock): 0 for sock in sockets}
                for flow in self.flows:
                    if flow.readable:
                        wants[id(flow.src)] |= selectors.EVENT_READ
                    if flow.buffer:
                        wants[id(flow.dst)] |= selectors.EVENT_WRITE
                for sock in sockets:
                    _interest(selector, sock, wants[id(sock)])
                tls_ready = [flow for flow in self.flows if flow.has_pending_tls()]
                ready = selector.select(0 if tls_ready else self._wait())
                masks = {id(key.fileobj): mask for key, mask in ready}
                for flow in self.flows:
                    if masks.get(id(flow.dst), 0) & selectors.EVENT_WRITE:
                        self._write(flow)
                    if flow in tls_ready or masks.get(id(flow.src), 0) & selectors.EVENT_READ:
                        self._read(flow)
                    if flow.eof and not flow.buffer and not flow.passed:
                        self._pass_eof(flow)
                self._clocks()

    def _wait(self) -> float:
        wait = POLL
        now = time.monotonic()
        for flow in self.flows:
            window = flow.window
            if window.calls:
                wait = min(wait, max(window.since + window.span - now, 0.0))
        return wait

    def _clocks(self) -> None:
        now = time.monotonic()
        for flow in self.flows:
            if flow.window.calls and now - flow.window.since >= flow.window.span:
                self._flush_flow(flow)
        if now - self.last_moved >= self.config.idle_timeout:
            idle = seconds(self.config.idle_timeout)
            raise _Ended(
                StopReason.IDLE,
                f"idle: nothing relayed either way for {idle} (the idle timeout){self._after()}",
            )

    def _read(self, flow: _Flow) -> None:
        while flow.readable:
            try:
                data = flow.src.recv(RELAY_BUFFER - len(flow.buffer))
            except _WOULD_BLOCK:
                return
            except ssl.SSLZeroReturnError:
                data = b""
            except ssl.SSLEOFError:
                self._flush()
                flow.recorder.info(f"the {flow.direction.value} closed without a TLS close_notify")
                data = b""
            except _RESETS:
                raise self._reset(flow.direction) from None
            except OSError as exc:
                raise self._failed(flow.direction, exc) from None
            if not data:
                self._eof(flow)
                return
            flow.buffer += data
            self._take(flow, data)
            if not (isinstance(flow.src, _TLS) and flow.src.pending()):
                return

    def _take(self, flow: _Flow, data: bytes) -> None:
        now = time.monotonic()
        self.last_moved = now
        window = flow.window
        for other in self.flows:
            # The other side's bytes before these become an event first, so the timeline
            # says who spoke when; past the limit both ways, each window keeps its span.
            if other is not flow and not (other.tally.overflowed and flow.tally.overflowed):
                self._flush_flow(other)
        if window.calls and now - window.since >= window.span:
            self._flush_flow(flow)
        n = len(data)
        keep = flow.tally.count(n, self.config.capture_limit)
        window.add(data if keep == n else data[:keep], n, now)
        if keep < n and not flow.tally.overflowed:
            flow.tally.overflowed = True
            self._flush_flow(flow)
            flow.recorder.info(capture_note(flow.direction, self.config.capture_limit))
        elif window.kept >= COALESCE_BYTES:
            self._flush_flow(flow)

    def _flush(self) -> None:
        """Every window into its event, the earlier one first."""
        for flow in sorted(self.flows, key=lambda flow: flow.window.since):
            self._flush_flow(flow)

    def _flush_flow(self, flow: _Flow) -> None:
        if flow.window.calls:
            data, size, calls, since = flow.window.take()
            flow.recorder.emit(flow.type, data=data, size=size, calls=calls, at=since)

    def _write(self, flow: _Flow) -> None:
        try:
            sent = flow.dst.send(flow.buffer[:RELAY_BUFFER])
        except _WOULD_BLOCK:
            return
        except _RESETS:
            raise self._reset(_OTHER[flow.direction]) from None
        except OSError as exc:
            raise self._failed(_OTHER[flow.direction], exc) from None
        del flow.buffer[:sent]
        self.last_moved = time.monotonic()

    def _eof(self, flow: _Flow) -> None:
        self._flush()
        flow.eof = True
        whose = "client" if flow.direction is Direction.CLIENT else "server"
        flow.recorder.emit(
            EventType.SHUTDOWN,
            detail={
                "message": f"the {whose} finished sending (EOF) after "
                f"{human_bytes(flow.tally.total)}; passed on to the {_OTHER[flow.direction].value}"
            },
        )

    def _pass_eof(self, flow: _Flow) -> None:
        flow.passed = True
        dst = flow.dst
        try:
            if isinstance(dst, _TLS):
                with contextlib.suppress(ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    dst.unwrap()  # close_notify: the other side may still send
            else:
                dst.shutdown(socket.SHUT_WR)
        except _RESETS:
            raise self._reset(_OTHER[flow.direction]) from None
        except OSError as exc:
            if not all(other.eof for other in self.flows):
                raise self._failed(_OTHER[flow.direction], exc) from None

    # ---- endings ----------------------------------------------------------------------

    def _reset(self, side: Direction) -> _Ended:
        message = f"the {side.value} reset the connection{self._after()}"
        return _Ended(
            StopReason.RESET,
            message + f"; the reset is passed on to the {_OTHER[side].value}",
            ErrorInfo(ErrorKind.RESET, message),
            side=side,
        )

    def _failed(self, side: Direction, exc: OSError) -> _Ended:
        error = ErrorInfo(ErrorKind.OS, sanitize(exc.strerror or str(exc)))
        return _Ended(
            StopReason.ERROR, f"the {side.value}'s side failed: {error.message}", error, side=side
        )

    def _after(self) -> str:
        if not self.flows:
            return ""
        client, server = (flow.tally.total for flow in self.flows)
        return (
            f" after {human_bytes(client)} from the client, {human_bytes(server)} from the server"
        )


def _interest(selector: selectors.BaseSelector, sock: Any, want: int) -> None:
    """Watch `sock` for `want` only: a source whose buffer is full is not watched at all,
    so its sender feels the backpressure instead of the loop spinning on it."""
    try:
        key = selector.get_key(sock)
    except KeyError:
        if want:
            selector.register(sock, want)
        return
    if not want:
        selector.unregister(sock)
    elif key.events != want:
        selector.modify(sock, want)


def _reset(sock: Any) -> None:
    """Close `sock` with a RST (SO_LINGER 0) rather than a FIN."""
    if sock is None:
        return
    with contextlib.suppress(OSError):
        if sock.family != socket.AF_UNIX:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


def _client_tls_error(exc: BaseException) -> tuple[str, ErrorInfo]:
    error = client_error(exc, True)
    return f"the client's {error.message[0].lower()}{error.message[1:]}", error
