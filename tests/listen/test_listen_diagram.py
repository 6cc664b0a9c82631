"""A Listen conversation's diagram: the client on the left, its words first, our reply back."""

from __future__ import annotations

import socket

from sockscope.core.diagram import Kind, diagram
from sockscope.core.responders import Fixed


def test_a_recorded_listen_conversation_draws_the_client_speaking_and_our_reply(listen) -> None:
    running = listen(lambda: Fixed(b"220 hello\r\n"))
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.sendall(b"EHLO me\r\n")
        while client.recv(65536):
            pass
    d = diagram(running.next_finished())
    assert d.server == "sockscope (server)" and d.client.startswith("client 127.0.0.1:")
    data = [(row.from_client, row.preview) for row in d.rows if row.kind is Kind.DATA]
    assert data == [(True, "EHLO me\\r\\n"), (False, "220 hello\\r\\n")]
    assert d.rows[0].label == "accept(): a client connected"
    assert any(row.kind is Kind.FIN and row.from_client is False for row in d.rows)
