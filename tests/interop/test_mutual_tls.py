"""Client certificates against `openssl s_server -Verify 1` (a server that requires one),
and the TLS key log: its NSS format, and tshark decrypting a capture with it."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from sockscope.core.model import ErrorKind
from sockscope.core.templates import user_template_dir
from tests.clirun import CliResult
from tests.interop.conftest import HOST, IS_ROOT, free_ports, program, running

GET = "GET / HTTP/1.0\\r\\n\\r\\n"


@dataclass(frozen=True)
class MutualTls:
    port: int
    ca_file: Path
    cert_file: Path  # a client certificate the server's CA issued
    key_file: Path
    stranger_cert: Path  # one with its key inside, from a CA the server does not know


@pytest.fixture(scope="module")
def mutual_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MutualTls]:
    binary = program("openssl", "openssl")
    directory = tmp_path_factory.mktemp("s_server_verify")
    ca = trustme.CA(organization_name="sockscope mTLS CA")
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("client@example.org", common_name="sockscope client")
    stranger = trustme.CA().issue_cert("stranger@example.org")
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    leaf.private_key_pem.write_to_path(str(directory / "key.pem"))
    leaf.cert_chain_pems[0].write_to_path(str(directory / "leaf.pem"))
    client.cert_chain_pems[0].write_to_path(str(directory / "client.pem"))
    client.private_key_pem.write_to_path(str(directory / "client.key"))
    stranger.private_key_and_cert_chain_pem.write_to_path(str(directory / "stranger.pem"))
    (port,) = free_ports()
    argv = [
        *(binary, "s_server", "-accept", f"{HOST}:{port}", "-www", "-alpn", "http/1.1"),
        *("-cert", str(directory / "leaf.pem"), "-key", str(directory / "key.pem")),
        # -Verify (capital): a client certificate is required, not just asked for;
        # -verify_return_error: one that does not verify ends the handshake.
        *("-CAfile", str(directory / "ca.pem"), "-Verify", "1", "-verify_return_error"),
    ]
    with running("openssl s_server -Verify", argv, directory, [port]):
        yield MutualTls(
            port,
            directory / "ca.pem",
            directory / "client.pem",
            directory / "client.key",
            directory / "stranger.pem",
        )


def send(cli: Callable[..., CliResult], server: MutualTls, *options: object) -> CliResult:
    return cli(
        *("send", HOST, server.port, "-t", "tls", "--ca-file", server.ca_file, "-d", GET),
        *options,
    )


def test_with_the_client_certificate_the_server_answers(
    cli: Callable[..., CliResult], mutual_tls: MutualTls
) -> None:
    run = send(cli, mutual_tls, "--cert", mutual_tls.cert_file, "--key", mutual_tls.key_file)

    assert run.code == 0, run.out + run.err
    assert "HTTP/1.0 200 ok" in run.out
    # s_server's status page lists the certificate the client presented.
    assert "sockscope client" in run.out


def test_without_a_client_certificate_the_error_names_it_and_says_what_to_give(
    cli: Callable[..., CliResult], mutual_tls: MutualTls
) -> None:
    run = send(cli, mutual_tls, "--json")
    data = run.json()

    assert run.code == 1
    assert data["error"]["kind"] == ErrorKind.TLS_CLIENT_CERT.value
    assert data["error"]["message"] == (
        "TLS failed: the server requires a client certificate and none was given"
    )
    assert "--cert FILE --key FILE" in data["error"]["hint"]


def test_a_certificate_from_a_ca_the_server_does_not_know_is_named_as_rejected(
    cli: Callable[..., CliResult], mutual_tls: MutualTls
) -> None:
    run = send(cli, mutual_tls, "--cert", mutual_tls.stranger_cert, "--json")
    data = run.json()

    assert run.code == 1
    assert data["error"]["kind"] == ErrorKind.TLS_CLIENT_CERT.value
    assert "does not trust the issuer of the client certificate" in data["error"]["message"]


def test_the_key_log_holds_the_session_secrets_in_nss_format(
    cli: Callable[..., CliResult], mutual_tls: MutualTls, tmp_path: Path
) -> None:
    keylog = tmp_path / "keys.log"
    run = send(cli, mutual_tls, "--cert", mutual_tls.stranger_cert, "--keylog", keylog)

    assert run.code == 1  # the secrets are written during the handshake, success or not
    lines = [line for line in keylog.read_text().splitlines() if not line.startswith("#")]
    labels = {line.split()[0] for line in lines}
    assert {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET"} <= labels
    for line in lines:
        _, client_random, secret = line.split()
        assert len(client_random) == 64 and int(client_random, 16) >= 0
        assert len(secret) in (64, 96) and int(secret, 16) >= 0


def test_sslkeylogfile_is_the_key_log_when_no_flag_names_one(
    cli: Callable[..., CliResult],
    mutual_tls: MutualTls,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keylog = tmp_path / "env.log"
    monkeypatch.setenv("SSLKEYLOGFILE", str(keylog))
    run = send(cli, mutual_tls, "--cert", mutual_tls.cert_file, "--key", mutual_tls.key_file)

    assert run.code == 0, run.err
    assert "CLIENT_TRAFFIC_SECRET_0 " in keylog.read_text()


def test_tshark_decrypts_a_capture_with_the_key_log(
    cli: Callable[..., CliResult], mutual_tls: MutualTls, tmp_path: Path
) -> None:
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark not installed: run bash .ci/install-servers (apt-get install tshark)")
    if not IS_ROOT:
        pytest.skip("capturing on lo needs root (or the wireshark group's dumpcap rights)")
    capture, keylog = tmp_path / "tls.pcapng", tmp_path / "keys.log"
    with _capturing(tshark, mutual_tls.port, capture):
        run = send(
            cli,
            mutual_tls,
            *("--cert", mutual_tls.cert_file, "--key", mutual_tls.key_file),
            *("--keylog", keylog, "--alpn", "http/1.1"),
        )
    assert run.code == 0, run.err

    def requests(*options: str) -> list[str]:
        result = subprocess.run(
            [tshark, "-r", str(capture), *options, "-Y", "http.request", "-T", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return [json.dumps(packet) for packet in json.loads(result.stdout or "[]")]

    assert requests() == []  # without the secrets the request stays encrypted
    decrypted = requests("-o", f"tls.keylog_file:{keylog}")
    assert len(decrypted) == 1 and '"GET / HTTP/1.0\\\\r\\\\n"' in decrypted[0]


class _capturing:
    """tshark capturing the port's traffic on lo for the block. tshark says "Capturing on"
    before packets really flow, and stopping it may lose the last ones: probe connections
    at each end, waited for in tshark's own packet list (-P), mark both edges."""

    def __init__(self, tshark: str, port: int, path: Path) -> None:
        self.port = port
        self.argv = [tshark, "-i", "lo", "-f", f"tcp port {port}", "-l", "-P", "-w", str(path)]
        self.lines: queue.Queue[str | None] = queue.Queue()

    def __enter__(self) -> None:
        # A session of its own: tshark and its dumpcap never signal the tests' group.
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self._probe_seen():
            self.process.kill()
            _, err = self.process.communicate(timeout=30)
            said = err.decode(errors="replace").strip().splitlines()
            pytest.skip(f"tshark cannot capture on lo: {' | '.join(said[-3:])}")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.decode(errors="replace").replace("→", " "))
        self.lines.put(None)

    def _probe_seen(self) -> bool:
        """Connect until tshark lists one of the probes; False if it exits or never does."""
        for _ in range(PROBES):
            with socket.create_connection((HOST, self.port), timeout=10) as probe:
                mark = f" {probe.getsockname()[1]} "
            try:
                while (line := self.lines.get(timeout=PROBE_WAIT)) is not None:
                    if mark in line:
                        return True
                return False
            except queue.Empty:
                continue
        return False

    def __exit__(self, *exc_info: object) -> None:
        self._probe_seen()
        os.kill(self.process.pid, signal.SIGINT)  # tshark writes out the file, then exits
        self.process.communicate(timeout=30)


