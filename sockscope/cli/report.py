"""The human-readable report of `sockscope send`: readable in a terminal and in a pipe.

Its pieces (headings, byte views, timeline, problems, the stop) are also the per-client
report of `sockscope listen`.

Every piece of server text goes through the display sanitiser into a styled `Text`
(never markup), its tokens styled; the printer (cli.output) sanitises whatever it prints
once more. Where the output is not a terminal it writes the text without the styles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from sockscope.cli.output import ROWS_PER_WRITE, batched, new_console, print_rows
from sockscope.cli.styled import Text
from sockscope.core.analysis import Analysis, decoded_body, shown_text
from sockscope.core.certificate import (
    certificate_rows,
    peer_certificate,
    session_summary,
    tls_session,
)
from sockscope.core.http import HttpResponse, Problem
from sockscope.core.http.coding import charset_of
from sockscope.core.model import Exchange
from sockscope.core.sanitize import Segment, display_segments, one_line
from sockscope.core.steps import step_outcomes
from sockscope.core.timeline import TimelineRow, timeline_rows, timings_summary
from sockscope.core.views import decoded_lines, hexdump_rows, human_bytes, repr_rows

if TYPE_CHECKING:
    from sockscope.cli.output import Printer
    from sockscope.core.http import HttpRequest

MAX_VIEW_BYTES = 8192  # per view, unless --full: `less` wants everything, a glance does not
# What a cut view's "... N more" line suggests; each command names only its own options.
MORE_HINT = "--full shows all, -o FILE saves them"
TOKEN_STYLE = "reverse"
HEADING_STYLE = "bold cyan"
EXPLAIN_STYLE = "italic"
PROBLEM_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def safe(text: str, style: str = "") -> Text:
    """Server (or any untrusted) text as Text, control characters made visible, on one
    line: a newline in a path or a name would start a forged line of the report."""
    return segments_text(one_line(display_segments(text)), style)


def segments_text(segments: Iterable[Segment], style: str = "") -> Text:
    out = Text(style=style, no_wrap=True)
    for chunk, is_token in segments:
        out.append(chunk, TOKEN_STYLE if is_token else None)
    return out


def print_report(
    exchange: Exchange,
    analysis: Analysis,
    encoding: str,
    *,
    output: str | None = None,
    full: bool = False,
    console: Printer | None = None,
    explain: bool = False,
) -> None:
    """With `explain`, each timeline line and the stop get a sentence (core/explain.py)."""
    console = console or new_console()
    limit = None if full else MAX_VIEW_BYTES
    target = exchange.target
    # The target and the template name are arguments, or a template file's name.
    title = safe(target.label, "bold").append(f" over {target.transport.value}", style="bold")
    if exchange.template:
        title.append("  template ", style="dim").append_text(safe(exchange.template, "dim"))
    console.print(title)

    print_timeline(console, exchange, explain)

    _print_tls(console, exchange)

    print_hex_view(console, "Sent", exchange.sent, limit)

    received = exchange.received
    if output:
        heading(console, "Received", f"{human_bytes(exchange.bytes_in)} written to {output}")
    else:
        note = human_bytes(exchange.bytes_in)
        if exchange.truncated:
            note += f", {human_bytes(len(received))} kept"
        decoded = shown_text(received, analysis.protocol)
        print_text_views(console, "Received", received, note, encoding, limit, decoded=decoded)

    print_analysis(console, analysis)
    if analysis.http is not None:
        print_decoded_body(console, analysis.http, encoding, limit)
    _print_steps(console, exchange)
    print_stopped(console, exchange, explain)


def print_timeline(console: Printer, exchange: Exchange, explain: bool = False) -> None:
    heading(console, "Timeline")
    if explain:
        # The teaching sentences load the diagram's modules: only --explain pays for them.
        from sockscope.core.explain import event_sentence
    for row, event in zip(timeline_rows(exchange), exchange.events, strict=True):
        console.print(row_text(row))
        if explain:
            _print_sentence(console, event_sentence(exchange, event))


def row_text(row: TimelineRow) -> Text:
    """One timeline line: times, event, size, and its detail (server text, sanitised)."""
    line = Text(f"  {row.t:>10}  {row.delta:>10}  {row.event:<9}{row.size:>10}  ")
    return line.append_text(safe(row.detail))


def _print_sentence(console: Printer, sentence: str | None) -> None:
    if sentence:
        console.print(Text(f"  {'':>10}  ↳ {sentence}", style=EXPLAIN_STYLE))


def print_hex_view(
    console: Printer, name: str, data: bytes, limit: int | None, *, more: str = MORE_HINT
) -> None:
    heading(console, name, human_bytes(len(data)))
    view(console, data, limit, hexdump_rows, more)


def print_text_views(
    console: Printer,
    name: str,
    data: bytes,
    note: str,
    encoding: str,
    limit: int | None,
    *,
    more: str = MORE_HINT,
    decoded: bytes | None = None,
) -> None:
    """`NAME (repr)` and `Decoded`: the bytes as Python shows them, and as text
    (`decoded`, when the text is not all of the bytes: telnet's without its commands)."""
    heading(console, f"{name} (repr)", note)
    view(console, data, limit, repr_rows, more)
    heading(console, "Decoded", encoding)
    text_view(console, data if decoded is None else decoded, encoding, limit, more)


def print_decoded_body(
    console: Printer,
    message: HttpResponse | HttpRequest,
    encoding: str,
    limit: int | None,
    *,
    more: str = MORE_HINT,
) -> None:
    """`Body (decoded)`: a gzip, deflate or br body undone, as text in the charset its
    Content-Type names (else `encoding`); nothing when the body had no content coding."""
    decoded = decoded_body(message)
    if decoded is None:
        return
    charset = charset_of(message.headers) or encoding
    heading(console, "Body (decoded)", f"{decoded.summary()} · {charset}")
    text_view(console, decoded.data, charset, limit, more)


def print_problems(console: Printer, problems: Iterable[Problem]) -> None:
    for problem in problems:
        style = PROBLEM_STYLE.get(problem.severity, "")
        line = Text(f"  {problem.severity}: ", style=style).append_text(safe(problem.message))
        console.print(line)


def print_headers(console: Printer, headers: Iterable[tuple[str, str]]) -> None:
    for name, value in headers:
        console.print(
            Text("  ").append_text(safe(name, "cyan")).append(": ").append_text(safe(value))
        )


def _print_steps(console: Printer, exchange: Exchange) -> None:
    outcomes = step_outcomes(exchange)
    if not outcomes:
        return
    failed = sum(not outcome.ok for outcome in outcomes)
    heading(console, "Steps", f"{len(outcomes)} run, {failed} failed" if failed else "all ok")
    for outcome in outcomes:
        mark = Text("  ok     ", style="green") if outcome.ok else Text("  FAILED ", "bold red")
        line = mark.append(f"{outcome.number:>3}  ").append_text(safe(outcome.message))
        console.print(line)


def print_stopped(console: Printer, exchange: Exchange, explain: bool = False) -> None:
    heading(console, "Stopped")
    error = exchange.error
    if error is None or exchange.stop_message != error.message:  # an error says it once
        console.print(Text("  ").append_text(safe(exchange.stop_message or "-")))
    if explain:
        from sockscope.core.explain import stop_sentence

        _print_sentence(console, stop_sentence(exchange))
    if error is not None:
        console.print(Text("  error: ", style="bold red").append_text(safe(error.message)))
        if error.hint:
            console.print(Text("  hint: ", style="dim").append_text(safe(error.hint)))
    console.print(Text("  ") + Text(timings_summary(exchange.timings()) or "-"))


def _completeness(http: HttpResponse) -> str:
    if any(p.code == "capture-truncated" for p in http.problems):
        return "cut by the capture limit"
    return "complete" if http.complete else "incomplete"


def _print_tls(console: Printer, exchange: Exchange) -> None:
    certificate = peer_certificate(exchange)
    session = tls_session(exchange)
    if certificate is None and session is None:
        return
    heading(console, "TLS", session_summary(session) if session else "handshake failed")
    for label, value in certificate_rows(certificate or {}) if certificate else []:
        console.print(Text(f"  {label:<8} ", style="dim").append_text(safe(value)))


def print_analysis(console: Printer, analysis: Analysis) -> None:
    if analysis.http is not None:
        http = analysis.http
        status = "" if http.status is None else str(http.status)
        heading(console, "HTTP", f"{http.framing}, {_completeness(http)}")
        console.print(
            Text("  ").append_text(safe(f"{http.version} {status} {http.reason}", "bold"))
        )
        print_headers(console, http.headers)
        print_problems(console, http.problems)
    elif analysis.replies:
        heading(console, f"{analysis.protocol} replies", f"{len(analysis.replies)}")
        for reply in analysis.replies:
            code = reply.code or "?"
            for i, line in enumerate(reply.lines or [""]):
                lead = safe(f"{code:>6} " if i == 0 else " " * 7, "bold")
                console.print(Text("  ").append_text(lead).append_text(safe(line)))


def heading(console: Printer, name: str, note: str = "") -> None:
    text = Text(name, style=HEADING_STYLE)
    if note:
        text.append("  ").append_text(safe(note, "dim"))
    console.print(text)


def view(
    console: Printer,
    data: bytes,
    limit: int | None,
    rows: Callable[[bytes], Iterable[str]],
    more: str = MORE_HINT,
) -> None:
    """The `rows` of `data` (its first `limit` bytes), rows sockscope writes in printable
    ASCII (hex, repr): indented, a block at a time, past Rich (which took seconds for
    megabytes of rows) and still through the sanitiser."""
    shown = data if limit is None else data[:limit]
    print_rows(console, rows(shown))
    _print_more(console, len(data) - len(shown), more)


def text_view(
    console: Printer, data: bytes, encoding: str, limit: int | None, more: str = MORE_HINT
) -> None:
    """The decoded rows of `data` (its first `limit` bytes), a block at a time: as
    Rich `Text` when the block has tokens to style on a console that shows styles, else
    as plain text, which Rich would print the same."""
    shown = data if limit is None else data[:limit]
    styled = console.color_system is not None
    for block in batched(decoded_lines(shown, encoding), ROWS_PER_WRITE):
        if styled and any(token for row in block for _, token in row):
            lines = (Text("  ").append_text(segments_text(row)) for row in block)
            console.print(Text("\n").join(lines))
        else:
            print_rows(console, ("".join(chunk for chunk, _ in row) for row in block))
    _print_more(console, len(data) - len(shown), more)


def _print_more(console: Printer, left_out: int, more: str) -> None:
    if left_out:
        rest = human_bytes(left_out)
        console.print(Text(f"  ... {rest} more ({more})", style="dim"))
