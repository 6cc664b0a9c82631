"""STARTTLS: a session upgrades its plain connection to TLS where it stands, and a
dialogue step with `starttls = true` does it after the server's go-ahead; the lab's
SMTP, IMAP and POP3 offer it with the lab's CA."""

from __future__ import annotations

from typing import Any

import pytest

from sockscope.core.certificate import tls_session
from sockscope.core.model import EventType, ReadPolicy, Target, TlsOptions, Transport
from sockscope.core.templates import builtin_templates
from sockscope.core.timeline import timeline_rows
from sockscope.engine import Session, SessionState, run_steps
from sockscope.export.transcript import parse_transcript, transcript_text
from tests.engine.test_session import Watch

POLICY = ReadPolicy(connect_timeout=10.0, idle_timeout=10.0, deadline=30.0)


def lab_target(lab: Any, service: str) -> Target:
    return Target(lab.host, lab.port(service), Transport.TCP, tls=TlsOptions(ca_file=lab.ca_file))


@pytest.mark.parametrize(
    "name", ["smtp-starttls", "imap-starttls", "pop3-starttls", "ftp-auth-tls"]
)
def test_each_starttls_template_upgrades_the_lab_service_and_every_step_passes(
    lab: Any, name: str
) -> None:
    template = builtin_templates()[name]
    service = name.split("-")[0]
    target = lab_target(lab, service)
    exchange = run_steps(target, template.dialogue(target.host, target.port), POLICY)

    assert exchange.error is None, exchange.stop_message
    assert exchange.stop_message.startswith(f"all {len(template.steps)} steps ok")
    session = tls_session(exchange)
    assert session is not None and session["starttls"] is True and session["verified"] is True
    tls_row = next(row for row in timeline_rows(exchange) if row.event == "tls")
    assert tls_row.detail.startswith("STARTTLS upgrade · TLSv1.")
    # The greeting came before TLS, so the first byte is timed from the connect.
    timings = exchange.timings()
    assert timings.first_byte is not None and timings.first_byte >= 0
    reopened = parse_transcript(transcript_text(exchange).encode(), f"{name}.json")
    assert tls_session(reopened) == session  # the upgrade survives a saved transcript


def test_a_starttls_step_whose_handshake_fails_ends_with_the_tls_error(lab: Any) -> None:
    template = builtin_templates()["smtp-starttls"]
    target = Target(lab.host, lab.port("smtp"))  # the system's CAs do not know the lab's
    exchange = run_steps(target, template.dialogue(target.host, target.port), POLICY)

    assert exchange.error is not None
    assert exchange.error.message.startswith("certificate verify failed")
    assert b"EHLO" in exchange.sent and exchange.sent.count(b"EHLO") == 1  # none over TLS


def test_a_session_starts_tls_after_the_go_ahead_and_talks_on_over_it(lab: Any) -> None:
    watch = Watch()
    session = Session(
        lab_target(lab, "smtp"), POLICY, on_event=watch.on_event, on_state=watch.on_state
    )
    with session:
        assert session.connect() is None
        watch.reached(SessionState.OPEN)
        assert session.send(b"STARTTLS\r\n") is None
        assert session.start_tls() is None  # waits for the 220 before the handshake
        assert session.send(b"EHLO over.tls\r\n") is None
        assert watch.reply_ends(2, b"250 HELP\r\n").startswith(b"250-localhost")
        assert session.start_tls() == "the connection already speaks TLS"
        assert session.half_close() == "TLS cannot close one direction only: use Close"

    kinds = [e.type for e in watch.events]
    assert kinds.index(EventType.TLS) > kinds.index(EventType.SEND)
    tls = next(e for e in watch.events if e.type is EventType.TLS)
    assert tls.detail["starttls"] is True and tls.detail["verified"] is True
    assert any(m.startswith("TLS started over the connection (TLSv1.") for _, m in watch.states)
    assert watch.reply(1) == b"220 2.0.0 Ready to start TLS\r\n"


def test_starttls_is_refused_on_udp_and_after_a_half_close(lab: Any) -> None:
    watch_udp = Watch()
    udp = Session(
        Target(lab.host, lab.port("echo", "udp"), Transport.UDP),
        POLICY,
        on_state=watch_udp.on_state,
    )
    with udp:
        udp.connect()
        watch_udp.reached(SessionState.OPEN)
        assert udp.start_tls() == "a datagram socket has no connection to starttls: Close ends it"

    watch = Watch()
    tcp = Session(lab_target(lab, "smtp"), POLICY, on_state=watch.on_state)
    with tcp:
        tcp.connect()
        watch.reached(SessionState.OPEN)
        assert tcp.half_close() is None
        assert tcp.start_tls() == "you half-closed the connection: TLS needs both directions"
