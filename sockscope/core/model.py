"""The data of one conversation: where to, what to send, how to read, what happened.

Pure data with a lossless JSON round-trip. The bytes are the truth: every view
(hex, repr, decoded text, parsed headers) is derived from them elsewhere.
"""

from __future__ import annotations

import binascii
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, NamedTuple

from sockscope.core.transport import Transport as Transport  # the model's users import it here

FORMAT_VERSION = 1
# Bytes copied by Exchange.keep_once between calls of its `release`.
RELEASE_EVERY = 8 * 1024 * 1024
# A RECV event of fewer bytes keeps them in an exchange that holds its bytes once: a
# memoryview object alone takes about 200 bytes.
VIEWED = 256


class EventType(StrEnum):
    RESOLVE = "resolve"
    CONNECT = "connect"
    TLS = "tls"
    SEND = "send"
    RECV = "recv"
    SHUTDOWN = "shutdown"
    CLOSE = "close"
    ERROR = "error"
    INFO = "info"  # a note from the engine: a failed address tried, a limit reached


class Direction(StrEnum):
    """Which side of a relay an event belongs to: `client` for the client's bytes (on
    their way to the server), its connection, handshake, half-close or reset; `server`
    for the server's. Events of a conversation with one peer carry none."""

    CLIENT = "client"
    SERVER = "server"


class StopReason(StrEnum):
    PEER_CLOSED = "peer-closed"
    IDLE = "idle-timeout"
    DEADLINE = "deadline"
    DELIMITER = "delimiter"
    BYTE_COUNT = "byte-count"
    DATAGRAM = "datagram"  # UDP: the first datagram arrived
    CAPTURE_LIMIT = "capture-limit"
    EXPECTATION = "expectation"  # a dialogue step did not get the reply it expects
    CANCELLED = "cancelled"
    CLOSED = "closed"  # a session the user closed (or whose close became a RST fallback)
    RESET = "reset"
    ERROR = "error"


class ErrorKind(StrEnum):
    NAME_NOT_FOUND = "name-not-found"
    DNS_TEMPORARY = "dns-temporary"
    REFUSED = "refused"
    CONNECT_TIMEOUT = "connect-timeout"
    UNREACHABLE = "unreachable"
    RESET = "reset"
    TLS_VERIFY = "tls-verify"
    TLS_WRONG_VERSION = "tls-wrong-version"
    TLS_HANDSHAKE = "tls-handshake"
    TLS_TIMEOUT = "tls-timeout"
    TLS_CLIENT_CERT = "tls-client-certificate"  # required, rejected, or unusable
    PERMISSION = "permission"
    UNIX_PATH = "unix-path"
    OS = "os"  # any other OSError, with its errno name in the message


# Each event type and side by its value: a transcript's events are looked up here.
EVENT_TYPES = {kind.value: kind for kind in EventType}
DIRECTIONS = {side.value: side for side in Direction}


@dataclass(frozen=True)
class TlsOptions:
    verify: bool = True
    server_name: str | None = None  # SNI and the name checked; default: the host
    alpn: tuple[str, ...] = ()
    ca_file: str | None = None
    # Mutual TLS: the client certificate (PEM, may hold the key too) and its key.
    cert_file: str | None = None
    key_file: str | None = None
    # Where to append the session secrets in the NSS key log format (for Wireshark).
    # A local choice like SSLKEYLOGFILE, so it is not written into transcripts: a
    # transcript from elsewhere must not choose a file this machine writes secrets to.
    keylog_file: str | None = None


@dataclass(frozen=True)
class Target:
    """Where to talk to. For Unix transports `host` is the socket path, `port` is None."""

    host: str
    port: int | None
    transport: Transport = Transport.TCP
    family: int = 0  # 0 = auto, 4 = IPv4 only, 6 = IPv6 only
    tls: TlsOptions = field(default_factory=TlsOptions)

    @property
    def label(self) -> str:
        """`host:port` (IPv6 literals bracketed) or the Unix path."""
        if self.transport.is_unix or self.port is None:
            return self.host
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


class Overflow(StrEnum):
    """What to do once `capture_limit` bytes are retained."""

    STOP = "stop"  # stop reading, stop reason CAPTURE_LIMIT
    COUNT = "count"  # keep reading and counting (and writing to a sink), retain no more


