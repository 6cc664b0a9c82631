"""UDP misbehaviour: silence, datagrams too large for a careless reader, an empty datagram.

"Port unreachable" needs no server: it is what a closed UDP port answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from sockscope.core.model import StopReason
from sockscope.lab.hostile.case import Case, Expect

UDP_MAX = 65_507  # the largest UDP payload over IPv4
_CLIENT = ("-t", "udp", "-d", r"ping\n")


def _pattern(size: int) -> bytes:
    line = b"".join(bytes([0x21 + (i % 94)]) for i in range(63)) + b"\n"
    return (line * (size // len(line) + 1))[:size]


CASES = (
    Case(
        "udp-no-reply",
        "udp",
        "reads every datagram, answers none",
        '"no reply in N s (UDP has no connection: silence is not an error)"',
        Expect(StopReason.IDLE, "no reply in"),
        client=_CLIENT,
        endless=True,
    ),
    *(
        Case(
            f"udp-oversize-{size}",
            "udp",
            f"answers with one {size:,}-byte datagram",
            f'the whole datagram: "one datagram of {size:,} bytes"',
            Expect(StopReason.DATAGRAM, f"one datagram of {size:,} bytes"),
            datagram=_pattern(size),
            client=_CLIENT,
        )
        for size in (5_000, UDP_MAX)
    ),
    Case(
        "udp-empty",
        "udp",
        "answers with a 0-byte datagram",
        '"a 0-byte datagram", not an end of stream',
        Expect(StopReason.DATAGRAM, "a 0-byte datagram"),
        datagram=b"",
        client=_CLIENT,
    ),
)


class _Replier(asyncio.DatagramProtocol):
    """Answers each datagram with `reply` straight through the socket: asyncio's own
    `sendto` silently drops an empty datagram, which is one of the cases."""

    def __init__(self, sock: socket.socket, reply: bytes | None) -> None:
        self._sock = sock
        self._reply = reply

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._reply is not None:
            # A full send buffer drops the datagram, as UDP may.
            with contextlib.suppress(OSError):
                self._sock.sendto(self._reply, addr)


async def listen_datagrams(host: str, port: int, reply: bytes | None) -> asyncio.BaseTransport:
    """A UDP endpoint on (host, port) answering every datagram with `reply`."""
    loop = asyncio.get_running_loop()
    family, kind, proto, _, address = (await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM))[
        0
    ]
    sock = socket.socket(family, kind, proto)
    try:
        sock.bind(address)
        sock.setblocking(False)
        transport, _ = await loop.create_datagram_endpoint(lambda: _Replier(sock, reply), sock=sock)
    except BaseException:
        sock.close()
        raise
    return transport