# A bounded wait for tshark to be capturing: PROBES connections, PROBE_WAIT seconds each.
PROBES = 40
PROBE_WAIT = 0.5


def test_a_template_with_a_tls_table_presents_its_client_certificate(
    cli: Callable[..., CliResult], mutual_tls: MutualTls
) -> None:
    directory = user_template_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "mtls-get.toml").write_text(
        'transport = "tls"\npayload = "GET / HTTP/1.0\\r\\n\\r\\n"\n'
        f'[tls]\ncert = "{mutual_tls.cert_file}"\nkey = "{mutual_tls.key_file}"\n'
    )
    run = cli(*("send", HOST, mutual_tls.port, "-T", "mtls-get", "--ca-file", mutual_tls.ca_file))

    assert run.code == 0, run.out + run.err
    assert "HTTP/1.0 200 ok" in run.out and "sockscope client" in run.out


def test_a_templates_unusable_certificate_is_refused_naming_the_template(
    cli: Callable[..., CliResult], mutual_tls: MutualTls
) -> None:
    directory = user_template_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "mtls-bad.toml").write_text(
        f'transport = "tls"\npayload = "x"\n[tls]\ncert = "{mutual_tls.cert_file}"\n'
    )
    run = cli("send", HOST, mutual_tls.port, "-T", "mtls-bad")

    assert run.code == 2
    assert "template mtls-bad: tls.cert: not a PEM certificate with its private key" in run.err