@dataclass(frozen=True)
class ReadPolicy:
    """When to stop reading. Whichever condition comes first wins; peer close always ends it."""

    connect_timeout: float = 10.0
    idle_timeout: float | None = 2.0  # seconds with no data after the last send/recv
    deadline: float | None = 30.0  # seconds since start, for the whole exchange
    delimiter: bytes | None = None  # stop once the received bytes contain this
    max_bytes: int | None = None  # stop after this many bytes received
    first_datagram: bool = True  # datagram transports: stop after the first datagram
    half_close: bool = False  # shutdown(SHUT_WR) after sending
    capture_limit: int = 8 * 1024 * 1024  # bytes retained in the Exchange
    overflow: Overflow = Overflow.STOP


@dataclass(frozen=True)
class Event:
    """One thing that happened, `t` seconds after the exchange started.

    A RECV event may stand for several coalesced `recv()` calls (`calls`); `size`
    counts every byte received while `data` holds only the bytes retained (less than
    `size` once the capture limit is passed); in an exchange that holds its received
    bytes once (`Exchange.keep_once`: a finished or loaded one; or one the engine
    recorded into a `ReceiveBuffer`) it is a read-only view of its share of them (bytes
    of its own under `VIEWED` bytes). `detail` holds JSON-safe facts such as
    addresses, TLS parameters or the certificate. `direction` is set only in a relay's
    conversation, where two peers speak.
    """

    type: EventType
    t: float
    data: bytes | memoryview = b""
    size: int = 0
    calls: int = 1
    detail: dict[str, Any] = field(default_factory=dict)
    direction: Direction | None = None

    def to_dict(self, encode: Callable[[bytes | memoryview], Any] | None = None) -> dict[str, Any]:
        """A RECV event gives the number of bytes it `kept`: the bytes are the
        transcript's `received_b64`, which holds each received byte once. `encode` turns
        a SEND's bytes into their `data_b64` value (a base64 string by default)."""
        out: dict[str, Any] = {"type": self.type.value, "t": self.t}
        if self.type is EventType.SEND:
            out["size"] = self.size
            out["data_b64"] = (encode or _b64)(self.data)
            out["calls"] = self.calls
        elif self.type is EventType.RECV:
            out["size"] = self.size
            out["kept"] = len(self.data)
            out["calls"] = self.calls
        if self.detail:
            out["detail"] = self.detail
        if self.direction is not None:
            out["direction"] = self.direction.value
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any], kept: bytes | memoryview = b"") -> Event:
        """`kept` is the event's bytes when the dict gives no `data_b64`: a RECV
        event's share of the transcript's `received_b64`."""
        data = _unb64(d["data_b64"]) if "data_b64" in d else kept
        direction = d.get("direction")
        # Looked up rather than called: a transcript may hold a million events.
        return cls(
            type=EVENT_TYPES[d["type"]],
            t=float(d["t"]),
            data=data,
            size=int(d.get("size", len(data))),
            calls=int(d.get("calls", 1)),
            detail=dict(d["detail"]) if "detail" in d else {},
            direction=None if direction is None else DIRECTIONS[direction],
        )


# ErrorInfo and Timings are NamedTuples: a dataclass compiles its methods at import,
# which every command would pay for at its start.
class ErrorInfo(NamedTuple):
    """A classified failure: a kind, a plain sentence, and optionally what to try."""

    kind: ErrorKind
    message: str
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "message": self.message, "hint": self.hint}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ErrorInfo:
        return cls(ErrorKind(d["kind"]), str(d["message"]), d.get("hint"))


def _duration(measured: object, derived: float | None) -> float | None:
    """A phase's measured duration when the event carries a sound one, else `derived`."""
    if derived is not None and isinstance(measured, float) and 0 <= measured < float("inf"):
        return measured
    return derived


def _opened(first_recv: float, marks: dict[EventType, float]) -> float:
    """When the connection was ready for the reply that came first: after the TLS
    handshake, unless TLS started later (STARTTLS), then after the connect."""
    ready = [marks.get(EventType.TLS), marks.get(EventType.CONNECT)]
    return next((t for t in ready if t is not None and t <= first_recv), 0.0)


class Timings(NamedTuple):
    """Durations in seconds, None where the step did not happen."""

    resolve: float | None = None
    connect: float | None = None
    tls: float | None = None
    first_byte: float | None = None
    total: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "resolve": self.resolve,
            "connect": self.connect,
            "tls": self.tls,
            "first_byte": self.first_byte,
            "total": self.total,
        }


