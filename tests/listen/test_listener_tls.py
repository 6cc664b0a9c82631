"""TLS listening: SNI and ALPN as clients send them, the CA for curl, a user's certificate."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess

import pytest
import trustme

from sockscope.core.model import ErrorKind, EventType, StopReason, Transport
from sockscope.core.responders import HttpOk
from sockscope.core.timeline import timeline_rows
from sockscope.engine.listener import ListenError
from tests.listen.conftest import WAIT


def _tls_facts(exchange):  # type: ignore[no-untyped-def]
    return next(exchange.of_type(EventType.TLS)).detail


def test_openssl_s_client_sni_and_alpn_are_shown(listen) -> None:
    running = listen(HttpOk, transport=Transport.TLS)
    proc = subprocess.run(
        [
            "openssl", "s_client", "-connect", f"127.0.0.1:{running.port}",
            "-servername", "x", "-alpn", "http/1.1", "-CAfile", running.address.ca_file,
            "-ign_eof",
        ],
        input="GET /via-openssl HTTP/1.1\r\nHost: x\r\n\r\n",
        capture_output=True,
        text=True,
        timeout=WAIT,
    )  # fmt: skip
    assert "ALPN protocol: http/1.1" in proc.stdout
    assert "sockscope listen received GET /via-openssl HTTP/1.1" in proc.stdout
    exchange = running.next_finished()
    facts = _tls_facts(exchange)
    assert facts["sni"] == "x" and facts["alpn"] == "http/1.1"
    assert exchange.target.tls.server_name == "x"
    assert exchange.received.startswith(b"GET /via-openssl HTTP/1.1\r\n")
    tls_row = next(row for row in timeline_rows(exchange) if row.event == "tls")
    assert "SNI x" in tls_row.detail and "ALPN http/1.1" in tls_row.detail


def test_a_client_sending_no_sni_says_so_in_the_timeline(listen) -> None:
    running = listen(transport=Transport.TLS)
    context = ssl.create_default_context(cafile=running.address.ca_file)
    context.check_hostname = False
    raw = socket.create_connection(("127.0.0.1", running.port))
    with context.wrap_socket(raw) as client:  # no server_hostname: no SNI
        client.sendall(b"hi")
    exchange = running.next_finished()
    tls_row = next(row for row in timeline_rows(exchange) if row.event == "tls")
    assert "no SNI" in tls_row.detail


def test_curl_trusts_the_ca_made_at_start(listen) -> None:
    running = listen(HttpOk, transport=Transport.TLS)
    page = subprocess.run(
        [
            "curl", "-sS", "--max-time", "10", "--cacert", running.address.ca_file,
            f"https://localhost:{running.port}/secure",
        ],
        capture_output=True,
        text=True,
        timeout=WAIT,
    )  # fmt: skip
    assert page.returncode == 0, page.stderr
    assert "GET /secure HTTP/1.1" in page.stdout
    facts = _tls_facts(running.next_finished())
    assert facts["sni"] == "localhost"
    assert facts["alpn"] == "http/1.1"  # curl offers h2 too; we only offer http/1.1


def test_a_client_that_rejects_the_certificate_is_a_named_handshake_failure(listen) -> None:
    running = listen(HttpOk, transport=Transport.TLS)
    page = subprocess.run(
        ["curl", "-sS", "--max-time", "10", f"https://localhost:{running.port}/"],
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert page.returncode != 0
    exchange = running.next_finished()
    assert exchange.stop is StopReason.ERROR
    assert exchange.error is not None and exchange.error.kind is ErrorKind.TLS_HANDSHAKE
    assert "TLS handshake failed" in exchange.error.message


def test_plain_text_to_a_tls_listener_is_named(listen) -> None:
    running = listen(transport=Transport.TLS)
    with socket.create_connection(("127.0.0.1", running.port)) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        client.settimeout(WAIT)
        with contextlib.suppress(ConnectionResetError):  # we close with its bytes unread
            while client.recv(4096):
                pass
    exchange = running.next_finished()
    assert exchange.error is not None
    assert "plain HTTP" in exchange.error.message or "did not start" in exchange.error.message


def test_a_users_certificate_and_key_are_served(listen, tmp_path) -> None:
    ca = trustme.CA()
    leaf = ca.issue_cert("mine.test")
    cert, key, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    running = listen(transport=Transport.TLS, cert_file=str(cert), key_file=str(key))
    assert running.address.ca_file is None
    context = ssl.create_default_context(cafile=str(ca_file))
    with (
        socket.create_connection(("127.0.0.1", running.port)) as raw,
        context.wrap_socket(raw, server_hostname="mine.test") as tls,
    ):
        assert tls.getpeercert()["subjectAltName"] == (("DNS", "mine.test"),)
        tls.sendall(b"hello")
    exchange = running.next_finished()
    assert exchange.received == b"hello"
    assert _tls_facts(exchange)["sni"] == "mine.test"


def test_a_key_that_does_not_load_is_a_listen_error(listen, tmp_path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(ListenError) as caught:
        listen(transport=Transport.TLS, cert_file=str(bad))
    assert caught.value.field == "--cert"
