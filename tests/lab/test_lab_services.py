"""The classic services answer the way their RFCs and the socket tutorials say."""

from __future__ import annotations

import socket
from collections.abc import Callable

from sockscope.lab import LabThread
from sockscope.lab.services import CHARGEN_TCP_BYTES, QUOTES, TRICKLE_LINES

Connect = Callable[..., socket.socket]


def test_echo_sends_back_what_it_receives(connect: Connect) -> None:
    sock = connect("echo")
    sock.sendall(b"hello, lab\r\n\x00\xff")
    sock.shutdown(socket.SHUT_WR)
    assert sock.makefile("rb").read() == b"hello, lab\r\n\x00\xff"


def test_udp_echo_answers_a_datagram_with_the_same_bytes(
    lab: LabThread, udp: socket.socket
) -> None:
    udp.sendto(b"ping\n", (lab.host, lab.port("echo", "udp")))
    assert udp.recv(65535) == b"ping\n"


def test_udp_shares_the_tcp_port_number(lab: LabThread) -> None:
    for service in ("echo", "discard", "daytime", "qotd", "chargen"):
        assert lab.port(service, "udp") == lab.port(service, "tcp")


def test_daytime_sends_one_line_then_closes(connect: Connect) -> None:
    reply = connect("daytime").makefile("rb").read()
    assert reply.endswith(b"-UTC\r\n")
    assert reply.count(b"\n") == 1


def test_qotd_sends_a_short_quote_then_closes(connect: Connect) -> None:
    reply = connect("qotd").makefile("rb").read()
    assert reply.decode().removesuffix("\r\n") in QUOTES
    assert len(reply) < 512


def test_qotd_gives_the_next_quote_to_the_next_connection(connect: Connect) -> None:
    first = connect("qotd").makefile("rb").read()
    second = connect("qotd").makefile("rb").read()
    assert first != second


def test_qotd_udp_answers_one_datagram_with_a_quote(lab: LabThread, udp: socket.socket) -> None:
    udp.sendto(b"\n", (lab.host, lab.port("qotd", "udp")))
    assert udp.recv(65535).decode().removesuffix("\r\n") in QUOTES


def test_discard_sends_nothing_back(connect: Connect) -> None:
    sock = connect("discard")
    sock.sendall(b"x" * 100_000)
    sock.shutdown(socket.SHUT_WR)
    assert sock.makefile("rb").read() == b""


def test_chargen_sends_whole_rfc_864_lines_up_to_64_kib_then_closes(connect: Connect) -> None:
    reply = connect("chargen").makefile("rb").read()
    lines = reply.split(b"\r\n")[:-1]
    assert len(reply) == CHARGEN_TCP_BYTES <= 65536
    assert all(len(line) == 72 for line in lines)
    assert lines[0] == bytes(range(0x20, 0x20 + 72))
    assert lines[1] == bytes(range(0x21, 0x21 + 72))
    assert lines[95] == lines[0]


def test_chargen_udp_answers_one_datagram_of_at_most_512_bytes(
    lab: LabThread, udp: socket.socket
) -> None:
    udp.sendto(b"\n", (lab.host, lab.port("chargen", "udp")))
    datagram = udp.recv(65535)
    assert 0 < len(datagram) <= 512
    assert datagram.startswith(b' !"#$%&')


def test_greeter_speaks_first_then_echoes_lines(connect: Connect) -> None:
    sock = connect("greeter")
    reader = sock.makefile("rb")
    assert reader.readline() == b"Thank you for connecting\r\n"
    sock.sendall(b"hello\r\nagain\n")
    assert reader.readline() == b"hello\r\n"
    assert reader.readline() == b"again\n"


def test_greeter_cuts_an_endless_line_instead_of_buffering_it(connect: Connect) -> None:
    sock = connect("greeter")
    reader = sock.makefile("rb")
    reader.readline()
    sock.sendall(b"x" * 100_000 + b"\n")
    sock.shutdown(socket.SHUT_WR)
    assert reader.read() == b"x" * 100_000 + b"\n"


def test_trickle_sends_numbered_lines_one_at_a_time(connect: Connect) -> None:
    reader = connect("trickle").makefile("rb")
    assert reader.readline() == f"trickle 1 of {TRICKLE_LINES}\r\n".encode()
    assert reader.readline() == f"trickle 2 of {TRICKLE_LINES}\r\n".encode()
