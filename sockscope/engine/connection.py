"""One socket, step by step: resolve, connect, TLS, send, read, half-close, close.

Everything blocks for at most POLL seconds at a time, so the `cancel` event is seen
within 100 ms whatever the socket is doing. A Connection can send and read several
times (persistent sessions); `run_exchange` is the one-shot use of it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, TypeAlias, TypeVar

from sockscope.core.fields import UNIX_PATH_MAX
from sockscope.core.file_kinds import file_kind
from sockscope.core.model import (
    VIEWED,
    Direction,
    ErrorInfo,
    Event,
    EventType,
    Overflow,
    ReadPolicy,
    ReceiveBuffer,
    StopReason,
    Target,
    Transport,
)
from sockscope.core.views import human_bytes
from sockscope.engine.byte_search import contains

if TYPE_CHECKING:
    import ssl

    from sockscope.engine.tls_stream import TlsStream
    from sockscope.engine.tlsinfo import CertificateReader

from sockscope.engine.errors import (
    CaFileError,
    CallbackError,
    Cancelled,
    ConnectTimeout,
    NoAddress,
    SendStalled,
    StartTlsRefused,
    TlsClosed,
    TlsTimeout,
    TlsVerifyFailed,
    UnixPathError,
    UnixPathProblem,
    classify,
    seconds,
    short_reason,
)

# The longest the engine blocks in one call before it looks at `cancel` again.
POLL = 0.05
# RECV coalescing: one event per this much time or this many retained bytes while data
# floods in (bytes past the capture limit are only counted, so they close no event early).
COALESCE_SECONDS = 0.05
COALESCE_BYTES = 64 * 1024
# 1 MiB per recv_into: a fast stream then costs few system calls, and each lets the
# kernel acknowledge a large window at once (on loopback the acknowledgement is sent, and
# the sender woken, on the reader's CPU time). The buffer still fits a core's L2 cache.
STREAM_BUFFER = 1 << 20
# A fast stream is read in batches. Once a read has brought STREAMING bytes or more, the
# wait for more asks the kernel to wake the reader only when LOW_WATER bytes are queued
# (SO_RCVLOWAT; the peer's close or reset wakes it at once), for at most BATCH_WAIT. Woken
# for each segment as it came, the reader slept and woke thousands of times a GiB, each
# wake-up costing more than the copy it led to (1 GiB from nginx on loopback, whole
# process: 560 ms read as it came, 378 ms in batches). After BATCH_WAIT the mark is one
# byte again and the ordinary wait follows: the last bytes of a burst are read at most
# BATCH_WAIT late.
STREAMING = 64 * 1024
LOW_WATER = 512 * 1024
BATCH_WAIT = 0.002
_LOW_WATER_OPTION: int | None = getattr(socket, "SO_RCVLOWAT", None)
# One byte more than the largest datagram shown, so a cut datagram is noticed even where
# recv() cannot report the real length (MSG_TRUNC as an input flag is Linux only).
DATAGRAM_SHOWN = 65_536
DATAGRAM_BUFFER = DATAGRAM_SHOWN + 1
TRUNC_FLAG = socket.MSG_TRUNC if sys.platform == "linux" else 0

_FAMILIES = {0: socket.AF_UNSPEC, 4: socket.AF_INET, 6: socket.AF_INET6}
_WOULD_BLOCK: tuple[type[OSError], ...] = (BlockingIOError, InterruptedError)


class _TlsSignals(NamedTuple):
    """The ssl exceptions a call on a socket may raise, as except-clause tuples: all
    empty for a plain socket (an empty tuple catches nothing)."""

    want_read: tuple[type[OSError], ...] = ()
    want_write: tuple[type[OSError], ...] = ()
    truncated: tuple[type[OSError], ...] = ()  # closed without a close_notify
    closed: tuple[type[OSError], ...] = ()  # the close_notify

    @property
    def is_tls(self) -> bool:
        return bool(self.closed)


def _batching(sock: Stream) -> socket.socket | None:
    """The socket whose waits ask for a batch: a plain TCP one, where the system has the
    option. A Unix socket's readiness ignores the low-water mark, and a TLS reader has
    records to decrypt meanwhile: waiting for a batch left it idle (1 GiB over TLS took
    859 ms in batches, 649 ms read as it came)."""
    if _LOW_WATER_OPTION is None or not isinstance(sock, socket.socket):
        return None
    return sock if sock.family in (socket.AF_INET, socket.AF_INET6) else None


def _batch_arrives(sock: socket.socket, selector: selectors.BaseSelector) -> bool:
    """Wait at most BATCH_WAIT for LOW_WATER bytes (or the peer's close); True when the
    socket became readable."""
    assert _LOW_WATER_OPTION is not None
    try:
        sock.setsockopt(socket.SOL_SOCKET, _LOW_WATER_OPTION, LOW_WATER)
    except OSError:
        return False
    try:
        return bool(selector.select(BATCH_WAIT))
    finally:
        with contextlib.suppress(OSError):  # a socket the peer reset: the read says so
            sock.setsockopt(socket.SOL_SOCKET, _LOW_WATER_OPTION, 1)


def _tls_signals(sock: Stream) -> _TlsSignals:
    # ssl (OpenSSL) is loaded by the first TLS connection, whose methods below import it:
    # a plain exchange starts without it.
    if isinstance(sock, socket.socket):
        return _TlsSignals()
    import ssl

    return _TlsSignals(
        (ssl.SSLWantReadError,),
        (ssl.SSLWantWriteError,),
        (ssl.SSLEOFError,),
        (ssl.SSLZeroReturnError,),
    )


T = TypeVar("T")
# A connection's socket: a plain one, or TLS over one.
Stream: TypeAlias = "socket.socket | TlsStream"

# splice(2) moves bytes between a pipe and another descriptor inside the kernel, so a
# socket-to-file copy goes socket -> pipe -> file. A 1 MiB pipe (Linux's default
# /proc/sys/fs/pipe-max-size) moves up to 1 MiB per call; the default pipe, 64 KiB.
SPLICE_PIPE = 1 << 20
# The errors of a splice the kernel or the descriptors do not support (a file opened for
# appending, a seccomp filter): the bytes go through Python instead.
_SPLICE_UNSUPPORTED = (errno.EINVAL, errno.ENOSYS)

# Where every received byte can go as it arrives (a file's write). It may be handed a
# view of the read buffer, valid only during the call: it must not keep it.
Sink = Callable[[bytes | memoryview], object]


class FileSink:
    """A sink that writes to a binary file (`sink=FileSink(file)`), and also lets the
    engine write to the file's descriptor: past the capture limit of an Overflow.COUNT
    read, the bytes of a plain TCP or Unix stream then go from the socket to the file
    inside the kernel (Linux splice) without passing through Python. Any other sink,
    a file's `write` included, gets every byte through Python."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file

    def __call__(self, data: bytes | memoryview) -> object:
        return self.file.write(data)

    def descriptor(self) -> int | None:
        """The file's descriptor, with every byte written through the file object so far
        already on it (the object buffers), so bytes written there come after them;
        None when the file has no descriptor (an io.BytesIO) or is not a regular file.
        The file object's later writes and tell() go by the descriptor's position, so
        they follow.

        Only a regular file is worth splicing into: the page cache takes the pipe's pages
        (1 GiB to /dev/shm, 644 ms spliced, 763 copied), while into /dev/null a 1 MiB
        recv_into and write beat the two splices a MiB takes (505 ms copied, 752 spliced)."""
        try:
            fd = self.file.fileno()
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
        except (OSError, ValueError):  # io.UnsupportedOperation is both
            return None
        if not regular:
            return None
        self.file.flush()
        return fd


class Recorder:
    """Collects events with times relative to its creation and passes each to `on_event`.

    With a `buffer`, the bytes reads keep are copied into it, and each RECV event holds a
    view of its share (Exchange.record_into): no event owns a copy, and its room bounds
    what the reads keep."""

    def __init__(
        self, on_event: Callable[[Event], None] | None = None, buffer: ReceiveBuffer | None = None
    ) -> None:
        self.events: list[Event] = []
        self.on_event = on_event
        self.buffer = buffer
        self.t0 = time.monotonic()
        self.direction: Direction | None = None  # stamped on every event (a relay's side)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def emit(
        self,
        type: EventType,
        *,
        data: bytes | memoryview = b"",
        size: int | None = None,
        calls: int = 1,
        detail: dict[str, Any] | None = None,
        at: float | None = None,
    ) -> Event:
        """Append an event; `at` is a monotonic time (default now)."""
        t = self.now() if at is None else at - self.t0
        size = len(data) if size is None else size
        event = Event(type, t, data, size, calls, detail or {}, self.direction)
        self.events.append(event)
        callback = self.on_event
        if callback is not None:
            try:
                callback(event)
            except Exception as exc:
                self.on_event = None  # the failing callback is not called again
                raise CallbackError("event callback", exc) from exc
        return event

    def info(self, message: str, **facts: Any) -> None:
        self.emit(EventType.INFO, detail={"message": message, **facts})


