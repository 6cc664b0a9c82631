"""TLS: what the handshake shows, and every way it fails, in words a user can act on."""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import replace
from typing import Any

import pytest
import trustme

from sockscope.core.model import (
    ErrorKind,
    Event,
    EventType,
    Exchange,
    ReadPolicy,
    StopReason,
    Target,
    TlsOptions,
    Transport,
)
from sockscope.engine import run_exchange, tlsinfo
from sockscope.engine.connection import Recorder
from sockscope.engine.tlsinfo import certificate_facts, fingerprint
from tests.engine.conftest import Servers, unreadable_certificate

POLICY = ReadPolicy(connect_timeout=5.0, idle_timeout=5.0, deadline=20.0)
HTTP_GET = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def tls_target(port: int, **options: object) -> Target:
    return Target("127.0.0.1", port, Transport.TLS, tls=TlsOptions(**options))  # type: ignore[arg-type]


def error_event(exchange: Exchange) -> dict[str, Any]:
    return next(exchange.of_type(EventType.ERROR)).detail


def test_https_with_the_lab_ca_verifies_and_shows_the_certificate(lab) -> None:
    exchange = run_exchange(tls_target(lab.port("https"), ca_file=lab.ca_file), HTTP_GET, POLICY)

    assert exchange.error is None
    assert exchange.received.startswith(b"HTTP/1.1 200")
    tls = next(exchange.of_type(EventType.TLS)).detail
    assert tls["verified"] is True
    assert tls["version"].startswith("TLSv1.")
    assert tls["cipher"]
    certificate = tls["certificate"]
    assert {"DNS:localhost", "IP:127.0.0.1"} <= set(certificate["san"])
    assert "sockscope lab" in certificate["issuer"]
    assert len(certificate["sha256"]) == 95  # 32 bytes as colon-separated hex
    assert certificate["not_before"] < certificate["not_after"]


def test_https_offers_alpn_and_sends_the_server_name_given(lab) -> None:
    target = tls_target(
        lab.port("https"), ca_file=lab.ca_file, server_name="localhost", alpn=("http/1.1",)
    )
    exchange = run_exchange(target, HTTP_GET, POLICY)

    tls = next(exchange.of_type(EventType.TLS)).detail
    assert tls["server_name"] == "localhost"
    assert tls["alpn"] in ("http/1.1", None)  # None when the server ignores ALPN
    assert exchange.error is None


def test_without_the_ca_verification_fails_with_the_fingerprint_and_a_way_on(lab) -> None:
    exchange = run_exchange(tls_target(lab.port("https")), HTTP_GET, POLICY)

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.TLS_VERIFY
    assert exchange.stop_message.startswith(
        "certificate verify failed: unable to get local issuer certificate"
    )
    assert "SHA-256 fingerprint " in exchange.stop_message
    assert exchange.error.hint is not None and "--insecure" in exchange.error.hint
    assert exchange.error.hint.startswith("trust the server's CA (--ca-file FILE)")
    rejected = error_event(exchange)["certificate"]
    assert rejected["sha256"] in exchange.stop_message
    assert exchange.received == b""


def test_verification_off_connects_and_says_it_did_not_verify(lab) -> None:
    exchange = run_exchange(tls_target(lab.port("https"), verify=False), HTTP_GET, POLICY)

    assert exchange.error is None
    assert exchange.received.startswith(b"HTTP/1.1 200")
    tls = next(exchange.of_type(EventType.TLS)).detail
    assert tls["verified"] is False
    assert tls["certificate"]["san"]  # the certificate is shown even when not verified


def serve_page(conn: socket.socket, release: threading.Event) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello")


