"""UDP listening: one conversation per client address, every datagram an event of its own.

UDP has no connection, so a conversation starts with the first datagram from an
(address, port) and ends when that client has sent nothing for the idle time
(`ListenConfig.idle`: `idle_timeout`, or UDP_IDLE when None), or `linger` after the
responder (or `ClientSession.close()`) said it is done replying. A later datagram from
the same address starts a new conversation.

Every datagram is one RECV event of its exact size: an empty one is a "0-byte datagram"
(not an end of anything), one longer than the buffer is kept cut and named "showing N of
M bytes" ("of at least M" where the OS cannot report the real length). Every reply is
one datagram sent with sendto; one the socket cannot take at once is dropped with a note,
as the network could drop it anyway. Past the capture limit a direction's datagrams are
only counted, one event per window (`calls` = datagrams), so a flood of empty datagrams
cannot grow the event list by one per datagram. Past `max_clients` conversations a
datagram from a new address is dropped (there is no connection to refuse), with one note
per address.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sockscope.core.model import EventType, StopReason, Target, Transport
from sockscope.core.responders import Answer
from sockscope.core.sanitize import sanitize
from sockscope.core.views import human_bytes
from sockscope.engine.connection import DATAGRAM_SHOWN, TRUNC_FLAG, Recorder
from sockscope.engine.errors import seconds
from sockscope.engine.listen_conversation import Conversation

if TYPE_CHECKING:
    import socket

    from sockscope.engine.listener import ClientSession, Listener

UDP_IDLE = 5.0  # seconds of silence that end a conversation when no idle time is given
DATAGRAMS_PER_TURN = 64  # so a flood cannot starve the rest of the loop
DRAIN_LIMIT = 4096  # datagrams read at a stop, however fast they keep coming
REFUSALS_REMEMBERED = 1024  # addresses already noted as turned away (then forgotten)
_WOULD_BLOCK = (BlockingIOError, InterruptedError)

Address = tuple[Any, ...]


class DatagramEndpoint:
    """The bound UDP socket: reads datagrams and hands each to its client's conversation."""

    def __init__(self, listener: Listener, sock: socket.socket) -> None:
        self.listener = listener
        self.sock = sock
        # One byte more than is shown, so a cut datagram is noticed without MSG_TRUNC too.
        self.buffer = bytearray(DATAGRAM_SHOWN + 1)
        self.conversations: dict[Address, DatagramConversation] = {}
        self.refused: set[Address] = set()
        self.draining = False  # stopping: keep what arrived, admit and answer nobody

    def ready(self, _mask: int) -> None:
        self._read(DATAGRAMS_PER_TURN)

    def drain(self) -> None:
        if not self.draining:
            self.draining = True
            self._read(DRAIN_LIMIT)

    def _read(self, budget: int) -> None:
        view = memoryview(self.buffer)
        for _ in range(budget):
            try:
                length, address = self.sock.recvfrom_into(view, len(view), TRUNC_FLAG)
                arrived = time.monotonic()
            except _WOULD_BLOCK:
                return
            except OSError as exc:
                self.listener._note(f"receiving failed: {sanitize(exc.strerror or str(exc))}")
                return
            conversation = self.conversations.get(address) or self._admit(address, arrived)
            if conversation is not None:
                shown = min(length, DATAGRAM_SHOWN)
                conversation.take(bytes(view[:shown]), length, arrived)

    def _admit(self, address: Address, arrived: float) -> DatagramConversation | None:
        """A conversation for `address`, whose first datagram came at monotonic `arrived`."""
        listener = self.listener
        if self.draining:
            return None
        peer = Target(address[0], address[1]).label
        if len(listener._clients) >= listener.config.max_clients:
            self._refuse(address, peer)
            return None
        self.refused.discard(address)
        target = Target(address[0], address[1], Transport.UDP)
        session, recorder = listener._new_session(target, peer, arrived)
        conversation = DatagramConversation(listener, session, recorder, self, address)
        self.conversations[address] = conversation
        listener._welcome(conversation, {"peer": peer}, arrived)
        conversation.opened()
        return conversation if conversation.open else None

    def _refuse(self, address: Address, peer: str) -> None:
        if address in self.refused:
            return
        if len(self.refused) >= REFUSALS_REMEMBERED:
            self.refused.clear()
        self.refused.add(address)
        self.listener.turned_away += 1
        self.listener._note(
            f"turned away {peer}: {self.listener.config.max_clients} clients are talking "
            "(the max-clients limit); its datagrams are dropped until one of them ends",
            peer=peer,
        )


