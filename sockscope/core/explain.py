"""A sentence for each step of a conversation, in the voice of the classic socket tutorials.

`sockscope send --explain` prints one under each line of the timeline and under why
reading stopped. The sentences are ours; they quote numbers, never the peer's bytes.
"""

from __future__ import annotations

from sockscope.core.diagram import listened
from sockscope.core.model import ErrorKind, Event, EventType, Exchange, StopReason
from sockscope.core.views import human_bytes

_STREAM = "TCP is a stream, so one recv can hold part of a reply, or several"
_ERRORS = {
    ErrorKind.REFUSED.value: (
        "connect() failed: the host answered the SYN with a RST, so nothing listens on that port"
    ),
    ErrorKind.RESET.value: (
        "the peer sent a RST: unlike a FIN it ends both directions at once, and bytes still "
        "in flight are lost"
    ),
    ErrorKind.CONNECT_TIMEOUT.value: (
        "no answer to the SYN in time: a firewall may drop it, or the host is down"
    ),
    ErrorKind.NAME_NOT_FOUND.value: (
        "getaddrinfo() found no address for the name, so no packet was ever sent"
    ),
}


def event_sentence(exchange: Exchange, event: Event) -> str | None:
    """What `event` means, or None for the engine's own notes."""
    transport = exchange.target.transport
    datagram = transport.is_datagram
    server = listened(exchange)
    peer = "the client" if server else "the server"
    kind = event.type
    if kind is EventType.RESOLVE:
        return "getaddrinfo() turned the name into addresses before any packet went out"
    if kind is EventType.CONNECT:
        if server:
            return (
                "accept() returned a new socket for this client; the listening socket "
                "stays open for the next one"
            )
        if datagram:
            return (
                "connect() on a datagram socket sends nothing: it only fixes where send() "
                "goes and whose datagrams recv() accepts"
            )
        if transport.is_unix:
            return "connect() reached the server through the socket's file: no network at all"
        return (
            "connect() returned once the TCP three-way handshake (SYN, SYN-ACK, ACK) was "
            "done: both sides can send now"
        )
    if kind is EventType.TLS:
        return (
            "the TLS handshake is done: from here every send and recv carries encrypted "
            "records, and what is shown is the decrypted bytes"
        )
    if kind is EventType.SEND:
        size = human_bytes(event.size)
        if datagram:
            return f"send() sent one datagram of {size}: it arrives whole, or not at all"
        return (
            f"sendall() handed {size} to the kernel, calling send() until all were queued; "
            "queued is not yet received"
        )
    if kind is EventType.RECV:
        size = human_bytes(event.size)
        if datagram:
            return (
                f"recv() returned one datagram of {size}: UDP keeps each message whole, "
                "one recv() per datagram"
            )
        if event.calls > 1:
            return f"{event.calls} recv() calls returned {size} in all: {_STREAM}"
        return f"recv() returned {size}: {_STREAM}"
    if kind is EventType.SHUTDOWN:
        if event.detail.get("message"):
            return "TLS close_notify: the encrypted way of saying nothing more will come"
        return (
            f"shutdown(SHUT_WR) sent a FIN: nothing more from us, but {peer}'s reply can "
            "still be read"
        )
    if kind is EventType.CLOSE:
        if datagram:
            return "close() released the socket; a datagram socket tells no one"
        return "close() released the socket; the kernel sends our FIN if shutdown() has not"
    if kind is EventType.ERROR:
        return _ERRORS.get(
            str(event.detail.get("kind")), "the operating system reported an error (see below)"
        )
    return None


def stop_sentence(exchange: Exchange) -> str | None:
    """Why reading stopped, as the tutorials would put it."""
    policy, stop = exchange.policy, exchange.stop
    peer = "the client" if listened(exchange) else "the server"
    if stop is StopReason.PEER_CLOSED:
        return f"recv() returned b'' (0 bytes): {peer} closed its side, so nothing more will come"
    if stop is StopReason.IDLE:
        return (
            f"nothing arrived for {policy.idle_timeout} s, so we stopped waiting: without a "
            "length or an end marker, silence is the only sign that a reply is complete"
        )
    if stop is StopReason.DEADLINE:
        return f"the whole exchange reached its {policy.deadline} s deadline"
    if stop is StopReason.DELIMITER:
        return (
            "the delimiter arrived, so we stopped reading: line protocols end every reply "
            "with one, which is how a client knows it has it all"
        )
    if stop is StopReason.BYTE_COUNT:
        return (
            "we had the bytes we asked for: knowing the length in advance is the other way "
            "to know a message is complete"
        )
    if stop is StopReason.DATAGRAM:
        return "the first datagram arrived: a UDP reply is one datagram, nothing to wait for"
    if stop is StopReason.CAPTURE_LIMIT:
        return "we kept as many bytes as the capture limit allows, and stopped reading"
    if stop is StopReason.EXPECTATION:
        return "a step did not get the reply it expected, so the dialogue stopped there"
    if stop is StopReason.CANCELLED:
        return "you stopped the exchange"
    if stop is StopReason.CLOSED:
        return "you closed the connection"
    if stop is StopReason.RESET:
        return "a RST ended the connection: both directions at once, unread bytes lost"
    if stop is StopReason.ERROR:
        return "the exchange failed before it could finish; the error says where"
    return None