class ReceiveBuffer:
    """The received bytes of one exchange in one buffer of fixed capacity that only
    fills: the engine copies each byte it keeps in once (`append`), its RECV events hold
    read-only views of their share (`view`), and a reader on any thread takes `view(0, n)`
    of bytes that were filled before it counted them, bytes that never change again, so
    a view of a growing capture needs no copy and no lock.

    `storage` is writable memory made by the caller: the engine maps pages that cost
    memory only once written (engine.memory), so the capacity (the capture limit) is
    not memory spent."""

    def __init__(self, storage: memoryview) -> None:
        self._storage = storage
        self._read = storage.toreadonly()
        self.filled = 0

    @property
    def room(self) -> int:
        return len(self._storage) - self.filled

    def append(self, data: bytes | memoryview) -> None:
        """Copy `data` in after the bytes filled (at most `room` bytes)."""
        end = self.filled + len(data)
        if end > len(self._storage):
            raise ValueError(f"{len(data):,} bytes do not fit in the {self.room:,} left")
        self._storage[self.filled : end] = data
        self.filled = end  # after the copy: a reader never sees unwritten bytes

    def view(self, start: int, end: int) -> memoryview:
        """Bytes `start` to `end` (<= filled), read-only, without a copy."""
        return self._read[start:end]


class _KeptOnce:
    """An exchange's received bytes as one object, and the events they were made for:
    it stands while the exchange holds exactly those events (the same count, the same
    last one; events are only ever appended)."""

    def __init__(self, data: bytes, events: list[Event]) -> None:
        self.data = data
        self.count = len(events)
        self.last = events[-1] if events else None

    def holds(self, events: list[Event]) -> bool:
        if len(events) != self.count:
            return False
        return not events or events[-1] is self.last