class DatagramConversation(Conversation):
    """One client address's datagrams and our replies to it."""

    def __init__(
        self,
        listener: Listener,
        session: ClientSession,
        recorder: Recorder,
        endpoint: DatagramEndpoint,
        address: Address,
    ) -> None:
        super().__init__(listener, session, recorder)
        self.endpoint = endpoint
        self.address = address
        self.datagrams = 0
        self._idle_reset()

    def opened(self) -> None:
        if self.responder is not None:
            self.answer(self.responder.opening())

    def take(self, data: bytes, length: int, arrived: float) -> None:
        """One datagram of `length` bytes, of which `data` fitted in the buffer, received
        at the monotonic time `arrived`."""
        self.datagrams += 1
        if self.received.overflowed:  # counted, in one event per window
            self.count_received(len(data))
            self.hold(self.incoming, b"", len(data), arrived)
            self._answer_datagram(data)
            return
        keep = self.count_received(len(data))
        detail: dict[str, Any] = {}
        if length > len(data):
            exact = bool(TRUNC_FLAG)  # else all we know is that the buffer was full
            of = f"{length:,}" if exact else f"at least {len(data) + 1:,}"
            note = f"showing {len(data):,} of {of} bytes"
            detail = {"note": note, "length": length if exact else None}
        elif not data:
            detail = {"note": "0-byte datagram"}
        self.emit(EventType.RECV, data=data[:keep], size=len(data), detail=detail, at=arrived)
        if keep < len(data):
            self.past_limit()
        self._answer_datagram(data)

    def _answer_datagram(self, data: bytes) -> None:
        self._idle_reset()
        if self.responder is not None and not self.closing and not self.endpoint.draining:
            self.answer(self.responder.received(data))

    def answer(self, answer: Answer) -> None:
        if self.closing or not self.open:
            return
        if answer.data:
            self._send(answer.data)
        if answer.close and self.open:
            self.closing = True
            self.emit(EventType.INFO, detail={"message": "done replying (UDP has no close)"})
            self.deadline = time.monotonic() + self.listener.config.linger

    def _send(self, data: bytes) -> None:
        started = time.monotonic()
        try:
            self.endpoint.sock.sendto(data, self.address)
        except _WOULD_BLOCK:
            reason = "the socket's send buffer is full"
        except OSError as exc:  # EMSGSIZE above 65,507 bytes, mostly
            reason = sanitize(exc.strerror or str(exc))
        else:
            self.record_sent(data, at=started)
            self._idle_reset()
            return
        message = f"reply datagram of {human_bytes(len(data))} not sent: {reason}"
        self.emit(EventType.INFO, detail={"message": message})

    def drain(self) -> None:
        self.endpoint.drain()

    def _idle_reset(self) -> None:
        if not self.closing:
            self.deadline = time.monotonic() + self.listener.config.idle

    def timed_out(self) -> None:
        config = self.listener.config
        count = "1 datagram" if self.datagrams == 1 else f"{self.datagrams:,} datagrams"
        received = self.received
        kept = f", {human_bytes(received.kept)} kept" if received.kept < received.total else ""
        so_far = f"{count}, {human_bytes(received.total)}{kept}"
        if self.closing:
            linger = seconds(config.linger)
            message = f"we ended the conversation {linger} after our last reply ({so_far})"
        else:
            idle = seconds(config.idle)
            message = f"idle: no datagram from the client for {idle} ({so_far})"
        self.finish(StopReason.IDLE, message)

    def release(self) -> None:
        self.endpoint.conversations.pop(self.address, None)
