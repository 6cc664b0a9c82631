"""The timeline of an exchange as rows of plain text, for every front end.

The CLI printer and the app's timeline table show the same rows; both get them here.
Detail text may quote server bytes (certificate names, error text): front ends pass it
through the display sanitiser like any other server text.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sockscope.core.model import Event, EventType, Exchange, Timings


# A NamedTuple: a dataclass compiles its methods when imported, a cost every command
# that prints a timeline would pay at its start.
class TimelineRow(NamedTuple):
    t: str  # since the start
    delta: str  # since the previous event
    event: str
    size: str
    detail: str


def format_duration(seconds: float | None) -> str:
    """`0.41 ms`, `12.3 ms`, `1.250 s`; `-` for a step that did not happen."""
    if seconds is None:
        return "-"
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.3f} s"


def event_detail(event: Event) -> str:
    """The detail column of `event`'s row."""
    d: dict[str, Any] = event.detail
    if event.type is EventType.RESOLVE:
        return ", ".join(map(str, d.get("addresses", [])))
    if event.type is EventType.CONNECT:
        peer, local = d.get("peer"), d.get("local")
        if not (peer and local):
            return str(peer or "")
        # We connected out from `local`; or a client (`peer`) reached us at `local`.
        return f"{peer} to {local}" if "listener" in d else f"{peer} from {local}"
    if event.type is EventType.TLS:
        parts = ["STARTTLS upgrade" if d.get("starttls") else None]
        parts += [d.get("version"), d.get("cipher")]
        if d.get("alpn"):
            parts.append(f"ALPN {d['alpn']}")
        if "sni" in d:  # a listener's TLS event: the name the client asked for
            parts.append(f"SNI {d['sni']}" if d["sni"] else "no SNI")
        cert = d.get("certificate") or {}
        if cert.get("subject"):
            parts.append(f"cert {cert['subject']}")
        return " · ".join(str(p) for p in parts if p)
    if event.type is EventType.RECV:
        notes = []
        if event.calls > 1:
            notes.append(f"{event.calls} recv() calls")
        if len(event.data) < event.size:
            notes.append(f"{event.size - len(event.data):,} bytes not kept")
        notes.extend(str(v) for k, v in d.items() if k == "note")
        return " · ".join(notes)
    if event.type is EventType.SEND and len(event.data) < event.size:  # a listener's reply
        return f"{event.size - len(event.data):,} bytes not kept"
    if "message" in d:
        return str(d["message"])
    return " ".join(f"{k}={v}" for k, v in d.items())


def timeline_rows(exchange: Exchange) -> list[TimelineRow]:
    rows = []
    previous = 0.0
    for event in exchange.events:
        rows.append(timeline_row(event, previous))
        previous = event.t
    return rows


def timeline_row(event: Event, previous: float) -> TimelineRow:
    """One event's row; `previous` is the time of the event before it (0 for the first)."""
    sized = event.type in (EventType.SEND, EventType.RECV)
    return TimelineRow(
        t=format_duration(event.t),
        delta=format_duration(event.t - previous),
        event=event.type.value,
        size=f"{event.size:,}" if sized else "",
        detail=event_detail(event),
    )


def timings_summary(timings: Timings) -> str:
    """`dns 0.12 ms · connect 0.30 ms · first byte 1.2 ms · total 1.5 ms` (steps taken only)."""
    steps = [
        ("dns", timings.resolve),
        ("connect", timings.connect),
        ("tls", timings.tls),
        ("first byte", timings.first_byte),
        ("total", timings.total),
    ]
    return " · ".join(
        f"{name} {format_duration(value)}" for name, value in steps if value is not None
    )
