"""What the app knows about an in-process lab: where each service listens.

Kept as plain data (not the LabThread) so a snapshot can show the start screen with
fixed ports and no servers running.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
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

# The services the hint names first, with the template that talks to each.
HINT_SERVICES: tuple[tuple[str, str], ...] = (
    ("http", "http-get"),
    ("echo", "echo"),
    ("daytime", "daytime"),
    ("qotd", "qotd"),
    ("greeter", "banner"),
    ("trickle", "banner"),
    ("smtp", "smtp"),
)

# The dialogue servers: named after those, as far as the line has room.
DIALOGUE_SERVICES: tuple[tuple[str, str], ...] = (
    ("pop3", "pop3-dialogue"),
    ("imap", "imap-dialogue"),
    ("ftp", "ftp-dialogue"),
    ("nntp", "nntp-dialogue"),
    ("redis", "redis-dialogue"),
)


def _made() -> None:
    """A lab whose CA file, if any, is already written."""


@dataclass(frozen=True)
class LabInfo:
    host: str
    ports: Mapping[str, Mapping[str, int]]
    ca_file: str | None = None
    # Writes ca_file if the lab has not yet, and returns once it is there: the lab listens
    # first and makes its TLS identity after the app's first frame.
    make_identity: Callable[[], None] = _made

    def trusted_ca(self) -> str | None:
        """The CA file that signed the lab's certificates, written first if need be."""
        self.make_identity()
        return self.ca_file

    def port(self, service: str, transport: Transport) -> int | None:
        """The port of `service` over `transport`; HTTP over TLS is the https service."""
        if transport is Transport.TLS and service == "http":
            service = "https"
        by_transport = self.ports.get(service, {})
        return by_transport.get(transport.value)

    def services(self) -> Iterator[tuple[str, str]]:
        """(service, template) for each "Lab: …" entry of the palette, in the hint's order;
        https last, as the hint names it."""
        for service, template in (*HINT_SERVICES, *DIALOGUE_SERVICES):
            if self.port(service, Transport.TCP) is not None:
                yield service, template
        if self.port("https", Transport.TLS) is not None:
            yield "https", "http-get"

    def where(self, service: str) -> tuple[int, Transport] | None:
        """The port and transport of `service`: TCP, or TLS for https."""
        transport = Transport.TLS if service == "https" else Transport.TCP
        port = self.port(service, transport)
        return None if port is None else (port, transport)

    def port_for_template(self, template: str, transport: Transport) -> int | None:
        service = TEMPLATE_SERVICES.get(template)
        return None if service is None else self.port(service, transport)

    def hint(self, width: int = 0) -> str:
        """`lab = 127.0.0.1: http 41234 · echo 41235 ...` for the line under the target
        bar: every service that fits in `width` columns (0: all), and where the rest are."""
        parts = [
            f"{service} {port}"
            for service, _template in (*HINT_SERVICES, *DIALOGUE_SERVICES)
            if (port := self.port(service, Transport.TCP)) is not None
        ]
        https = self.port("https", Transport.TLS)
        if https is not None:
            parts.append(f"https {https}")  # over TLS, as the name says
        head = f"{LAB_HOST} = {self.host}: "
        line = head + " · ".join(parts)
        if not width or len(line) <= width:
            return line
        for shown in range(len(parts) - 1, -1, -1):
            rest = len(parts) - shown
            line = f"{head}{' · '.join(parts[:shown])} · {rest} more in the palette (ctrl+p, Lab:)"
            if len(line) <= width:
                break
        return line
