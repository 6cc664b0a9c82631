"""The turns of a conversation: who spoke, when, and how much.

A turn starts with a send and holds the replies that came before the next send; turn 0
holds what the peer said before anything was sent (a greeting). A persistent session
tags each SEND and RECV event with its turn (`detail["turn"]`: one message sent in
several pieces stays one turn); untagged events (one-shot exchanges, dialogues, older
transcripts) are numbered by the same rule, each SEND starting the next turn. The app
and the CLI both show turns from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sockscope.core.model import Event, EventType, Exchange
from sockscope.core.timeline import format_duration
from sockscope.core.views import human_bytes

TURN_KEY = "turn"


@dataclass(frozen=True)
class Turn:
    """One send and the replies to it; times are seconds since the exchange started."""

    number: int
    request: bytes = b""  # the bytes sent
    reply: bytes = b""  # the received bytes retained
    sent: int = 0
    received: int = 0  # every byte received, retained or not
    sends: int = 0  # SEND events (a large message goes out in several)
    replies: int = 0  # RECV events (one per datagram on datagram transports)
    started: float | None = None  # the first send; None for turn 0
    first_reply: float | None = None
    last_reply: float | None = None

    @property
    def waited(self) -> float | None:
        """From the send to the first reply byte; None without both."""
        if self.started is None or self.first_reply is None:
            return None
        return self.first_reply - self.started


def turns(events: Iterable[Event]) -> list[Turn]:
    """The turns, in order, of every SEND and RECV event (other events belong to none)."""
    found: dict[int, _Tally] = {}
    current = 0
    for event in events:
        if event.type not in (EventType.SEND, EventType.RECV):
            continue
        tag = event.detail.get(TURN_KEY)
        if isinstance(tag, int) and not isinstance(tag, bool):
            current = tag
        elif event.type is EventType.SEND:
            current += 1
        found.setdefault(current, _Tally()).add(event)
    return [found[n].turn(n) for n in sorted(found)]


class _Tally:
    """A turn being summed up (bytes joined once at the end: sessions can be long)."""

    def __init__(self) -> None:
        self.sends: list[Event] = []
        self.replies: list[Event] = []

    def add(self, event: Event) -> None:
        (self.sends if event.type is EventType.SEND else self.replies).append(event)

    def turn(self, number: int) -> Turn:
        sends, replies = self.sends, self.replies
        return Turn(
            number,
            request=b"".join(e.data for e in sends),
            reply=b"".join(e.data for e in replies),
            sent=sum(e.size for e in sends),
            received=sum(e.size for e in replies),
            sends=len(sends),
            replies=len(replies),
            started=sends[0].t if sends else None,
            first_reply=replies[0].t if replies else None,
            last_reply=replies[-1].t if replies else None,
        )


@dataclass(frozen=True)
class TurnRow:
    """One speaker within one turn, as plain text."""

    turn: str
    who: str  # "you" or "peer"
    t: str  # since the start
    size: str
    detail: str


def turn_rows(exchange: Exchange) -> list[TurnRow]:
    """A row for each side that spoke in each turn: yours first, then the peer's."""
    datagram = exchange.target.transport.is_datagram
    rows = []
    for turn in turns(exchange.events):
        if turn.sends:
            said = [f"in {turn.sends} sends"] if turn.sends > 1 else []
            if not turn.replies:
                said.append("no reply")
            rows.append(
                TurnRow(
                    str(turn.number),
                    "you",
                    format_duration(turn.started),
                    human_bytes(turn.sent),
                    " · ".join(said),
                )
            )
        if turn.replies:
            notes = []
            if turn.waited is not None:
                notes.append(f"first byte after {format_duration(turn.waited)}")
            if datagram:
                notes.append("1 datagram" if turn.replies == 1 else f"{turn.replies} datagrams")
            elif turn.replies > 1 and turn.first_reply is not None and turn.last_reply is not None:
                notes.append(f"over {format_duration(turn.last_reply - turn.first_reply)}")
            if len(turn.reply) < turn.received:
                notes.append(f"{human_bytes(turn.received - len(turn.reply))} not kept")
            rows.append(
                TurnRow(
                    str(turn.number),
                    "peer",
                    format_duration(turn.first_reply),
                    human_bytes(turn.received),
                    " · ".join(notes),
                )
            )
    return rows
