"""The https service: the same pages over TLS, trusted only through the lab's own CA."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

from sockscope.lab import LabThread, services


def tls_get(lab: LabThread, context: ssl.SSLContext, server_name: str) -> bytes:
    raw = socket.create_connection((lab.host, lab.port("https")), timeout=10)
    with context.wrap_socket(raw, server_hostname=server_name) as sock:
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        return sock.makefile("rb").read()


@pytest.mark.parametrize("server_name", ["localhost", "127.0.0.1"])
def test_https_verifies_with_the_lab_ca(lab: LabThread, server_name: str) -> None:
    context = ssl.create_default_context(cafile=lab.ca_file)
    reply = tls_get(lab, context, server_name)
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert reply.endswith(b"Hello from the sockscope lab!\n")


def test_https_fails_verification_without_the_lab_ca(lab: LabThread) -> None:
    context = ssl.create_default_context()
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        tls_get(lab, context, "localhost")


def test_ca_file_holds_a_pem_certificate(lab: LabThread) -> None:
    assert Path(lab.ca_file).read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_https_bytes_body_is_the_chargen_pattern_written_through_tls(lab: LabThread) -> None:
    n = 2 * services.CHUNK * services.CHARGEN_FILE_BLOCKS + 12_345
    context = ssl.create_default_context(cafile=lab.ca_file)
    raw = socket.create_connection((lab.host, lab.port("https")), timeout=10)
    with context.wrap_socket(raw, server_hostname="localhost") as sock:
        sock.sendall(f"GET /bytes?n={n} HTTP/1.1\r\nConnection: close\r\n\r\n".encode())
        head, _, body = sock.makefile("rb").read().partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert body == b"".join(bytes(piece) for piece in services.chargen_stream(n))
