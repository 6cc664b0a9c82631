"""`openssl s_server -www`: certificate verification against a real TLS stack, and the
certificate details sockscope shows, checked against `openssl x509` on the same file."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sockscope.core.model import ErrorKind, EventType, ReadPolicy, Target, TlsOptions, Transport
from sockscope.engine import run_exchange
from tests.clirun import CliResult
from tests.interop.conftest import TlsServer, program

HTTP_GET = b"GET / HTTP/1.0\r\n\r\n"
POLICY = ReadPolicy(connect_timeout=5.0, idle_timeout=5.0, deadline=15.0)


def openssl_facts(server: TlsServer) -> dict[str, str]:
    """What `openssl x509` says about the leaf the server presents."""
    result = subprocess.run(
        [
            *(program("openssl", "openssl"), "x509", "-in", server.leaf_file, "-noout"),
            *("-fingerprint", "-sha256", "-subject", "-issuer", "-startdate", "-enddate"),
            *("-ext", "subjectAltName", "-nameopt", "sep_comma_plus_space,sname"),
        ],
        capture_output=True,
        check=True,
        text=True,
        timeout=15,
    )
    facts = {}
    lines = result.stdout.splitlines()
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and not line.startswith(" "):
            facts[key.strip()] = value
    facts["san"] = next(line.strip() for line in lines if line.startswith(" "))
    return facts


def iso(openssl_date: str) -> str:
    """`Jan  1 00:00:00 3000 GMT` as the ISO form sockscope shows."""
    when = datetime.strptime(openssl_date, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def event(data: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e for e in data["events"] if e["type"] == kind)


def send(cli: Callable[..., CliResult], server: TlsServer, *options: object) -> CliResult:
    return cli(
        "send", server.host, server.port, "-t", "tls", "-d", "GET / HTTP/1.0\\r\\n\\r\\n", *options
    )


def test_verification_passes_with_the_ca_file_and_the_page_arrives(tls_server: TlsServer) -> None:
    target = Target(
        tls_server.host,
        tls_server.port,
        Transport.TLS,
        tls=TlsOptions(ca_file=str(tls_server.ca_file)),
    )
    done = run_exchange(target, HTTP_GET, POLICY)

    assert done.error is None, done.error
    tls = next(done.of_type(EventType.TLS)).detail
    assert tls["verified"] is True and tls["version"].startswith("TLSv1.")
    assert done.received.startswith(b"HTTP/1.0 200 ok\r\n")
    assert b"s_server" in done.received  # the status page names the program


def test_json_events_carry_the_certificate_details_openssl_reports(
    cli: Callable[..., CliResult], tls_server: TlsServer
) -> None:
    run = send(cli, tls_server, "--ca-file", tls_server.ca_file, "--json")
    assert run.code == 0, run.err
    data = run.json()
    certificate = event(data, "tls")["detail"]["certificate"]
    expected = openssl_facts(tls_server)

    assert certificate["sha256"] == expected["sha256 Fingerprint"]
    assert certificate["subject"] == expected["subject"]
    assert certificate["issuer"] == expected["issuer"]
    assert certificate["common_name"] == "sockscope interop leaf"
    assert certificate["san"] == ["DNS:localhost", "IP:127.0.0.1"]
    assert expected["san"] == "DNS:localhost, IP Address:127.0.0.1"
    assert certificate["not_before"] == iso(expected["notBefore"])
    assert certificate["not_after"] == iso(expected["notAfter"])
    assert certificate["self_signed"] is False
    assert data["http"]["status"] == 200
    assert base64.b64decode(data["http"]["body_b64"]).startswith(b"<HTML>")


def test_without_the_ca_file_verification_fails_in_plain_words_with_the_fingerprint(
    cli: Callable[..., CliResult], tls_server: TlsServer
) -> None:
    run = send(cli, tls_server, "--json")
    data = run.json()
    fingerprint = openssl_facts(tls_server)["sha256 Fingerprint"]

    assert run.code == 1
    assert data["error"]["kind"] == ErrorKind.TLS_VERIFY.value
    message = data["error"]["message"]
    assert message.startswith("certificate verify failed: unable to get local issuer")
    assert fingerprint in message
    assert "[SSL" not in message and "_ssl.c" not in message
    assert data["error"]["hint"]
    certificate = event(data, "error")["detail"]["certificate"]
    assert certificate["sha256"] == fingerprint
    assert certificate["subject"] == openssl_facts(tls_server)["subject"]
    assert data["received_b64"] == ""


def test_failed_verification_report_says_why_and_what_to_try(
    cli: Callable[..., CliResult], tls_server: TlsServer
) -> None:
    run = send(cli, tls_server)

    assert run.code == 1
    assert "error: certificate verify failed: unable to get local issuer" in run.out
    assert openssl_facts(tls_server)["sha256 Fingerprint"] in run.out
    assert "hint: " in run.out and "Traceback" not in run.out + run.err


def test_human_report_names_the_certificate_subject(
    cli: Callable[..., CliResult], tls_server: TlsServer
) -> None:
    run = send(cli, tls_server, "--ca-file", tls_server.ca_file)

    assert run.code == 0, run.err
    assert openssl_facts(tls_server)["subject"] in run.out
    assert "HTTP/1.0 200 ok" in run.out


def test_human_report_shows_issuer_names_and_validity_of_the_certificate(
    cli: Callable[..., CliResult], tls_server: TlsServer
) -> None:
    run = send(cli, tls_server, "--ca-file", tls_server.ca_file)
    expected = openssl_facts(tls_server)

    assert run.code == 0, run.err
    assert expected["issuer"] in run.out
    assert "localhost" in run.out and "127.0.0.1" in run.out.split("Sent")[0]
    assert iso(expected["notAfter"])[:10] in run.out
