"""The sequence diagram: an arrow for everything said, the right way round, safe to show."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from sockscope.core import diagram as diagram_module
from sockscope.core.diagram import Diagram, Kind, diagram, preview
from sockscope.core.diagram_text import SCALE_LINES, cells, render_text
from sockscope.core.model import (
    ErrorInfo,
    ErrorKind,
    Event,
    EventType,
    Exchange,
    ReadPolicy,
    StopReason,
    Target,
    Transport,
)
from sockscope.export.diagram_svg import render_svg
from tests.tui.exchanges import (
    failed_dialogue_exchange,
    hostile_exchange,
    http_exchange,
    qotd_udp_exchange,
    refused_exchange,
    smtp_session_exchange,
    tls_exchange,
)

EVERY = (
    http_exchange,
    tls_exchange,
    smtp_session_exchange,
    qotd_udp_exchange,
    refused_exchange,
    hostile_exchange,
    failed_dialogue_exchange,
)


def arrows(d: Diagram) -> list[tuple[str, bool | None, str]]:
    return [(row.kind.value, row.from_client, row.label) for row in d.rows]


def listened_exchange(stop: StopReason = StopReason.PEER_CLOSED) -> Exchange:
    """A client's conversation with `sockscope listen`: its request, our reply."""
    request, reply = b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.0 200 OK\r\n\r\nhi"
    return Exchange(
        target=Target("127.0.0.1", 51000, Transport.TCP),
        request=reply,
        events=[
            Event(
                EventType.CONNECT,
                0.0,
                detail={"peer": "127.0.0.1:51000", "listener": "127.0.0.1:8080"},
            ),
            Event(EventType.RECV, 0.001, request, len(request)),
            Event(EventType.SEND, 0.002, reply, len(reply)),
            Event(EventType.SHUTDOWN, 0.003),
            Event(EventType.CLOSE, 0.004),
        ],
        stop=stop,
        stop_message="the client closed",
    )


def test_one_shot_exchange_draws_connect_send_recv_and_both_fins() -> None:
    assert arrows(diagram(http_exchange())) == [
        ("connect", True, "connect(): TCP handshake"),
        ("data", True, "sendall() 95 bytes"),
        ("data", False, "recv() 193 bytes"),
        ("fin", False, 'FIN: recv() returned b""'),
        ("fin", True, "close(): FIN"),
    ]


def test_arrows_carry_the_first_bytes_escaped_like_a_payload() -> None:
    rows = diagram(smtp_session_exchange()).rows
    previews = [row.preview for row in rows if row.kind is Kind.DATA]
    assert previews[1] == "EHLO sockscope.local\\r\\n"
    assert previews[2].startswith("250-lab.sockscope.test greets") and previews[2].endswith("…")


def test_a_preview_is_cut_between_escapes_never_inside_one() -> None:
    shown = preview(b"\r\n" * 100, limit=5)
    assert shown == "\\r\\n\\r\\n…"


def test_tls_handshake_is_drawn_after_connect_with_its_version() -> None:
    kinds = [(row.kind, row.label) for row in diagram(tls_exchange()).rows][:2]
    assert kinds[0][0] is Kind.CONNECT
    assert kinds[1] == (Kind.TLS, "TLS handshake TLSv1.3 · TLS_AES_256_GCM_SHA384")


def test_by_turn_a_session_has_one_arrow_per_side_of_each_turn() -> None:
    rows = diagram(smtp_session_exchange(), by_turn=True).rows
    data = [(row.from_client, row.label) for row in rows if row.kind is Kind.DATA]
    assert data == [
        (False, "turn 0: 50 bytes"),
        (True, "turn 1: 22 bytes"),
        (False, "turn 1: 89 bytes"),
        (True, "turn 2: 6 bytes"),
        (False, "turn 2: 43 bytes"),
    ]
    assert rows[-1].label == "close(): FIN"


def test_a_listen_conversation_has_the_client_on_the_left_speaking_first() -> None:
    d = diagram(listened_exchange())
    assert (d.client, d.server) == ("client 127.0.0.1:51000", "sockscope (server)")
    assert arrows(d) == [
        ("connect", True, "accept(): a client connected"),
        ("data", True, "recv() 18 bytes"),
        ("data", False, "sendall() 21 bytes"),
        ("fin", False, "shutdown(SHUT_WR): FIN"),
        ("fin", True, 'FIN: recv() returned b""'),
        ("note", None, "close(): our FIN went with shutdown()"),
    ]


def test_a_refused_connect_is_the_servers_rst() -> None:
    assert arrows(diagram(refused_exchange())) == [
        ("rst", False, "RST: connection refused by 127.0.0.1:9")
    ]


def test_a_reset_we_asked_for_is_our_rst() -> None:
    ours = replace(smtp_session_exchange(), stop=StopReason.RESET, error=None)
    assert arrows(diagram(ours))[-1] == ("rst", True, "close() with SO_LINGER 0: RST")


