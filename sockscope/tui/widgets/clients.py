"""Listen mode's client list: one entry per accepted connection, with its live state.

A client's peer label, SNI and ALPN are chosen by the client (or derived from what it
sent): every one of them reaches the list as sanitised Content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sockscope.core.certificate import tls_session
from sockscope.core.model import Exchange, Transport
from sockscope.core.views import human_bytes
from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, KEY_STYLE, OK_STYLE, plain, safe
from sockscope.tui.widgets.panes import size_badge

if TYPE_CHECKING:
    from sockscope.engine.listener import ClientSession


@dataclass
class Client:
    number: int  # 1, 2, 3... in the order clients arrived
    peer: str  # "127.0.0.1:50312", or "pid 123 (uid 1000)" on a Unix socket
    exchange: Exchange  # live: the listener thread appends its events
    session: ClientSession | None = None  # None: a recorded client, nobody to reply to

    @property
    def open(self) -> bool:
        """Whether replies can still reach it."""
        return self.session is not None and not self.exchange.finished


def client_state(exchange: Exchange) -> tuple[str, str]:
    """(state word, style): `open`, `handshake`, or the stop reason once it ended."""
    if exchange.stop is not None:
        return exchange.stop.value, ERROR_STYLE if exchange.error is not None else DIM_STYLE
    if exchange.target.transport is Transport.TLS and tls_session(exchange) is None:
        return "handshake", "$text-primary"
    return "open", OK_STYLE


def client_label(client: Client) -> Content:
    """`#1 127.0.0.1:50312 · open`, `↓ 78 bytes ↑ 1.2 KiB`, and for TLS `SNI x · ALPN h2`."""
    exchange = client.exchange
    state, style = client_state(exchange)
    lines = [
        Content.assemble(
            plain(f"#{client.number} ", KEY_STYLE),
            safe(client.peer, limit=60, one_line=True),
            plain(" · "),
            plain(state, style),
        )
    ]
    received = size_badge(exchange.kept, exchange.bytes_in)
    lines.append(plain(f"  ↓ {received} ↑ {human_bytes(exchange.bytes_out)}", DIM_STYLE))
    session = tls_session(exchange)
    if session is not None:
        sni, alpn = session.get("sni"), session.get("alpn")
        parts = [plain("  SNI ", DIM_STYLE)]
        parts.append(safe(str(sni), limit=60, one_line=True) if sni else plain("none", DIM_STYLE))
        parts.append(plain(" · ALPN ", DIM_STYLE))
        parts.append(safe(str(alpn), limit=40, one_line=True) if alpn else plain("none", DIM_STYLE))
        lines.append(Content.assemble(*parts))
    return Content("\n").join(lines)


class ClientList(OptionList):
    """Every client so far, in arrival order; a label is redrawn only when it changed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clients: list[Client] = []
        self._drawn: list[tuple[object, ...]] = []

    @staticmethod
    def _key(client: Client) -> tuple[object, ...]:
        exchange = client.exchange
        return (len(exchange.events), exchange.stop)

    def add(self, client: Client) -> None:
        self.clients.append(client)
        self._drawn.append(self._key(client))
        self.add_option(Option(client_label(client), id=str(len(self.clients) - 1)))
        if self.highlighted is None:
            self.highlighted = len(self.clients) - 1

    def refresh_labels(self) -> None:
        for index, client in enumerate(self.clients):
            key = self._key(client)
            if key != self._drawn[index]:
                self._drawn[index] = key
                self.replace_option_prompt_at_index(index, client_label(client))

    @property
    def selected(self) -> Client | None:
        index = self.highlighted
        return None if index is None else self.clients[index]
