"""What a client's bytes mean, for `sockscope listen`: an HTTP request or command lines.

The listening counterpart of `analysis.analyse` (which reads server replies): one place
decides which parser applies, for the CLI printer, the JSON output and the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sockscope.core.analysis import message_fields
from sockscope.core.commands import Command, looks_like_commands, parse_commands
from sockscope.core.http import HttpRequest, looks_like_request, parse_request


@dataclass(frozen=True)
class ClientAnalysis:
    protocol: str | None  # "http", "smtp", "commands" (verb + argument lines) or None
    http: HttpRequest | None = None
    commands: list[Command] = field(default_factory=list)


def analyse_client(received: bytes, *, eof: bool, protocol: str | None = None) -> ClientAnalysis:
    """HTTP when the bytes start with a request line, whatever was expected; else
    `protocol` (the reply template's, "smtp"), else command lines when they start with one."""
    if looks_like_request(received):
        protocol = "http"
    elif protocol is None and looks_like_commands(received):
        protocol = "commands"
    if protocol == "http":
        return ClientAnalysis("http", http=parse_request(received, eof=eof))
    if protocol in ("smtp", "commands"):
        return ClientAnalysis(protocol, commands=parse_commands(received, smtp=protocol == "smtp"))
    return ClientAnalysis(None)


def client_analysis_to_dict(analysis: ClientAnalysis) -> dict[str, Any]:
    """The `request` object of `sockscope listen --json`."""
    out: dict[str, Any] = {"protocol": analysis.protocol, "http": None, "commands": []}
    request = analysis.http
    if request is not None:
        out["http"] = {
            "method": request.method,
            "target": request.target,
            "version": request.version,
            **message_fields(request),
        }
    out["commands"] = [
        {
            "verb": c.verb,
            "argument": c.argument,
            "complete": c.complete,
            "size": c.size,
            "message": c.message,
        }
        for c in analysis.commands
    ]
    return out
