"""run_steps against the lab: one connection, a turn per step, a stop at the first miss."""

from __future__ import annotations

import threading

import pytest

from sockscope.core.model import (
    Event,
    EventType,
    Exchange,
    ReadPolicy,
    StopReason,
    Target,
    Transport,
)
from sockscope.core.replies import parse_replies
from sockscope.core.steps import Step, step_outcomes, step_spans
from sockscope.core.templates import Template, builtin_templates
from sockscope.engine import run_steps

DIALOGUES = ("smtp", "pop3", "imap", "ftp", "nntp", "redis")
# Generous: a step that waits this long has already failed; nothing here waits for it.
PATIENT = ReadPolicy(idle_timeout=10.0, deadline=30.0)


def _template(parser: str | None, *steps: Step) -> Template:
    return Template("test-dialogue", "test", Transport.TCP, None, "", parser=parser, steps=steps)


def _run(lab, service: str, template: Template, policy: ReadPolicy = PATIENT, **kw) -> Exchange:  # type: ignore[no-untyped-def]
    port = lab.port(service)
    return run_steps(
        Target(lab.host, port),
        template.dialogue(lab.host, port),
        policy,
        template=template.name,
        **kw,
    )


@pytest.mark.parametrize("protocol", DIALOGUES)
def test_every_builtin_dialogue_passes_against_the_lab(lab, protocol: str) -> None:
    template = builtin_templates()[f"{protocol}-dialogue"]
    exchange = _run(lab, protocol, template)
    outcomes = step_outcomes(exchange)
    assert [o.ok for o in outcomes] == [True] * len(template.steps), [o.line for o in outcomes]
    assert exchange.error is None
    assert exchange.stop_message.startswith(f"all {len(template.steps)} steps ok")
    # The timeline shows each turn: what was sent, what came back, then the verdict.
    kinds = [e.type for e in exchange.events if e.type in (EventType.SEND, EventType.INFO)]
    sends = sum(1 for step in template.steps if step.send is not None)
    assert kinds.count(EventType.SEND) == sends
    for index, event in enumerate(exchange.events):
        if EventType.INFO is event.type and "step" in event.detail:
            assert exchange.events[index - 1].type is EventType.RECV


def test_a_failed_expectation_stops_the_dialogue_with_a_plain_message(lab) -> None:
    template = _template(
        "smtp",
        Step(expect="220"),
        Step(send="EHLO me\r\n", expect="250"),
        Step(send="RCPT TO:<bob@example.org>\r\n", expect="250"),
        Step(send="QUIT\r\n", expect="221"),
    )
    exchange = _run(lab, "smtp", template)
    message = (
        "step 3 failed: expected 250 after RCPT TO:<bob@example.org>, "
        "got 503 5.5.1 Need MAIL before RCPT"
    )
    assert exchange.stop_message == message
    assert exchange.stop is StopReason.EXPECTATION
    assert [o.ok for o in step_outcomes(exchange)] == [True, True, False]
    assert b"QUIT" not in exchange.sent  # nothing after the failed step
    assert exchange.error is None  # the network was fine; the server said no


def test_silence_holds_while_the_server_waits_for_a_command(lab) -> None:
    template = _template("smtp", Step(expect="220"), Step(silence=0.2))
    outcomes = step_outcomes(_run(lab, "smtp", template))
    assert [o.line for o in outcomes][1] == "step 2 ok: silence for 0.2 s after connecting"


def test_silence_fails_at_the_first_byte_from_a_server_that_speaks_first(lab) -> None:
    exchange = _run(lab, "greeter", _template(None, Step(silence=30)))
    assert exchange.stop_message.startswith(
        "step 1 failed: expected silence for 30 s after connecting, got 26 bytes: "
        "Thank you for connecting"
    )


def test_until_and_a_line_prefix_work_without_a_parser(lab) -> None:
    template = _template(
        None,
        Step(until=b"\r\n"),
        Step(send="hello\r\n", expect="hello"),
        Step(send="bye\r\n", expect="hello"),
    )
    exchange = _run(lab, "greeter", template)
    assert [o.line for o in step_outcomes(exchange)] == [
        'step 1 ok: "\\r\\n" after connecting',
        "step 2 ok: hello after hello",
        "step 3 failed: expected hello after bye, got bye",
    ]


def test_a_dialogue_whose_last_step_only_sends_reads_the_reply_by_the_policy(lab) -> None:
    template = _template(None, Step(send="one\n"), Step(send="two\n"))
    exchange = _run(lab, "echo", template, ReadPolicy(idle_timeout=10.0, delimiter=b"two\n"))
    assert exchange.received == b"one\ntwo\n"
    assert [o.line for o in step_outcomes(exchange)] == [
        "step 1 ok: sent one (4 bytes)",
        "step 2 ok: sent two (4 bytes)",
    ]
    assert exchange.stop is StopReason.DELIMITER


def test_cancel_mid_dialogue_ends_it_within_the_step(lab) -> None:
    cancel = threading.Event()

    def on_event(event: Event) -> None:
        if event.type is EventType.SEND:  # step 2's command is out: cancel its wait
            cancel.set()

    template = _template(
        "smtp", Step(expect="220"), Step(send="NOOP\r\n", expect="250"), Step(expect="221")
    )
    exchange = _run(lab, "smtp", template, on_event=on_event, cancel=cancel)
    assert exchange.stop is StopReason.CANCELLED
    assert exchange.stop_message.startswith("cancelled in step 2 of 3")
    assert [o.number for o in step_outcomes(exchange)] == [1]
    assert exchange.events[-1].type is EventType.CLOSE


def test_the_json_transcript_keeps_every_step_outcome(lab) -> None:
    exchange = _run(lab, "imap", builtin_templates()["imap-dialogue"])
    again = Exchange.from_dict(exchange.to_dict())
    assert step_outcomes(again) == step_outcomes(exchange)
    assert len(step_outcomes(again)) == 3


def test_a_refused_connection_runs_no_step(lab) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    template = builtin_templates()["smtp-dialogue"]
    exchange = run_steps(Target("127.0.0.1", port), template.dialogue("127.0.0.1", port))
    assert exchange.error is not None and exchange.stop is StopReason.ERROR
    assert step_outcomes(exchange) == []


@pytest.mark.parametrize("protocol", ["smtp", "pop3", "imap"])
def test_each_step_s_span_holds_the_reply_it_was_judged_on(lab, protocol: str) -> None:
    template = builtin_templates()[f"{protocol}-dialogue"]
    exchange = _run(lab, protocol, template)
    received = exchange.received
    outcomes = step_outcomes(exchange)
    for outcome, span in zip(outcomes, step_spans(outcomes, len(received)), strict=True):
        if span is None:
            assert outcome.kind.value == "send" or not outcome.received
            continue
        head = outcome.message.split(" after ")[0]  # `250 after EHLO ...`: what matched
        assert parse_replies(received[span[0] : span[1]], protocol)[-1].code == head.split()[0]