# A NamedTuple, as the parsers' records are: a dataclass compiles its methods at import,
# which every exchange would pay for at its start. Each field is given where one is made.
class ReadOutcome(NamedTuple):
    """Why a read ended, in words; `error` is set when the ending was a failure."""

    stop: StopReason
    message: str
    error: ErrorInfo | None
    detail: dict[str, Any]  # facts for the ERROR event (the certificate that failed)


class Connection:
    """One socket to `target`: `open`, then `send`/`read` as often as needed, then `close`.

    Events go to `recorder` (swap it between turns to give each turn its own list).
    `peer_closed` turns true once the peer finished sending: no further read can get data.
    With `certificate_later`, for a caller that reads the events only once the connection
    is closed, the TLS event's certificate facts are read on a thread while the bytes
    move: `close` waits until they are in.
    """

    def __init__(
        self,
        target: Target,
        recorder: Recorder,
        cancel: threading.Event | None = None,
        *,
        certificate_later: bool = False,
    ) -> None:
        self.target = target
        self.recorder = recorder
        self.cancel = cancel if cancel is not None else threading.Event()
        self.certificate_later = certificate_later
        self._certificate: CertificateReader | None = None
        self.sock: Stream | None = None
        self.peer_closed = False
        self._late_error: OSError | None = None
        self._sockaddr: Any = None
        self._family: int = socket.AF_UNSPEC
        self._selector: selectors.BaseSelector | None = None
        self._buffer: bytearray | None = None  # see _read_buffer

    # ---- opening -------------------------------------------------------------------

    def open(self, connect_timeout: float) -> None:
        """Resolve, connect and (for TLS) handshake; raises what `classify` understands."""
        if self.target.transport.is_unix:
            self._connect_unix(connect_timeout)
            return
        infos = self._resolve()
        self._connect_inet(infos, connect_timeout)
        if self.target.transport is Transport.TLS:
            self._handshake(connect_timeout)

    def _check_cancel(self, phase: str) -> None:
        if self.cancel.is_set():
            raise Cancelled(phase)

    def _in_thread(self, work: Callable[[], T], phase: str) -> T:
        """Run a call that cannot be interrupted (getaddrinfo) where cancel can still win."""
        box: list[Any] = []
        done = threading.Event()

        def run() -> None:
            try:
                box.append((True, work()))
            except BaseException as exc:
                box.append((False, exc))
            finally:
                done.set()

        threading.Thread(target=run, name="sockscope-resolve", daemon=True).start()
        while not done.wait(POLL):
            self._check_cancel(phase)
        ok, value = box[0]
        if not ok:
            raise value
        result: T = value
        return result

    def _resolve(self) -> list[tuple[Any, ...]]:
        target = self.target
        host = target.host
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if target.port is None:
            raise ValueError("no port given")
        family = _FAMILIES[target.family]
        kind = socket.SOCK_DGRAM if target.transport.is_datagram else socket.SOCK_STREAM
        literal = _address_literal(host)
        infos, took = self._in_thread(
            lambda: _timed(socket.getaddrinfo, literal or host, target.port, family, kind),
            f"while resolving {host}",
        )
        unique: list[tuple[Any, ...]] = []
        for info in infos:
            if all(info[4] != seen[4] for seen in unique):
                unique.append(info)
        if not unique:
            raise NoAddress(target.family)
        self.recorder.emit(
            EventType.RESOLVE,
            detail={"addresses": [info[4][0] for info in unique], "duration": took},
        )
        return unique

    def _connect_inet(self, infos: list[tuple[Any, ...]], timeout: float) -> None:
        last: OSError | None = None
        for index, (family, kind, proto, _name, sockaddr) in enumerate(infos):
            label = _address(sockaddr)
            sock = socket.socket(family, kind, proto)
            try:
                took = self._connect_socket(sock, sockaddr, timeout, label)
            except OSError as exc:
                sock.close()
                last = exc
                if index + 1 < len(infos):
                    self.recorder.info(
                        f"{label} {short_reason(exc, self.target)}, trying next", address=label
                    )
                continue
            except BaseException:
                sock.close()
                raise
            self._attach(sock, sockaddr, family, took)
            return
        assert last is not None
        raise last

    def _connect_unix(self, timeout: float) -> None:
        path = self.target.host
        if len(os.fsencode(path)) > UNIX_PATH_MAX:
            raise UnixPathError(UnixPathProblem.TOO_LONG, path)
        mode = os.stat(path).st_mode
        if not stat.S_ISSOCK(mode):
            raise UnixPathError(UnixPathProblem.NOT_SOCKET, path, file_kind(mode))
        datagram = self.target.transport is Transport.UNIX_DGRAM
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM if datagram else socket.SOCK_STREAM)
        try:
            if datagram:
                # An unbound datagram socket has no address for the server to reply to;
                # binding to "" asks Linux for an abstract address of its own.
                sock.bind("")
            took = self._connect_socket(sock, path, timeout, path)
        except ConnectionRefusedError:
            sock.close()
            raise UnixPathError(UnixPathProblem.STALE, path) from None
        except BaseException:
            sock.close()
            raise
        self._attach(sock, path, socket.AF_UNIX, took)

    def _connect_socket(
        self, sock: socket.socket, sockaddr: Any, timeout: float, label: str
    ) -> float:
        """Connect `sock`; returns the seconds from `connect()` to the connection."""
        sock.setblocking(False)
        started = time.monotonic()
        until = started + timeout
        code = sock.connect_ex(sockaddr)
        while code == errno.EAGAIN and sock.family == socket.AF_UNIX:
            # A Unix listener with a full backlog: nothing is in progress, ask again.
            if self.cancel.wait(POLL):
                raise Cancelled(f"while connecting to {label}")
            if time.monotonic() >= until:
                raise ConnectTimeout(label, timeout)
            code = sock.connect_ex(sockaddr)
        if code == 0:
            return time.monotonic() - started
        if code not in (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
            raise OSError(code, os.strerror(code))
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_WRITE)
            while True:
                self._check_cancel(f"while connecting to {label}")
                left = until - time.monotonic()
                if left <= 0:
                    raise ConnectTimeout(label, timeout)
                if selector.select(min(POLL, left)):
                    break
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code == errno.ECONNRESET:
            # Only an established connection can be reset (a refused SYN reads ECONNREFUSED):
            # the server accepted, sent and reset before we looked. Reading SO_ERROR cleared
            # the error, so the reader reports it once the data before it is read.
            self._late_error = OSError(code, os.strerror(code))
        elif code:
            raise OSError(code, os.strerror(code))
        return time.monotonic() - started

    def _attach(self, sock: socket.socket, sockaddr: Any, family: int, took: float) -> None:
        self.sock = sock
        self._sockaddr = sockaddr
        self._family = family
        self._register(sock)
        local = sock.getsockname()
        self.recorder.emit(
            EventType.CONNECT,
            detail={
                "peer": _address(sockaddr) if family != socket.AF_UNIX else sockaddr,
                "local": _address(local) if family != socket.AF_UNIX else _unix_name(local),
                "duration": took,
            },
        )

    def _register(self, sock: Stream) -> None:
        if self._selector is not None:
            self._selector.close()
        self._selector = selectors.DefaultSelector()
        self._selector.register(sock, selectors.EVENT_READ)

    def _wait(self, want: int, until: float | None, phase: str) -> bool:
        """Wait until the socket is readable/writable; False once `until` passes."""
        assert self._selector is not None and self.sock is not None
        return self._wait_on(self._selector, self.sock, want, until, phase)

    def _wait_on(
        self,
        selector: selectors.BaseSelector,
        sock: Stream,
        want: int,
        until: float | None,
        phase: str,
    ) -> bool:
        selector.modify(sock, want)
        try:
            while True:
                self._check_cancel(phase)
                left = None if until is None else until - time.monotonic()
                if left is not None and left <= 0:
                    return False
                if selector.select(POLL if left is None else min(POLL, left)):
                    return True
        finally:
            selector.modify(sock, selectors.EVENT_READ)

    # ---- TLS -----------------------------------------------------------------------
    # These import ssl and tlsinfo (OpenSSL) themselves: only a TLS connection runs them.

    def _server_name(self) -> str:
        return self.target.tls.server_name or self.target.host.strip("[]")

    def _context(self, verify: bool | None = None) -> ssl.SSLContext:
        import ssl

        from sockscope.engine import tlsinfo

        try:
            return tlsinfo.make_context(self.target.tls, verify=verify)
        except (OSError, ssl.SSLError) as exc:
            if self.target.tls.ca_file:
                raise CaFileError(self.target.tls.ca_file, exc) from exc
            raise

    def start_tls(self, timeout: float) -> None:
        """Upgrade the plain stream to TLS where it stands (STARTTLS, STLS, AUTH TLS): the
        caller has read the server's go-ahead, so nothing is waiting unread. The TLS
        event says it was an upgrade."""
        if self.sock is not None and not isinstance(self.sock, socket.socket):
            raise StartTlsRefused("the connection already speaks TLS")
        if self.target.transport.is_datagram:
            raise StartTlsRefused("a datagram socket cannot start TLS")
        self._handshake(timeout, upgrade=True)

    def _handshake(self, timeout: float, *, upgrade: bool = False) -> None:
        import ssl

        from sockscope.engine import tlsinfo
        from sockscope.engine.tls_stream import TlsStream

        assert isinstance(self.sock, socket.socket)
        server_name = self._server_name()
        tls_sock = TlsStream(self.sock, self._context(), server_hostname=server_name)
        self.sock = tls_sock
        self._register(tls_sock)  # the TLS socket replaces the plain one
        started = time.monotonic()
        try:
            self._drive_handshake(tls_sock, timeout)
        except ssl.SSLCertVerificationError as exc:
            # Close the rejected connection first: a one-connection-at-a-time server
            # (openssl s_server) would otherwise wait for it before taking the second.
            # close() later still records the CLOSE event; closing twice is harmless.
            tls_sock.close()
            certificate = self._fetch_rejected_certificate(timeout)
            raise TlsVerifyFailed(exc, server_name, certificate) from exc
        took = time.monotonic() - started
        facts, self._certificate = tlsinfo.handshake_facts(
            tls_sock.tls, server_name, self.target.tls.verify, later=self.certificate_later
        )
        facts["duration"] = took
        if upgrade:
            facts["starttls"] = True
        self.recorder.emit(EventType.TLS, detail=facts)

    def _drive_handshake(self, tls_sock: TlsStream, timeout: float) -> None:
        import ssl

        until = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(tls_sock, selectors.EVENT_READ)
            while True:
                try:
                    tls_sock.do_handshake()
                    return
                except ssl.SSLWantReadError:
                    want = selectors.EVENT_READ
                except ssl.SSLWantWriteError:
                    want = selectors.EVENT_WRITE
                except (ssl.SSLEOFError, ConnectionResetError, BrokenPipeError) as exc:
                    raise TlsClosed(exc) from exc
                if not self._wait_on(selector, tls_sock, want, until, "during the TLS handshake"):
                    raise TlsTimeout(timeout)

    def _fetch_rejected_certificate(self, timeout: float) -> dict[str, Any] | None:
        """Handshake again without verification, only to show what was rejected."""
        self.recorder.info(
            "certificate rejected; fetching it again without verification to show it"
        )
        from sockscope.engine import tlsinfo
        from sockscope.engine.tls_stream import TlsStream

        sock = socket.socket(self._family, socket.SOCK_STREAM)
        try:
            self._connect_socket(sock, self._sockaddr, timeout, _address(self._sockaddr))
            tls_sock = TlsStream(sock, self._context(verify=False), self._server_name())
            self._drive_handshake(tls_sock, timeout)
            der = tls_sock.getpeercert(binary_form=True)
            return tlsinfo.certificate_facts(der) if der else None
        except OSError:  # ssl errors, TlsClosed and TlsTimeout included: nothing to show
            return None
        finally:
            sock.close()

    # ---- sending -------------------------------------------------------------------

    def send(self, data: bytes, stall_timeout: float | None = None) -> None:
        """Send all of `data` (one datagram on datagram transports, even an empty one).

        Raises SendStalled when the peer stops reading for `stall_timeout` seconds.
        """
        sock = self.sock
        assert sock is not None
        if self.target.transport.is_datagram:
            while True:
                try:
                    sock.send(data)
                    break
                except _WOULD_BLOCK:
                    self._wait(selectors.EVENT_WRITE, None, "while sending")
            self.recorder.emit(EventType.SEND, data=data)
            return
        if not data:
            return
        view = memoryview(data)
        tls = _tls_signals(sock)
        sent = calls = 0
        started = time.monotonic()
        reset: OSError | None = None
        try:
            while sent < len(data):
                try:
                    sent += sock.send(view[sent:])
                    calls += 1
                    continue
                except tls.want_read:
                    want = selectors.EVENT_READ
                except (*_WOULD_BLOCK, *tls.want_write):
                    want = selectors.EVENT_WRITE
                until = None if stall_timeout is None else time.monotonic() + stall_timeout
                if not self._wait(want, until, "while sending"):
                    raise SendStalled(sent, len(data), stall_timeout or 0.0)
        except (ConnectionResetError, BrokenPipeError) as exc:
            # The server may have answered before it reset (an error page, say): read
            # that first; the reader reports the reset once the data before it is in.
            self._late_error = reset = exc
        finally:
            if sent:
                self.recorder.emit(
                    EventType.SEND,
                    data=bytes(view[:sent]),
                    calls=max(calls, 1),
                    at=started,
                )
        if reset is not None:
            self.recorder.info(
                f"sending stopped after {human_bytes(sent)} of {human_bytes(len(data))}: "
                "connection reset by peer"
            )

    def shutdown_write(self) -> None:
        """Half-close: tell the server nothing more is coming, keep reading."""
        sock = self.sock
        assert sock is not None
        if not isinstance(sock, socket.socket):
            # TLS has no half-close of its own: shutting the socket's sending side would
            # end TLS without its goodbye.
            self.recorder.info("half-close skipped: TLS cannot close one direction only")
            return
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            self.recorder.info(f"half-close failed: {classify(exc, self.target).message}")
            return
        self.recorder.emit(EventType.SHUTDOWN)

    # ---- reading -------------------------------------------------------------------

    def read(
        self,
        policy: ReadPolicy,
        *,
        sink: Sink | None = None,
        started: float | None = None,
        kept: int = 0,
    ) -> ReadOutcome:
        """Read until a condition of `policy` ends it; never raises for network trouble.

        `started` is the monotonic time the policy's deadline counts from (default now);
        `kept` the bytes earlier reads of the same exchange kept, which count against the
        policy's capture limit (bytes retained in the Exchange).
        """
        assert self.sock is not None
        started = time.monotonic() if started is None else started
        reader = _Reader(self, policy, sink, started, kept)
        try:
            if self.target.transport.is_datagram:
                return reader.read_datagrams()
            return reader.read_stream()
        except BaseException:
            with contextlib.suppress(CallbackError):
                reader.flush()  # whatever went wrong, the bytes already read are kept
            raise
        finally:
            reader.stop_splicing()

    def _read_buffer(self) -> bytearray:
        """The buffer reads land in, made by the first read: a connection that never
        reads through here (a relay's server side) holds no megabyte for it."""
        if self._buffer is None:
            datagram = self.target.transport.is_datagram
            self._buffer = bytearray(DATAGRAM_BUFFER if datagram else STREAM_BUFFER)
        return self._buffer

    # ---- closing -------------------------------------------------------------------

    def close(self) -> None:
        try:
            if self._selector is not None:
                self._selector.close()
                self._selector = None
            if self.sock is not None:
                self.sock.close()
                self.sock = None
                self.recorder.emit(EventType.CLOSE)
        finally:
            # After the CLOSE event: its time is the conversation's, not the parser's.
            if self._certificate is not None:
                self._certificate.join()
                self._certificate = None


