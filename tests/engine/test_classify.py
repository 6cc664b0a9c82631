"""classify: every failure the network can produce becomes one plain, safe sentence."""

from __future__ import annotations

import errno
import os
import socket
import ssl

import pytest

from sockscope.core.model import ErrorKind, Target, Transport
from sockscope.engine import classify
from sockscope.engine.errors import (
    ConnectTimeout,
    TlsClosed,
    TlsTimeout,
    TlsVerifyFailed,
    seconds,
)

TCP = Target("10.0.0.1", 80)


def os_error(code: int) -> OSError:
    return OSError(code, os.strerror(code))


@pytest.mark.parametrize(
    ("exc", "kind", "message"),
    [
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            ErrorKind.NAME_NOT_FOUND,
            "could not resolve 10.0.0.1: name not found",
        ),
        (
            socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
            ErrorKind.DNS_TEMPORARY,
            "could not resolve 10.0.0.1: temporary DNS failure (the resolver did not answer)",
        ),
        (
            os_error(errno.ECONNREFUSED),
            ErrorKind.REFUSED,
            "connection refused by 10.0.0.1:80",
        ),
        (
            ConnectTimeout("10.0.0.1:80", 10.0),
            ErrorKind.CONNECT_TIMEOUT,
            "connect timed out after 10 s (10.0.0.1:80 never answered)",
        ),
        (
            os_error(errno.ENETUNREACH),
            ErrorKind.UNREACHABLE,
            "network unreachable: no route to the network of 10.0.0.1:80",
        ),
        (os_error(errno.EHOSTUNREACH), ErrorKind.UNREACHABLE, "no route to host 10.0.0.1:80"),
        (os_error(errno.ECONNRESET), ErrorKind.RESET, "connection reset by peer"),
        # A shutdown after the peer's RST (a line sent to a server that had closed).
        (os_error(errno.ENOTCONN), ErrorKind.RESET, "the connection is gone (the peer reset it)"),
        (
            os_error(errno.EACCES),
            ErrorKind.PERMISSION,
            "permission denied connecting to 10.0.0.1:80",
        ),
        (TlsTimeout(2.0), ErrorKind.TLS_TIMEOUT, "TLS handshake timed out after 2.0 s"),
        (
            TlsClosed(ssl.SSLEOFError(8, "EOF occurred in violation of protocol")),
            ErrorKind.TLS_HANDSHAKE,
            "TLS handshake failed: the server closed the connection during the handshake",
        ),
        (os_error(errno.EMFILE), ErrorKind.OS, "EMFILE: Too many open files"),
    ],
)
def test_each_failure_gets_its_kind_and_sentence(
    exc: BaseException, kind: ErrorKind, message: str
) -> None:
    info = classify(exc, TCP)
    assert (info.kind, info.message) == (kind, message)


def test_udp_refusal_names_the_icmp_message() -> None:
    info = classify(os_error(errno.ECONNREFUSED), Target("127.0.0.1", 9, Transport.UDP))
    assert info.kind is ErrorKind.REFUSED
    assert info.message.startswith("refused (ICMP port unreachable)")


def test_wrong_version_hints_that_the_server_may_not_speak_tls() -> None:
    exc = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    exc.reason = "WRONG_VERSION_NUMBER"
    info = classify(exc, TCP)
    assert info.kind is ErrorKind.TLS_WRONG_VERSION
    assert info.hint == "the server may not speak TLS; try transport tcp"


def verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    exc = ssl.SSLCertVerificationError(1, f"certificate verify failed: {message}")
    exc.verify_code = code
    exc.verify_message = message
    return exc


def test_certificate_names_from_the_server_are_sanitised_in_the_message() -> None:
    hostile = {"san": ["DNS:evil\x1b]52;c;cHduZWQ=\x07.example"], "sha256": "AB:CD"}
    exc = TlsVerifyFailed(verify_error(62, "Hostname mismatch"), "good.example", hostile)
    info = classify(exc, TCP)

    assert info.kind is ErrorKind.TLS_VERIFY
    assert "\x1b" not in info.message and "\x07" not in info.message
    assert info.message.startswith("certificate verify failed: hostname mismatch: ")
    assert info.message.endswith("not good.example (SHA-256 fingerprint AB:CD)")


def test_an_unknown_verify_failure_keeps_openssls_reason() -> None:
    info = classify(
        TlsVerifyFailed(verify_error(26, "unsupported certificate purpose"), "h", None), TCP
    )
    assert info.message == "certificate verify failed: unsupported certificate purpose"
    assert info.hint is not None and "--insecure" in info.hint


def test_an_unexpected_exception_becomes_a_short_sanitised_internal_error() -> None:
    info = classify(RuntimeError("boom \x1b[2J" + "x" * 1000), TCP)
    assert info.kind is ErrorKind.OS
    assert info.message.startswith("internal error: RuntimeError: boom ")
    assert "\x1b" not in info.message
    assert len(info.message) < 250


@pytest.mark.parametrize(
    ("value", "text"),
    [(2.0, "2.0 s"), (0.25, "0.25 s"), (30.0, "30 s"), (10, "10 s"), (12.5, "12.5 s")],
)
def test_durations_read_as_people_say_them(value: float, text: str) -> None:
    assert seconds(value) == text
