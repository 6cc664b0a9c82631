"""The listener keeps accepting whatever one client's conversation does."""

from __future__ import annotations

import socket


def test_a_reply_factory_that_fails_does_not_stop_the_listener_accepting(listen) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    running = listen(broken, linger=0.1)
    notes = []
    for _ in range(2):
        with socket.create_connection((running.address.host, running.address.port), 5) as c:
            c.sendall(b"hi")
            c.shutdown(socket.SHUT_WR)
            c.recv(10)
        exchange = running.finished.get(timeout=10)
        notes += [e.detail.get("message", "") for e in exchange.events]
    assert sum("making the reply failed" in note for note in notes) == 2
