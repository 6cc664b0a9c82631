"""The code view's script: the export's own Python script, and the line each event came from."""

from __future__ import annotations

from dataclasses import replace

from sockscope.core.model import Event, EventType, ReadPolicy
from sockscope.export.python_script import python_script, to_python
from tests.tui.exchanges import qotd_udp_exchange, smtp_session_exchange, tls_exchange


def marked(exchange):  # type: ignore[no-untyped-def]
    script = python_script(exchange)
    return [
        (event.type.value, script.lines[script.line_of_event[i]].strip())
        for i, event in enumerate(exchange.events)
        if i in script.line_of_event
    ]


def test_the_script_is_the_python_export_line_for_line() -> None:
    for exchange in (smtp_session_exchange(), tls_exchange(), qotd_udp_exchange()):
        assert "\n".join(python_script(exchange).lines) + "\n" == to_python(exchange)


def test_each_send_marks_its_own_sendall_and_each_recv_the_recv_call() -> None:
    assert marked(smtp_session_exchange()) == [
        ("resolve", "sock = socket.create_connection((HOST, PORT), timeout=CONNECT_TIMEOUT)"),
        ("connect", "sock = socket.create_connection((HOST, PORT), timeout=CONNECT_TIMEOUT)"),
        ("recv", "chunk = sock.recv(65536)"),
        ("send", "sock.sendall(b'EHLO sockscope.local\\r\\n')"),
        ("recv", "chunk = sock.recv(65536)"),
        ("send", "sock.sendall(b'QUIT\\r\\n')"),
        ("recv", "chunk = sock.recv(65536)"),
        ("close", "with sock:"),
    ]


def test_the_tls_handshake_marks_wrap_socket() -> None:
    assert ("tls", "sock = context.wrap_socket(sock, server_hostname=SERVER_NAME)") in marked(
        tls_exchange()
    )


def test_a_half_close_marks_shutdown_shut_wr() -> None:
    exchange = smtp_session_exchange()
    events = [*exchange.events[:-1], Event(EventType.SHUTDOWN, 12.0), exchange.events[-1]]
    half = replace(exchange, events=events, policy=ReadPolicy(half_close=True))
    assert ("shutdown", "sock.shutdown(socket.SHUT_WR)") in marked(half)


def test_udp_marks_connect_send_and_the_datagram_recv() -> None:
    assert [m for m in marked(qotd_udp_exchange()) if m[0] != "resolve"] == [
        ("connect", "sock.connect(address)"),
        ("send", "sock.send(b'\\r\\n')"),
        ("recv", "datagram = sock.recv(65535)"),
        ("close", "with sock:"),
    ]
