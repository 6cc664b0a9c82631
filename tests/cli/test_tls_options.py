"""--cert, --key and --keylog: refused by name when unusable, kept in transcripts (the
certificate, not the key log), and transcripts from before them still load."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sockscope.core.model import Exchange, Target, TlsOptions, Transport
from sockscope.engine.errors import KeylogError
from sockscope.engine.tlsinfo import make_context
from sockscope.export.transcript import parse_transcript, transcript_text
from tests.clirun import CliResult


@pytest.fixture(scope="module")
def client_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("client")
    client = trustme.CA().issue_cert("client@example.org")
    files = {name: directory / f"{name}.pem" for name in ("cert", "key", "both", "other", "enc")}
    client.cert_chain_pems[0].write_to_path(str(files["cert"]))
    client.private_key_pem.write_to_path(str(files["key"]))
    client.private_key_and_cert_chain_pem.write_to_path(str(files["both"]))
    other = ec.generate_private_key(ec.SECP256R1())
    files["other"].write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files["enc"].write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    return files


def send(cli: Callable[..., CliResult], *options: object) -> CliResult:
    return cli("send", "127.0.0.1", "9", "-t", "tls", "-d", "x", *options)


def test_a_ca_file_that_holds_no_certificate_is_refused_by_name_before_connecting(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    not_pem = tmp_path / "passwd"
    not_pem.write_text("root:x:0:0:root:/root:/bin/sh\n")
    run = send(cli, "--ca-file", not_pem)
    assert run.code == 2
    assert run.err.strip().endswith(
        f"--ca-file: {not_pem}: holds no PEM certificate: give the CA certificate in PEM"
    )
    assert run.out == ""  # refused before any connection: no report


def test_a_key_without_a_certificate_is_refused(
    cli: Callable[..., CliResult], client_files: dict[str, Path]
) -> None:
    run = send(cli, "--key", client_files["key"])
    assert run.code == 2
    assert "--key: needs --cert" in run.err


def test_a_key_that_belongs_to_another_certificate_is_refused(
    cli: Callable[..., CliResult], client_files: dict[str, Path]
) -> None:
    run = send(cli, "--cert", client_files["cert"], "--key", client_files["other"])
    assert run.code == 2
    assert "--key: the key does not belong to the certificate" in run.err


def test_an_encrypted_key_is_refused_without_prompting_for_a_passphrase(
    cli: Callable[..., CliResult], client_files: dict[str, Path]
) -> None:
    run = send(cli, "--cert", client_files["cert"], "--key", client_files["enc"])
    assert run.code == 2
    assert "the key is encrypted" in run.err


def test_a_certificate_without_its_key_is_refused(
    cli: Callable[..., CliResult], client_files: dict[str, Path]
) -> None:
    run = send(cli, "--cert", client_files["cert"])
    assert run.code == 2
    assert "--cert: not a PEM certificate with its private key" in run.err


def test_a_missing_certificate_file_is_named(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    run = send(cli, "--cert", tmp_path / "nope.pem")
    assert run.code == 2
    assert "--cert:" in run.err and "nope.pem is not a readable file" in run.err


def test_a_key_log_in_a_missing_directory_is_refused(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    run = send(cli, "--keylog", tmp_path / "no" / "keys.log")
    assert run.code == 2
    assert "--keylog:" in run.err and "cannot write it" in run.err


def test_transcripts_keep_the_client_certificate_but_not_the_key_log() -> None:
    tls = TlsOptions(cert_file="/c.pem", key_file="/k.pem", keylog_file="/tmp/keys.log")
    exchange = Exchange(Target("example.org", 443, Transport.TLS, tls=tls), b"")
    text = transcript_text(exchange)
    back = parse_transcript(text.encode(), "t.json").target.tls

    assert "keys.log" not in text
    assert (back.cert_file, back.key_file, back.keylog_file) == ("/c.pem", "/k.pem", None)


def test_a_transcript_from_before_client_certificates_still_loads() -> None:
    doc = Exchange(Target("example.org", 443, Transport.TLS), b"").to_dict()
    del doc["target"]["tls"]["cert_file"], doc["target"]["tls"]["key_file"]
    tls = parse_transcript(json.dumps(doc).encode(), "old.json").target.tls
    assert tls.cert_file is None and tls.key_file is None


def test_a_certificate_path_that_is_not_a_string_is_named() -> None:
    doc = Exchange(Target("example.org", 443, Transport.TLS), b"").to_dict()
    doc["target"]["tls"]["cert_file"] = 7
    with pytest.raises(
        ValueError, match=r"target\.tls\.cert_file: must be a string or null, got 7"
    ):
        parse_transcript(json.dumps(doc).encode(), "bad.json")


@pytest.fixture
def fifo_with_a_reader(tmp_path: Path) -> Iterator[Path]:
    # A reader that never reads: without one, code that opens the pipe to write would
    # wait forever instead of failing this test.
    path = tmp_path / "keys.fifo"
    os.mkfifo(path)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    yield path
    os.close(reader)


def test_a_key_log_that_is_a_named_pipe_is_refused(
    cli: Callable[..., CliResult], fifo_with_a_reader: Path
) -> None:
    run = send(cli, "--keylog", fifo_with_a_reader)
    assert run.code == 2
    assert "--keylog:" in run.err and "named pipe" in run.err


def test_an_sslkeylogfile_that_is_a_named_pipe_is_refused(
    fifo_with_a_reader: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSLKEYLOGFILE", str(fifo_with_a_reader))
    with pytest.raises(KeylogError, match="named pipe"):
        make_context(TlsOptions())


@pytest.mark.parametrize("field", ["cert", "key"])
def test_a_templates_certificate_or_key_that_is_a_named_pipe_is_refused_unread(
    cli: Callable[..., CliResult], client_files: dict[str, Path], tmp_path: Path, field: str
) -> None:
    """OpenSSL waited on a named pipe with no writer, for good: a shared template's
    `[tls] cert` may name one."""
    from sockscope.core.templates import user_template_dir

    pipe = tmp_path / "pipe.pem"
    os.mkfifo(pipe)
    cert, key = (pipe, client_files["key"]) if field == "cert" else (client_files["cert"], pipe)
    directory = user_template_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "mtls.toml").write_text(
        f'transport = "tls"\npayload = "x"\n[tls]\ncert = "{cert}"\nkey = "{key}"\n'
    )
    run = cli("send", "127.0.0.1", "9", "-T", "mtls")
    assert run.code == 2
    what = "certificate" if field == "cert" else "key"
    assert f"template mtls: tls.cert: cannot read the {what}: it is not a regular file" in run.err
