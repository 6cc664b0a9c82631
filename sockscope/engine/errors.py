"""Every way a conversation can fail, put into one plain sentence (and a hint where useful).

The engine raises the small exception classes below where it knows more than the
operating system says (which timeout, which path, which certificate); `classify` turns
those and any raw socket, ssl or DNS exception into an ErrorInfo. All wording lives here.
"""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sockscope.core.fields import UNIX_PATH_MAX
from sockscope.core.model import ErrorInfo, ErrorKind, Target, Transport
from sockscope.core.sanitize import sanitize
from sockscope.core.views import human_bytes

if TYPE_CHECKING:
    import ssl

# Longest message kept from an exception we did not expect (its text may quote anything).
_SHORT = 160

# Trusting the right CA comes first: it keeps the check (the lab prints its CA's path).
INSECURE_HINT = (
    "trust the server's CA (--ca-file FILE), or connect anyway without verifying (--insecure)"
)
CLIENT_CERT_HINT = (
    "give a client certificate and its key (--cert FILE --key FILE, or the client "
    "certificate fields of the options)"
)


def seconds(value: float) -> str:
    """`2.0 s`, `0.25 s`, `30 s`: one decimal below ten seconds, as people say them."""
    if value >= 10 and value == int(value):
        return f"{int(value)} s"
    if round(value, 1) == value:
        return f"{value:.1f} s"
    return f"{value:g} s"


class Cancelled(Exception):
    """The user asked to stop; `phase` says what was going on ("while connecting")."""

    def __init__(self, phase: str) -> None:
        super().__init__(phase)
        self.phase = phase


class NoAddress(OSError):
    """The name resolved, but not to an address of the family asked for."""

    def __init__(self, family: int) -> None:
        super().__init__(f"no IPv{family} address")
        self.family = family


class ConnectTimeout(TimeoutError):
    def __init__(self, address: str, timeout: float) -> None:
        super().__init__(f"connect to {address} timed out after {timeout} s")
        self.address = address
        self.timeout = timeout


class TlsTimeout(TimeoutError):
    def __init__(self, timeout: float) -> None:
        super().__init__(f"TLS handshake timed out after {timeout} s")
        self.timeout = timeout


class TlsClosed(ConnectionError):
    """The peer closed or reset the connection in the middle of the TLS handshake."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class TlsVerifyFailed(Exception):
    """The certificate was rejected; `certificate` holds its facts when they could be fetched."""

    def __init__(
        self,
        error: ssl.SSLCertVerificationError,
        server_name: str,
        certificate: dict[str, Any] | None,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.server_name = server_name
        self.certificate = certificate


class CaFileError(Exception):
    def __init__(self, path: str, cause: BaseException) -> None:
        super().__init__(f"{path}: {cause}")
        self.path = path
        self.cause = cause


class StartTlsRefused(Exception):
    """STARTTLS asked for where it cannot work; the message says why."""


class ClientCertError(Exception):
    """The client certificate (or its key) cannot be loaded; `problem` says why."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class KeylogError(Exception):
    """The TLS key log file cannot be opened for appending."""

    def __init__(self, path: str, cause: OSError) -> None:
        super().__init__(f"{path}: {cause}")
        self.path = path
        self.cause = cause


class UnixPathProblem(StrEnum):
    """What is wrong with a Unix socket path."""

    TOO_LONG = "too-long"  # past the kernel's limit for sun_path
    NOT_SOCKET = "not-socket"  # the path is some other kind of file
    STALE = "stale"  # a socket file nobody listens on


class UnixPathError(OSError):
    """A Unix socket path that cannot work: too long, not a socket, or nobody listening."""

    def __init__(self, problem: UnixPathProblem, path: str, what: str = "") -> None:
        super().__init__(f"{problem}: {path}")
        self.problem = problem
        self.path = path
        self.what = what  # for NOT_SOCKET: what the path is instead


class SendStalled(TimeoutError):
    def __init__(self, sent: int, total: int, timeout: float) -> None:
        super().__init__(f"send stalled after {sent} of {total} bytes")
        self.sent = sent
        self.total = total
        self.timeout = timeout