class _Reader:
    """The state of one read: counters, the pending coalesced RECV event, the limits."""

    def __init__(
        self,
        conn: Connection,
        policy: ReadPolicy,
        sink: Sink | None,
        started: float,
        earlier: int = 0,
    ) -> None:
        self.conn = conn
        self.policy = policy
        self.earlier = earlier  # bytes the exchange kept before this read
        self.sink = sink
        self.buffer = conn._read_buffer()
        self.deadline = None if policy.deadline is None else started + policy.deadline
        self.total = 0  # every byte received in this read
        self.kept = 0  # bytes retained in events
        self.datagrams = 0
        self.overflowed = False
        self.tail = b""  # the end of the data so far, for a delimiter split across reads
        self.kept_in = conn.recorder.buffer  # where kept bytes go, else `pending`
        self.pending: list[bytes] = []
        self.pending_size = 0  # every byte the pending event stands for
        self.pending_kept = 0  # the bytes it holds
        self.pending_calls = 0
        self.pending_since = 0.0
        self.splice: _Splice | None = None  # moving the bytes past the capture limit

    # ---- shared pieces -----------------------------------------------------------

    def flush(self) -> None:
        if self.pending_calls:
            data = self._pending_data()
            size, calls = self.pending_size, self.pending_calls
            self.pending = []
            self.pending_size = self.pending_kept = self.pending_calls = 0
            self.conn.recorder.emit(
                EventType.RECV, data=data, size=size, calls=calls, at=self.pending_since
            )

    def _pending_data(self) -> bytes | memoryview:
        """The bytes the pending event keeps: a view of the recorder's buffer (a copy
        under VIEWED bytes, which costs less than a view), else its reads' bytes joined."""
        buffer = self.kept_in
        if buffer is None:
            return b"".join(self.pending)
        data = buffer.view(buffer.filled - self.pending_kept, buffer.filled)
        return bytes(data) if len(data) < VIEWED else data

    def _take(self, chunk: memoryview, now: float, calls: int = 1) -> bool:
        """Account for received bytes and give them to the sink; True when the capture
        limit says stop."""
        n = len(chunk)
        room = self.policy.capture_limit - self.earlier - self.kept
        if self.kept_in is not None:
            room = min(room, self.kept_in.room)
        keep = n if n <= room else max(room, 0)
        # The sink writes straight from the read buffer; the kept bytes are copied once,
        # only while the capture keeps bytes (a GiB download copies nothing it does not
        # keep).
        if self.sink is not None:
            try:
                self.sink(chunk)
            except Exception as exc:
                raise CallbackError("output sink", exc) from exc
        if keep:
            kept = chunk if keep == n else chunk[:keep]
            if self.kept_in is not None:
                self.kept_in.append(kept)
            else:
                self.pending.append(bytes(kept))
        return self._count(n, keep, now, calls)

    def _count(self, n: int, keep: int, now: float, calls: int = 1) -> bool:
        """Account for `n` received bytes, the first `keep` of them retained (in
        `pending` or the recorder's buffer); True when the capture limit says stop."""
        self.total += n
        if not self.pending_calls:
            self.pending_since = now
        if keep:
            self.kept += keep
            self.pending_kept += keep
        self.pending_size += n
        self.pending_calls += calls
        if keep == n:
            return False
        if self.policy.overflow is Overflow.STOP:
            return True
        if not self.overflowed:
            self.overflowed = True
            self.flush()
            limit = human_bytes(self.policy.capture_limit)
            full = (
                f"the memory the system would map for the capture is full (its limit is {limit})"
                if self._buffer_full_first()
                else f"capture limit of {limit} reached"
            )
            self.conn.recorder.info(f"{full}: counting the rest without keeping it")
        return False

    def _delimited(self, n: int) -> bool:
        """True when the delimiter ends in the `n` bytes just read into the read buffer.

        The buffer is searched where it lies: joining each read to the last one's tail
        would copy every byte once more (a GiB read with `--until` took twice as long).
        Only the few bytes a delimiter could straddle between two reads are joined.
        """
        delimiter = self.policy.delimiter
        if not delimiter:
            return False
        buffer = self.buffer
        edge = len(delimiter) - 1
        if self.tail and delimiter in self.tail + buffer[: min(n, edge)]:
            return True
        if contains(buffer, n, delimiter):
            return True
        if edge:
            self.tail = bytes((self.tail + buffer[max(0, n - edge) : n])[-edge:])
        return False

    def _kept_note(self) -> str:
        return f" ({human_bytes(self.kept)} kept)" if self.kept < self.total else ""

    def _capped(self) -> ReadOutcome:
        kept = human_bytes(self.earlier + self.kept)  # what the exchange keeps
        if self._buffer_full_first():
            limit = human_bytes(self.policy.capture_limit)
            message = (
                f"stopped at {kept} kept: the memory the system would map for the capture "
                f"(its limit is {limit})"
            )
        else:
            message = f"stopped at the capture limit ({kept} kept)"
        return self._outcome(StopReason.CAPTURE_LIMIT, message)

    def _buffer_full_first(self) -> bool:
        """Whether the buffer the system would map for the capture, smaller than the
        capture limit where memory or address space is short (engine.memory), ended the
        keeping before the limit did."""
        return self.kept_in is not None and self.earlier + self.kept < self.policy.capture_limit

    def _idle_until(self, last: float) -> float | None:
        idle = self.policy.idle_timeout
        return None if idle is None else last + idle

    def _outcome(
        self, stop: StopReason, message: str, error: ErrorInfo | None = None
    ) -> ReadOutcome:
        self.flush()
        return ReadOutcome(stop, message, error, {})

    def _failed(self, exc: OSError) -> ReadOutcome:
        info = classify(exc, self.conn.target)
        if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
            message = f"connection reset by peer after {human_bytes(self.total)}{self._kept_note()}"
            return self._outcome(StopReason.RESET, message, ErrorInfo(info.kind, message))
        return self._outcome(StopReason.ERROR, info.message, info)

    # ---- streams ---------------------------------------------------------------------

    def read_stream(self) -> ReadOutcome:
        conn, policy = self.conn, self.policy
        sock = conn.sock
        selector = conn._selector
        assert sock is not None and selector is not None
        view = memoryview(self.buffer)
        cancel = conn.cancel
        max_bytes = policy.max_bytes
        last = time.monotonic()  # the last data, or the start: the idle clock
        tls = _tls_signals(sock)
        would_block = (*_WOULD_BLOCK, *tls.want_read, *tls.want_write)
        # Past the capture limit of a COUNT read the bytes are only counted and written to
        # the sink. When the sink is a file and nothing has to look at them (no delimiter
        # to find, no TLS to decrypt), the kernel moves them instead: see _Splice.
        may_splice = (
            isinstance(self.sink, FileSink)
            and policy.overflow is Overflow.COUNT
            and not policy.delimiter
            and not tls.is_tls
            and hasattr(os, "splice")
        )
        if max_bytes is not None and max_bytes <= 0:
            return self._outcome(StopReason.BYTE_COUNT, "stopped at once: the byte limit is 0")
        batching = _batching(sock)
        streaming = False  # the last read brought STREAMING bytes or more
        while True:
            if cancel.is_set():
                return self._outcome(
                    StopReason.CANCELLED,
                    f"cancelled after {human_bytes(self.total)}{self._kept_note()}",
                )
            splice = self.splice
            size = len(view) if splice is None else splice.size
            want = size if max_bytes is None else min(size, max_bytes - self.total)
            calls = 1
            try:
                if splice is not None:
                    n = splice.move(want)
                elif isinstance(sock, socket.socket):
                    n = sock.recv_into(view, want)
                else:  # every whole record at hand: `calls` counts them, one read each
                    n, calls = sock.read_into(view, want)
            except _SpliceUnsupported:
                self.stop_splicing()
                continue
            except would_block:
                if streaming and batching is not None and _batch_arrives(batching, selector):
                    continue
                streaming = False
                stop = self._quiet(selector, last)
                if stop is not None:
                    return stop
                continue
            except tls.truncated:
                conn.peer_closed = True
                return self._outcome(
                    StopReason.PEER_CLOSED,
                    "TLS stream truncated: data may be incomplete (the server closed without "
                    f"a TLS close_notify after {human_bytes(self.total)}){self._kept_note()}",
                )
            except tls.closed:
                n = 0
            except OSError as exc:
                return self._failed(exc)
            now = time.monotonic()
            if n == 0:
                conn.peer_closed = True
                if conn._late_error is not None:
                    return self._failed(conn._late_error)
                return self._outcome(StopReason.PEER_CLOSED, self._eof_message())
            if self.pending_calls and now - last >= COALESCE_SECONDS:
                self.flush()  # a read after a quiet gap is an event of its own
            last = now
            streaming = n >= STREAMING
            if splice is not None:
                self._count(n, 0, now)  # past the limit, and already in the file
                if not splice.usable:
                    self.stop_splicing()
            else:
                chunk = view[:n]
                if self._take(chunk, now, calls):
                    return self._capped()
                if self._delimited(n):
                    return self._outcome(
                        StopReason.DELIMITER, f"delimiter found after {human_bytes(self.total)}"
                    )
            if max_bytes is not None and self.total >= max_bytes:
                return self._outcome(
                    StopReason.BYTE_COUNT,
                    f"stopped after {human_bytes(self.total)} (the byte limit){self._kept_note()}",
                )
            if self.deadline is not None and now >= self.deadline:
                return self._deadline()
            if self.pending_kept >= COALESCE_BYTES or now - self.pending_since >= COALESCE_SECONDS:
                self.flush()
            if may_splice and self.overflowed:
                may_splice = False  # one try: once given up, the copying goes on
                self._start_splicing(sock)

    def _start_splicing(self, sock: Stream) -> None:
        sink = self.sink
        assert isinstance(sink, FileSink)
        try:
            fd = sink.descriptor()
        except Exception as exc:  # flushing what the file object holds failed
            raise CallbackError("output sink", exc) from exc
        if fd is None:
            return
        try:
            self.splice = _Splice(sock.fileno(), fd, sink)
        except OSError:  # no pipe to be had (out of descriptors): copy instead
            return

    def stop_splicing(self) -> None:
        if self.splice is not None:
            self.splice.close()
            self.splice = None

    def _quiet(self, selector: selectors.BaseSelector, last: float) -> ReadOutcome | None:
        """Nothing to read now: wait a little, flush a finished burst, check the clocks."""
        now = time.monotonic()
        idle_until = self._idle_until(last)
        if idle_until is not None and now >= idle_until:
            return self._idle()
        if self.deadline is not None and now >= self.deadline:
            return self._deadline()
        wait = POLL
        for until in (idle_until, self.deadline):
            if until is not None:
                wait = min(wait, until - now)
        if self.pending_calls:
            wait = min(wait, self.pending_since + COALESCE_SECONDS - now)
        if not selector.select(max(wait, 0.0)):
            self.flush()
        return None

    def _eof_message(self) -> str:
        if self.total == 0:
            return "closed by server, 0 bytes received"
        return f"server finished sending (EOF) after {human_bytes(self.total)}{self._kept_note()}"

    def _idle(self) -> ReadOutcome:
        idle = seconds(self.policy.idle_timeout or 0.0)
        if self.conn.target.transport.is_datagram:
            if not self.datagrams:
                return self._outcome(StopReason.IDLE, self._silence(idle))
            return self._outcome(
                StopReason.IDLE,
                f"idle: no datagram for {idle} ({self._datagram_count()}, "
                f"{human_bytes(self.total)} received){self._kept_note()}",
            )
        return self._outcome(
            StopReason.IDLE,
            f"idle: no data for {idle} ({human_bytes(self.total)} received){self._kept_note()}",
        )

    def _deadline(self) -> ReadOutcome:
        limit = seconds(self.policy.deadline or 0.0)
        if self.conn.target.transport.is_datagram and not self.datagrams:
            return self._outcome(StopReason.DEADLINE, self._silence(limit))
        return self._outcome(
            StopReason.DEADLINE,
            f"deadline of {limit} reached after {human_bytes(self.total)}{self._kept_note()}",
        )

    # ---- datagrams -------------------------------------------------------------------

    def _silence(self, duration: str) -> str:
        kind = "UDP" if self.conn.target.transport is Transport.UDP else "a datagram socket"
        return f"no reply in {duration} ({kind} has no connection: silence is not an error)"

    def _datagram_count(self) -> str:
        return "1 datagram" if self.datagrams == 1 else f"{self.datagrams:,} datagrams"

    def read_datagrams(self) -> ReadOutcome:
        conn, policy = self.conn, self.policy
        sock = conn.sock
        selector = conn._selector
        assert isinstance(sock, socket.socket) and selector is not None
        view = memoryview(self.buffer)
        last = time.monotonic()
        while True:
            if conn.cancel.is_set():
                return self._outcome(
                    StopReason.CANCELLED,
                    f"cancelled after {self._datagram_count()} ({human_bytes(self.total)})",
                )
            try:
                length = sock.recv_into(view, len(view), TRUNC_FLAG)
            except _WOULD_BLOCK:
                stop = self._quiet(selector, last)
                if stop is not None:
                    return stop
                continue
            except OSError as exc:
                return self._failed(exc)
            now = last = time.monotonic()
            self.datagrams += 1
            # Linux reports the real length with MSG_TRUNC; elsewhere a full buffer
            # (the one spare byte used) is all that says the datagram was longer.
            exact = bool(TRUNC_FLAG)
            cut = length > DATAGRAM_SHOWN
            shown = min(length, DATAGRAM_SHOWN)
            capped = self._take(view[:shown], now)
            self.flush()  # every datagram is an event of its own: boundaries matter
            cut_note = ""
            if cut:
                of = f"{length:,}" if exact else f"at least {DATAGRAM_BUFFER:,}"
                cut_note = f"showing {shown:,} of {of} bytes"
                conn.recorder.info(
                    f"datagram {self.datagrams} cut: {cut_note}",
                    length=length if exact else None,
                )
            if capped:
                return self._capped()
            if policy.first_datagram:
                if cut:
                    message = f"one datagram, {cut_note}"
                elif shown == 0:
                    message = "a 0-byte datagram (an empty reply)"
                else:
                    message = f"one datagram of {shown:,} bytes"  # exact: sizes matter here
                return self._outcome(StopReason.DATAGRAM, message)
            if self._delimited(shown):
                return self._outcome(
                    StopReason.DELIMITER,
                    f"delimiter found after {self._datagram_count()} ({human_bytes(self.total)})",
                )
            if policy.max_bytes is not None and self.total >= policy.max_bytes:
                return self._outcome(
                    StopReason.BYTE_COUNT,
                    f"stopped after {human_bytes(self.total)} (the byte limit), "
                    f"{self._datagram_count()}",
                )
            if self.deadline is not None and now >= self.deadline:
                return self._deadline()


