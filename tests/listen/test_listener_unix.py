"""Unix stream listening: the socket file's life, stale files, and files that are not ours."""

from __future__ import annotations

import os
import socket
import stat

import pytest

from sockscope.core.model import EventType, Transport
from sockscope.core.responders import Echo
from sockscope.engine.listener import ListenError


@pytest.fixture
def sock_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    # Short: tmp_path can pass the 107-byte limit on some machines.
    return str(tmp_path_factory.mktemp("u") / "s.sock")


def test_a_unix_client_is_recorded_and_the_file_removed_at_stop(listen, sock_path) -> None:
    running = listen(Echo, host=sock_path, port=None, transport=Transport.UNIX)
    assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(sock_path)
        client.sendall(b"over unix")
        assert client.recv(100) == b"over unix"
    exchange = running.next_finished()
    assert exchange.received == b"over unix"
    assert exchange.target.host == sock_path and exchange.target.port is None
    peer = next(exchange.of_type(EventType.CONNECT)).detail
    assert peer.get("pid") in (None, os.getpid())
    running.listener.stop()
    assert not os.path.exists(sock_path)


def test_a_stale_socket_file_is_replaced_with_a_note(listen, sock_path) -> None:
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(sock_path)
    leftover.close()  # the file stays, nobody listens
    running = listen(host=sock_path, port=None, transport=Transport.UNIX)
    assert "removed the stale socket file" in running.notes.get_nowait()


def test_a_live_socket_is_not_taken_over(listen, sock_path) -> None:
    listen(host=sock_path, port=None, transport=Transport.UNIX)
    with pytest.raises(ListenError, match="already listening"):
        listen(host=sock_path, port=None, transport=Transport.UNIX)


def test_a_regular_file_is_never_overwritten(listen, sock_path) -> None:
    with open(sock_path, "w") as f:
        f.write("precious")
    with pytest.raises(ListenError, match="not a socket; not overwriting it"):
        listen(host=sock_path, port=None, transport=Transport.UNIX)
    with open(sock_path) as f:
        assert f.read() == "precious"