class CallbackError(Exception):
    """The caller's `on_event` or `sink` raised; the conversation cannot go on without it."""

    def __init__(self, role: str, cause: BaseException) -> None:
        super().__init__(f"{role}: {cause!r}")
        self.role = role
        self.cause = cause


def classify(exc: BaseException, target: Target) -> ErrorInfo:
    """One ErrorInfo for any exception; never raises."""
    try:
        return _classify(exc, target)
    except Exception as inner:  # a bug here must not hide the original failure
        return _unexpected(inner)


def _classify(exc: BaseException, target: Target) -> ErrorInfo:
    where = target.label
    if isinstance(exc, Cancelled):
        return ErrorInfo(ErrorKind.OS, f"cancelled {exc.phase}")
    if isinstance(exc, socket.gaierror):
        return _dns(exc, target)
    if isinstance(exc, NoAddress):
        return ErrorInfo(
            ErrorKind.NAME_NOT_FOUND,
            f"could not resolve {sanitize(target.host)}: it has no IPv{exc.family} address",
            "allow either address family (family auto)",
        )
    if isinstance(exc, ConnectTimeout):
        return ErrorInfo(
            ErrorKind.CONNECT_TIMEOUT,
            f"connect timed out after {seconds(exc.timeout)} ({exc.address} never answered)",
            "a firewall may be dropping packets, or the host is down",
        )
    if isinstance(exc, TlsTimeout):
        return ErrorInfo(
            ErrorKind.TLS_TIMEOUT,
            f"TLS handshake timed out after {seconds(exc.timeout)}",
            "the server accepted the connection but never answered the TLS hello; "
            "it may not speak TLS on this port (try transport tcp)",
        )
    if isinstance(exc, TlsVerifyFailed):
        return _verify(exc)
    tls = _ssl_error(exc, target)
    if tls is not None:
        return tls
    if isinstance(exc, TlsClosed):
        reset = isinstance(exc.cause, ConnectionResetError)
        return ErrorInfo(
            ErrorKind.TLS_HANDSHAKE,
            "TLS handshake failed: the server "
            + ("reset" if reset else "closed")
            + " the connection during the handshake",
            "the server may not speak TLS on this port, or it rejected the hello "
            "(server name, ALPN or TLS version)",
        )
    if isinstance(exc, CaFileError):
        return ErrorInfo(
            ErrorKind.TLS_VERIFY,
            f"could not load the CA file {sanitize(exc.path)}: {_short(exc.cause)}",
            "give a PEM file holding the CA certificate",
        )
    if isinstance(exc, StartTlsRefused):
        return ErrorInfo(ErrorKind.TLS_HANDSHAKE, f"cannot start TLS: {exc}")
    if isinstance(exc, ClientCertError):
        return ErrorInfo(
            ErrorKind.TLS_CLIENT_CERT,
            f"could not load the client certificate {sanitize(exc.path)}: {sanitize(exc.problem)}",
            "give a PEM certificate and its unencrypted private key",
        )
    if isinstance(exc, KeylogError):
        return ErrorInfo(
            ErrorKind.OS,
            f"could not open the TLS key log {sanitize(exc.path)}: {_short(exc.cause)}",
            "give a file in a directory you can write to (--keylog FILE, or SSLKEYLOGFILE)",
        )
    if isinstance(exc, UnixPathError):
        return _unix_path(exc)
    if isinstance(exc, SendStalled):
        return ErrorInfo(
            ErrorKind.OS,
            f"sending stalled for {seconds(exc.timeout)}: the server stopped reading after "
            f"{human_bytes(exc.sent)} of {human_bytes(exc.total)}",
        )
    if isinstance(exc, CallbackError):
        return ErrorInfo(
            ErrorKind.OS,
            f"the {exc.role} failed: {_short(exc.cause)}",
            "the conversation was stopped; the bytes received so far are kept",
        )
    if isinstance(exc, OSError):
        return _os(exc, target, where)
    return _unexpected(exc)


