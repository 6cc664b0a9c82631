"""The SMTP dialogue answers each command with the code a real server would."""

from __future__ import annotations

import socket
from collections.abc import Callable

from sockscope.lab.smtp import MAX_LINE

Connect = Callable[..., socket.socket]


def dialogue(sock: socket.socket, *commands: bytes) -> list[bytes]:
    """Each reply's lines in order: the greeting first, then one reply per command."""
    reader = sock.makefile("rb")

    def reply() -> bytes:
        lines = [reader.readline()]
        while lines[-1][3:4] == b"-":
            lines.append(reader.readline())
        return b"".join(lines)

    replies = [reply()]
    for command in commands:
        sock.sendall(command)
        replies.append(reply())
    return replies


def codes(replies: list[bytes]) -> list[str]:
    return [reply[:3].decode() for reply in replies]


def test_smtp_dialogue_answers_with_the_expected_codes(connect: Connect) -> None:
    replies = dialogue(
        connect("smtp"),
        b"EHLO client.example\r\n",
        b"MAIL FROM:<alice@example.org>\r\n",
        b"RCPT TO:<bob@example.org>\r\n",
        b"DATA\r\n",
        b"Subject: hi\r\n\r\n..a stuffed dot\r\n.\r\n",
        b"RSET\r\n",
        b"NOOP\r\n",
        b"HELO client.example\r\n",
        b"QUIT\r\n",
    )
    assert codes(replies) == ["220", "250", "250", "250", "354", "250", "250", "250", "250", "221"]


def test_ehlo_lists_its_extensions_on_continuation_lines(connect: Connect) -> None:
    ehlo = dialogue(connect("smtp"), b"EHLO client.example\r\n")[1]
    lines = ehlo.splitlines()
    assert len(lines) > 1
    assert all(line.startswith(b"250-") for line in lines[:-1])
    assert lines[-1].startswith(b"250 ")


def test_quit_closes_the_connection(connect: Connect) -> None:
    sock = connect("smtp")
    dialogue(sock, b"QUIT\r\n")
    assert sock.recv(1) == b""


def test_commands_out_of_order_get_503(connect: Connect) -> None:
    replies = dialogue(
        connect("smtp"),
        b"MAIL FROM:<alice@example.org>\r\n",
        b"HELO client.example\r\n",
        b"RCPT TO:<bob@example.org>\r\n",
        b"DATA\r\n",
    )
    assert codes(replies) == ["220", "503", "250", "503", "503"]


def test_unknown_command_gets_500_and_unimplemented_one_502(connect: Connect) -> None:
    replies = dialogue(connect("smtp"), b"FLY me to the moon\r\n", b"VRFY bob\r\n")
    assert codes(replies)[1:] == ["500", "502"]


def test_overlong_line_gets_500_and_the_session_goes_on(connect: Connect) -> None:
    replies = dialogue(connect("smtp"), b"NOOP " + b"x" * 100_000 + b"\r\n", b"NOOP\r\n")
    assert codes(replies)[1:] == ["500", "250"]
    assert b"too long" in replies[1]
    assert MAX_LINE < 100_000
