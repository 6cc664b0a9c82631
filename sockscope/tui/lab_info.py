"""What the app knows about an in-process lab: where each service listens.

Kept as plain data (not the LabThread) so a snapshot can show the start screen with
fixed ports and no servers running.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sockscope.core.model import Transport

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
        """`lab 127.0.0.1: http 41234 · echo 41235 ...` for the line under the target bar."""
        parts = []
        for service, _template in HINT_SERVICES:
            port = self.port(service, Transport.TCP)
            if port is not None:
                parts.append(f"{service} {port}")
        return f"lab {self.host}: " + " · ".join(parts)
