"""`--explain`'s sentences: one for every step a learner sees, in the tutorials' words."""

from __future__ import annotations

from dataclasses import replace

from sockscope.core.explain import event_sentence, stop_sentence
from sockscope.core.model import Event, EventType, StopReason
from tests.core.test_diagram import listened_exchange
from tests.tui.exchanges import http_exchange, qotd_udp_exchange, refused_exchange


def sentences(exchange):  # type: ignore[no-untyped-def]
    return {e.type: event_sentence(exchange, e) for e in exchange.events}


def test_a_recv_says_tcp_is_a_stream() -> None:
    said = sentences(http_exchange())
    assert said[EventType.RECV] == (
        "recv() returned 193 bytes: TCP is a stream, so one recv can hold part of a reply, "
        "or several"
    )
    assert "three-way handshake" in said[EventType.CONNECT]
    assert said[EventType.SEND].startswith("sendall() handed 95 bytes to the kernel")
    assert "FIN" in said[EventType.CLOSE]


def test_coalesced_reads_name_how_many_recv_calls_there_were() -> None:
    exchange = http_exchange()
    event = Event(EventType.RECV, 0.1, b"abc", 3, calls=3)
    assert event_sentence(exchange, event) == (
        "3 recv() calls returned 3 bytes in all: TCP is a stream, so one recv can hold part "
        "of a reply, or several"
    )


def test_udp_sentences_speak_of_datagrams() -> None:
    said = sentences(qotd_udp_exchange())
    assert "sends nothing" in said[EventType.CONNECT]
    assert said[EventType.RECV].startswith("recv() returned one datagram of 99 bytes")
    assert stop_sentence(qotd_udp_exchange()) is not None


def test_a_refused_connect_is_explained_as_a_rst_to_the_syn() -> None:
    assert "answered the SYN with a RST" in sentences(refused_exchange())[EventType.ERROR]


def test_a_listen_conversation_is_explained_from_the_servers_side() -> None:
    exchange = listened_exchange()
    said = sentences(exchange)
    assert said[EventType.CONNECT].startswith("accept() returned a new socket")
    assert "the client's reply" in said[EventType.SHUTDOWN]
    assert "the client closed its side" in (stop_sentence(exchange) or "")


def test_every_way_reading_can_stop_has_a_sentence() -> None:
    for stop in StopReason:
        assert stop_sentence(replace(http_exchange(), stop=stop)), stop


def test_an_idle_timeout_names_its_seconds() -> None:
    idle = replace(http_exchange(), stop=StopReason.IDLE)
    assert (stop_sentence(idle) or "").startswith("nothing arrived for 2.0 s")
