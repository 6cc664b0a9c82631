"""The transports a conversation can run over.

A module of its own, apart from the data model, so that the argument parsers (which
list the transports in `--help`) do not load the model and its dataclasses.
"""

from __future__ import annotations

from enum import StrEnum


class Transport(StrEnum):
    TCP = "tcp"
    UDP = "udp"
    TLS = "tls"
    UNIX = "unix"  # Unix stream socket
    UNIX_DGRAM = "unix-dgram"

    @property
    def is_datagram(self) -> bool:
        return self in (Transport.UDP, Transport.UNIX_DGRAM)

    @property
    def is_unix(self) -> bool:
        return self in (Transport.UNIX, Transport.UNIX_DGRAM)
