"""An exchange as a classic libpcap file that Wireshark and tcpdump open.

The packets are synthetic: sockscope records what the socket API saw (bytes, times,
addresses), not frames, so this file rebuilds plausible ones around the recorded bytes.
TCP gets a three-way handshake, data segments of at most 65,000 bytes with continuous
sequence numbers, and a FIN (or the peer's RST) at the end; datagram transports get one
UDP datagram per send and per reply. All checksums are correct.

What cannot be rebuilt is said rather than invented:
- TLS exchanges carry the decrypted application bytes in plain TCP: the handshake and
  the encrypted records are not recorded.
- Received bytes beyond the capture limit were counted, not kept; their sequence
  numbers are skipped, so Wireshark shows "previous segment not captured" there.
- Unix sockets have no IP addresses: they appear as 127.0.0.1:49152 -> 127.0.0.1:49153.
- A relayed conversation (`sockscope relay`) is drawn as if the relay were not there:
  the real client's address to the real server's, each side's FIN or RST its own.

What a packet or a pcap record cannot hold is refused (ExportError) rather than written
wrong: a datagram over what one UDP packet carries (65,507 bytes over IPv4, 65,527 over
IPv6; Unix datagram sockets allow more), and times past early 2106 (32-bit seconds).
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from sockscope.core.model import Direction, ErrorKind, Event, EventType, Exchange, StopReason
from sockscope.export import ExportError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

PCAP_MAGIC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
SNAPLEN = 262_144
MAX_SEGMENT = 65_000  # payload bytes per TCP segment; fits an IP packet's 16-bit length

# Locally administered MAC addresses: they belong to no real vendor.
_CLIENT_MAC = bytes.fromhex("020000000001")
_SERVER_MAC = bytes.fromhex("020000000002")
_LAST_SECOND = 2**32 - 1  # a classic pcap record's timestamp is 32-bit seconds
_CLIENT_ISN = 1_000
_SERVER_ISN = 5_000
_TCP, _UDP = 6, 17
_FIN, _SYN, _RST, _PSH, _ACK = 0x01, 0x02, 0x04, 0x08, 0x10

_FALLBACK_CLIENT = (ipaddress.ip_address("10.0.0.1"), 49152)
_FALLBACK_SERVER = ipaddress.ip_address("10.0.0.2")
_UNIX_CLIENT = (ipaddress.ip_address("127.0.0.1"), 49152)
_UNIX_SERVER = (ipaddress.ip_address("127.0.0.1"), 49153)


@dataclass
class _Side:
    mac: bytes
    ip: IpAddress
    port: int
    seq: int = 0  # the next sequence number this side sends (TCP)
    fin_sent: bool = False


def to_pcap(exchange: Exchange) -> bytes:
    connect: Event | None = next(exchange.of_type(EventType.CONNECT), None)
    if connect is None:
        raise ExportError(
            "the exchange never connected, so no packet crossed the wire; "
            "use --format python or ncat to try it again"
        )
    client, server = _sides(exchange, connect)
    capture = _Capture(exchange.started_at, client, server)
    if exchange.target.transport.is_datagram:
        _datagrams(exchange, capture)
    else:
        _stream(exchange, connect, capture)
    return capture.file()


def _sides(exchange: Exchange, connect: Event) -> tuple[_Side, _Side]:
    target = exchange.target
    if connect.direction is not None:  # a relay's: the real client and the real server
        local, peer = _relay_addresses(exchange, connect)
    elif target.transport.is_unix:
        local, peer = _UNIX_CLIENT, _UNIX_SERVER
    else:
        recorded_local = _parse_address(connect.detail.get("local"))
        recorded_peer = _parse_address(connect.detail.get("peer"))
        if (
            recorded_local is None
            or recorded_peer is None
            or recorded_local[0].version != recorded_peer[0].version
        ):
            local, peer = _FALLBACK_CLIENT, (_FALLBACK_SERVER, target.port or 49153)
        else:
            local, peer = recorded_local, recorded_peer
    return _Side(_CLIENT_MAC, *local), _Side(_SERVER_MAC, *peer)


Address = tuple[IpAddress, int]


def _relay_addresses(exchange: Exchange, connect: Event) -> tuple[Address, Address]:
    """A relayed conversation as the client and the server would have seen it without the
    relay: the client's CONNECT names the client, the server's the server (a Unix side,
    which has no address, gets the Unix stand-in)."""
    server = next(
        (e for e in exchange.of_type(EventType.CONNECT) if e.direction is Direction.SERVER), None
    )
    client_address = _parse_address(connect.detail.get("peer")) or _UNIX_CLIENT
    server_address = (
        _parse_address(server.detail.get("peer")) if server is not None else None
    ) or _UNIX_SERVER
    if client_address[0].version != server_address[0].version:
        return _UNIX_CLIENT, _UNIX_SERVER
    return client_address, server_address


def _parse_address(text: object) -> tuple[IpAddress, int] | None:
    """`127.0.0.1:80` or `[::1]:80` (the engine's CONNECT detail); None for anything else,
    a port outside 1-65535 included (a TCP or UDP header holds 16 bits)."""
    if not isinstance(text, str):
        return None
    host, _, port = text.rpartition(":")
    try:
        address, number = ipaddress.ip_address(host.strip("[]").split("%")[0]), int(port)
    except ValueError:
        return None
    return (address, number) if 1 <= number <= 65535 else None


def _stream(exchange: Exchange, connect: Event, capture: _Capture) -> None:
    client, server = capture.client, capture.server
    before = [e.t for e in exchange.events[: exchange.events.index(connect)]]
    syn_time = before[-1] if before else 0.0
    client.seq, server.seq = _CLIENT_ISN, _SERVER_ISN
    capture.tcp(syn_time, client, _SYN, ack=False)
    capture.tcp(connect.t, server, _SYN | _ACK)
    capture.tcp(connect.t, client, _ACK)
    end = exchange.events[-1].t
    for event in exchange.events[exchange.events.index(connect) + 1 :]:
        if event.type in (EventType.SEND, EventType.RECV):
            side = client if event.type is EventType.SEND else server
            for start in range(0, len(event.data), MAX_SEGMENT):
                segment = event.data[start : start + MAX_SEGMENT]
                capture.tcp(event.t, side, _PSH | _ACK, segment)
            capture.skip(side, event.size - len(event.data))  # counted but not kept
        elif event.type is EventType.SHUTDOWN:
            capture.tcp(
                event.t, server if event.direction is Direction.SERVER else client, _FIN | _ACK
            )
        elif event.type is EventType.CLOSE:
            end = event.t
            break
    reset = exchange.stop is StopReason.RESET or (
        exchange.error is not None and exchange.error.kind is ErrorKind.RESET
    )
    if reset:
        error = next(exchange.of_type(EventType.ERROR), None)
        resetter = client if error is not None and error.direction is Direction.CLIENT else server
        capture.tcp(end, resetter, _RST | _ACK)
        return
    # Whoever closed first sends the first FIN; the other answers with its own.
    order = (server, client) if exchange.stop is StopReason.PEER_CLOSED else (client, server)
    last = None
    for side in order:
        if not side.fin_sent:
            capture.tcp(end, side, _FIN | _ACK)
            last = side
    if last is not None:
        capture.tcp(end, client if last is server else server, _ACK)


def _datagrams(exchange: Exchange, capture: _Capture) -> None:
    # The IP header's 16-bit length counts the UDP header too, and IPv4's its own.
    largest = 65_535 - 8 - (20 if capture.client.ip.version == 4 else 0)
    for index, event in enumerate(exchange.events):
        if event.type not in (EventType.SEND, EventType.RECV):
            continue
        if len(event.data) > largest:
            raise ExportError(
                f"events[{index}] is a datagram of {len(event.data):,} bytes, but one UDP packet "
                f"carries at most {largest:,}, so a pcap cannot hold it; "
                "use --format python or json"
            )
        side = capture.client if event.type is EventType.SEND else capture.server
        capture.udp(event.t, side, event.data)


class _Capture:
    def __init__(self, started_at: float, client: _Side, server: _Side) -> None:
        self.started_at = started_at
        self.client = client
        self.server = server
        self.records: list[bytes] = []
        self.ip_id = 0

    def _peer(self, side: _Side) -> _Side:
        return self.server if side is self.client else self.client

    def tcp(
        self,
        t: float,
        side: _Side,
        flags: int,
        payload: bytes | memoryview = b"",
        *,
        ack: bool = True,
    ) -> None:
        """A segment from `side`, acknowledging everything the peer has sent so far."""
        peer = self._peer(side)
        header = struct.pack(
            "!HHIIBBHHH",
            side.port,
            peer.port,
            side.seq,
            peer.seq if ack else 0,
            5 << 4,  # data offset: a 20-byte header, no options
            flags,
            65535,  # window
            0,  # checksum, filled in below
            0,  # urgent pointer
        )
        segment = header + payload
        checksum = _checksum(_pseudo_header(side, peer, _TCP, len(segment)) + segment)
        segment = segment[:16] + struct.pack("!H", checksum) + segment[18:]
        # SYN and FIN each take up one sequence number, as a byte would.
        self.skip(side, len(payload) + bool(flags & (_SYN | _FIN)))
        side.fin_sent = side.fin_sent or bool(flags & _FIN)
        self._packet(t, side, _TCP, segment)

    def skip(self, side: _Side, count: int) -> None:
        side.seq = (side.seq + count) % 2**32

    def udp(self, t: float, side: _Side, payload: bytes | memoryview) -> None:
        peer = self._peer(side)
        length = 8 + len(payload)
        datagram = struct.pack("!HHHH", side.port, peer.port, length, 0) + payload
        # A computed 0 is sent as 0xFFFF: 0 means "no checksum" (and is not allowed in IPv6).
        checksum = _checksum(_pseudo_header(side, peer, _UDP, length) + datagram) or 0xFFFF
        self._packet(t, side, _UDP, datagram[:6] + struct.pack("!H", checksum) + payload)

    def _packet(self, t: float, side: _Side, protocol: int, body: bytes) -> None:
        peer = self._peer(side)
        if side.ip.version == 4:
            self.ip_id = (self.ip_id + 1) % 2**16
            header = struct.pack(
                "!BBHHHBBH4s4s",
                0x45,  # version 4, 5-word header
                0,
                20 + len(body),
                self.ip_id,
                0x4000,  # don't fragment
                64,  # TTL
                protocol,
                0,
                side.ip.packed,
                peer.ip.packed,
            )
            header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
            ethertype = 0x0800
        else:
            header = struct.pack(
                "!IHBB16s16s", 6 << 28, len(body), protocol, 64, side.ip.packed, peer.ip.packed
            )
            ethertype = 0x86DD
        frame = peer.mac + side.mac + struct.pack("!H", ethertype) + header + body
        micros = round((self.started_at + t) * 1_000_000)
        seconds, micros = divmod(micros, 1_000_000)
        if seconds > _LAST_SECOND:
            raise ExportError(
                "the exchange's times run past early 2106, beyond what a pcap timestamp "
                "holds (32-bit seconds); use --format json"
            )
        self.records.append(struct.pack("<IIII", seconds, micros, len(frame), len(frame)) + frame)

    def file(self) -> bytes:
        header = struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET)
        return header + b"".join(self.records)


def _pseudo_header(side: _Side, peer: _Side, protocol: int, length: int) -> bytes:
    if side.ip.version == 4:
        return side.ip.packed + peer.ip.packed + struct.pack("!BBH", 0, protocol, length)
    return side.ip.packed + peer.ip.packed + struct.pack("!I3xB", length, protocol)


def _checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): ones' complement of the ones' complement sum."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