class _SpliceUnsupported(Exception):
    """The first splice from the socket was refused: copy through Python instead."""


class _Splice:
    """Moves a stream's bytes from the socket to a file inside the kernel: splice(2)
    socket -> pipe, then pipe -> file, so a GiB never enters Python. The pipe is empty
    between calls, so stopping at any point loses nothing."""

    def __init__(self, sock_fd: int, file_fd: int, sink: FileSink) -> None:
        import fcntl  # Linux only, like os.splice

        self.sock_fd = sock_fd
        self.file_fd = file_fd
        self.sink = sink
        self.pipe_out, self.pipe_in = os.pipe()
        with contextlib.suppress(OSError):  # EPERM past the user's pipe quota: keep 64 KiB
            fcntl.fcntl(self.pipe_in, fcntl.F_SETPIPE_SZ, SPLICE_PIPE)
        self.size: int = fcntl.fcntl(self.pipe_in, fcntl.F_GETPIPE_SZ)
        self.started = False  # a splice from the socket has worked
        self.wrote = False  # a splice into the file has worked
        self.usable = True  # False once the file refused spliced bytes

    def move(self, want: int) -> int:
        """Up to `want` bytes from the socket to the file; 0 at EOF. Raises as recv_into
        does (BlockingIOError when nothing is waiting, OSError when the connection
        fails), _SpliceUnsupported when the first call is refused, CallbackError when
        the file cannot be written."""
        flags = os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK  # the socket is non-blocking too
        try:
            n = os.splice(self.sock_fd, self.pipe_in, min(want, self.size), flags=flags)
        except OSError as exc:
            if not self.started and exc.errno in _SPLICE_UNSUPPORTED:
                raise _SpliceUnsupported from exc
            raise
        self.started = True
        left = n
        while left:
            try:
                left -= os.splice(self.pipe_out, self.file_fd, left, flags=os.SPLICE_F_MOVE)
            except OSError as exc:
                if self.wrote or exc.errno not in _SPLICE_UNSUPPORTED:
                    raise CallbackError("output sink", exc) from exc
                # The file takes no spliced bytes (opened for appending, say): these go
                # through Python, and so will the rest.
                self._write_through_python(left)
                self.usable = False
                break
            self.wrote = True
        return n

    def _write_through_python(self, left: int) -> None:
        while left:
            data = os.read(self.pipe_out, left)
            try:
                self.sink(data)
            except Exception as exc:
                raise CallbackError("output sink", exc) from exc
            left -= len(data)

    def close(self) -> None:
        os.close(self.pipe_in)
        os.close(self.pipe_out)


def _timed(call: Callable[..., T], *args: Any) -> tuple[T, float]:
    """`call(*args)` and the seconds it took: a phase is timed around its own call only."""
    started = time.monotonic()
    result = call(*args)
    return result, time.monotonic() - started


def _address_literal(host: str) -> bytes | None:
    """An IPv4 or IPv6 address `host` as ASCII bytes for getaddrinfo, else None. Given a
    str, getaddrinfo encodes it with the IDNA codec, whose import costs a tiny exchange
    a few per cent of its start; an address has nothing for IDNA to encode."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError):  # ValueError: a NUL in the text
            continue
        return host.encode("ascii")
    return None


def _address(sockaddr: Any) -> str:
    """`127.0.0.1:80`, `[::1]:80`."""
    host, port = sockaddr[0], sockaddr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _unix_name(name: str | bytes) -> str:
    if isinstance(name, bytes):  # an abstract address: it starts with a NUL byte
        return "@" + name[1:].decode("utf-8", "replace") if name else ""
    return name
