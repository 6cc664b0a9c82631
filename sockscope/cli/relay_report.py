"""The human-readable report of one relayed conversation, from report.py's and
listen_report.py's pieces: both handshakes, one timeline saying which side each event
belongs to, then each direction's bytes and what they parse as.

Every string either side chose goes through the display sanitiser into a styled `Text`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sockscope.cli.listen_report import kept_note, print_request, tls_summary
from sockscope.cli.report import (
    MAX_VIEW_BYTES,
    heading,
    print_analysis,
    print_stopped,
    print_text_views,
    safe,
)
from sockscope.cli.styled import Text
from sockscope.core.certificate import session_summary
from sockscope.core.model import Direction, EventType, Exchange
from sockscope.core.relay_analysis import RelayAnalysis
from sockscope.core.timeline import timeline_rows

if TYPE_CHECKING:
    from sockscope.cli.output import Printer

MORE_HINT = "--full shows all, --json and --save have every byte kept"
WHO = {Direction.CLIENT: "client", Direction.SERVER: "server", None: ""}


def print_conversation(
    console: Printer,
    number: int,
    peer: str,
    exchange: Exchange,
    analysis: RelayAnalysis,
    encoding: str,
    *,
    full: bool = False,
) -> None:
    limit = None if full else MAX_VIEW_BYTES
    target = exchange.target
    title = Text(f"connection {number}  ", style="bold").append_text(safe(peer, "bold"))
    title.append(" -> ", style="bold").append_text(safe(target.label, "bold"))
    title.append(f"  over {target.transport.value}", style="dim")
    console.print(title)
    _print_handshakes(console, exchange)
    print_timeline(console, exchange)

    sent, received = exchange.sent, exchange.received
    print_text_views(
        console,
        "Client -> server",
        sent,
        kept_note(exchange.bytes_out, len(sent)),
        encoding,
        limit,
        more=MORE_HINT,
    )
    if analysis.client_values:
        heading(console, "redis commands", str(len(analysis.client_values)))
        for value in analysis.client_values:
            console.print(Text("  ").append_text(safe(" ".join(value.lines))))
    else:
        print_request(console, analysis.client)
    print_text_views(
        console,
        "Server -> client",
        received,
        kept_note(exchange.bytes_in, len(received)),
        encoding,
        limit,
        more=MORE_HINT,
    )
    print_analysis(console, analysis.server)
    print_stopped(console, exchange)


def print_timeline(console: Printer, exchange: Exchange) -> None:
    """The timeline with a column naming the side of each event."""
    heading(console, "Timeline")
    for event, row in zip(exchange.events, timeline_rows(exchange), strict=True):
        who = WHO[event.direction]
        line = Text(f"  {row.t:>10}  {row.delta:>10}  {who:<7}{row.event:<9}{row.size:>10}  ")
        console.print(line.append_text(safe(row.detail)))


def _print_handshakes(console: Printer, exchange: Exchange) -> None:
    for event in exchange.of_type(EventType.TLS):
        if event.direction is Direction.CLIENT:
            heading(console, "TLS with the client", tls_summary(event.detail))
        else:
            heading(console, "TLS with the server", session_summary(event.detail))
            certificate = event.detail.get("certificate") or {}
            if certificate.get("subject"):
                console.print(Text("  subject  ", "dim").append_text(safe(certificate["subject"])))
