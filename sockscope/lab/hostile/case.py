"""What a hostile case is: a name, what the server does, what sockscope should show, and
the data that makes the server do it. Adding a case is adding one of these."""

from __future__ import annotations

from dataclasses import dataclass

from sockscope.core.model import ErrorKind, StopReason
from sockscope.lab.hostile.script import Step, script_bytes

HTTP_GET = ("-T", "http-get")
LINE = ("-d", r"hello\n")
TRUST_LAB = ("-t", "tls", "--ca-file", "{ca_file}")


@dataclass(frozen=True)
class Expect:
    """What a client that runs the case's `client` arguments should end with."""

    stop: StopReason
    says: str  # a phrase of the stop message
    error: ErrorKind | None = None
    problems: tuple[str, ...] = ()  # HTTP problem codes (sockscope.core.http) among those named


@dataclass(frozen=True)
class Case:
    name: str
    transport: str  # "tcp", "tls" (TLS done by the script itself) or "udp"
    does: str  # what the server does
    shows: str  # what sockscope should show
    expect: Expect
    steps: tuple[Step, ...] = ()  # stream cases
    datagram: bytes | None = None  # udp cases: the reply to every datagram (None: silence)
    # `sockscope send HOST PORT` arguments that meet the case as the table describes it;
    # "{ca_file}" stands for the lab's CA file.
    client: tuple[str, ...] = LINE
    endless: bool = False  # never ends on its own: only a limit or Cancel stops it

    @property
    def sends(self) -> bytes | None:
        """The application bytes the server sends, or None when they are unbounded."""
        if self.transport == "udp":
            return self.datagram or b""
        return script_bytes(self.steps)