@dataclass
class Exchange:
    """One conversation: target, request, every event, and why it ended.

    `stop_message` is the plain sentence shown to users ("server finished sending
    (EOF) after 1,024 bytes"); `stop` is the machine-readable reason.
    """

    target: Target
    request: bytes
    policy: ReadPolicy = field(default_factory=ReadPolicy)
    events: list[Event] = field(default_factory=list)
    stop: StopReason | None = None
    stop_message: str = ""
    error: ErrorInfo | None = None
    started_at: float = 0.0  # wall clock (epoch seconds) at the start
    template: str | None = None
    _once: _KeptOnce | None = field(default=None, init=False, repr=False, compare=False)
    # Not carried over by dataclasses.replace: an exchange made from another may hold
    # other events, whose bytes are not the buffer's start.
    _buffer: ReceiveBuffer | None = field(default=None, init=False, repr=False, compare=False)

    # ---- derived views of the events -------------------------------------------------

    def of_type(self, *types: EventType) -> Iterator[Event]:
        return (e for e in self.events if e.type in types)

    @property
    def received(self) -> bytes:
        """The retained received bytes, in order: the one copy an exchange that holds
        them once keeps (`keep_once`), else the RECV events' bytes joined."""
        once = self._held_once()
        if once is not None:
            return once
        return b"".join(e.data for e in self.of_type(EventType.RECV))

    @property
    def kept_bytes(self) -> bytes | memoryview:
        """`received` without a copy where they are in one buffer the engine recorded
        them in (`record_into`): a read-only view of it; else `received`."""
        if self._buffer is not None:
            return self._buffer.view(0, self.kept)
        return self.received

    @property
    def kept_once(self) -> bool:
        """Whether `received` is the one copy of the received bytes (no join)."""
        return self._held_once() is not None

    def _held_once(self) -> bytes | None:
        once = self._once
        return once.data if once is not None and once.holds(self.events) else None

    def keep_once(
        self, joined: bytes | None = None, *, release: Callable[[], object] | None = None
    ) -> None:
        """Hold the received bytes once: `received` becomes one bytes object, which it
        then returns without a join, and each RECV event's `data` a read-only view of
        its share (one under `VIEWED` bytes keeps its own, which costs less than a view).
        `joined` is those bytes already joined by the caller from these very
        events (the app's view of them), then taken as they are; otherwise the events'
        own bytes are copied into one object an event at a time, each let go as soon as
        it is copied (where nothing else refers to it), and `release` is called after
        every `RELEASE_EVERY` bytes: the engine passes one that hands the freed memory
        back to the system, so the copy does not stack on top of the events.

        Events are replaced in place, so it is for an exchange no other thread reads at
        the time: a finished one. An event added later makes `received` join the events
        again, which stays correct."""
        spans: list[tuple[int, int, int]] = []
        at = 0
        buffer = io.BytesIO() if joined is None else None
        for index, event in enumerate(self.events):
            if event.type is EventType.RECV and event.data:
                size = len(event.data)
                at += size
                if size < VIEWED:
                    if buffer is not None:
                        buffer.write(event.data)
                    continue
                spans.append((index, at - size, at))
                if buffer is not None:
                    buffer.write(event.data)
                    self.events[index] = replace(event, data=b"")
                    if release is not None and at // RELEASE_EVERY > (at - size) // RELEASE_EVERY:
                        release()
        if buffer is not None:
            joined = buffer.getvalue()  # the buffer's own bytes object: no copy
            del buffer
        elif joined is None or len(joined) != at:
            raise ValueError("joined must be the RECV events' bytes, joined")
        view = memoryview(joined).toreadonly()
        for index, start, end in spans:
            self.events[index] = replace(self.events[index], data=view[start:end])
        self._once = _KeptOnce(joined, self.events)

    def record_into(self, buffer: ReceiveBuffer) -> None:
        """Say that the RECV events' bytes are, in order, the first bytes of `buffer`,
        as the engine records them (each event holds a view of its share, or a copy
        under `VIEWED` bytes): `buffer` then gives them whole without a join."""
        self._buffer = buffer

    @property
    def buffer(self) -> ReceiveBuffer | None:
        """The buffer the received bytes are recorded in (`record_into`), if any: its
        first `kept` bytes are `received`."""
        return self._buffer

    def kept_slices(self, start: int, end: int) -> Iterator[memoryview]:
        """Bytes `start` to `end` of `received` as views of the events' bytes, in order:
        a part of the capture without joining or copying it."""
        at = 0
        for event in self.of_type(EventType.RECV):
            size = len(event.data)
            low, high = max(start - at, 0), min(end - at, size)
            if low < high:
                yield memoryview(event.data)[low:high]
            at += size
            if at >= end:
                return

    @property
    def sent(self) -> bytes:
        return b"".join(e.data for e in self.of_type(EventType.SEND))

    @property
    def bytes_in(self) -> int:
        """Every byte received, retained or not."""
        return sum(e.size for e in self.of_type(EventType.RECV))

    @property
    def bytes_out(self) -> int:
        return sum(e.size for e in self.of_type(EventType.SEND))

    @property
    def kept(self) -> int:
        """How many received bytes are retained: `len(received)`, without joining them."""
        return sum(len(e.data) for e in self.of_type(EventType.RECV))

    @property
    def truncated(self) -> bool:
        """True when more bytes were received than retained."""
        return self.bytes_in > self.kept

    @property
    def finished(self) -> bool:
        return self.stop is not None

    def timings(self) -> Timings:
        """Step durations: each phase's own `duration` where the engine measured it around
        the phase's system call; for transcripts without one, the time since the step
        before."""
        first = {e.type: e for e in reversed(self.events)}  # first occurrence wins
        marks = {kind: e.t for kind, e in first.items()}
        resolve = marks.get(EventType.RESOLVE)
        connect = marks.get(EventType.CONNECT)
        tls = marks.get(EventType.TLS)
        measured = {kind: e.detail.get("duration") for kind, e in first.items()}
        first_recv = marks.get(EventType.RECV)
        last_send = None
        for e in self.events:
            if e.type is EventType.RECV:
                break
            if e.type is EventType.SEND:
                last_send = e.t
        end = self.events[-1].t if self.events and self.finished else None
        return Timings(
            resolve=_duration(measured.get(EventType.RESOLVE), resolve),
            connect=_duration(
                measured.get(EventType.CONNECT),
                None if connect is None else connect - (resolve or 0.0),
            ),
            tls=_duration(
                measured.get(EventType.TLS),
                None if tls is None or connect is None else tls - connect,
            ),
            first_byte=None
            if first_recv is None
            else first_recv - (last_send if last_send is not None else _opened(first_recv, marks)),
            total=end,
        )

    # ---- JSON ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The lossless transcript, plus the derived `timings` that `from_dict` ignores.
        `received_b64` holds each received byte once: the RECV events' bytes in order,
        each event saying how many of them it `kept`."""
        return self._document(_b64, _b64(self.received))

    def to_stream_dict(self) -> dict[str, Any]:
        """`to_dict` with its bytes as `Base64` values, which `json_pieces`
        (core/json_stream.py) encodes a slice at a time as it writes them."""
        from sockscope.core.json_stream import Base64  # and json: for JSON output only

        received = Base64(e.data for e in self.of_type(EventType.RECV))
        return self._document(lambda data: Base64((data,)), received)

    def _document(
        self, encode: Callable[[bytes | memoryview], Any], received: Any
    ) -> dict[str, Any]:
        t = self.target
        p = self.policy
        return {
            "sockscope": FORMAT_VERSION,
            "target": {
                "host": t.host,
                "port": t.port,
                "transport": t.transport.value,
                "family": t.family,
                "tls": {
                    "verify": t.tls.verify,
                    "server_name": t.tls.server_name,
                    "alpn": list(t.tls.alpn),
                    "ca_file": t.tls.ca_file,
                    "cert_file": t.tls.cert_file,
                    "key_file": t.tls.key_file,
                },
            },
            "template": self.template,
            "started_at": self.started_at,
            "policy": {
                "connect_timeout": p.connect_timeout,
                "idle_timeout": p.idle_timeout,
                "deadline": p.deadline,
                "delimiter_b64": None if p.delimiter is None else _b64(p.delimiter),
                "max_bytes": p.max_bytes,
                "first_datagram": p.first_datagram,
                "half_close": p.half_close,
                "capture_limit": p.capture_limit,
                "overflow": p.overflow.value,
            },
            "request_b64": encode(self.request),
            "events": [e.to_dict(encode) for e in self.events],
            "received_b64": received,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "stop_reason": None if self.stop is None else self.stop.value,
            "stop_message": self.stop_message,
            "error": None if self.error is None else self.error.to_dict(),
            "timings": self.timings().to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Exchange:
        """Rebuild an Exchange; raises ValueError/KeyError/TypeError on a malformed dict."""
        td = d["target"]
        tls = td.get("tls") or {}
        target = Target(
            host=str(td["host"]),
            port=None if td.get("port") is None else int(td["port"]),
            transport=Transport(td.get("transport", "tcp")),
            family=int(td.get("family", 0)),
            tls=TlsOptions(
                verify=bool(tls.get("verify", True)),
                server_name=tls.get("server_name"),
                alpn=tuple(tls.get("alpn", ())),
                ca_file=tls.get("ca_file"),
                cert_file=tls.get("cert_file"),
                key_file=tls.get("key_file"),
            ),
        )
        pd = d.get("policy") or {}
        defaults = ReadPolicy()
        delim = pd.get("delimiter_b64")
        policy = replace(
            defaults,
            **{k: pd[k] for k in _POLICY_PLAIN_FIELDS if k in pd},
            delimiter=None if delim is None else _unb64(delim),
            overflow=Overflow(pd.get("overflow", defaults.overflow.value)),
        )
        stop = d.get("stop_reason")
        err = d.get("error")
        received = _unb64(d.get("received_b64", ""))
        events, shared = _events(d.get("events", []), received)
        exchange = cls(
            target=target,
            request=_unb64(d.get("request_b64", "")),
            policy=policy,
            events=events,
            stop=None if stop is None else StopReason(stop),
            stop_message=str(d.get("stop_message", "")),
            error=None if err is None else ErrorInfo.from_dict(err),
            started_at=float(d.get("started_at", 0.0)),
            template=d.get("template"),
        )
        if shared:
            exchange._once = _KeptOnce(received, events)
        else:  # an older transcript: its events hold their own bytes
            del received
            exchange.keep_once()
        return exchange


_POLICY_PLAIN_FIELDS = (
    "connect_timeout",
    "idle_timeout",
    "deadline",
    "max_bytes",
    "first_datagram",
    "half_close",
    "capture_limit",
)


def _events(dicts: list[dict[str, Any]], received: bytes) -> tuple[list[Event], bool]:
    """The events of a transcript, and whether their RECV bytes are `received` itself:
    a RECV event without its own `data_b64` (which transcripts before `kept` gave every
    event) takes its `kept` bytes of `received` (a view, or a copy under `VIEWED` bytes),
    after those of the RECV events before it."""
    events = []
    offset = 0
    shared = True  # every RECV event took its bytes from `received`, together all of it
    whole = memoryview(received).toreadonly()
    received_type = EventType.RECV
    recv = received_type.value
    for d in dicts:
        kept: memoryview | bytes = b""
        if d.get("type") == recv:
            if "data_b64" in d:
                shared = False
            else:
                count = int(d.get("kept", 0))
                kept = (received if count < VIEWED else whole)[offset : offset + count]
                if len(kept) != count:
                    raise ValueError(f"received_b64 holds fewer than {offset + count:,} bytes")
        event = Event.from_dict(d, kept)
        if event.type is received_type:
            offset += len(event.data)
        events.append(event)
    return events, shared and offset == len(received)


# binascii, as the base64 module does, without loading that module and its imports.
def _b64(data: bytes | memoryview) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _unb64(value: str | bytes) -> bytes:
    """A `*_b64` field's bytes; a loader that decoded a large one itself gives bytes."""
    if isinstance(value, bytes):
        return value
    return binascii.a2b_base64(value, strict_mode=True)
