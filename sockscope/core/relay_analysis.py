"""What a relayed conversation means, each direction parsed: the client's bytes as a
request or commands, the server's as a reply.

A relay's Exchange is seen from the client: `sent` holds the client's bytes, `received`
the server's. The protocol is the one asked for, or guessed from the bytes: an HTTP
request line means HTTP, a RESP array (`*1\\r\\n...`) redis, a `220` greeting answered by
command lines SMTP. Redis is read both ways with the one RESP reader (replies.py): a
command is an array of bulk strings, as redis-cli sends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sockscope.core.analysis import (
    REPLY_PROTOCOLS,
    Analysis,
    analyse,
    http_to_dict,
    replies_to_list,
)
from sockscope.core.client_analysis import ClientAnalysis, analyse_client, client_analysis_to_dict
from sockscope.core.commands import looks_like_commands
from sockscope.core.http import looks_like_request
from sockscope.core.model import Direction, EventType, Exchange, StopReason
from sockscope.core.replies import Reply, parse_replies

RELAY_PROTOCOLS = ("http", *REPLY_PROTOCOLS)
_RESP_ARRAY = re.compile(rb"\A\*[0-9]{1,9}\r\n\$")
_SMTP_GREETING = re.compile(rb"\A220[ -]")


@dataclass(frozen=True)
class RelayAnalysis:
    protocol: str | None  # "http", one of REPLY_PROTOCOLS, or None (raw bytes only)
    client: ClientAnalysis  # the client's HTTP request or command lines
    server: Analysis  # the server's HTTP response or replies
    client_values: list[Reply] = field(default_factory=list)  # redis: the client's commands


def guess_protocol(sent: bytes, received: bytes) -> str | None:
    if looks_like_request(sent):
        return "http"
    if _RESP_ARRAY.match(sent):
        return "redis"
    if _SMTP_GREETING.match(received) and looks_like_commands(sent):
        return "smtp"
    return None


def client_finished(exchange: Exchange) -> bool:
    """Whether the client finished sending: its EOF passed through, or both sides did."""
    return exchange.stop is StopReason.PEER_CLOSED or any(
        e.direction is Direction.CLIENT for e in exchange.of_type(EventType.SHUTDOWN)
    )


def analyse_relay(exchange: Exchange, protocol: str | None = None) -> RelayAnalysis:
    sent = exchange.sent
    protocol = protocol or guess_protocol(sent, exchange.received)
    eof = client_finished(exchange)
    if protocol == "redis":
        client = ClientAnalysis("redis")
        values = parse_replies(sent, "redis")
    else:
        client = analyse_client(sent, eof=eof, protocol="smtp" if protocol == "smtp" else None)
        values = []
    return RelayAnalysis(protocol, client, analyse(exchange, protocol), values)


def relay_analysis_to_dict(analysis: RelayAnalysis) -> dict[str, Any]:
    """The parsed directions in `sockscope relay --json`: `request` as in listen's JSON
    (plus the client's redis commands as `values`), `http` and `replies` as in send's."""
    request = client_analysis_to_dict(analysis.client)
    request["values"] = replies_to_list(analysis.client_values)
    return {
        "protocol": analysis.protocol,
        "request": request,
        "http": http_to_dict(analysis.server.http),
        "replies": replies_to_list(analysis.server.replies),
    }
