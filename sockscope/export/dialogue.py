"""The replayable shape of a conversation: what was sent, and how much came back in between.

Scripts and command lines replay the sends in order. When replies arrived between two
sends (a server that speaks first, an SMTP dialogue), a faithful replay waits for them
before sending on, so each Receive step says how much arrived there the first time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sockscope.core.model import EventType, Exchange, Transport


@dataclass(frozen=True)
class Send:
    data: bytes


@dataclass(frozen=True)
class StartTls:
    """The plain connection was upgraded to TLS here (STARTTLS, after the go-ahead)."""


@dataclass(frozen=True)
class Receive:
    """Replies that came before the next send: `size` bytes in `datagrams` datagrams."""

    size: int
    datagrams: int


Step = Send | Receive | StartTls


def sends(exchange: Exchange) -> list[bytes]:
    """The bytes of each send, in order.

    An exchange that failed before sending (refused, TLS rejected) has no SEND event;
    its request is what the replay should try.
    """
    sent = [bytes(e.data) for e in exchange.of_type(EventType.SEND)]
    if sent:
        return sent
    # An empty request on a stream sends nothing; on a datagram transport it is an
    # empty datagram, which the server still answers (daytime, qotd).
    if exchange.request or exchange.target.transport.is_datagram:
        return [exchange.request]
    return []


def steps(exchange: Exchange) -> list[Step]:
    """Sends in order, each preceded by a Receive when replies came before it, and a
    StartTls where a plain connection was upgraded (a TLS transport's own handshake is
    part of connecting, not a step).

    Replies after the last send are not a step: the replay reads those by the read policy.
    """
    planned = sends(exchange)
    if not any(e.type is EventType.SEND for e in exchange.events):
        return [Send(data) for data in planned]
    out: list[Step] = []
    size = datagrams = 0
    for event in exchange.events:
        if event.type is EventType.RECV:
            size += event.size
            datagrams += 1  # the engine records each datagram as an event of its own
        elif event.type is EventType.SEND:
            if size or datagrams:
                out.append(Receive(size, datagrams))
            size = datagrams = 0
            out.append(Send(bytes(event.data)))
        elif event.type is EventType.TLS and exchange.target.transport is not Transport.TLS:
            if size or datagrams:
                out.append(Receive(size, datagrams))
            size = datagrams = 0
            out.append(StartTls())
    return out