def test_a_self_signed_certificate_is_named_with_its_fingerprint(
    servers: Servers, self_signed_context: ssl.SSLContext, ca
) -> None:
    port = servers.tls(self_signed_context, serve_page)
    exchange = run_exchange(tls_target(port, server_name="localhost"), HTTP_GET, POLICY)

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.TLS_VERIFY
    expected = fingerprint(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    assert exchange.stop_message == (
        f"certificate verify failed: self-signed certificate (SHA-256 fingerprint {expected})"
    )
    assert error_event(exchange)["certificate"]["self_signed"] is True


def test_a_wrong_host_lists_the_names_the_certificate_carries(
    servers: Servers, wrong_host_context: ssl.SSLContext, ca_file: str
) -> None:
    port = servers.tls(wrong_host_context, serve_page)
    target = tls_target(port, server_name="localhost", ca_file=ca_file)
    exchange = run_exchange(target, HTTP_GET, POLICY)

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.TLS_VERIFY
    assert exchange.stop_message.startswith(
        "certificate verify failed: hostname mismatch: the certificate is for "
        "other.example, *.other.example, not localhost"
    )


def test_tls_to_a_plain_text_server_hints_that_it_may_not_speak_tls(lab) -> None:
    exchange = run_exchange(tls_target(lab.port("greeter")), b"", POLICY)

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.TLS_WRONG_VERSION
    assert "wrong version number" in exchange.stop_message
    assert exchange.error.hint == "the server may not speak TLS; try transport tcp"


def test_a_server_that_hangs_up_during_the_handshake_is_named(servers: Servers) -> None:
    def hang_up(conn: socket.socket, release: threading.Event) -> None:
        conn.recv(1)  # the client hello has begun; leave without a word

    port = servers.tcp(hang_up)
    exchange = run_exchange(tls_target(port), b"", POLICY)

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.TLS_HANDSHAKE
    assert "during the handshake" in exchange.stop_message


def test_a_server_silent_after_the_hello_times_out_the_handshake(servers: Servers) -> None:
    def silent(conn: socket.socket, release: threading.Event) -> None:
        release.wait()

    port = servers.tcp(silent)
    exchange = run_exchange(tls_target(port), b"", replace(POLICY, connect_timeout=0.2))

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.TLS_TIMEOUT
    assert exchange.stop_message == "TLS handshake timed out after 0.2 s"


def test_a_close_without_close_notify_keeps_the_data_and_warns_of_truncation(
    servers: Servers, wrong_host_context: ssl.SSLContext
) -> None:
    # Python's SSLSocket.close() never sends close_notify: a truncating server.
    port = servers.tls(wrong_host_context, serve_page)
    exchange = run_exchange(tls_target(port, verify=False), HTTP_GET, POLICY)

    assert exchange.received == b"HTTP/1.0 200 OK\r\n\r\nhello"
    assert exchange.stop is StopReason.PEER_CLOSED
    assert exchange.stop_message.startswith("TLS stream truncated: data may be incomplete")


def test_a_missing_ca_file_is_named(lab, tmp_path) -> None:
    missing = str(tmp_path / "no-such-ca.pem")
    exchange = run_exchange(tls_target(lab.port("https"), ca_file=missing), b"", POLICY)

    assert exchange.error is not None
    assert exchange.stop_message.startswith(f"could not load the CA file {missing}: ")


def test_a_malformed_certificate_yields_its_fingerprint_and_a_parse_note() -> None:
    facts = certificate_facts(b"\x30\x82\xff\xff garbage")

    assert facts["sha256"] == fingerprint(b"\x30\x82\xff\xff garbage")
    assert facts["parse_error"].startswith("malformed certificate: ")


@pytest.mark.parametrize("live", [False, True], ids=["read-after", "watched-live"])
def test_a_certificate_its_parser_refuses_gives_its_fingerprint_and_the_parser_s_words(
    servers: Servers, ca: trustme.CA, tmp_path, live: bool
) -> None:
    context, der = unreadable_certificate(ca, tmp_path)
    port = servers.tls(context, serve_page)
    seen: list[object] = []
    exchange = run_exchange(
        tls_target(port, verify=False), HTTP_GET, POLICY, on_event=seen.append if live else None
    )

    assert exchange.error is None
    assert exchange.received == b"HTTP/1.0 200 OK\r\n\r\nhello"
    certificate = next(exchange.of_type(EventType.TLS)).detail["certificate"]
    assert certificate["sha256"] == fingerprint(der)
    assert certificate["parse_error"] == "malformed certificate: 5 is not a valid X509 version"


def test_the_certificate_facts_are_the_same_whether_the_events_are_watched_live_or_not(
    lab,
) -> None:
    target = tls_target(lab.port("https"), verify=False)
    after = run_exchange(target, HTTP_GET, POLICY)
    live = run_exchange(target, HTTP_GET, POLICY, on_event=lambda event: None)

    facts = [next(exchange.of_type(EventType.TLS)).detail for exchange in (after, live)]
    assert list(facts[0]) == list(facts[1])  # the same keys in the same order
    assert facts[0]["certificate"] == facts[1]["certificate"]
    assert {"subject", "issuer", "not_before", "not_after", "sha256"} <= set(
        facts[0]["certificate"]
    )


def test_a_certificate_still_being_read_at_the_close_is_in_the_exchange_it_returns(
    lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reading is held until the connection closes: only waiting for it gets it in.
    closed = threading.Event()
    emit, read = Recorder.emit, tlsinfo.certificate_facts

    def emitting(recorder: Recorder, type: EventType, **fields: Any) -> Event:
        if type is EventType.CLOSE:
            closed.set()
        return emit(recorder, type, **fields)

    def held(der: bytes) -> dict[str, Any]:
        assert closed.wait(10)
        return read(der)

    monkeypatch.setattr(Recorder, "emit", emitting)
    monkeypatch.setattr(tlsinfo, "certificate_facts", held)
    exchange = run_exchange(tls_target(lab.port("https"), verify=False), HTTP_GET, POLICY)

    assert exchange.error is None
    assert next(exchange.of_type(EventType.TLS)).detail["certificate"]["san"]


def test_a_long_tls_body_arrives_whole_and_every_record_read_is_counted(lab) -> None:
    size = 1 << 20
    request = b"GET /bytes?n=%d HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % size
    target = tls_target(lab.port("https"), ca_file=lab.ca_file)
    exchange = run_exchange(target, request, POLICY)

    assert exchange.error is None
    body = exchange.received.partition(b"\r\n\r\n")[2]
    assert len(body) == size
    recvs = list(exchange.of_type(EventType.RECV))
    # A TLS read returns one record of at most 16 KiB: the timeline's count of reads
    # says so, however many records one event gathers.
    assert sum(event.calls for event in recvs) >= size // (16 * 1024)
