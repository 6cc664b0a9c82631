"""A relayed conversation's diagram: the client's words left to right, the server's back,
each side's handshake, FIN and RST drawn from the side it happened on."""

from __future__ import annotations

from sockscope.core.diagram import Kind, diagram
from sockscope.core.diagram_text import render_text
from tests.relay.conftest import Server


def test_a_relayed_conversation_draws_both_sides_the_right_way_round(relay, server: Server) -> None:
    running = relay(server.target())
    client = running.connect()
    upstream = server.accepted()
    client.sendall(b"PING\r\n")
    assert upstream.recv(100) == b"PING\r\n"
    upstream.sendall(b"+PONG\r\n")
    assert client.recv(100) == b"+PONG\r\n"
    client.close()
    assert upstream.recv(100) == b""
    upstream.close()
    d = diagram(running.next_finished())

    assert d.client == "client (via sockscope relay)"
    assert d.server == f"server 127.0.0.1:{server.port}"
    rows = [(row.kind, row.from_client, row.label, row.preview) for row in d.rows]
    assert rows[0][:3] == (Kind.CONNECT, True, "accept(): the client reached the relay")
    assert (Kind.CONNECT, True, "the relay connected", "") in rows
    data = [(r[1], r[3]) for r in rows if r[0] is Kind.DATA]
    assert data == [(True, "PING\\r\\n"), (False, "+PONG\\r\\n")]
    assert (Kind.FIN, True, "FIN: the client finished sending", "") in rows
    assert rows[-1][:3] == (Kind.NOTE, None, "the relay closed both connections")
    assert max(len(line) for line in render_text(d)) <= 80
