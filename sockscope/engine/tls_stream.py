"""TLS over a non-blocking socket, the encrypted bytes passed through memory (ssl.MemoryBIO).

An SSLSocket lets OpenSSL read the socket itself, two system calls per record (its
5-byte header, then the rest): for a GiB of 16 KiB records, 131,000 reads, each one
acknowledged by the kernel on the reader's time. Here the socket is read in large
pieces and OpenSSL decrypts from memory, record after record, without a system call.

TlsStream does what the engine and the relay ask of an SSLSocket, with the same
non-blocking signals: SSLWantReadError when nothing can be read yet, SSLWantWriteError
when the socket takes no more (send again with the same bytes, as OpenSSL asks), 0 or
b"" at the close_notify, SSLEOFError at a close without one.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Callable
from typing import Any, cast

# Encrypted bytes per socket read, at most: a megabyte of records per system call.
RAW_READ = 1 << 20
# The largest record on the wire (TLS 1.2's bound: 16 KiB of data, 2 KiB of overhead,
# the header): a read for n bytes fetches n and the rest of the record they end in.
RECORD = (1 << 14) + 2048 + 5
# Plaintext encrypted per send: what waits for the socket stays this small.
SEND_CHUNK = 256 * 1024

_WOULD_BLOCK = (BlockingIOError, InterruptedError)


class TlsStream:
    """A TLS client (or server) on `sock`, which must be non-blocking."""

    def __init__(
        self,
        sock: socket.socket,
        context: ssl.SSLContext,
        server_hostname: str | None,
        *,
        server_side: bool = False,
    ) -> None:
        self.raw = sock
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(
            self._incoming,
            self._outgoing,
            server_side=server_side,
            server_hostname=server_hostname,
        )
        self._raw_buffer = memoryview(b"")  # grown by a socket read that wants more
        self._raw_eof = False
        # True once every whole record received is decrypted: what `_incoming` holds is
        # the start of one still on its way, and only the socket can complete it.
        self._starved = False
        # True once a socket read came short: the socket had no more, so the reads until
        # the caller has waited for it do not ask it again (each would be a system call
        # told the same, twice per read of a fast stream). Cleared when SSLWantReadError
        # sends the caller to wait.
        self._drained = False
        self._unsent = bytearray()  # ciphertext the socket has not taken yet
        self._owed = 0  # the plaintext it carries: what the repeated send() reports
        self._error: OSError | None = None  # met after bytes that were given first
        self._closed = False  # the close_notify came (read from the socket with the data)

    # ---- the socket's side -------------------------------------------------------------

    def fileno(self) -> int:
        return self.raw.fileno()

    @property
    def family(self) -> int:
        return self.raw.family

    def setsockopt(self, *args: Any) -> None:
        self.raw.setsockopt(*args)

    def close(self) -> None:
        self.raw.close()

    # ---- the session's facts -----------------------------------------------------------

    def version(self) -> str | None:
        return self.tls.version()

    def cipher(self) -> tuple[str, str, int] | None:
        return self.tls.cipher()

    def selected_alpn_protocol(self) -> str | None:
        return self.tls.selected_alpn_protocol()

    def getpeercert(self, binary_form: bool = False) -> Any:
        return self.tls.getpeercert(binary_form)

    # ---- the handshake and the ending ------------------------------------------------

    def do_handshake(self) -> None:
        """One step of the handshake; SSLWantReadError or SSLWantWriteError until done."""
        while True:
            try:
                self.tls.do_handshake()
            except ssl.SSLWantReadError:
                self._push()
                if not self._fill(RECORD):
                    self._drained = False
                    raise
                continue
            self._push()
            return

    def unwrap(self) -> None:
        """Send the close_notify; SSLWantReadError while the peer's has not come."""
        try:
            self.tls.unwrap()
        finally:
            self._push()

    # ---- reading -----------------------------------------------------------------------

    def read_into(self, view: memoryview, nbytes: int) -> tuple[int, int]:
        """Decrypt up to `nbytes` into `view`: the records already received, then those
        the socket has for us now. Returns the bytes and the records they came in;
        (0, 0) at the close_notify. Raises SSLWantReadError when nothing can be given
        yet, and an error met after some bytes on the next call, after them."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        n = records = 0
        # With a buffer, read() returns a count (typeshed says bytes).
        read = cast("Callable[[int, memoryview], int]", self.tls.read)
        while n < nbytes:
            try:
                got = read(nbytes - n, view[n:])
            except ssl.SSLWantReadError:
                self._starved = True
                if not self._fill(min(nbytes - n + RECORD, RAW_READ)):
                    break
                continue
            except OSError as exc:  # ssl.SSLError, a reset met by _fill
                if not n:
                    raise
                self._error = exc
                break
            if not got:
                self._closed = True  # the close_notify
                break
            n += got
            records += 1
        if self._outgoing.pending or self._unsent:
            # A reply OpenSSL made while reading (a TLS 1.3 key update): it goes out now
            # if it can, else with the next send; a failing socket shows in the next read.
            with contextlib.suppress(OSError):
                self._push()
        if not n and not self._closed:
            self._drained = False
            raise ssl.SSLWantReadError(ssl.SSL_ERROR_WANT_READ, "no whole record yet")
        return n, records

    def recv(self, size: int) -> bytes:
        with memoryview(bytearray(size)) as view:
            n, _ = self.read_into(view, size)
            return bytes(view[:n])

    def pending(self) -> int:
        """Nonzero when a read can go on without the socket: decrypted bytes, whole
        records, or an ending still to report (the close_notify or an error that came
        in the same socket read as the last bytes: the socket has nothing left to say)."""
        if self._closed or self._error is not None:
            return 1
        waiting = 0 if self._starved else self._incoming.pending
        return self.tls.pending() + waiting

    def _fill(self, size: int) -> bool:
        """One socket read of up to `size` bytes into the records to decrypt; False when
        nothing was waiting, or when the last read drained the socket. The buffer grows
        to the largest size asked: a relay's 64 KiB reads never make it a megabyte."""
        if self._raw_eof or self._drained:
            return False
        if len(self._raw_buffer) < size:
            self._raw_buffer = memoryview(bytearray(size))
        try:
            k = self.raw.recv_into(self._raw_buffer, size)
        except _WOULD_BLOCK:
            return False
        self._drained = k < size
        if k:
            self._incoming.write(self._raw_buffer[:k])
        else:
            self._raw_eof = True
            self._incoming.write_eof()
        self._starved = False
        return True

    # ---- sending -----------------------------------------------------------------------

    def send(self, data: bytes | bytearray | memoryview) -> int:
        """Encrypt and send the start of `data`; returns the plaintext bytes taken.
        SSLWantWriteError when the socket takes no more: then send the same bytes again,
        and the call that gets the rest out reports them."""
        if self._owed:
            self._push()
            owed, self._owed = self._owed, 0
            return owed
        taken = self.tls.write(memoryview(data)[:SEND_CHUNK])
        self._owed = taken
        self._push()
        self._owed = 0
        return taken

    def _push(self) -> None:
        """Send the ciphertext OpenSSL made; SSLWantWriteError when the socket is full."""
        if self._outgoing.pending:
            self._unsent += self._outgoing.read()
        while self._unsent:
            try:
                k = self.raw.send(self._unsent)
            except _WOULD_BLOCK:
                raise ssl.SSLWantWriteError(
                    ssl.SSL_ERROR_WANT_WRITE, "the socket takes no more now"
                ) from None
            del self._unsent[:k]
