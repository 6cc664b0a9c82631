"""What the app knows about an in-process lab: where each service listens.

Kept as plain data (not the LabThread) so a snapshot can show the start screen with
fixed ports and no servers running.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sockscope.core.model import Transport

# The host field's name for the lab: it resolves to the lab's loopback address. A real
# server on 127.0.0.1 is then never mistaken for the lab.
LAB_HOST = "lab"

# Which lab service answers a template, so choosing one on the lab host fills its port.
TEMPLATE_SERVICES: Mapping[str, str] = {
    "http-get": "http",
    "http-head": "http",
    "http10-get": "http",
    "echo": "echo",
    "daytime": "daytime",
    "qotd": "qotd",
    "qotd-udp": "qotd",
    "banner": "greeter",
    "smtp": "smtp",
    "smtp-dialogue": "smtp",
    "pop3": "pop3",
    "pop3-dialogue": "pop3",
    "imap": "imap",
    "imap-dialogue": "imap",
    "ftp": "ftp",
    "ftp-dialogue": "ftp",
    "nntp": "nntp",
    "nntp-dialogue": "nntp",
    "redis-ping": "redis",
    "redis-dialogue": "redis",
}

# The services worth a line in the hint, with the template that talks to each.
HINT_SERVICES: tuple[tuple[str, str], ...] = (
    ("http", "http-get"),
    ("echo", "echo"),
    ("daytime", "daytime"),
    ("qotd", "qotd"),
    ("greeter", "banner"),
    ("trickle", "banner"),
    ("smtp", "smtp"),
)

# The dialogue servers: in the palette (Lab: pop3 ...) but not in the hint, which is
# one line and already full at 120 columns.
DIALOGUE_SERVICES: tuple[tuple[str, str], ...] = (
    ("pop3", "pop3-dialogue"),
    ("imap", "imap-dialogue"),
    ("ftp", "ftp-dialogue"),
    ("nntp", "nntp-dialogue"),
    ("redis", "redis-dialogue"),
)


@dataclass(frozen=True)
class LabInfo:
    host: str
    ports: Mapping[str, Mapping[str, int]]
    ca_file: str | None = None

    def port(self, service: str, transport: Transport) -> int | None:
        """The port of `service` over `transport`; HTTP over TLS is the https service."""
        if transport is Transport.TLS and service == "http":
            service = "https"
        by_transport = self.ports.get(service, {})
        return by_transport.get(transport.value)

    def port_for_template(self, template: str, transport: Transport) -> int | None:
        service = TEMPLATE_SERVICES.get(template)
        return None if service is None else self.port(service, transport)

    def hint(self) -> str:
        """`lab = 127.0.0.1: http 41234 · echo 41235 ...` for the line under the target bar."""
        parts = []
        for service, _template in HINT_SERVICES:
            port = self.port(service, Transport.TCP)
            if port is not None:
                parts.append(f"{service} {port}")
        return f"{LAB_HOST} = {self.host}: " + " · ".join(parts)