def _dns(exc: socket.gaierror, target: Target) -> ErrorInfo:
    host = sanitize(target.host)
    code = exc.errno
    if code in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)):
        return ErrorInfo(
            ErrorKind.NAME_NOT_FOUND,
            f"could not resolve {host}: name not found",
            "check the spelling of the host name",
        )
    if code == getattr(socket, "EAI_ADDRFAMILY", None):
        family = f"IPv{target.family}" if target.family else "usable"
        return ErrorInfo(
            ErrorKind.NAME_NOT_FOUND,
            f"could not resolve {host}: it has no {family} address",
            "allow either address family (family auto)",
        )
    if code == socket.EAI_AGAIN:
        return ErrorInfo(
            ErrorKind.DNS_TEMPORARY,
            f"could not resolve {host}: temporary DNS failure (the resolver did not answer)",
            "check the network connection and DNS settings, then try again",
        )
    if code == socket.EAI_FAIL:
        return ErrorInfo(
            ErrorKind.DNS_TEMPORARY,
            f"could not resolve {host}: the DNS server failed to answer",
            "try again later, or use an IP address",
        )
    return ErrorInfo(ErrorKind.DNS_TEMPORARY, f"could not resolve {host}: {_short(exc)}")


# OpenSSL verify codes (X509_V_ERR_*) that have a plainer name than OpenSSL's own.
_SELF_SIGNED = (18, 19)  # depth-zero self-signed, self-signed in the chain
_UNKNOWN_ISSUER = (2, 20, 21)  # issuer cert unavailable, local issuer, leaf signature
_HOSTNAME_MISMATCH = 62
_IP_MISMATCH = 64
_EXPIRED = 10
_NOT_YET_VALID = 9


def _verify(exc: TlsVerifyFailed) -> ErrorInfo:
    code = exc.error.verify_code
    cert = exc.certificate or {}
    if code in _SELF_SIGNED:
        reason = "self-signed certificate" if code == 18 else "self-signed certificate in chain"
    elif code in _UNKNOWN_ISSUER:
        reason = "unable to get local issuer certificate (the issuer is not a trusted CA)"
    elif code in (_HOSTNAME_MISMATCH, _IP_MISMATCH):
        names = certificate_names(cert)
        carried = ", ".join(sanitize(n) for n in names[:10]) or "no names"
        if len(names) > 10:
            carried += f" and {len(names) - 10} more"
        reason = (
            f"hostname mismatch: the certificate is for {carried}, not {sanitize(exc.server_name)}"
        )
    elif code == _EXPIRED:
        reason = f"certificate has expired (not after {cert.get('not_after', 'unknown')})"
    elif code == _NOT_YET_VALID:
        reason = f"certificate is not yet valid (not before {cert.get('not_before', 'unknown')})"
    else:
        reason = sanitize(exc.error.verify_message or exc.error.reason or "unknown reason")
    message = f"certificate verify failed: {reason}"
    if cert.get("sha256"):
        message += fingerprint_note(cert["sha256"])
    return ErrorInfo(ErrorKind.TLS_VERIFY, message, INSECURE_HINT)


def fingerprint_note(sha256: str) -> str:
    """What a verification failure's message ends with when the certificate is known
    (a screen that shows the certificate beside it may leave this out)."""
    return f" (SHA-256 fingerprint {sha256})"


def certificate_names(cert: dict[str, Any]) -> Sequence[str]:
    """The names a certificate is valid for: its subjectAltName entries, else its CN."""
    names = [entry.split(":", 1)[1] for entry in cert.get("san", []) if ":" in entry]
    if not names and cert.get("common_name"):
        names = [cert["common_name"]]
    return names


