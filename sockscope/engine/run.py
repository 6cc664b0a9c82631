"""One whole conversation: open, send, read, close, and a plain sentence saying why it ended."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from sockscope.core.model import (
    Event,
    EventType,
    Exchange,
    ReadPolicy,
    ReceiveBuffer,
    StopReason,
    Target,
)
from sockscope.engine.connection import Connection, ReadOutcome, Recorder, Sink
from sockscope.engine.errors import CallbackError, Cancelled, TlsVerifyFailed, classify


def run_exchange(
    target: Target,
    request: bytes,
    policy: ReadPolicy = ReadPolicy(),  # noqa: B008 (frozen, so sharing it is safe)
    *,
    on_event: Callable[[Event], None] | None = None,
    cancel: threading.Event | None = None,
    sink: Sink | None = None,
    template: str | None = None,
    buffer: ReceiveBuffer | None = None,
) -> Exchange:
    """Connect, send `request`, read as `policy` says, close. Never raises for network
    trouble: the Exchange's `stop`, `stop_message` and `error` say what happened.
    The bytes kept go into `buffer` if one is given (engine.memory.receive_buffer), each
    once, where a reader on another thread can see them grow without a copy."""
    return run_conversation(
        target,
        request,
        policy,
        lambda connection, started: _converse(connection, request, policy, sink, started),
        on_event=on_event,
        cancel=cancel,
        template=template,
        buffer=buffer,
    )


def run_conversation(
    target: Target,
    request: bytes,
    policy: ReadPolicy,
    converse: Callable[[Connection, float], ReadOutcome],
    *,
    on_event: Callable[[Event], None] | None = None,
    cancel: threading.Event | None = None,
    template: str | None = None,
    buffer: ReceiveBuffer | None = None,
) -> Exchange:
    """Run `converse(connection, started)` on a fresh Connection and record it as an
    Exchange: every failure, cancel included, becomes its stop message and error.
    `started` is the monotonic time the exchange began (the policy's deadline counts
    from it); `request` is what the conversation means to send, for the transcript."""
    recorder = Recorder(on_event, buffer)
    exchange = Exchange(
        target=target,
        request=request,
        policy=policy,
        events=recorder.events,
        started_at=time.time(),
        template=template,
    )
    if buffer is not None:
        exchange.record_into(buffer)
    # Without a live reader of the events nobody sees the certificate before the end.
    connection = Connection(target, recorder, cancel, certificate_later=on_event is None)
    try:
        outcome = converse(connection, recorder.t0)
    except Cancelled as exc:
        outcome = ReadOutcome(StopReason.CANCELLED, f"cancelled {exc.phase}", None, {})
    except Exception as exc:  # every failure becomes words; none escapes to the caller
        error = classify(exc, target)
        detail = {}
        if isinstance(exc, TlsVerifyFailed) and exc.certificate:
            detail["certificate"] = exc.certificate
        outcome = ReadOutcome(StopReason.ERROR, error.message, error, detail)
    _finish(exchange, connection, recorder, outcome)
    return exchange


def _converse(
    connection: Connection,
    request: bytes,
    policy: ReadPolicy,
    sink: Sink | None,
    started: float,
) -> ReadOutcome:
    connection.open(policy.connect_timeout)
    connection.send(request, stall_timeout=policy.idle_timeout)
    if policy.half_close and not connection.target.transport.is_datagram:
        connection.shutdown_write()
    return connection.read(policy, sink=sink, started=started)


def _finish(
    exchange: Exchange, connection: Connection, recorder: Recorder, outcome: ReadOutcome
) -> None:
    exchange.stop = outcome.stop
    exchange.stop_message = outcome.message
    exchange.error = outcome.error
    # A failing callback is dropped by the recorder; the events still land in the list.
    if outcome.error is not None:
        with contextlib.suppress(CallbackError):
            recorder.emit(EventType.ERROR, detail={**outcome.error.to_dict(), **outcome.detail})
    with contextlib.suppress(CallbackError):
        connection.close()
