"""A sequence diagram of a conversation: two lifelines and an arrow for each thing said.

The client's lifeline is on the left and the server's on the right, whoever sockscope
was: in a Listen conversation (the connect event names the listener) sockscope is the
server, its RECV events are the client's words and its SENDs the replies; in a relayed
one each event names its side (SENDs are the client's bytes, RECVs the server's). Each row is an
arrow (a send, a recv, the connect and TLS handshakes, a FIN, a RST) or a note (an error,
why reading stopped), with the time since the start, the size, and the first bytes.

FIN and RST are not events of their own in a transcript: the peer's FIN is the stop
reason PEER_CLOSED (recv() returned b""), ours is a shutdown() or the close() of a stream,
a RST is a reset error (the peer's) or a reset stop without one (ours: SO_LINGER 0).

Every label is built here from our own words plus sanitised text, so the text and SVG
renderers (diagram_render.py) never see a raw byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from sockscope.core.model import Direction, ErrorKind, Event, EventType, Exchange, StopReason
from sockscope.core.payload import format_text
from sockscope.core.sanitize import sanitize_line
from sockscope.core.turns import TURN_KEY, turns
from sockscope.core.views import human_bytes

PREVIEW_CHARS = 56  # of the first bytes shown under an arrow
_PREVIEW_BYTES = PREVIEW_CHARS * 4  # enough bytes for that many characters, escapes or not
# One character of a preview: an escape as a whole (`\r`, `\xNN`, `\\`) or one character.
# Characters of a message quoted in a row (a stop message, an error) made safe: a row
# shows under 80 cells of it, and a transcript's message may be megabytes long.
_QUOTED_CHARS = 256
_PREVIEW_UNIT = re.compile(r"\\x[0-9a-f]{2}|\\.|.", re.DOTALL)


class Kind(StrEnum):
    CONNECT = "connect"  # both ways: the handshake connect() or accept() waited for
    TLS = "tls"  # both ways: the TLS handshake
    DATA = "data"  # a send or a recv (or a whole turn's)
    FIN = "fin"  # one side finished sending
    RST = "rst"  # the connection was reset
    NOTE = "note"  # across both lifelines: an error, why reading stopped, close() of UDP


@dataclass(frozen=True)
class Row:
    """One arrow or note. `from_client` says which way an arrow points (None: a note);
    `event` is the index of the event that drew it, for playback and the code view."""

    kind: Kind
    t: float
    label: str  # sanitised, one line
    preview: str = ""  # the first bytes, escaped like a payload and sanitised
    from_client: bool | None = None
    event: int = 0


@dataclass(frozen=True)
class Diagram:
    client: str  # the lifelines' titles, sanitised
    server: str
    rows: tuple[Row, ...]
    to_scale: bool = False  # renderers space rows by the time between them


def relayed(exchange: Exchange) -> bool:
    """Whether `exchange` is a conversation our relay stood in (its events say whose
    side each happened on)."""
    return any(e.direction is not None for e in exchange.events)


def listened(exchange: Exchange) -> bool:
    """Whether `exchange` is a client's conversation with our Listen mode (its connect
    event names the listener), rather than one we started or relayed."""
    connect = next((e for e in exchange.events if e.type is EventType.CONNECT), None)
    return connect is not None and "listener" in connect.detail and not relayed(exchange)


def preview(data: bytes | memoryview, limit: int = PREVIEW_CHARS) -> str:
    """The first bytes as payload syntax on one line (`EHLO me\\r\\n`), cut with `…`."""
    text = format_text(bytes(data[:_PREVIEW_BYTES])).replace("\n", "\\n")
    units = _PREVIEW_UNIT.findall(text)
    cut = len(units) > limit or len(data) > _PREVIEW_BYTES
    shown = "".join(units[: limit - 1] if cut else units)
    return sanitize_line(shown + ("…" if cut else ""))


def _quoted(text: str) -> str:
    return sanitize_line(text[:_QUOTED_CHARS])


def diagram(exchange: Exchange, *, by_turn: bool = False, to_scale: bool = False) -> Diagram:
    """The diagram of `exchange`: a row per send and recv, or per turn with `by_turn`."""
    server_side = listened(exchange)
    label = sanitize_line(exchange.target.label)
    if server_side:
        client, server = f"client {label}", "sockscope (server)"
    elif relayed(exchange):
        client, server = "client (via sockscope relay)", f"server {label}"
    else:
        client, server = "sockscope (client)", f"server {label}"
    rows = _Rows(exchange, server_side).build(by_turn)
    return Diagram(client, server, tuple(rows), to_scale)


class _Rows:
    """The rows of one exchange, built in event order."""

    def __init__(self, exchange: Exchange, server_side: bool) -> None:
        self.exchange = exchange
        self.us = not server_side  # `from_client` of the rows sockscope's side draws
        self.stream = not exchange.target.transport.is_datagram
        # Asked once: each close asks it, and a transcript may hold a million of them.
        self.relayed = relayed(exchange)
        self.rows: list[Row] = []
        self.fin_sent = False
        self.reset = False

    def build(self, by_turn: bool) -> list[Row]:
        for index, event in enumerate(self.exchange.events):
            if by_turn and event.type in (EventType.SEND, EventType.RECV):
                continue
            self._event(index, event)
        if by_turn:
            self._turns()
        return self.rows

    def add(
        self,
        kind: Kind,
        t: float,
        label: str,
        event: int,
        from_client: bool | None = None,
        preview: str = "",
    ) -> None:
        self.rows.append(Row(kind, t, label, preview, from_client, event))

    def _event(self, index: int, event: Event) -> None:
        kind, t, us = event.type, event.t, self.us
        transport = self.exchange.target.transport
        if event.direction is not None and kind is not EventType.CLOSE:
            self._relayed(index, event)
        elif kind is EventType.CONNECT:
            if not us:
                self.add(Kind.CONNECT, t, "accept(): a client connected", index, True)
            elif self.stream:
                what = "Unix socket" if transport.is_unix else "TCP handshake"
                self.add(Kind.CONNECT, t, f"connect(): {what}", index, True)
            else:
                self.add(Kind.NOTE, t, "connect(): no packet, UDP only picks the peer", index)
        elif kind is EventType.TLS:
            facts = [str(event.detail.get(k, "")) for k in ("version", "cipher")]
            said = " · ".join(_quoted(f) for f in facts if f)
            self.add(Kind.TLS, t, f"TLS handshake {said}".strip(), index, True)
        elif kind in (EventType.SEND, EventType.RECV):
            mine = kind is EventType.SEND
            self.add(
                Kind.DATA,
                t,
                _data_label(event, self.stream),
                index,
                us if mine else not us,
                preview(event.data),
            )
        elif kind is EventType.SHUTDOWN:
            note = event.detail.get("message")
            said = f"shutdown(): {_quoted(str(note))}" if note else "shutdown(SHUT_WR): FIN"
            self.add(Kind.FIN, t, said, index, us)
            self.fin_sent = True
        elif kind is EventType.ERROR:
            self._error(index, event)
        elif kind is EventType.CLOSE:
            self._close(index, t)

    def _relayed(self, index: int, event: Event) -> None:
        """An event on one side of a relay: the client's side draws from the left."""
        kind, t = event.type, event.t
        client = event.direction is Direction.CLIENT
        side = "client" if client else "server"
        if kind is EventType.CONNECT:
            said = "accept(): the client reached the relay" if client else "the relay connected"
            self.add(Kind.CONNECT, t, said, index, True)
        elif kind is EventType.TLS:
            self.add(Kind.TLS, t, f"TLS handshake, {side} side", index, True)
        elif kind in (EventType.SEND, EventType.RECV):
            self._event(index, replace(event, direction=None))
        elif kind is EventType.SHUTDOWN:
            self.add(Kind.FIN, t, f"FIN: the {side} finished sending", index, client)
        elif kind is EventType.ERROR:
            self._error(index, event, client)

    def _error(self, index: int, event: Event, from_client: bool | None = None) -> None:
        kind = event.detail.get("kind")
        message = _quoted(str(event.detail.get("message", "")))
        if kind in (ErrorKind.RESET.value, ErrorKind.REFUSED.value):
            self.reset = True
            sender = not self.us if from_client is None else from_client
            self.add(Kind.RST, event.t, f"RST: {message}", index, sender)
        else:
            self.add(Kind.NOTE, event.t, f"error: {message}", index)

    def _close(self, index: int, t: float) -> None:
        exchange, us = self.exchange, self.us
        stop = exchange.stop
        quiet = (None, StopReason.PEER_CLOSED, StopReason.RESET, StopReason.CLOSED)
        if stop not in quiet and exchange.error is None:
            said = _quoted(exchange.stop_message or str(stop))
            self.add(Kind.NOTE, t, f"stop: {said}", index)
        if not self.stream:
            self.add(Kind.NOTE, t, "close(): nothing is sent, UDP has no connection", index)
            return
        if self.relayed:
            self.add(Kind.NOTE, t, "the relay closed both connections", index)
            return
        if stop is StopReason.PEER_CLOSED:
            self.add(Kind.FIN, t, 'FIN: recv() returned b""', index, not us)
        if stop is StopReason.RESET and not self.reset:
            self.reset = True
            self.add(Kind.RST, t, "close() with SO_LINGER 0: RST", index, us)
        elif self.reset:
            self.add(Kind.NOTE, t, "close(): the connection is already gone", index)
        elif self.fin_sent:
            self.add(Kind.NOTE, t, "close(): our FIN went with shutdown()", index)
        else:
            self.add(Kind.FIN, t, "close(): FIN", index, us)

    def _turns(self) -> None:
        events = self.exchange.events
        # The first SEND and RECV event of each turn: where its arrows are drawn.
        first: dict[tuple[int, EventType], int] = {}
        number = 0
        for index, event in enumerate(events):
            if event.type not in (EventType.SEND, EventType.RECV):
                continue
            tag = event.detail.get(TURN_KEY)
            if isinstance(tag, int) and not isinstance(tag, bool):
                number = tag
            elif event.type is EventType.SEND:
                number += 1
            first.setdefault((number, event.type), index)
        for turn in turns(events):
            if turn.sends and turn.started is not None:
                pieces = f" in {turn.sends} sends" if turn.sends > 1 else ""
                self.add(
                    Kind.DATA,
                    turn.started,
                    f"turn {turn.number}: {human_bytes(turn.sent)}{pieces}",
                    first[(turn.number, EventType.SEND)],
                    self.us,
                    preview(turn.request),
                )
            if turn.replies and turn.first_reply is not None:
                pieces = f" in {turn.replies} recv events" if turn.replies > 1 else ""
                self.add(
                    Kind.DATA,
                    turn.first_reply,
                    f"turn {turn.number}: {human_bytes(turn.received)}{pieces}",
                    first[(turn.number, EventType.RECV)],
                    not self.us,
                    preview(turn.reply),
                )
        self.rows.sort(key=lambda row: row.event)


def _data_label(event: Event, stream: bool) -> str:
    size = human_bytes(event.size)
    if event.type is EventType.SEND:
        return f"sendall() {size}" if stream else f"send() one datagram, {size}"
    if not stream:
        return f"recv() one datagram, {size}"
    if event.calls > 1:
        return f"recv() ×{event.calls}: {size}"
    return f"recv() {size}"


def spacing(diagram: Diagram, steps: int) -> list[int]:
    """Blank steps before each row: none, or the time since the row before to scale, the
    longest gap `steps` long."""
    rows = diagram.rows
    if not diagram.to_scale or not rows:
        return [0] * len(rows)
    starts = (0.0, *(row.t for row in rows[:-1]))
    gaps = [max(row.t - before, 0.0) for before, row in zip(starts, rows, strict=True)]
    longest = max(gaps)
    if longest <= 0:
        return [0] * len(rows)
    return [round(gap / longest * steps) for gap in gaps]
