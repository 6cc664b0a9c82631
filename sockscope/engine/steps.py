"""A multi-step dialogue on one connection: send, wait for what a step expects, go on.

Each step's outcome is an INFO event (its `detail["step"]` a StepOutcome dict, so the
JSON transcript keeps it); the first step that fails stops the dialogue, and its
sentence becomes the exchange's stop message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from sockscope.core.model import (
    Event,
    EventType,
    Exchange,
    ReadPolicy,
    ReceiveBuffer,
    StopReason,
    Target,
)
from sockscope.core.steps import (
    STEP_KEY,
    Dialogue,
    Step,
    StepKind,
    StepOutcome,
    Verdict,
    judge,
    send_label,
    step_outcome,
)
from sockscope.core.views import human_bytes
from sockscope.engine.connection import Connection, ReadOutcome, Recorder, Sink
from sockscope.engine.run import run_conversation

# Expectations are judged line by line: each read ends at a line's end, then the
# reply parser says whether the reply is complete.
_LINE_END = b"\n"


def run_steps(
    target: Target,
    dialogue: Dialogue,
    policy: ReadPolicy = ReadPolicy(),  # noqa: B008 (frozen, so sharing it is safe)
    *,
    on_event: Callable[[Event], None] | None = None,
    cancel: threading.Event | None = None,
    sink: Sink | None = None,
    template: str | None = None,
    buffer: ReceiveBuffer | None = None,
) -> Exchange:
    """Connect, run `dialogue` step by step, close. Like `run_exchange` it never raises
    for network trouble, and keeps the bytes in `buffer` if one is given (whose room
    then bounds what all the steps keep together). `policy` is the base of every read:
    its deadline counts for the whole dialogue, its capture limit for what all the
    steps keep together (the bytes retained in the Exchange), its idle timeout for each
    read unless a step sets its own."""
    return run_conversation(
        target,
        dialogue.request,
        policy,
        lambda connection, started: _converse(connection, dialogue, policy, sink, started),
        on_event=on_event,
        cancel=cancel,
        template=template,
        buffer=buffer,
    )


def _converse(
    connection: Connection,
    dialogue: Dialogue,
    policy: ReadPolicy,
    sink: Sink | None,
    started: float,
) -> ReadOutcome:
    recorder = connection.recorder
    connection.open(policy.connect_timeout)
    count = len(dialogue.steps)
    context = send_label(None)
    last: ReadOutcome | None = None
    kept = 0  # by the steps so far: the capture limit is the whole dialogue's
    for index, (step, data) in enumerate(zip(dialogue.steps, dialogue.sends, strict=True), 1):
        if data is not None:
            connection.send(data, stall_timeout=policy.idle_timeout)
            context = send_label(data)
        sent = len(data or b"")
        if step.kind is StepKind.SEND:
            _record(recorder, step_outcome(index, step, context, None, data=b"", sent=sent))
            last = None
            continue
        last, verdict, received = _wait(
            connection, step, dialogue.protocol, policy, sink, started, kept
        )
        kept += len(received)
        if last.stop is StopReason.CANCELLED:
            return last._replace(message=f"cancelled in step {index} of {count}: {last.message}")
        outcome = step_outcome(
            index,
            step,
            context,
            verdict,
            data=received,
            ended=last.message,
            quiet=last.stop is StopReason.IDLE,
            sent=sent,
        )
        _record(recorder, outcome)
        if not outcome.ok:
            # A reset or network error that ended the wait keeps its own reason.
            stop = StopReason.EXPECTATION if last.error is None else last.stop
            return last._replace(stop=stop, message=outcome.line)
        if step.starttls:
            # The TLS event marks the upgrade; a failed handshake raises, and the
            # exchange ends with its error.
            connection.start_tls(policy.connect_timeout)
    if last is None:
        # The last step only sent: read its reply as the template's policy says.
        last = connection.read(policy, sink=sink, started=started, kept=kept)
        if last.stop is StopReason.CANCELLED:
            return last
    return last._replace(message=f"all {count} steps ok; the last read: {last.message}")


def _wait(
    connection: Connection,
    step: Step,
    protocol: str | None,
    policy: ReadPolicy,
    sink: Sink | None,
    started: float,
    kept: int,
) -> tuple[ReadOutcome, Verdict | None, bytes]:
    """Read until the turn's bytes decide the step, or the read ends without deciding;
    `kept` is what the steps before kept, which counts against the capture limit."""
    events = connection.recorder.events
    mark = len(events)
    turn_policy = _turn_policy(step, policy)
    received = b""
    while True:
        outcome = connection.read(
            turn_policy, sink=sink, started=started, kept=kept + len(received)
        )
        received = b"".join(e.data for e in events[mark:] if e.type is EventType.RECV)
        verdict = judge(step, received, protocol)
        if verdict is not None or outcome.stop is not StopReason.DELIMITER:
            return outcome, verdict, received
        if kept + len(received) >= policy.capture_limit:
            # The rest of the reply is not kept: no read to come can decide the step.
            limit = human_bytes(policy.capture_limit)
            return outcome._replace(message=f"capture limit of {limit} reached"), None, received


def _turn_policy(step: Step, policy: ReadPolicy) -> ReadPolicy:
    if step.silence is not None:
        return replace(policy, delimiter=_LINE_END, idle_timeout=step.silence)
    idle = policy.idle_timeout if step.timeout is None else step.timeout
    if step.expect is None and step.until is not None:
        return replace(policy, delimiter=step.until, idle_timeout=idle)
    return replace(policy, delimiter=_LINE_END, idle_timeout=idle)


def _record(recorder: Recorder, outcome: StepOutcome) -> None:
    recorder.info(outcome.line, **{STEP_KEY: outcome.to_dict()})