# OpenSSL reason codes -> (kind, message, hint)
_TLS_REASONS: dict[str, tuple[ErrorKind, str, str | None]] = {
    "WRONG_VERSION_NUMBER": (
        ErrorKind.TLS_WRONG_VERSION,
        "TLS handshake failed: wrong version number (the reply is not TLS)",
        "the server may not speak TLS; try transport tcp",
    ),
    "UNSUPPORTED_PROTOCOL": (
        ErrorKind.TLS_HANDSHAKE,
        "TLS handshake failed: no TLS version both sides accept",
        "the server may only offer an old TLS or SSL version",
    ),
    "TLSV1_ALERT_PROTOCOL_VERSION": (
        ErrorKind.TLS_HANDSHAKE,
        "TLS handshake failed: the server rejected the TLS version",
        None,
    ),
    "SSLV3_ALERT_HANDSHAKE_FAILURE": (
        ErrorKind.TLS_HANDSHAKE,
        "TLS handshake failed: the server refused the handshake",
        "no cipher in common, or the server wants a client certificate",
    ),
    "TLSV1_UNRECOGNIZED_NAME": (
        ErrorKind.TLS_HANDSHAKE,
        "TLS handshake failed: the server does not know the server name (SNI)",
        "set the server name the server expects",
    ),
    "TLSV1_ALERT_NO_APPLICATION_PROTOCOL": (
        ErrorKind.TLS_HANDSHAKE,
        "TLS handshake failed: the server supports none of the ALPN protocols offered",
        "offer another ALPN protocol, or none",
    ),
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": (
        ErrorKind.TLS_CLIENT_CERT,
        "TLS failed: the server requires a client certificate and none was given",
        CLIENT_CERT_HINT,
    ),
    "SSLV3_ALERT_BAD_CERTIFICATE": (
        ErrorKind.TLS_CLIENT_CERT,
        "TLS failed: the server rejected the client certificate",
        "give a certificate issued by a CA the server trusts",
    ),
    "TLSV1_ALERT_UNKNOWN_CA": (
        ErrorKind.TLS_CLIENT_CERT,
        "TLS failed: the server does not trust the issuer of the client certificate",
        "give a certificate issued by a CA the server trusts",
    ),
    "UNEXPECTED_MESSAGE": (
        ErrorKind.TLS_HANDSHAKE,
        "TLS handshake failed: unexpected message from the server",
        "the server may not speak TLS on this port (an echo server answers with the hello)",
    ),
}


def _ssl_error(exc: BaseException, target: Target) -> ErrorInfo | None:
    """What an exception of the ssl module says; None for any other. ssl is loaded by the
    first TLS connection, and none of its exceptions exists before: a plain connection's
    errors are classified without loading OpenSSL."""
    if "ssl" not in sys.modules:
        return None
    import ssl

    if isinstance(exc, ssl.SSLCertVerificationError):
        return _verify(TlsVerifyFailed(exc, target.tls.server_name or target.host, None))
    if isinstance(exc, ssl.SSLError):
        return _tls(exc)
    return None


def _tls(exc: ssl.SSLError) -> ErrorInfo:
    import ssl

    if isinstance(exc, ssl.SSLEOFError):
        return ErrorInfo(
            ErrorKind.TLS_HANDSHAKE,
            "TLS failed: the server closed the connection without a TLS goodbye",
        )
    reason = exc.reason or ""
    if reason in _TLS_REASONS:
        kind, message, hint = _TLS_REASONS[reason]
        return ErrorInfo(kind, message, hint)
    text = reason.replace("_", " ").lower() if reason else _short(exc)
    return ErrorInfo(ErrorKind.TLS_HANDSHAKE, f"TLS failed: {text}")


def _unix_path(exc: UnixPathError) -> ErrorInfo:
    path = sanitize(exc.path)
    if exc.problem is UnixPathProblem.TOO_LONG:
        size = len(exc.path.encode("utf-8", "surrogateescape"))
        return ErrorInfo(
            ErrorKind.UNIX_PATH,
            f"Unix socket path too long: {size} bytes, the limit is {UNIX_PATH_MAX} bytes",
            "use a shorter path, or a symlink to the socket in a shorter directory",
        )
    if exc.problem is UnixPathProblem.NOT_SOCKET:
        return ErrorInfo(
            ErrorKind.UNIX_PATH,
            f"{path} is not a socket (it is {exc.what})",
            "give the path of the socket the server listens on",
        )
    return ErrorInfo(
        ErrorKind.UNIX_PATH,
        f"connection refused by {path}: stale socket file (no server is listening)",
        "start the server, or remove the leftover socket file",
    )


