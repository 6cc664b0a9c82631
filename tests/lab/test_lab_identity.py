"""The lab listens before its TLS identity exists, and a handshake that comes first waits
for it: no TLS connection fails because the certificates are not made yet."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sockscope.lab import LabThread
from sockscope.lab.certs import ORGANIZATION

TIMEOUT = 10.0


@pytest.fixture
def fresh_lab() -> Iterator[LabThread]:
    """A lab of its own, just started: its identity is not made yet."""
    with LabThread() as running:
        yield running


def _unverified() -> ssl.SSLContext:
    """A client that takes any certificate, so it needs no CA file (which would make it)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _issuer_organization(der: bytes) -> str:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    issuer = x509.load_der_x509_certificate(der).issuer
    return str(issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value)


def _https_get(lab: LabThread, context: ssl.SSLContext, name: str | None) -> tuple[bytes, bytes]:
    """The reply to GET /hello over the https service, and the certificate it showed."""
    raw = socket.create_connection((lab.host, lab.port("https")), timeout=TIMEOUT)
    with context.wrap_socket(raw, server_hostname=name) as sock:
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        certificate = sock.getpeercert(binary_form=True)
        assert certificate is not None
        return sock.makefile("rb").read(), certificate


def test_the_lab_listens_before_its_certificates_are_made(fresh_lab: LabThread) -> None:
    assert not Path(fresh_lab.lab.ca_file).exists()
    fresh_lab.make_identity()
    assert Path(fresh_lab.lab.ca_file).read_text().startswith("-----BEGIN CERTIFICATE-----")


@pytest.mark.parametrize("name", ["localhost", None], ids=["with SNI", "without SNI"])
def test_an_https_handshake_before_the_certificates_exist_gets_the_lab_certificate(
    fresh_lab: LabThread, name: str | None
) -> None:
    reply, certificate = _https_get(fresh_lab, _unverified(), name)
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert _issuer_organization(certificate) == ORGANIZATION
    # The certificate it was shown is the one the CA file vouches for.
    trusting = ssl.create_default_context(cafile=fresh_lab.ca_file)
    again, same = _https_get(fresh_lab, trusting, "localhost")
    assert again.startswith(b"HTTP/1.1 200 OK\r\n")
    assert same == certificate


def test_handshakes_while_the_certificates_are_being_made_all_succeed(
    fresh_lab: LabThread,
) -> None:
    replies: list[bytes] = []

    def client(name: str | None) -> None:
        replies.append(_https_get(fresh_lab, _unverified(), name)[0])

    clients = [
        threading.Thread(target=client, args=(name,))
        for name in ("localhost", None, "localhost", None)
    ]
    making = threading.Thread(target=fresh_lab.make_identity)
    for thread in (making, *clients):
        thread.start()
    for thread in (making, *clients):
        thread.join(TIMEOUT)
    assert len(replies) == len(clients)
    assert all(reply.startswith(b"HTTP/1.1 200 OK\r\n") for reply in replies)


def test_starttls_before_the_certificates_exist_upgrades_with_the_lab_certificate(
    fresh_lab: LabThread,
) -> None:
    raw = socket.create_connection((fresh_lab.host, fresh_lab.port("smtp")), timeout=TIMEOUT)
    reader = raw.makefile("rb")
    assert reader.readline().startswith(b"220 ")
    raw.sendall(b"STARTTLS\r\n")
    assert reader.readline().startswith(b"220 ")
    with _unverified().wrap_socket(raw, server_hostname="localhost") as tls:
        certificate = tls.getpeercert(binary_form=True)
        assert certificate is not None
        assert _issuer_organization(certificate) == ORGANIZATION
        tls.sendall(b"EHLO client.example\r\n")
        assert tls.recv(4096).startswith(b"250")
