"""Lab runs every service on one asyncio loop; LabThread runs a Lab beside blocking code."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import ssl
import threading
from collections.abc import Callable
from types import TracebackType

from sockscope.lab.catalog import MAX_OFFSET, SERVICES
from sockscope.lab.certs import LabCertificates
from sockscope.lab.ftp import serve_ftp
from sockscope.lab.http import MAX_HEAD, serve_http
from sockscope.lab.imap import serve_imap
from sockscope.lab.nntp import serve_nntp
from sockscope.lab.pop3 import serve_pop3
from sockscope.lab.redis import Store, serve_redis
from sockscope.lab.services import (
    LINE_LIMIT,
    Handler,
    Quotes,
    UdpService,
    chargen,
    chargen_datagram,
    daytime,
    daytime_line,
    discard,
    echo,
    greeter,
    qotd,
    trickle,
)
from sockscope.lab.smtp import serve_smtp
from sockscope.lab.telnet import serve_telnet

logger = logging.getLogger(__name__)

TLS_HANDSHAKE_TIMEOUT = 10.0


class LabError(OSError):
    """A service could not listen; the message names the service and the address."""


class Lab:
    """The lab's services on `host`: at OS-chosen ports, or at `port_base` + each offset.

    With `hostile`, every case of sockscope.lab.hostile listens too, each on its own port.
    """

    def __init__(
        self, host: str = "127.0.0.1", port_base: int | None = None, hostile: bool = False
    ) -> None:
        if hostile:
            from sockscope.lab.hostile import MAX_HOSTILE_OFFSET
        top = MAX_HOSTILE_OFFSET if hostile else MAX_OFFSET
        if port_base is not None and not 0 <= port_base <= 65535 - top:
            raise ValueError(f"port base must be from 0 to {65535 - top}")
        self.host = host
        self.port_base = port_base
        self.hostile = hostile
        self.ports: dict[str, dict[str, int]] = {}
        self._certificates: LabCertificates | None = None
        self._servers: list[asyncio.Server] = []
        self._datagrams: list[asyncio.BaseTransport] = []
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        quotes = Quotes()
        self._tcp: dict[str, Handler] = {
            "greeter": greeter,
            "trickle": trickle,
            "echo": echo,
            "discard": discard,
            "daytime": daytime,
            "qotd": qotd(quotes),
            "chargen": chargen,
            "smtp": serve_smtp,
            "telnet": serve_telnet,
            "ftp": serve_ftp,
            "pop3": serve_pop3,
            "imap": serve_imap,
            "nntp": serve_nntp,
            "redis": serve_redis(Store()),
            "http": serve_http,
            "https": serve_http,
        }
        self._udp: dict[str, Callable[[bytes], bytes | None]] = {
            "echo": lambda data: data,
            "discard": lambda data: None,
            "daytime": lambda data: daytime_line(),
            "qotd": lambda data: quotes.next(),
            "chargen": lambda data: chargen_datagram(),
        }

    @property
    def ca_file(self) -> str:
        """The path of the PEM file of the CA that signed the https certificate: written
        by make_identity(), which the first TLS handshake calls if no one did before."""
        if self._certificates is None:
            raise RuntimeError("the lab is not running")
        return str(self._certificates.ca_file)

    def make_identity(self) -> None:
        """Make the TLS identity (and write ca_file) unless made; returns once it is.
        Safe from any thread."""
        if self._certificates is None:
            raise RuntimeError("the lab is not running")
        self._certificates.make()

    async def start(self) -> None:
        """Listen on every port. The TLS identity is not made yet (see make_identity),
        except for the hostile lab, which signs its own certificates with its CA."""
        certificates = self._certificates = LabCertificates()
        # The mail services offer STARTTLS with the lab's certificate, FTP its AUTH TLS.
        upgrading = (
            ("smtp", serve_smtp),
            ("pop3", serve_pop3),
            ("imap", serve_imap),
            ("ftp", serve_ftp),
        )
        for name, serve in upgrading:
            self._tcp[name] = functools.partial(serve, tls=certificates.server_context)
        try:
            for service in SERVICES:
                port = 0 if self.port_base is None else self.port_base + service.offset
                ports = self.ports[service.name] = {}
                for transport in service.transports:
                    if transport == "udp":
                        ports["udp"] = await self._listen_udp(service.name, ports["tcp"])
                    else:
                        tls = certificates.server_context if transport == "tls" else None
                        ports[transport] = await self._listen_tcp(service.name, port, tls)
            if self.hostile:
                await self._start_hostile(certificates)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for transport in self._datagrams:
            transport.close()
        # Let handlers of connections accepted just before the close register themselves.
        await asyncio.sleep(0)
        connections = list(self._connections.items())
        # Cancel first and let each handler leave what it awaits before its transport
        # goes: Python 3.11 logs an InvalidStateError for a transport closed in the
        # middle of loop.sendfile (the /bytes bodies).
        for task, _writer in connections:
            task.cancel()
        await asyncio.sleep(0)
        # Abort rather than close: a client that stopped reading would hold a close forever.
        for _task, writer in connections:
            writer.transport.abort()
        await asyncio.gather(*(task for task, _writer in connections), return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        self._datagrams.clear()
        self.ports = {}
        if self._certificates is not None:
            self._certificates.remove()
            self._certificates = None

    async def idle(self) -> None:
        """Return once every connection, those open now and any accepted meanwhile, ended."""
        while self._connections:
            await asyncio.wait(list(self._connections))

    async def _start_hostile(self, certificates: LabCertificates) -> None:
        from sockscope.lab.hostile import (
            CASES,
            HOSTILE_OFFSET,
            listen_datagrams,
            play,
            tls_identities,
        )

        identities = tls_identities(certificates.ca, certificates.server_context)
        for index, case in enumerate(CASES):
            port = 0 if self.port_base is None else self.port_base + HOSTILE_OFFSET + index
            if case.transport == "udp":
                try:
                    datagrams = await listen_datagrams(self.host, port, case.datagram)
                except OSError as exc:
                    raise LabError(_cannot_listen(case.name, "udp", self.host, port, exc)) from exc
                self._datagrams.append(datagrams)
                self.ports[case.name] = {"udp": datagrams.get_extra_info("sockname")[1]}
                continue
            # The script does its own TLS, so the listener is plain TCP for every case.
            self._tcp[case.name] = functools.partial(play, case.steps, identities=identities)
            self.ports[case.name] = {case.transport: await self._listen_tcp(case.name, port, None)}

    async def _listen_tcp(self, name: str, port: int, tls: ssl.SSLContext | None) -> int:
        try:
            server = await asyncio.start_server(
                self._guarded(name, self._tcp[name]),
                self.host,
                port,
                limit=MAX_HEAD if name in ("http", "https") else LINE_LIMIT,
                ssl=tls,
                ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT if tls else None,
            )
        except OSError as exc:
            transport = "tls" if tls else "tcp"
            raise LabError(_cannot_listen(name, transport, self.host, port, exc)) from exc
        self._servers.append(server)
        port_used: int = server.sockets[0].getsockname()[1]
        return port_used

    async def _listen_udp(self, name: str, port: int) -> int:
        loop = asyncio.get_running_loop()
        reply = self._udp[name]
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: UdpService(reply), local_addr=(self.host, port)
            )
        except OSError as exc:
            if self.port_base is not None:
                raise LabError(_cannot_listen(name, "udp", self.host, port, exc)) from exc
            # The OS gave TCP a port whose UDP twin is taken: any UDP port will do.
            transport, _ = await loop.create_datagram_endpoint(
                lambda: UdpService(reply), local_addr=(self.host, 0)
            )
        self._datagrams.append(transport)
        port_used: int = transport.get_extra_info("sockname")[1]
        return port_used

    def _guarded(self, name: str, handler: Handler) -> Handler:
        async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._connections[task] = writer
            task.add_done_callback(self._connections.pop)
            try:
                await handler(reader, writer)
                writer.close()
                await writer.wait_closed()
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                pass  # the client reset, vanished or broke TLS: only its connection ends
            except asyncio.CancelledError:
                # stop() ended it. Python 3.11's start_server logs a cancelled handler task
                # as an error, so it ends normally instead.
                pass
            except Exception:
                logger.exception("the lab's %s service failed", name)
            finally:
                writer.close()

        return run


def _cannot_listen(name: str, transport: str, host: str, port: int, exc: OSError) -> str:
    # asyncio's own strerror repeats the address; the plain one for the errno reads better.
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return f"{name} ({transport}) cannot listen on {host} port {port}: {reason}"


class LabThread:
    """A Lab on its own event loop in a daemon thread; `with LabThread() as lab: ...`."""

    def __init__(
        self, host: str = "127.0.0.1", port_base: int | None = None, hostile: bool = False
    ) -> None:
        self.lab = Lab(host, port_base, hostile)
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def host(self) -> str:
        return self.lab.host

    @property
    def ports(self) -> dict[str, dict[str, int]]:
        return self.lab.ports

    @property
    def ca_file(self) -> str:
        """The CA file, written first if it is not yet (see make_identity)."""
        self.lab.make_identity()
        return self.lab.ca_file

    def make_identity(self) -> None:
        """Make the lab's TLS identity unless made; returns once it is (any thread).
        `sockscope` calls it after its first frame, so that frame does not wait for it."""
        self.lab.make_identity()

    def port(self, service: str, transport: str | None = None) -> int:
        """The port of `service` over `transport` (default: tcp, or the only one it has)."""
        transports = self.lab.ports.get(service)
        if transports is None:
            raise KeyError(f"no lab service {service!r}; there are {', '.join(self.lab.ports)}")
        if transport is None:
            transport = "tcp" if "tcp" in transports else next(iter(transports))
        if transport not in transports:
            raise KeyError(f"{service} has no {transport}; it has {', '.join(transports)}")
        return transports[transport]

    def wait_idle(self, timeout: float) -> None:
        """Block until no connection is open (TimeoutError after `timeout` seconds): proof
        that every server-side handler ended once its client went away."""
        assert self._loop is not None, "the lab is not running"
        waiting = asyncio.wait_for(self.lab.idle(), timeout)
        asyncio.run_coroutine_threadsafe(waiting, self._loop).result()

    def start(self) -> LabThread:
        """Start the lab; returns once every service listens, or raises why one cannot."""
        if self._thread is not None:
            raise RuntimeError("the lab is already running")
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._thread.name = "sockscope-lab"
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        assert self._loop is not None and self._stopping is not None
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join()
        self._thread = None

    def __enter__(self) -> LabThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            await self.lab.start()
        except BaseException as exc:
            self._error = exc
            return
        finally:
            self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            await self.lab.stop()
