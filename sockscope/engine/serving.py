"""What a listener and a relay share: one bound socket, a thread serving it, the release.

Both bind a Unix path or an address (TCP, TLS, UDP), both make or load a TLS identity when
their clients speak TLS and remember each client's SNI, both run one thread until
`stop()` or `cancel`, and both leave nothing behind: the socket closed, the Unix socket
file removed (only the one this process made), a certificate made at start deleted.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sockscope.core.model import Exchange, Overflow, ReadPolicy, Target, Transport
from sockscope.engine.binding import ListenError, bind_inet, bind_unix, remove_unix
from sockscope.engine.connection import Recorder
from sockscope.engine.server_tls import CertificateError, Identity, listening_tls


@dataclass(frozen=True)
class ListenAddress:
    host: str  # the bound address, or the Unix path
    port: int | None
    transport: Transport
    ca_file: str | None = None  # for clients to trust, when the certificate was made here

    @property
    def label(self) -> str:
        return Target(self.host, self.port, self.transport).label


def conversation_record(
    target: Target,
    *,
    connect_timeout: float,
    idle_timeout: float,
    capture_limit: int,
    started: float,
) -> tuple[Exchange, Recorder]:
    """The Exchange a served conversation is recorded in, and its recorder (times from the
    monotonic `started`): no deadline, bytes past `capture_limit` counted, not kept."""
    policy = ReadPolicy(
        connect_timeout=connect_timeout,
        idle_timeout=idle_timeout,
        deadline=None,
        first_datagram=False,
        capture_limit=capture_limit,
        overflow=Overflow.COUNT,
    )
    recorder = Recorder()
    recorder.t0 = started
    exchange = Exchange(target, b"", policy, recorder.events, started_at=time.time())
    return exchange, recorder


@dataclass(frozen=True)
class BindPlan:
    """Where to bind and, for TLS, which identity to show."""

    host: str  # the address, or the Unix path
    port: int | None
    transport: Transport  # what clients speak to us: TCP, TLS, UDP or UNIX
    cert_file: str | None
    key_file: str | None
    alpn: tuple[str, ...]


class Serving:
    """Bind with `_bind()`, serve on `_run()`'s thread until `stop()`; subclasses serve."""

    def __init__(self, cancel: threading.Event | None) -> None:
        self.cancel = cancel if cancel is not None else threading.Event()
        self.address: ListenAddress | None = None
        self.turned_away = 0  # UDP client addresses dropped because of max_clients
        self._server: socket.socket | None = None
        self._identity: Identity | None = None
        self._context: ssl.SSLContext | None = None
        self._unix_inode: int | None = None
        self._unix_path = ""
        self._thread: threading.Thread | None = None
        self._sni: dict[int, str] = {}

    def start(self) -> ListenAddress:
        """Bind and start serving; raises ListenError with a plain sentence."""
        raise NotImplementedError

    def _bind(self, plan: BindPlan) -> str | None:
        """Bind as planned and set `address`; the note binding a Unix path made, if any.

        Raises ListenError naming the option to change; on any failure everything made so
        far is released.
        """
        try:
            if plan.transport is Transport.UNIX:
                self._server, note = bind_unix(plan.host)
                self._unix_path = plan.host
                self._unix_inode = os.stat(plan.host).st_ino
                self.address = ListenAddress(plan.host, None, Transport.UNIX)
                return note
            if plan.transport is Transport.TLS:
                self._tls_setup(plan)
            datagram = plan.transport is Transport.UDP
            self._server = bind_inet(plan.host, plan.port or 0, datagram=datagram)
            host, port = self._server.getsockname()[:2]
            ca = self._identity.ca_file if self._identity else None
            self.address = ListenAddress(host, port, plan.transport, ca)
            return None
        except BaseException:
            self._release()
            raise

    def _tls_setup(self, plan: BindPlan) -> None:
        try:
            self._identity, self._context = listening_tls(
                plan.cert_file, plan.key_file, plan.host, plan.alpn
            )
        except CertificateError as exc:
            raise ListenError("--cert", str(exc)) from None
        self._context.sni_callback = self._remember_sni

    def _remember_sni(self, sock: Any, name: str | None, _context: ssl.SSLContext) -> None:
        if name is not None:
            self._sni[id(sock)] = name

    def _run(self, serve: Callable[[], None], name: str) -> None:
        self._thread = threading.Thread(target=serve, name=name, daemon=True)
        self._thread.start()

    def _wake(self) -> None:
        """Make the serving thread notice `cancel` now (a subclass whose loop blocks)."""

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, end every open conversation (CANCELLED), release the port."""
        self.cancel.set()
        self._wake()
        self.wait(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until serving has stopped; False if `timeout` passed first."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _release(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._unix_inode is not None:
            remove_unix(self._unix_path, self._unix_inode)
        if self._identity is not None:
            self._identity.remove()
