"""STARTTLS against aiosmtpd, an SMTP server nobody here wrote, that requires it."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from sockscope.core.certificate import tls_session
from sockscope.core.model import ReadPolicy, Target, TlsOptions
from sockscope.core.templates import builtin_templates, parse_template_file
from sockscope.engine import run_steps
from tests.interop.conftest import HOST, free_ports

POLICY = ReadPolicy(connect_timeout=10.0, idle_timeout=10.0, deadline=30.0)

controller = pytest.importorskip(
    "aiosmtpd.controller", reason="aiosmtpd not installed: pip install -e '.[test]'"
)


class Keep:
    """Keeps the messages it is handed."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture(scope="module")
def aiosmtpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    directory = tmp_path_factory.mktemp("aiosmtpd")
    ca = trustme.CA(organization_name="sockscope aiosmtpd CA")
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    (port,) = free_ports()
    server = controller.Controller(
        Keep(), hostname=HOST, port=port, tls_context=context, require_starttls=True
    )
    server.start()  # returns once the server answers
    try:
        yield port, directory / "ca.pem"
    finally:
        server.stop()


def test_smtp_starttls_template_passes_every_step_and_the_session_is_verified(
    aiosmtpd: tuple[int, Path],
) -> None:
    port, ca_file = aiosmtpd
    target = Target(HOST, port, tls=TlsOptions(ca_file=str(ca_file)))
    exchange = run_steps(target, builtin_templates()["smtp-starttls"].dialogue(HOST, port), POLICY)

    assert exchange.error is None, exchange.stop_message
    assert exchange.stop_message.startswith("all 5 steps ok")
    session = tls_session(exchange)
    assert session is not None and session["starttls"] and session["verified"]
    assert b"250-STARTTLS" in exchange.received  # offered before TLS...
    after_tls = exchange.received.split(b"220 Ready to start TLS", 1)[1]
    assert b"STARTTLS" not in after_tls  # ...and not any more once it runs


def test_without_starttls_aiosmtpd_refuses_mail_and_the_step_names_its_reply(
    aiosmtpd: tuple[int, Path],
) -> None:
    port, _ = aiosmtpd
    template = parse_template_file(
        (
            b'port = 25\nparser = "smtp"\n[[steps]]\nexpect = "220"\n'
            b'[[steps]]\nsend = "EHLO me\\r\\n"\nexpect = "250"\n'
            b'[[steps]]\nsend = "MAIL FROM:<a@example.org>\\r\\n"\nexpect = "250"\n'
        ),
        "plain",
        "plain.toml",
    )
    exchange = run_steps(Target(HOST, port), template.dialogue(HOST, port), POLICY)

    assert exchange.stop_message.startswith("step 3 failed: expected 250 after MAIL FROM")
    assert "530" in exchange.stop_message  # "Must issue a STARTTLS command first"
