"""TLS contexts and the facts of a handshake: version, cipher, ALPN and the peer certificate.

The certificate is read from its DER bytes with `cryptography`, because the ssl module
only decodes a certificate it has verified, and a rejected or unverified one is exactly
when its names and fingerprint matter. Every field is server-chosen: the facts are plain
data for the display sanitiser, and a malformed certificate yields what could be read
plus `parse_error`, never an exception.
"""

from __future__ import annotations

import errno
import os
import ssl
import stat
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sockscope.core.fields import FieldError
from sockscope.core.model import TlsOptions
from sockscope.core.templates import Template
from sockscope.engine.errors import ClientCertError, KeylogError

if TYPE_CHECKING:
    from cryptography import x509

# Caps on what one certificate may put into an event (a hostile one can carry thousands
# of names, or a megabyte-long common name).
MAX_NAMES = 100
MAX_TEXT = 256

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def make_context(options: TlsOptions, *, verify: bool | None = None) -> ssl.SSLContext:
    """A client context for `options`; `verify` overrides options.verify (used to fetch a
    rejected certificate). Raises OSError/ssl.SSLError for an unreadable CA file,
    ClientCertError for a client certificate that cannot be used, KeylogError for a key
    log that cannot be written."""
    checking = options.verify if verify is None else verify
    # Built by hand rather than with ssl.create_default_context, which would also open
    # SSLKEYLOGFILE on its own and fail as if the CA file were at fault.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if checking:
        if options.ca_file:
            context.load_verify_locations(cafile=options.ca_file)
        else:
            context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if options.alpn:
        context.set_alpn_protocols(list(options.alpn))
    if options.cert_file:
        problem = _load_client_certificate(context, options.cert_file, options.key_file)
        if problem is not None:
            raise ClientCertError(options.cert_file, problem)
    keylog = keylog_path(options)
    if keylog:
        try:
            _refuse_pipe(keylog)
            context.keylog_filename = keylog
        except OSError as exc:
            raise KeylogError(keylog, exc) from exc
    return context


def keylog_path(options: TlsOptions) -> str | None:
    """The key log file: the option, else SSLKEYLOGFILE as browsers and curl read it."""
    return options.keylog_file or os.environ.get("SSLKEYLOGFILE") or None


def client_certificate_problem(cert_file: str, key_file: str | None) -> str | None:
    """Why this certificate and key cannot authenticate us, in words; None when they can."""
    return _load_client_certificate(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), cert_file, key_file)


def ca_file_problem(ca_file: str) -> str | None:
    """Why `ca_file` cannot be the CA to verify a server with, in words; None when it can."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=ca_file)
    except ssl.SSLError:
        return "holds no PEM certificate: give the CA certificate in PEM"
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    return None


def with_template_certificate(options: TlsOptions, template: Template | None) -> TlsOptions:
    """`options` with the template's client certificate ([tls] cert, key) when they name
    none; FieldError naming the template's field when it cannot be used."""
    if template is None or not template.cert_file or options.cert_file:
        return options
    cert = os.path.expanduser(template.cert_file)
    key = os.path.expanduser(template.key_file) if template.key_file else None
    problem = client_certificate_problem(cert, key)
    if problem is not None:
        raise FieldError(f"template {template.name}: tls.cert", problem)
    return replace(options, cert_file=cert, key_file=key)


def keylog_problem(path: str) -> str | None:
    """Why secrets cannot be appended to `path`, in words; None when they can (the file
    is then made, as the handshake would make it)."""
    try:
        _refuse_pipe(path)
        with open(path, "a"):
            pass
    except OSError as exc:
        return f"cannot write it: {exc.strerror or exc}"
    return None


def _refuse_pipe(path: str) -> None:
    """OSError when `path` is a named pipe: opening one to write waits for a reader
    that may never come, and the path is checked while the user types it."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # absent (then made) or unreachable: opening it says which
    if stat.S_ISFIFO(mode):
        raise OSError(errno.ENXIO, "it is a named pipe (FIFO), not a file")


class _Encrypted(Exception):
    """The key asks for a passphrase: there is no prompt to give one."""


def _no_passphrase() -> str:
    raise _Encrypted


def _load_client_certificate(
    context: ssl.SSLContext, cert_file: str, key_file: str | None
) -> str | None:
    # OpenSSL would wait on a named pipe with no writer (a template's [tls] cert may name
    # one) with no bound: only regular files are read.
    for what, path in (("the certificate", cert_file), ("the key", key_file)):
        try:
            mode = os.stat(path).st_mode if path else stat.S_IFREG
        except OSError:
            continue  # absent or unreachable: loading it says which
        if not stat.S_ISREG(mode):
            return f"cannot read {what}: it is not a regular file"
    try:
        # Without a callback OpenSSL would prompt on the terminal for an encrypted key.
        context.load_cert_chain(cert_file, key_file, password=_no_passphrase)
    except _Encrypted:
        return "the key is encrypted; give an unencrypted copy (openssl pkey -in KEY -out NEW)"
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            return "the key does not belong to the certificate"
        return "not a PEM certificate with its private key (name the key file when apart)"
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    return None


def handshake_facts(
    sock: ssl.SSLSocket | ssl.SSLObject,
    server_name: str,
    verified: bool,
    *,
    later: bool = False,
) -> tuple[dict[str, Any], CertificateReader | None]:
    """JSON-safe facts about an established TLS session, for the TLS event. With `later`
    the peer certificate's facts are left to a thread: the reader returned puts them in."""
    cipher = sock.cipher()
    der = sock.getpeercert(binary_form=True)
    facts = {
        "version": sock.version(),
        "cipher": cipher[0] if cipher else None,
        "bits": cipher[2] if cipher else None,
        "alpn": sock.selected_alpn_protocol(),
        "server_name": server_name,
        "verified": verified,
        "certificate": certificate_facts(der) if der and not later else None,
    }
    return facts, CertificateReader(der, facts) if der and later else None


