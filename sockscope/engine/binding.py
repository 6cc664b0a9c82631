"""Opening a listening socket: bind, listen, and a plain sentence when it cannot be done.

Unix socket paths: a leftover socket file is removed only when it is a socket and nothing
answers on it; a live socket or any other kind of file is never touched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
from typing import Any

from sockscope.core.fields import UNIX_PATH_MAX
from sockscope.core.sanitize import sanitize
from sockscope.engine.connection import POLL

BACKLOG = 64


class ListenError(Exception):
    """The listener could not start; `str()` is one sentence naming what to change."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def bind_inet(host: str, port: int, *, datagram: bool = False) -> socket.socket:
    """A non-blocking stream socket listening on host:port (port 0: the OS picks), or with
    `datagram` a UDP socket bound there."""
    kind = socket.SOCK_DGRAM if datagram else socket.SOCK_STREAM
    try:
        infos = socket.getaddrinfo(host, port, 0, kind, 0, socket.AI_PASSIVE)
    except socket.gaierror:
        raise ListenError("HOST", f"cannot resolve {sanitize(host)!r} to a local address") from None
    family, kind, proto, _name, sockaddr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        if datagram:
            sock.bind(sockaddr)  # no SO_REUSEADDR: on UDP it would let two listeners share
        else:
            # A restarted listener can take its port back while old connections wind down.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(sockaddr)
            sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise _bind_error(exc, host, port) from None
    sock.setblocking(False)
    return sock


def _bind_error(exc: OSError, host: str, port: int) -> ListenError:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    where = sanitize(where)
    if exc.errno == errno.EADDRINUSE:
        return ListenError("PORT", f"{where} is already in use; pick another port, or 0")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ListenError("PORT", f"permission denied for {where}: ports below 1024 need root")
    if exc.errno == errno.EADDRNOTAVAIL:
        return ListenError("HOST", f"{sanitize(host)} is not an address of this machine")
    return ListenError("HOST", f"cannot listen on {where}: {exc.strerror or exc}")


def bind_unix(path: str) -> tuple[socket.socket, str | None]:
    """A non-blocking Unix stream socket listening at `path`, and a note when a stale
    socket file had to be removed first."""
    shown = sanitize(path)
    if len(os.fsencode(path)) > UNIX_PATH_MAX:
        raise ListenError("PATH", f"is longer than {UNIX_PATH_MAX} bytes, the Unix socket limit")
    note = None
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise ListenError("PATH", f"cannot use {shown}: {exc.strerror}") from None
    if mode is not None:
        if not stat.S_ISSOCK(mode):
            raise ListenError("PATH", f"{shown} exists and is not a socket; not overwriting it")
        if _answers(path):
            raise ListenError("PATH", f"something is already listening on {shown}")
        os.unlink(path)
        note = f"removed the stale socket file {shown} (nothing answered on it)"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise ListenError("PATH", f"cannot listen on {shown}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock, note


def _answers(path: str) -> bool:
    """Whether a server accepts connections on the Unix socket at `path`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(POLL * 20)
        try:
            probe.connect(path)
        except (ConnectionRefusedError, FileNotFoundError):
            return False
        except OSError:
            return True  # a full backlog or a permission problem: somebody is there
        return True


def remove_unix(path: str, inode: int) -> None:
    """Remove our socket file, unless another one has replaced it since."""
    with contextlib.suppress(OSError):
        if os.lstat(path).st_ino == inode:
            os.unlink(path)


def peer_of(sock: socket.socket, sockaddr: Any) -> tuple[str, dict[str, Any]]:
    """An accepted client's label ("127.0.0.1:50312", or "pid 123 (uid 1000)" on a Unix
    socket, whose clients rarely have an address) and the facts for its CONNECT event."""
    if sock.family != socket.AF_UNIX:
        host, port = sockaddr[0], sockaddr[1]
        label = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return label, {"peer": label}
    facts: dict[str, Any] = {}
    option = getattr(socket, "SO_PEERCRED", None)
    if option is not None:
        with contextlib.suppress(OSError):
            raw = sock.getsockopt(socket.SOL_SOCKET, option, 12)
            pid, uid, gid = (int.from_bytes(raw[i : i + 4], "little") for i in (0, 4, 8))
            facts = {"pid": pid, "uid": uid, "gid": gid}
    label = f"pid {facts['pid']} (uid {facts['uid']})" if facts else "a local client"
    return label, {"peer": label, **facts}