def _os(exc: OSError, target: Target, where: str) -> ErrorInfo:
    code = exc.errno
    datagram = target.transport.is_datagram
    unix = target.transport.is_unix
    if code == errno.ECONNREFUSED:
        if datagram:
            return ErrorInfo(
                ErrorKind.REFUSED,
                f"refused (ICMP port unreachable): nothing listens on {where}",
                "check the port; the host answered that no program receives there",
            )
        return ErrorInfo(
            ErrorKind.REFUSED,
            f"connection refused by {where}",
            "nothing is listening on that port (or a firewall rejects the connection)",
        )
    if code in (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED):
        return ErrorInfo(ErrorKind.RESET, "connection reset by peer")
    if code == errno.ENOTCONN:  # a shutdown after the peer's RST took the connection
        return ErrorInfo(ErrorKind.RESET, "the connection is gone (the peer reset it)")
    if code == errno.ETIMEDOUT:
        return ErrorInfo(ErrorKind.CONNECT_TIMEOUT, f"connection to {where} timed out")
    if code == errno.ENETUNREACH:
        return ErrorInfo(
            ErrorKind.UNREACHABLE,
            f"network unreachable: no route to the network of {where}",
            "check the network connection, or try the other address family",
        )
    if code == errno.EHOSTUNREACH:
        return ErrorInfo(
            ErrorKind.UNREACHABLE,
            f"no route to host {where}",
            "the host may be down, or a firewall rejects the connection",
        )
    if code == errno.EADDRNOTAVAIL:
        return ErrorInfo(
            ErrorKind.UNREACHABLE,
            f"cannot reach {where}: this machine has no address to connect from",
            "try the other address family",
        )
    if code in (errno.EACCES, errno.EPERM):
        if unix:
            return ErrorInfo(
                ErrorKind.PERMISSION,
                f"permission denied for {sanitize(target.host)}",
                "the socket (or a directory above it) does not let this user connect; "
                "check its owner, group and mode",
            )
        return ErrorInfo(
            ErrorKind.PERMISSION,
            f"permission denied connecting to {where}",
            "a firewall rule or a broadcast address may forbid it",
        )
    if unix and code == errno.ENOENT:
        return ErrorInfo(
            ErrorKind.UNIX_PATH,
            f"no socket at {sanitize(target.host)}: the path does not exist",
            "check the path; the server may not be running",
        )
    if unix and code == errno.ENOTDIR:
        return ErrorInfo(
            ErrorKind.UNIX_PATH,
            f"no socket at {sanitize(target.host)}: a part of the path is not a directory",
        )
    if unix and code == errno.EPROTOTYPE:
        other = "datagram" if target.transport is Transport.UNIX else "stream"
        return ErrorInfo(
            ErrorKind.UNIX_PATH,
            f"{sanitize(target.host)} is a {other} socket",
            f"use transport {'unix-dgram' if other == 'datagram' else 'unix'}",
        )
    if code == errno.EMSGSIZE:
        return ErrorInfo(
            ErrorKind.OS,
            "the request is too large for one datagram (UDP over IPv4 carries at most "
            "65,507 bytes)",
            "send less, or use a stream transport",
        )
    if code == errno.EAFNOSUPPORT:
        return ErrorInfo(
            ErrorKind.UNREACHABLE,
            f"cannot reach {where}: this machine does not support that address family",
        )
    name = errno.errorcode.get(code, "error") if code is not None else type(exc).__name__
    return ErrorInfo(ErrorKind.OS, f"{name}: {_short(exc)}")


def short_reason(exc: BaseException, target: Target) -> str:
    """A few words for one failed address, as in "127.0.0.2:81 refused, trying next"."""
    if isinstance(exc, ConnectTimeout):
        return f"timed out after {seconds(exc.timeout)}"
    code = getattr(exc, "errno", None)
    if code == errno.ECONNREFUSED:
        return "refused"
    if code in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        return "unreachable"
    return classify(exc, target).message


def _short(exc: BaseException) -> str:
    text = sanitize(exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc))
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


def _unexpected(exc: BaseException) -> ErrorInfo:
    detail = _short(exc)
    return ErrorInfo(
        ErrorKind.OS,
        f"internal error: {type(exc).__name__}" + (f": {detail}" if detail else ""),
        "this is a bug in sockscope; the bytes received so far are kept",
    )