def test_a_reset_by_the_peer_is_its_rst_and_close_sends_nothing() -> None:
    exchange = http_exchange()
    error = ErrorInfo(ErrorKind.RESET, "connection reset by peer after 193 bytes")
    events = [*exchange.events[:-1], Event(EventType.ERROR, 0.0024, detail=error.to_dict())]
    reset = replace(
        exchange, events=[*events, exchange.events[-1]], stop=StopReason.RESET, error=error
    )
    assert arrows(diagram(reset))[-2:] == [
        ("rst", False, "RST: connection reset by peer after 193 bytes"),
        ("note", None, "close(): the connection is already gone"),
    ]


def test_why_reading_stopped_is_a_note_before_our_close() -> None:
    idle = replace(http_exchange(), stop=StopReason.IDLE, stop_message="no data for 2.0 s")
    assert arrows(diagram(idle))[-2:] == [
        ("note", None, "stop: no data for 2.0 s"),
        ("fin", True, "close(): FIN"),
    ]


def test_udp_has_no_handshake_and_no_fin() -> None:
    kinds = {row.kind for row in diagram(qotd_udp_exchange()).rows}
    assert kinds == {Kind.NOTE, Kind.DATA}


def test_the_text_diagram_fits_80_columns_for_every_kind_of_exchange() -> None:
    for make in EVERY:
        for by_turn in (False, True):
            lines = render_text(diagram(make(), by_turn=by_turn, to_scale=True))
            assert max(map(cells, lines)) <= 80, make.__name__
            assert all(
                line.count("│") + line.count("├") + line.count("┤") == 2 for line in lines[1:]
            )


def test_to_scale_the_longest_gap_gets_the_most_room() -> None:
    lines = render_text(diagram(smtp_session_exchange(), to_scale=True))
    assert sum("⋮ 5.606 s later" in line for line in lines) == 1
    plain = render_text(diagram(smtp_session_exchange()))
    assert len(lines) - len(plain) >= SCALE_LINES
    assert not any("later" in line for line in plain)


def _unsafe(text: str) -> list[str]:
    return [
        ch
        for ch in text
        if (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or 0x202A <= ord(ch) <= 0x202E)
    ]


def test_hostile_bytes_in_every_label_are_shown_as_tokens() -> None:
    d = diagram(hostile_exchange())
    for line in render_text(d):
        assert _unsafe(line) == [], line
    svg = render_svg(d)
    assert _unsafe(svg.replace("\n", "")) == []
    texts = [el.text or "" for el in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert any("[@click=app.q" in text for text in texts)  # literal text, not markup


@given(st.binary(max_size=300), st.binary(max_size=300), st.text(max_size=40))
def test_any_bytes_and_any_host_make_a_safe_diagram_that_fits(
    sent: bytes, received: bytes, host: str
) -> None:
    exchange = Exchange(
        target=Target(host or "h", 7, Transport.TCP),
        request=sent,
        policy=ReadPolicy(),
        events=[
            Event(EventType.CONNECT, 0.001),
            Event(EventType.SEND, 0.002, sent, len(sent)),
            Event(EventType.RECV, 0.003, received, len(received)),
            Event(EventType.CLOSE, 0.004),
        ],
        stop=StopReason.IDLE,
        stop_message=received.decode("utf-8", "surrogateescape"),
    )
    d = diagram(exchange)
    lines = render_text(d)
    assert max(map(cells, lines)) <= 80
    assert all(_unsafe(line) == [] for line in lines)
    ET.fromstring(render_svg(d))  # well-formed, whatever the bytes


@given(st.text(max_size=12))
def test_cells_counts_wide_characters_twice_and_combining_ones_not_at_all(text: str) -> None:
    import unicodedata

    expected = sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )
    assert cells(text) == expected


def test_a_transcript_of_many_closes_asks_once_whether_it_was_relayed(monkeypatch) -> None:
    # Each close asked it of every event: a hostile transcript of 100,000 closes took
    # minutes to draw (a million, days).
    asked = []
    real = diagram_module.relayed
    monkeypatch.setattr(diagram_module, "relayed", lambda e: asked.append(1) or real(e))
    closes = [Event(EventType.CLOSE, 0.1) for _ in range(1000)]
    exchange = replace(http_exchange(), events=closes)

    drawn = diagram(exchange)

    assert len(drawn.rows) >= 1000
    assert len(asked) <= 3


def test_a_message_megabytes_long_is_quoted_in_its_row_as_far_as_a_row_shows() -> None:
    # A transcript's stop message may be tens of megabytes: made safe whole for a row
    # that shows 70 cells of it, it cost over ten times its size.
    exchange = replace(
        http_exchange(), stop=StopReason.DEADLINE, stop_message="\x1b]0;x\x07" * 1_000_000
    )

    notes = [row.label for row in diagram(exchange).rows if row.label.startswith("stop:")]

    assert len(notes) == 1
    assert notes[0].startswith("stop: ␛]0;x␇")
    assert len(notes[0]) < 1000
