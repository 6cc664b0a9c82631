"""The lab's POP3, IMAP, FTP, NNTP and Redis servers answer as real ones would."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from sockscope.lab.pop3 import MAX_LINE as POP3_MAX_LINE

TIMEOUT = 10.0  # a test that waits this long has already failed


@pytest.fixture
def talk(lab) -> Iterator:  # type: ignore[no-untyped-def]
    """`talk(service)`: a connected socket and a line reader, closed after the test."""
    opened: list[socket.socket] = []
    readers = []

    def connect(service: str):  # type: ignore[no-untyped-def]
        sock = socket.create_connection((lab.host, lab.port(service)), timeout=TIMEOUT)
        opened.append(sock)
        readers.append(sock.makefile("rb"))
        return sock, readers[-1]

    yield connect
    for reader in readers:  # a makefile() reader keeps the socket open until it closes
        reader.close()
    for sock in opened:
        sock.close()


def _until(reader, end: bytes) -> bytes:  # type: ignore[no-untyped-def]
    lines = [reader.readline()]
    while not lines[-1].startswith(end) and lines[-1]:
        lines.append(reader.readline())
    return b"".join(lines)


def test_pop3_retr_sends_the_message_dot_stuffed(talk) -> None:
    sock, reader = talk("pop3")
    assert reader.readline().startswith(b"+OK")
    sock.sendall(b"USER alice\r\nPASS secret\r\nSTAT\r\nRETR 1\r\n")
    assert reader.readline().startswith(b"+OK")
    assert reader.readline().startswith(b"+OK")
    assert reader.readline().startswith(b"+OK 1 ")
    message = _until(reader, b".\r\n")
    assert b"\r\n..A line starting with a dot" in message and message.endswith(b"\r\n.\r\n")


def test_pop3_refuses_a_line_longer_than_the_rfc_allows_and_carries_on(talk) -> None:
    sock, reader = talk("pop3")
    reader.readline()
    sock.sendall(b"NOOP " + b"x" * POP3_MAX_LINE + b"\r\nNOOP\r\n")
    assert reader.readline() == b"-ERR line too long\r\n"
    assert reader.readline() == b"+OK\r\n"


def test_pop3_wants_a_login_before_the_maildrop(talk) -> None:
    sock, reader = talk("pop3")
    reader.readline()
    sock.sendall(b"STAT\r\nPASS x\r\n")
    assert reader.readline().startswith(b"-ERR authenticate first")
    assert reader.readline() == b"-ERR send USER first\r\n"


def test_imap_answers_tagged_and_says_bye_on_logout(talk) -> None:
    sock, reader = talk("imap")
    assert reader.readline().startswith(b"* OK [CAPABILITY IMAP4rev1")
    sock.sendall(b"a1 LOGIN alice secret\r\n* CAPABILITY\r\na2 SELECT INBOX\r\na3 LOGOUT\r\n")
    assert reader.readline().startswith(b"a1 OK ")
    assert reader.readline().startswith(b"* BAD ")
    assert reader.readline().startswith(b"a2 NO ")
    assert reader.readline().startswith(b"* BYE ")
    assert reader.readline().startswith(b"a3 OK LOGOUT")
    assert reader.readline() == b""  # closed


def test_ftp_logs_anyone_in_and_refuses_data_connections(talk) -> None:
    sock, reader = talk("ftp")
    assert reader.readline().startswith(b"220 ")
    sock.sendall(b"PWD\r\nUSER anonymous\r\nPASS a@b\r\nPWD\r\nPASV\r\nFEAT\r\nQUIT\r\n")
    codes = [reader.readline()[:3] for _ in range(5)]
    assert codes == [b"530", b"331", b"230", b"257", b"502"]
    assert _until(reader, b"211 ").startswith(b"211-Features:")
    assert reader.readline().startswith(b"221 ")


def test_nntp_lists_its_group_and_refuses_posting(talk) -> None:
    sock, reader = talk("nntp")
    assert reader.readline().startswith(b"201 ")
    sock.sendall(b"LIST\r\nGROUP lab.test\r\nGROUP alt.nope\r\nPOST\r\n")
    assert _until(reader, b".\r\n") == b"215 list of newsgroups follows\r\nlab.test 0 1 n\r\n.\r\n"
    assert [reader.readline()[:3] for _ in range(3)] == [b"211", b"411", b"440"]


def test_redis_speaks_resp_arrays_and_inline_commands_with_shared_keys(talk) -> None:
    first, first_reader = talk("redis")
    first.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nlab:\r\n$2\r\nhi\r\n")
    assert first_reader.readline() == b"+OK\r\n"
    second, reader = talk("redis")
    second.sendall(b"GET lab:\r\nPING\r\nECHO x\r\nGET nothing\r\nNOPE 1\r\nQUIT\r\n")
    assert reader.readline() + reader.readline() == b"$2\r\nhi\r\n"
    assert reader.readline() == b"+PONG\r\n"
    assert reader.readline() + reader.readline() == b"$1\r\nx\r\n"
    assert reader.readline() == b"$-1\r\n"
    assert reader.readline().startswith(b"-ERR unknown command 'NOPE'")
    assert reader.readline() == b"+OK\r\n"
    assert reader.readline() == b""


def test_redis_ends_the_connection_on_a_protocol_error(talk) -> None:
    sock, reader = talk("redis")
    sock.sendall(b"*1\r\n$99999999\r\n")
    assert reader.readline() == b"-ERR Protocol error: invalid bulk length\r\n"
    assert reader.readline() == b""


def test_every_connection_ends_on_the_server_side_when_the_client_leaves(lab) -> None:
    for service in ("pop3", "imap", "ftp", "nntp", "redis"):
        with socket.create_connection((lab.host, lab.port(service)), timeout=TIMEOUT) as sock:
            sock.sendall(b"partial line without an end")
    lab.wait_idle(TIMEOUT)
