"""The human-readable report of one client of `sockscope listen`, from report.py's pieces.

Every string a client chose (bytes, headers, commands, SNI, ALPN) goes through the
display sanitiser into a styled `Text` (cli.styled), never markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sockscope.cli.report import (
    MAX_VIEW_BYTES,
    heading,
    print_decoded_body,
    print_headers,
    print_hex_view,
    print_problems,
    print_stopped,
    print_text_views,
    print_timeline,
    safe,
    view,
)
from sockscope.cli.styled import Text
from sockscope.core.certificate import tls_session
from sockscope.core.client_analysis import ClientAnalysis
from sockscope.core.model import Exchange
from sockscope.core.views import human_bytes, repr_rows

if TYPE_CHECKING:
    from sockscope.cli.output import Printer

# listen keeps no byte file of its own: --json carries every byte kept.
MORE_HINT = "--full shows all, --json has every byte kept"


def print_client(
    console: Printer,
    number: int,
    peer: str,
    exchange: Exchange,
    analysis: ClientAnalysis,
    encoding: str,
    *,
    full: bool = False,
) -> None:
    limit = None if full else MAX_VIEW_BYTES
    title = Text(f"client {number}  ", style="bold").append_text(safe(peer, "bold"))
    title.append(f"  over {exchange.target.transport.value}", style="dim")
    console.print(title)
    session = tls_session(exchange)
    if session is not None:
        heading(console, "TLS", tls_summary(session))
    print_timeline(console, exchange)

    received = exchange.received
    note = kept_note(exchange.bytes_in, len(received))
    print_hex_view(console, "Received (hex)", received, limit, more=MORE_HINT)
    print_text_views(console, "Received", received, note, encoding, limit, more=MORE_HINT)
    print_request(console, analysis)
    if analysis.http is not None:
        print_decoded_body(console, analysis.http, encoding, limit, more=MORE_HINT)
    if exchange.bytes_out:
        sent = exchange.sent
        heading(console, "Replied (repr)", kept_note(exchange.bytes_out, len(sent)))
        view(
            console,
            sent,
            limit,
            repr_rows,
            MORE_HINT,
        )
    print_stopped(console, exchange)


def kept_note(total: int, kept: int) -> str:
    """`1.0 MiB`, or `10.0 MiB, 64.0 KiB kept (the capture limit)` past the limit."""
    note = human_bytes(total)
    if kept < total:
        note += f", {human_bytes(kept)} kept (the capture limit)"
    return note


def tls_summary(session: dict[str, object]) -> str:
    """`TLSv1.3 · TLS_AES_256_GCM_SHA384 · ALPN http/1.1 · SNI localhost` (client-chosen
    parts included: sanitise before display)."""
    parts = [session.get("version"), session.get("cipher")]
    parts.append(f"ALPN {session['alpn']}" if session.get("alpn") else "no ALPN")
    parts.append(f"SNI {session['sni']}" if session.get("sni") else "no SNI")
    return " · ".join(str(p) for p in parts if p)


def print_request(console: Printer, analysis: ClientAnalysis) -> None:
    request = analysis.http
    if request is not None:
        state = "complete" if request.complete else "incomplete"
        heading(console, "HTTP request", f"{request.framing}, {state}")
        if request.method:
            request_line = f"{request.method} {request.target} {request.version}"
            console.print(Text("  ").append_text(safe(request_line, "bold")))
        print_headers(console, request.headers)
        if request.body:
            console.print(Text(f"  body: {human_bytes(len(request.body))}", style="dim"))
        print_problems(console, request.problems)
    elif analysis.commands:
        name = "SMTP commands" if analysis.protocol == "smtp" else "Commands"
        heading(console, name, str(len(analysis.commands)))
        for command in analysis.commands:
            if command.message:
                line = Text(f"  (message text, {human_bytes(command.size)})", style="dim")
            else:
                line = Text("  ").append_text(safe(f"{command.verb:<6}", "bold"))
                line.append(" ").append_text(safe(command.argument))
            if not command.complete:
                line.append("  (no line end yet)", style="dim")
            console.print(line)
