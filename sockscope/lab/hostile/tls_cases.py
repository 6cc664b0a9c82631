"""TLS misbehaviour: certificates that must not verify, handshakes that never finish, and
a stream that ends without its close_notify.

Each identity is made at lab start. Those signed by the lab's own CA verify as a chain
with the lab's CA file, so what fails is exactly the one thing the case is about.
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sockscope.core.model import ErrorKind, StopReason
from sockscope.core.sanitize import sanitize
from sockscope.lab.hostile.case import HTTP_GET, TRUST_LAB, Case, Expect
from sockscope.lab.hostile.script import (
    Close,
    Handshake,
    Hold,
    ReadHello,
    ReadRequest,
    Send,
)

WRONG_NAMES = ("wrong.example", "*.wrong.example")
# Server-chosen certificate fields land in error messages: these would write the
# clipboard, clear the screen, run an app action or reverse the text if shown raw.
HOSTILE_NAMES = ("\x1b]52;c;cHduZWQ=\x07.evil.example", "[@click=app.quit]x[/].evil.example")
HOSTILE_COMMON_NAME = "\x1b[2J\x1b[H\u202egnp.exe [@click=app.quit]x[/]"

_BODY = b"you reached the server behind the certificate\n"
_PAGE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (
    len(_BODY),
    _BODY,
)
_CLOSE_DELIMITED = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + _BODY
_PLAIN_BODY = b"this is plain HTTP, not TLS\n"
_PLAIN_400 = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
    b"Connection: close\r\n\r\n%s" % (len(_PLAIN_BODY), _PLAIN_BODY)
)
_TLS = ("-t", "tls")


def _page_after(identity: str) -> tuple[Handshake | ReadRequest | Send, ...]:
    return (Handshake(identity), ReadRequest(), Send(_PAGE))


def _verify_failed(says: str) -> Expect:
    return Expect(StopReason.ERROR, f"certificate verify failed: {says}", ErrorKind.TLS_VERIFY)


CASES = (
    Case(
        "tls-self-signed",
        "tls",
        "presents a self-signed certificate",
        '"certificate verify failed: self-signed certificate", the SHA-256 fingerprint, '
        "and --insecure to go on",
        _verify_failed("self-signed certificate"),
        steps=_page_after("self-signed"),
        client=(*HTTP_GET, *_TLS),
    ),
    Case(
        "tls-wrong-host",
        "tls",
        f"a certificate from the lab's CA for {' and '.join(WRONG_NAMES)} only",
        "the mismatch and the names the certificate does carry",
        _verify_failed(f"hostname mismatch: the certificate is for {', '.join(WRONG_NAMES)}"),
        steps=_page_after("wrong-host"),
        client=(*HTTP_GET, *TRUST_LAB),
    ),
    Case(
        "tls-unknown-ca",
        "tls",
        "a certificate for localhost from a CA nobody trusts",
        '"unable to get local issuer certificate"',
        _verify_failed("unable to get local issuer certificate"),
        steps=_page_after("unknown-ca"),
        client=(*HTTP_GET, *TRUST_LAB),
    ),
    Case(
        "tls-handshake-eof",
        "tls",
        "reads the ClientHello, then closes",
        "the server closed the connection during the handshake",
        Expect(
            StopReason.ERROR,
            "the server closed the connection during the handshake",
            ErrorKind.TLS_HANDSHAKE,
        ),
        steps=(ReadHello(), Close()),
        client=(*HTTP_GET, *_TLS),
    ),
    Case(
        "tls-handshake-stall",
        "tls",
        "reads the ClientHello, then says nothing",
        '"TLS handshake timed out after N s" (the connect timeout)',
        Expect(StopReason.ERROR, "TLS handshake timed out after 0.5 s", ErrorKind.TLS_TIMEOUT),
        steps=(ReadHello(), Hold()),
        client=(*HTTP_GET, *_TLS, "--timeout", "0.5"),
        endless=True,
    ),
    Case(
        "tls-plaintext",
        "tls",
        "a plain HTTP server: answers the ClientHello with an HTTP 400, as nginx does",
        '"wrong version number" and a hint that the server may not speak TLS',
        Expect(StopReason.ERROR, "wrong version number", ErrorKind.TLS_WRONG_VERSION),
        steps=(ReadHello(), Send(_PLAIN_400)),
        client=(*HTTP_GET, *_TLS),
    ),
    Case(
        "tls-truncation",
        "tls",
        "a close-delimited HTTP reply, then a TCP close without TLS close_notify",
        '"TLS stream truncated: data may be incomplete"; the data kept',
        Expect(
            StopReason.PEER_CLOSED,
            "TLS stream truncated: data may be incomplete",
            problems=("close-delimited",),
        ),
        steps=(Handshake("lab"), ReadRequest(), Send(_CLOSE_DELIMITED), Close(close_notify=False)),
        client=(*HTTP_GET, *TRUST_LAB),
    ),
    Case(
        "tls-hostile-names",
        "tls",
        "a certificate from the lab's CA whose names carry ESC sequences and markup",
        "the hostname mismatch quoting those names as visible tokens (the error path)",
        _verify_failed(f"hostname mismatch: the certificate is for {sanitize(HOSTILE_NAMES[0])}"),
        steps=_page_after("hostile-names"),
        client=(*HTTP_GET, *TRUST_LAB),
    ),
)


def tls_identities(ca: trustme.CA, lab: ssl.SSLContext) -> dict[str, ssl.SSLContext]:
    """Server contexts by the name a `Handshake` step uses; `lab` is the https identity."""
    contexts = {"lab": lab}
    stranger = trustme.CA(organization_name="sockscope hostile lab: a CA nobody trusts")
    contexts["self-signed"] = _context(stranger.private_key_pem.bytes() + stranger.cert_pem.bytes())
    contexts["unknown-ca"] = _context(
        stranger.issue_cert("localhost", "127.0.0.1", "::1").private_key_and_cert_chain_pem.bytes()
    )
    contexts["wrong-host"] = _context(
        ca.issue_cert(*WRONG_NAMES).private_key_and_cert_chain_pem.bytes()
    )
    contexts["hostile-names"] = _context(_hostile_names_pem(ca))
    return contexts


def _context(key_and_chain_pem: bytes) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with trustme.Blob(key_and_chain_pem).tempfile() as path:
        context.load_cert_chain(path)
    return context


def _hostile_names_pem(ca: trustme.CA) -> bytes:
    """A leaf signed by `ca` with names no CA would sign (trustme refuses them, rightly)."""
    issuer_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), None)
    # trustme's CA key is an elliptic-curve key; say so for the signing calls below.
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    issuer = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTILE_COMMON_NAME)]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in HOSTILE_NAMES]),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem + certificate.public_bytes(serialization.Encoding.PEM) + ca.cert_pem.bytes()
