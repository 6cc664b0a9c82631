"""`sockscope send`: one exchange from the command line."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from sockscope.cli.output import new_console, print_json
from sockscope.cli.parsing import UsageError, where_host
from sockscope.cli.tls_args import tls_options
from sockscope.core.analysis import Analysis, analyse, http_to_dict, replies_to_list
from sockscope.core.fields import (
    FieldError,
    parse_payload,
    parse_port,
    parse_seconds,
    parse_size,
)
from sockscope.core.http import Framing
from sockscope.core.model import Event, Exchange, Overflow, ReadPolicy, Target, Transport
from sockscope.core.payload import PayloadError, to_crlf
from sockscope.core.steps import Dialogue, failed_step, step_outcomes
from sockscope.core.templates import (
    Template,
    TemplateError,
    load_templates,
    parse_setting,
    unknown_template,
)
from sockscope.core.views import check_encoding, human_bytes

if TYPE_CHECKING:
    from sockscope.cli.live import LiveView

# The exit status when a step's expectation failed: the network worked, the server
# answered, but not as the template expected (see --help's epilog).
EXIT_STEP_FAILED = 3


# A NamedTuple, as the parsers' records are: a dataclass compiles its methods at import.
class SendPlan(NamedTuple):
    """Everything `send` needs, validated before any socket is opened."""

    target: Target
    request: bytes
    policy: ReadPolicy
    template: Template | None
    encoding: str
    dialogue: Dialogue | None = None  # a multi-step template's steps, run one by one


def run_send(args: argparse.Namespace) -> int:
    if (args.by_turn or args.to_scale) and not args.diagram:
        raise UsageError("--by-turn and --to-scale shape the diagram: add --diagram")
    if args.json and (args.diagram or args.explain):
        flag = "--diagram" if args.diagram else "--explain"
        raise UsageError(f"{flag} writes text for people: leave it out with --json")
    plan = plan_send(args)
    output: BinaryIO | None = None
    # --output and --capture-file both take every received byte; plan_send allows one.
    flag, path = ("--output", args.output) if args.output else ("--capture-file", args.capture_file)
    if path:
        try:
            output = open(path, "wb")  # noqa: SIM115 - closed below, after the run
        except OSError as exc:
            raise UsageError(f"{flag}: cannot write {path}: {exc.strerror}") from None
    live = _live_view(args, plan)
    try:
        with live if live is not None else contextlib.nullcontext():
            exchange = _run_interruptible(plan, output, live.event if live else None)
    finally:
        if output is not None:
            _close_output(output, flag, path)
    from sockscope.engine.memory import release_freed_memory

    # The report and --json read the received bytes whole: one copy of them, not the
    # events' bytes and a join beside them.
    exchange.keep_once(release=release_freed_memory)
    save_error = _save(exchange, args.save) if args.save else None
    # The report shows no body but a content-coded one (decoded); JSON writes the bytes.
    parser = plan.template.parser if plan.template else None
    analysis = analyse(exchange, parser, body=False)
    if args.json:
        out = exchange_json(exchange, analysis)
        if args.capture_file:
            out["capture_file"] = {"path": args.capture_file, "size": exchange.bytes_in}
        print_json(out)
    else:
        from sockscope.cli.report import print_report

        print_report(
            exchange,
            analysis,
            plan.encoding,
            output=args.output,
            full=args.full,
            explain=args.explain,
        )
        if args.diagram:
            from sockscope.cli.teach import print_diagram

            print_diagram(exchange, by_turn=args.by_turn, to_scale=args.to_scale)
        if args.capture_file:
            _print_capture_note(exchange, args.capture_file)
    if save_error is not None:
        # The exchange happened and its report is out; only the transcript is missing.
        raise UsageError(f"--save: {save_error}")
    if exchange.error is not None:
        return 1
    # Not a network error: the server answered, just not as a step expected.
    return EXIT_STEP_FAILED if failed_step(exchange) is not None else 0


def _print_capture_note(exchange: Exchange, path: str) -> None:
    """Where the bytes the report does not hold are: all of them, in the capture file."""
    from sockscope.cli.report import HEADING_STYLE, safe
    from sockscope.cli.styled import Text

    kept = exchange.kept
    note = Text("Capture file", style=HEADING_STYLE).append("  ")
    note.append_text(safe(f"all {human_bytes(exchange.bytes_in)} received are in {path}", "dim"))
    if kept < exchange.bytes_in:
        note.append_text(safe(f" (the report holds the first {human_bytes(kept)})", "dim"))
    new_console().print(note)


def _save(exchange: Exchange, path: str) -> str | None:
    """Write the transcript; the problem in words when that fails."""
    from sockscope.export.transcript import TranscriptError, save_transcript

    try:
        save_transcript(exchange, path)
    except TranscriptError as exc:
        return str(exc)
    return None


def exchange_json(exchange: Exchange, analysis: Analysis) -> dict[str, Any]:
    """The `--json` document, its bytes as `Base64` values: `print_json` writes it."""
    from sockscope.core.json_stream import Base64  # and json: a text report needs neither

    out = exchange.to_stream_dict()
    out["protocol"] = analysis.protocol
    http = analysis.http
    out["http"] = http_to_dict(http, streamed=True)
    spanned = (Framing.CONTENT_LENGTH, Framing.CLOSE)
    if http is not None and http.framing in spanned and http.spans.body and not http.body:
        # Left out by analyse(body=False): the body is that span of the kept bytes.
        out["http"]["body_b64"] = Base64(exchange.kept_slices(*http.spans.body))
    out["replies"] = replies_to_list(analysis.replies)
    out["steps"] = [outcome.to_dict() for outcome in step_outcomes(exchange)]
    return out


def _live_view(args: argparse.Namespace, plan: SendPlan) -> LiveView | None:
    """What a person at a terminal sees while the exchange runs (not --json, --quiet):
    its rows and lines on stdout, or for a transfer into a file, a meter on stderr."""
    if args.json or args.quiet:
        return None
    transfer = bool(args.output or args.capture_file)
    lines = not transfer and sys.stdout.isatty()
    progress = transfer and sys.stderr.isatty()
    if not (lines or progress):
        return None
    from sockscope.cli.live import LiveView

    return LiveView(plan.encoding, lines=lines, progress=progress)


def _run_interruptible(
    plan: SendPlan, output: BinaryIO | None, on_event: Callable[[Event], None] | None = None
) -> Exchange:
    """Run the exchange in a thread so Ctrl-C cancels it and still prints what came;
    `on_event` sees each event as it happens (on the exchange's thread)."""
    from sockscope.engine import FileSink, run_exchange

    cancel = threading.Event()
    result: list[Exchange] = []
    # A FileSink, not output.write: past the capture limit the engine may then move the
    # bytes from the socket to the file inside the kernel.
    sink = FileSink(output) if output is not None else None
    name = plan.template.name if plan.template else None
    dialogue = plan.dialogue

    def run() -> Exchange:
        if dialogue is not None:
            from sockscope.engine import run_steps  # a multi-step template's only

            return run_steps(
                plan.target,
                dialogue,
                plan.policy,
                on_event=on_event,
                cancel=cancel,
                sink=sink,
                template=name,
            )
        return run_exchange(
            plan.target,
            plan.request,
            plan.policy,
            on_event=on_event,
            cancel=cancel,
            sink=sink,
            template=name,
        )

    done = threading.Event()

    def work() -> None:
        try:
            result.append(run())
        finally:
            done.set()

    threading.Thread(target=work, name="sockscope-send", daemon=True).start()
    # Waited on with an Event: a Thread.join that Ctrl-C interrupted can return early
    # on the next call (Python 3.11), before the cancelled exchange is finished.
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        cancel.set()
        done.wait()
    return result[0]


def _close_output(output: BinaryIO, flag: str, path: str) -> None:
    """Close --output/--capture-file: the last bytes are written then, and a full disk
    (or /dev/full) refuses them there, after every write during the run succeeded."""
    try:
        output.close()
    except OSError as exc:
        raise UsageError(f"{flag}: cannot write {path}: {exc.strerror or exc}") from None


def plan_send(args: argparse.Namespace) -> SendPlan:
    """Validate every field; a problem raises UsageError naming the field and the fix."""
    try:
        return _plan(args)
    except (FieldError, PayloadError, TemplateError) as exc:
        raise UsageError(str(exc)) from None


def _plan(args: argparse.Namespace) -> SendPlan:
    template = _template(args.template)
    transport = Transport(args.transport) if args.transport else None
    if args.unix:
        transport = transport if transport and transport.is_unix else Transport.UNIX
    elif transport is None:
        transport = template.transport if template else Transport.TCP

    host = where_host(args, transport, "sockscope send example.com 80")
    port = None if transport.is_unix else _port(args.port, template)

    tls = tls_options(args)
    if template is not None and template.cert_file:
        # tlsinfo loads ssl (OpenSSL): a plain exchange's start does not pay for it.
        from sockscope.engine.tlsinfo import with_template_certificate

        tls = with_template_certificate(tls, template)
    target = Target(host, port, transport, args.family or 0, tls)
    if args.capture_file and args.output:
        raise FieldError(
            "--capture-file", "not with --output, which already writes every received byte"
        )

    policy = _policy(args, template)
    started = time.monotonic()
    request = _request(args, template, host, port, policy.deadline)
    if args.data_file is not None and policy.deadline is not None:
        # The deadline bounds the whole command: the exchange gets what reading a slow
        # payload (a FIFO, a pipe) left of it, in whole milliseconds for the transcript.
        spent = time.monotonic() - started
        policy = replace(policy, deadline=max(round(policy.deadline - spent, 3), 0.001))
    if args.crlf:
        request = to_crlf(request)
    dialogue = _dialogue(args, template, host, port)
    return SendPlan(
        target=target,
        request=request if dialogue is None else dialogue.request,
        policy=policy,
        template=template,
        encoding=_encoding(args.encoding),
        dialogue=dialogue,
    )


def _dialogue(
    args: argparse.Namespace, template: Template | None, host: str, port: int | None
) -> Dialogue | None:
    """A multi-step template's dialogue, unless the command line gives the payload (which
    is then sent at once, as for any template)."""
    given = args.data is not None or args.hex is not None or args.data_file is not None
    if template is None or not template.steps or given:
        return None
    dialogue = template.dialogue(host, port, **_values(args, template))
    if args.crlf:
        sends = tuple(None if data is None else to_crlf(data) for data in dialogue.sends)
        dialogue = dialogue._replace(sends=sends)
    return dialogue


def _template(name: str | None) -> Template | None:
    if name is None:
        return None
    templates, problems = load_templates()
    if name not in templates:
        raise FieldError("--template", unknown_template(name, templates, problems))
    return templates[name]


def _port(text: str | None, template: Template | None) -> int:
    if text is not None:
        return parse_port(text, "PORT")
    if template and template.port:
        return template.port
    raise FieldError("PORT", "missing; give a port (1-65535) or a --template with a default port")


def _request(
    args: argparse.Namespace,
    template: Template | None,
    host: str,
    port: int | None,
    deadline: float | None,
) -> bytes:
    values = _values(args, template)
    if args.data is not None:
        return parse_payload(args.data, "--data")
    if args.hex is not None:
        return parse_payload(args.hex, "--hex", hex=True)
    if args.data_file is not None:
        from sockscope.cli.data_file import read_data_file  # and selectors, for a FIFO

        return read_data_file(args.data_file, deadline)
    if template is None:
        return b""  # read what the server says first, like the banner template
    return template.render(host, port, **values)


def _values(args: argparse.Namespace, template: Template | None) -> dict[str, str]:
    """The placeholder values of --set NAME=VALUE and --path, each checked against the
    template: a mistake is refused naming the option, never sent or left unused."""
    given = [("--set", *_name_and_value(pair)) for pair in args.set]
    if args.path is not None:
        given.append(("--path", "path", args.path))
    values: dict[str, str] = {}
    for option, name, value in given:
        if template is None:
            raise FieldError(option, "placeholders need a --template, e.g. -T http-get --path /x")
        problem = template.value_problem(name, value)
        if problem is not None:
            raise FieldError(option, problem)
        values[name] = value
    return values


def _name_and_value(pair: str) -> tuple[str, str]:
    try:
        return parse_setting(pair)
    except ValueError as exc:
        raise FieldError("--set", str(exc)) from None


def _policy(args: argparse.Namespace, template: Template | None) -> ReadPolicy:
    policy = template.read_policy(ReadPolicy()) if template else ReadPolicy()
    if args.capture_file:
        # Past the capture limit the bytes go on to the file instead of stopping the read:
        # the report shows what is kept, the file holds everything, memory stays flat.
        policy = replace(policy, overflow=Overflow.COUNT)
    if args.output:
        # The file gets every byte; memory keeps only what the summary needs.
        # A download may take long: like curl -o, no total deadline unless asked for.
        capture_limit = min(policy.capture_limit, 1024 * 1024)
        policy = replace(
            policy, overflow=Overflow.COUNT, capture_limit=capture_limit, deadline=None
        )
    # What the command line names overrides the defaults above.
    if args.timeout is not None:
        policy = replace(policy, connect_timeout=parse_seconds(args.timeout, "--timeout"))
    if args.idle is not None:
        policy = replace(policy, idle_timeout=parse_seconds(args.idle, "--idle"))
    if args.deadline is not None:
        policy = replace(policy, deadline=parse_seconds(args.deadline, "--deadline"))
    if args.until is not None:
        delimiter = parse_payload(args.until, "--until")
        if not delimiter:
            raise FieldError("--until", "is empty; give the text that ends the reply")
        policy = replace(policy, delimiter=delimiter)
    if args.max_bytes is not None:
        policy = replace(policy, max_bytes=parse_size(args.max_bytes, "--max-bytes"))
    if args.capture_limit is not None:
        limit = parse_size(args.capture_limit, "--capture-limit")
        policy = replace(policy, capture_limit=limit)
    if args.half_close:
        policy = replace(policy, half_close=True)
    return policy


def _encoding(name: str) -> str:
    try:
        return check_encoding(name)
    except ValueError as exc:
        raise FieldError("--encoding", str(exc)) from None
