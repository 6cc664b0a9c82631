"""Relaying UDP: one conversation per client address, each with its own socket to the server.

The first datagram from an (address, port) opens a conversation: a socket connected to
the target carries that client's datagrams to the server, and whatever the server sends
back to that socket goes to that client. Every datagram is one event of its own, SEND
(the client's) or RECV (the server's), with its direction. A conversation ends when
nothing moved either way for the idle time; a later datagram starts a new one. Past
`max_clients` conversations, a new address's datagrams are dropped with one note.

One thread serves the bound socket and every conversation's socket with a selector.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from typing import TYPE_CHECKING, Any

from sockscope.core.model import Direction, EventType, StopReason
from sockscope.core.sanitize import sanitize
from sockscope.core.views import human_bytes
from sockscope.engine.connection import DATAGRAM_SHOWN, POLL, Recorder
from sockscope.engine.errors import classify, seconds
from sockscope.engine.listen_conversation import Tally, Window

if TYPE_CHECKING:
    from sockscope.engine.relay import Relay, RelaySession

DATAGRAMS_PER_TURN = 64  # per socket and loop turn, so one flood cannot starve the rest
_WOULD_BLOCK = (BlockingIOError, InterruptedError)

Address = tuple[Any, ...]


class DatagramRelay:
    """The bound UDP socket and the conversation of every client address."""

    def __init__(self, relay: Relay, sock: socket.socket) -> None:
        self.relay = relay
        self.sock = sock
        self.buffer = bytearray(DATAGRAM_SHOWN + 1)
        self.flows: dict[Address, _DatagramFlow] = {}
        self.refused: set[Address] = set()
        self.selector = selectors.DefaultSelector()
        self.target: tuple[Any, ...] | None = None  # getaddrinfo's first answer, once

    def serve(self) -> None:
        relay = self.relay
        self.sock.setblocking(False)
        self.selector.register(self.sock, selectors.EVENT_READ, None)
        try:
            while not relay.cancel.is_set():
                for key, _mask in self.selector.select(POLL):
                    if key.data is None:
                        self._from_clients()
                    else:
                        key.data.from_server(self.buffer)
                now = time.monotonic()
                for flow in list(self.flows.values()):
                    for side in flow.windows:
                        flow.flush(side, now)
                    if flow.session.closing.is_set():
                        flow.finish(StopReason.CLOSED, "closed by the user")
                        continue
                    if now - flow.last_moved >= relay.config.idle_timeout:
                        idle = seconds(relay.config.idle_timeout)
                        flow.finish(StopReason.IDLE, f"idle: no datagram either way for {idle}")
        finally:
            for flow in list(self.flows.values()):
                flow.finish(StopReason.CANCELLED, "relay stopped")
            self.selector.close()
            relay._release()

    def _from_clients(self) -> None:
        view = memoryview(self.buffer)
        for _ in range(DATAGRAMS_PER_TURN):
            try:
                length, address = self.sock.recvfrom_into(view)
            except _WOULD_BLOCK:
                return
            except OSError as exc:
                self.relay.note(f"receiving failed: {sanitize(exc.strerror or str(exc))}")
                return
            flow = self.flows.get(address) or self._admit(address)
            if flow is not None:
                flow.from_client(bytes(view[: min(length, DATAGRAM_SHOWN)]), length)

    def _admit(self, address: Address) -> _DatagramFlow | None:
        relay = self.relay
        peer = _label(address)
        if len(self.flows) >= relay.config.max_clients:
            if address not in self.refused:
                self.refused.add(address)
                relay.turned_away += 1
                relay.note(
                    f"turned away {peer}: {relay.config.max_clients} clients are talking "
                    "(the max-clients limit); its datagrams are dropped until one ends",
                    peer=peer,
                )
            return None
        arrived = time.monotonic()
        session, recorder = relay.new_session(peer, arrived)
        relay.announce(session)
        recorder.emit(EventType.CONNECT, detail={"peer": peer, "listener": _listener(relay)})
        flow = _DatagramFlow(self, session, recorder, address)
        if not flow.connect():
            return None
        self.flows[address] = flow
        return flow


class _DatagramFlow:
    """One client address's conversation."""

    def __init__(
        self, owner: DatagramRelay, session: RelaySession, recorder: Recorder, address: Address
    ) -> None:
        from sockscope.engine.relay import server_side

        self.owner = owner
        self.session = session
        self.client_recorder = recorder
        self.server_recorder = server_side(recorder)
        self.address = address
        self.upstream: socket.socket | None = None
        self.tallies = {Direction.CLIENT: Tally(), Direction.SERVER: Tally()}
        # Past the capture limit a side's datagrams are counted in one event per window.
        self.windows = {
            Direction.CLIENT: Window(EventType.SEND, self.tallies[Direction.CLIENT]),
            Direction.SERVER: Window(EventType.RECV, self.tallies[Direction.SERVER]),
        }
        self.last_moved = time.monotonic()

    def connect(self) -> bool:
        """A socket connected to the target; on failure the conversation ends at once."""
        target = self.owner.relay.config.target
        try:
            if self.owner.target is None:
                infos = socket.getaddrinfo(target.host, target.port, 0, socket.SOCK_DGRAM)
                self.owner.target = infos[0]
            family, kind, proto, _name, sockaddr = self.owner.target
            sock = socket.socket(family, kind, proto)
            sock.setblocking(False)
            sock.connect(sockaddr)
        except OSError as exc:
            error = classify(exc, target)
            self.finish(StopReason.ERROR, f"could not reach the server: {error.message}", error)
            return False
        self.upstream = sock
        self.owner.selector.register(sock, selectors.EVENT_READ, self)
        self.server_recorder.emit(
            EventType.CONNECT,
            detail={"peer": _label(sockaddr), "local": _label(sock.getsockname())},
        )
        return True

    def from_client(self, data: bytes, length: int) -> None:
        self._record(Direction.CLIENT, data, length)
        assert self.upstream is not None
        try:
            self.upstream.send(data)
        except _WOULD_BLOCK:
            self.client_recorder.info("a datagram the socket could not take at once was dropped")
        except OSError as exc:
            self.server_recorder.info(f"sending to the server failed: {_reason(exc)}")

    def from_server(self, buffer: bytearray) -> None:
        assert self.upstream is not None
        view = memoryview(buffer)
        for _ in range(DATAGRAMS_PER_TURN):
            try:
                length = self.upstream.recv_into(view)
            except _WOULD_BLOCK:
                return
            except ConnectionRefusedError:
                self.server_recorder.info(
                    "the server's port is closed (ICMP port unreachable came back)"
                )
                return
            except OSError as exc:
                self.server_recorder.info(f"receiving from the server failed: {_reason(exc)}")
                return
            data = bytes(view[: min(length, DATAGRAM_SHOWN)])
            self._record(Direction.SERVER, data, length)
            with contextlib.suppress(*_WOULD_BLOCK):
                self.owner.sock.sendto(data, self.address)

    def _recorder(self, side: Direction) -> Recorder:
        return self.client_recorder if side is Direction.CLIENT else self.server_recorder

    def _record(self, side: Direction, data: bytes, length: int) -> None:
        from sockscope.engine.relay import capture_note

        now = self.last_moved = time.monotonic()
        tally, window = self.tallies[side], self.windows[side]
        limit = self.owner.relay.config.capture_limit
        keep = tally.count(length, limit)
        if keep == length and not tally.overflowed:
            self._recorder(side).emit(window.type, data=data, size=length)
            return
        if window.calls and now - window.since >= window.span:
            self.flush(side)
        window.add(data[:keep], length, now)
        if not tally.overflowed:
            tally.overflowed = True
            self.flush(side)
            self._recorder(side).info(capture_note(side, limit))

    def flush(self, side: Direction, now: float | None = None) -> None:
        """`side`'s counted datagrams into one event (with `now`: only once its window
        has lasted its span)."""
        window = self.windows[side]
        if window.calls and (now is None or now - window.since >= window.span):
            data, size, calls, since = window.take()
            self._recorder(side).emit(window.type, data=data, size=size, calls=calls, at=since)

    def finish(self, stop: StopReason, message: str, error: Any = None) -> None:
        owner = self.owner
        owner.flows.pop(self.address, None)
        for side in sorted(self.windows, key=lambda side: self.windows[side].since):
            self.flush(side)
        if error is not None:
            self.server_recorder.emit(EventType.ERROR, detail=error.to_dict())
        if self.upstream is not None:
            with contextlib.suppress(KeyError, ValueError):
                owner.selector.unregister(self.upstream)
            self.upstream.close()
            self.server_recorder.emit(EventType.CLOSE)
        self.client_recorder.emit(EventType.CLOSE)
        exchange = self.session.exchange
        exchange.request = exchange.sent
        client, server = (self.tallies[d].total for d in (Direction.CLIENT, Direction.SERVER))
        exchange.stop = stop
        exchange.stop_message = (
            f"{message} after {human_bytes(client)} from the client and {human_bytes(server)} back"
        )
        exchange.error = error
        owner.relay.finished(self.session)


def _label(address: Address) -> str:
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _listener(relay: Relay) -> str:
    return relay.address.label if relay.address is not None else ""


def _reason(exc: OSError) -> str:
    return sanitize(exc.strerror or str(exc))
