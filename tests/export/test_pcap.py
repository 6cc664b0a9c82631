"""pcap export: a classic libpcap file that a well-kept reader (dpkt) takes apart correctly."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import dpkt
import pytest

from sockscope.core.model import Event, EventType, Exchange, StopReason, Target, Transport
from sockscope.export import ExportError
from sockscope.export.pcap import MAX_SEGMENT, to_pcap
from tests.export.conftest import made_exchange

REQUEST = b"GET / HTTP/1.0\r\n\r\n"
REPLY = [b"HTTP/1.0 200 OK\r\n", b"\r\nhello"]


def _packets(pcap: bytes, tmp_path: Path) -> list[tuple[float, dpkt.ethernet.Ethernet]]:
    path = tmp_path / "x.pcap"
    path.write_bytes(pcap)
    with path.open("rb") as f:
        reader = dpkt.pcap.Reader(f)
        assert reader.datalink() == dpkt.pcap.DLT_EN10MB
        return [(ts, dpkt.ethernet.Ethernet(buf)) for ts, buf in reader]


def _tcp(packets):  # type: ignore[no-untyped-def]
    return [(ts, eth.data, eth.data.data) for ts, eth in packets]


def test_file_starts_with_the_classic_magic_and_ethernet_link_type() -> None:
    pcap = to_pcap(made_exchange([REQUEST], REPLY))
    assert pcap[:4] == bytes.fromhex("d4c3b2a1")  # a1b2c3d4, little-endian
    assert pcap[20:24] == (1).to_bytes(4, "little")


def test_tcp_exchange_has_handshake_data_both_ways_and_fin(tmp_path: Path) -> None:
    exchange = made_exchange([REQUEST], REPLY)
    exchange.stop = StopReason.PEER_CLOSED
    packets = _tcp(_packets(to_pcap(exchange), tmp_path))
    flags = [tcp.flags for _, _, tcp in packets]
    syn, ack, fin, psh = dpkt.tcp.TH_SYN, dpkt.tcp.TH_ACK, dpkt.tcp.TH_FIN, dpkt.tcp.TH_PUSH
    assert flags[:3] == [syn, syn | ack, ack]
    assert flags[3:6] == [psh | ack] * 3
    assert flags[6:] == [fin | ack, fin | ack, ack]

    ip = packets[0][1]
    assert (ip.src, ip.dst) == (bytes([192, 0, 2, 1]), bytes([192, 0, 2, 7]))
    assert (packets[0][2].sport, packets[0][2].dport) == (40000, 8080)
    # The server closed first (peer-closed): its FIN comes before the client's.
    assert packets[6][2].sport == 8080

    client = b"".join(tcp.data for _, _, tcp in packets if tcp.sport == 40000)
    server = b"".join(tcp.data for _, _, tcp in packets if tcp.sport == 8080)
    assert client == REQUEST and server == b"".join(REPLY)


def test_sequence_and_acknowledgement_numbers_are_continuous(tmp_path: Path) -> None:
    packets = _tcp(_packets(to_pcap(made_exchange([REQUEST, b"more"], REPLY)), tmp_path))
    next_seq: dict[int, int] = {}
    for _, _, tcp in packets:
        if tcp.sport in next_seq:
            assert tcp.seq == next_seq[tcp.sport]
        used = len(tcp.data) + bool(tcp.flags & (dpkt.tcp.TH_SYN | dpkt.tcp.TH_FIN))
        next_seq[tcp.sport] = tcp.seq + used
        if tcp.flags & dpkt.tcp.TH_ACK:
            other = tcp.dport
            assert tcp.ack == next_seq[other]


def test_checksums_are_correct(tmp_path: Path) -> None:
    for _, eth in _packets(to_pcap(made_exchange([REQUEST], REPLY)), tmp_path):
        ip = eth.data
        raw_ip, raw_tcp = bytes(ip)[:20], bytes(ip.data)
        assert dpkt.in_cksum(raw_ip) == 0
        pseudo = ip.src + ip.dst + bytes([0, 6]) + len(raw_tcp).to_bytes(2, "big")
        assert dpkt.in_cksum(pseudo + raw_tcp) == 0


def test_timestamps_are_start_time_plus_event_time(tmp_path: Path) -> None:
    exchange = made_exchange([REQUEST], REPLY)
    packets = _packets(to_pcap(exchange), tmp_path)
    sends = [e.t for e in exchange.events if e.type is EventType.SEND]
    data_times = [ts for ts, eth in packets if eth.data.data.data]
    assert data_times[0] == pytest.approx(exchange.started_at + sends[0], abs=1e-6)
    assert data_times == sorted(data_times)


def test_large_data_is_split_into_segments_of_at_most_65000_bytes(tmp_path: Path) -> None:
    big = bytes(range(256)) * 600  # 153,600 bytes
    packets = _tcp(_packets(to_pcap(made_exchange([REQUEST], [big])), tmp_path))
    server = [tcp.data for _, _, tcp in packets if tcp.sport == 8080 and tcp.data]
    assert [len(d) for d in server] == [MAX_SEGMENT, MAX_SEGMENT, len(big) - 2 * MAX_SEGMENT]
    assert b"".join(server) == big


def test_bytes_past_the_capture_limit_leave_a_sequence_gap(tmp_path: Path) -> None:
    exchange = made_exchange([REQUEST], [b"kept"])
    recv = next(i for i, e in enumerate(exchange.events) if e.type is EventType.RECV)
    exchange.events[recv] = Event(EventType.RECV, exchange.events[recv].t, b"kept", 1004)
    packets = _tcp(_packets(to_pcap(exchange), tmp_path))
    data = next(tcp for _, _, tcp in packets if tcp.sport == 8080 and tcp.data)
    fin = next(tcp for _, _, tcp in packets if tcp.sport == 8080 and tcp.flags & dpkt.tcp.TH_FIN)
    assert fin.seq == data.seq + 1004


def test_a_reset_ends_with_the_servers_rst(tmp_path: Path) -> None:
    exchange = made_exchange([REQUEST], [b"partial"])
    exchange.stop = StopReason.RESET
    last = _tcp(_packets(to_pcap(exchange), tmp_path))[-1][2]
    assert last.sport == 8080 and last.flags & dpkt.tcp.TH_RST


def test_ipv6_addresses_come_from_the_connect_event(tmp_path: Path) -> None:
    exchange = made_exchange([REQUEST], REPLY, target=Target("::1", 80))
    exchange.events[1] = Event(
        EventType.CONNECT, 0.002, detail={"local": "[::1]:51000", "peer": "[::1]:80"}
    )
    packets = _packets(to_pcap(exchange), tmp_path)
    ip6 = packets[0][1].data
    assert isinstance(ip6, dpkt.ip6.IP6) and ip6.src == bytes(15) + b"\x01"
    assert ip6.data.sport == 51000 and ip6.data.dport == 80


def test_missing_addresses_fall_back_to_fixed_private_ones(tmp_path: Path) -> None:
    exchange = made_exchange([REQUEST], REPLY)
    exchange.events[1] = Event(EventType.CONNECT, 0.002)
    ip = _packets(to_pcap(exchange), tmp_path)[0][1].data
    assert (ip.src, ip.dst) == (bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    assert ip.data.dport == 8080


def test_unix_socket_exchange_is_shown_on_loopback(tmp_path: Path) -> None:
    exchange = made_exchange([REQUEST], REPLY, target=Target("/run/x.sock", None, Transport.UNIX))
    exchange.events[1] = Event(
        EventType.CONNECT, 0.002, detail={"peer": "/run/x.sock", "local": ""}
    )
    ip = _packets(to_pcap(exchange), tmp_path)[0][1].data
    assert ip.src == ip.dst == bytes([127, 0, 0, 1])


def test_udp_exchange_is_one_datagram_per_send_and_reply(record, tmp_path: Path) -> None:
    exchange = record("qotd", b"", Transport.UDP)
    packets = _packets(to_pcap(exchange), tmp_path)
    datagrams = [eth.data.data for _, eth in packets]
    assert all(isinstance(d, dpkt.udp.UDP) for d in datagrams)
    assert [d.data for d in datagrams] == [b"", exchange.received]
    assert datagrams[0].dport == datagrams[1].sport == exchange.target.port
    ip = packets[1][1].data
    pseudo = ip.src + ip.dst + bytes([0, 17]) + len(bytes(ip.data)).to_bytes(2, "big")
    assert dpkt.in_cksum(pseudo + bytes(ip.data)) == 0


def test_a_recorded_lab_exchange_round_trips_its_bytes(record, tmp_path: Path) -> None:
    exchange = record("http", b"GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n")
    packets = _tcp(_packets(to_pcap(exchange), tmp_path))
    local_port = int(next(exchange.of_type(EventType.CONNECT)).detail["local"].rsplit(":", 1)[1])
    client = b"".join(tcp.data for _, _, tcp in packets if tcp.sport == local_port)
    server = b"".join(tcp.data for _, _, tcp in packets if tcp.sport == exchange.target.port)
    assert client == exchange.sent and server == exchange.received


def test_an_exchange_that_never_connected_has_no_packets_to_write() -> None:
    refused = Exchange(Target("127.0.0.1", 1), b"x", events=[Event(EventType.ERROR, 0.001)])
    with pytest.raises(ExportError, match=r"never connected.*use --format python or ncat"):
        to_pcap(refused)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_follows_the_tcp_stream(tmp_path: Path) -> None:
    path = tmp_path / "x.pcap"
    path.write_bytes(to_pcap(made_exchange([REQUEST], REPLY)))
    out = subprocess.run(
        ["tshark", "-r", str(path), "-q", "-z", "follow,tcp,raw,0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert REQUEST.hex() in out.replace("\n", "").replace("\t", "")
    assert b"".join(REPLY).hex() in out.replace("\n", "").replace("\t", "")