class CertificateReader:
    """Reads a certificate's facts on a thread of its own into `facts["certificate"]`
    (the key is there already, None: the facts keep their order).

    `cryptography` takes longer to import (~30 ms) than a loopback exchange takes to get
    its first bytes: on a thread it is imported while the connection waits for the server
    and the socket with the GIL released. `join` waits until the facts are in.
    """

    def __init__(self, der: bytes, facts: dict[str, Any]) -> None:
        self._der = der
        self._facts = facts
        self._thread = threading.Thread(target=self._read, name="sockscope-certificate")
        self._thread.daemon = True  # an interrupted command does not wait for it
        self._thread.start()

    def _read(self) -> None:
        self._facts["certificate"] = certificate_facts(self._der)

    def join(self) -> None:
        self._thread.join()


def fingerprint(der: bytes) -> str:
    """SHA-256 of the DER bytes as browsers and openssl show it: `AB:CD:...`."""
    import hashlib  # with the certificate's other facts, off the handshake's path

    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def certificate_facts(der: bytes) -> dict[str, Any]:
    """Subject, issuer, subjectAltName entries, validity and fingerprint of a DER
    certificate. Never raises (it may run on a thread of its own): what cannot be read
    is named in `parse_error`."""
    facts: dict[str, Any] = {"sha256": fingerprint(der), "size": len(der)}
    try:
        # Imported here: `cryptography` is slow to import, and most exchanges are not TLS.
        from cryptography import x509
    except ImportError as exc:  # a broken install: the exchange still goes on
        facts["parse_error"] = f"cannot read certificates: {_capped(str(exc))}"
        return facts
    try:
        _read_certificate(x509.load_der_x509_certificate(der), facts)
    # Server-chosen DER meets a parser whose faults come in many classes (ValueError for
    # malformed DER, names and dates, InvalidVersion, DuplicateExtension...): the facts
    # read so far stay, with the parser's words.
    except Exception as exc:
        facts["parse_error"] = f"malformed certificate: {_capped(str(exc) or type(exc).__name__)}"
    return facts


def _read_certificate(cert: x509.Certificate, facts: dict[str, Any]) -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    facts["version"] = cert.version.value + 1
    facts["serial"] = f"{cert.serial_number:X}"
    facts["issuer"] = _name(cert.issuer)
    facts["subject"] = _name(cert.subject)
    facts["self_signed"] = cert.issuer == cert.subject
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if common:
        facts["common_name"] = _capped(_value(common[-1].value))
    facts["not_before"] = cert.not_valid_before_utc.strftime(_TIME_FORMAT)
    facts["not_after"] = cert.not_valid_after_utc.strftime(_TIME_FORMAT)
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        san: list[str] = []
    else:
        san = [_general_name(name) for name in extension.value]
    facts["san"] = san[:MAX_NAMES]
    if len(san) > MAX_NAMES:
        facts["san_total"] = len(san)


def _name(name: x509.Name) -> str:
    """`CN=example.com, O=Example` in the certificate's own order (not RFC 4514's reversed)."""
    return _capped(", ".join(f"{a.rfc4514_attribute_name}={_value(a.value)}" for a in name))


def _general_name(name: x509.GeneralName) -> str:
    from cryptography import x509

    if isinstance(name, x509.DNSName):
        return "DNS:" + _capped(name.value)
    if isinstance(name, x509.IPAddress):
        return f"IP:{name.value}"
    if isinstance(name, x509.RFC822Name):
        return "email:" + _capped(name.value)
    if isinstance(name, x509.UniformResourceIdentifier):
        return "URI:" + _capped(name.value)
    if isinstance(name, x509.DirectoryName):
        return "DirName:" + _name(name.value)
    return f"other:{type(name).__name__}"


def _value(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.hex()


def _capped(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."
