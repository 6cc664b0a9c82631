"""`sockscope listen`: be the server, and print what each client really sends.

The listener thread only queues what happened; this thread prints, so output from
several clients never interleaves. Ctrl-C (or SIGTERM) stops: open conversations end
as cancelled and are printed too, and the socket file and certificates are removed.
"""

from __future__ import annotations

import argparse
import queue
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sockscope.cli.output import warn
from sockscope.cli.parsing import UsageError
from sockscope.cli.serving import (
    Events,
    Happening,
    ServingPrinter,
    parse_positive,
    print_until_stopped,
)
from sockscope.core.client_analysis import analyse_client, client_analysis_to_dict
from sockscope.core.fields import (
    FieldError,
    check_host,
    check_unix_path,
    is_loopback,
    parse_payload,
    parse_port,
    parse_seconds,
    parse_size,
)
from sockscope.core.model import EventType, Exchange, StopReason, Transport
from sockscope.core.payload import PayloadError, format_text
from sockscope.core.responders import ReplyPlan, Responder, plan_reply
from sockscope.core.sanitize import sanitize
from sockscope.core.server_rules import (
    is_template_file,
    load_server_template,
    plan_rules,
    script_from_args,
)
from sockscope.core.views import check_encoding, human_bytes
from sockscope.engine.errors import seconds
from sockscope.engine.listener import (
    ClientSession,
    ListenAddress,
    ListenConfig,
    Listener,
    ListenError,
    default_idle,
)

EXIT_OK, EXIT_NETWORK = 0, 1
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ListenPlan:
    config: ListenConfig
    responder: Callable[[], Responder] | None
    protocol: str | None  # the parser the reply template implies
    reply: str  # how we answer, in words
    encoding: str
    warnings: tuple[str, ...] = ()
    more_ports: tuple[int, ...] = ()  # `sockscope listen 8080 8081`: one listener each

    def configs(self) -> list[ListenConfig]:
        """The config of every listener of the run: one per port."""
        return [self.config, *(replace(self.config, port=port) for port in self.more_ports)]


def plan_listen(args: argparse.Namespace) -> ListenPlan:
    """Validate every field; a problem raises UsageError naming the field and the fix."""
    try:
        return _plan(args)
    except (FieldError, PayloadError) as exc:
        raise UsageError(str(exc)) from None


def _plan(args: argparse.Namespace) -> ListenPlan:
    transport = Transport(args.transport) if args.transport else None
    if transport is None:
        transport = Transport.TLS if args.cert else Transport.TCP
    if transport is Transport.UNIX_DGRAM:
        raise FieldError("--transport", "listening on unix-dgram is not supported; use unix")
    if args.cert and transport is not Transport.TLS:
        raise FieldError("--cert", "is for --transport tls")
    warnings: list[str] = []
    more_ports: tuple[int, ...] = ()
    if transport is Transport.UNIX:
        if args.second is not None or args.more:
            raise FieldError("PATH", "give only the socket path with --transport unix")
        if args.first is None:
            raise FieldError("PATH", "missing; e.g. sockscope listen --transport unix /tmp/s.sock")
        host, port = check_unix_path(args.first, "PATH"), None
    else:
        if args.first is None:
            raise FieldError("PORT", "missing; give a port, or 0 to let the OS pick one")
        words = [w for w in (args.first, args.second, *args.more) if w is not None]
        # A first word of digits is a port: `listen 8080 8081` is two ports on 127.0.0.1.
        host_text, port_texts = (LOOPBACK, words) if _is_number(words[0]) else (words[0], words[1:])
        if not port_texts:
            raise FieldError("PORT", f"missing after the host {sanitize(host_text)!r}")
        host = check_host(host_text, "HOST")
        port, *others = (_port(text) for text in port_texts)
        more_ports = tuple(others)
        if len({port, *more_ports} - {0}) < len([p for p in (port, *more_ports) if p]):
            raise FieldError("PORT", "is given twice; name each port once")
        if not is_loopback(host):
            warnings.append(
                f"{sanitize(host)} is not a loopback address: other machines can connect"
            )
    cert, key = _tls_files(args)
    reply = _reply(args, transport)
    idle = default_idle(transport) if args.idle is None else parse_seconds(args.idle, "--idle")
    config = ListenConfig(
        host=host,
        port=port,
        transport=transport,
        max_clients=parse_positive(args.max_clients, "--max-clients"),
        capture_limit=parse_size(args.capture_limit, "--capture-limit"),
        cert_file=cert,
        key_file=key,
        alpn=_alpn(args.alpn),
        linger=parse_seconds(args.linger, "--linger"),
        idle_timeout=idle,
    )
    try:
        encoding = check_encoding(args.encoding)
    except ValueError as exc:
        raise FieldError("--encoding", str(exc)) from None
    return ListenPlan(
        config,
        reply.factory,
        reply.protocol,
        reply.words,
        encoding,
        tuple(warnings),
        more_ports,
    )


def _is_number(text: str) -> bool:
    return text.strip().isascii() and text.strip().isdigit()


def _port(text: str) -> int:
    if text.strip() == "0":
        return 0
    return parse_port(text, "PORT")


def _alpn(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise FieldError("--alpn", "is empty; e.g. http/1.1 or h2,http/1.1")
    return names


def _tls_files(args: argparse.Namespace) -> tuple[str | None, str | None]:
    if args.key and not args.cert:
        raise FieldError("--key", "needs --cert (the certificate chain it belongs to)")
    for field, name in (("--cert", args.cert), ("--key", args.key)):
        if name and not Path(name).is_file():
            raise FieldError(field, f"{sanitize(name)} is not a readable file")
    return args.cert, args.key


def _reply(args: argparse.Namespace, transport: Transport) -> ReplyPlan:
    datagram = transport is Transport.UDP
    if args.on or args.default_reply is not None:
        if args.reply is not None or args.reply_hex is not None or args.reply_template:
            raise FieldError(
                "--on", "answers by rules; leave out --reply, --reply-hex and --reply-template"
            )
        return plan_rules(script_from_args(args.on, args.default_reply), datagram=datagram)
    if args.reply_template is not None and is_template_file(args.reply_template):
        script = load_server_template(Path(args.reply_template))
        return plan_rules(script, datagram=datagram)
    data = None
    if args.reply is not None:
        data = parse_payload(args.reply, "--reply")
    elif args.reply_hex is not None:
        data = parse_payload(args.reply_hex, "--reply-hex", hex=True)
    try:
        return plan_reply(data=data, template=args.reply_template, datagram=datagram)
    except ValueError as exc:
        raise FieldError("--reply-template", str(exc)) from None


# ---- running -------------------------------------------------------------------------


def run_listen(args: argparse.Namespace) -> int:
    plan = plan_listen(args)
    if args.app:
        return _run_app(args, plan)
    events: Events = queue.SimpleQueue()
    listeners = [
        Listener(
            config,
            responder=plan.responder,
            on_client=lambda session: events.put((Happening.CLIENT, session)),
            on_finished=lambda session, exchange: events.put(
                (Happening.FINISHED, (session, exchange))
            ),
            on_note=lambda message, facts: events.put((Happening.NOTE, (message, facts))),
        )
        for config in plan.configs()
    ]
    printer = _Printer(plan, args.json, args.full)
    started: list[Listener] = []
    addresses: list[ListenAddress] = []
    try:
        for listener in listeners:
            addresses.append(listener.start())
            started.append(listener)
    except ListenError as exc:
        for listener in started:
            listener.stop()
        warn(f"sockscope listen: error: {exc}")
        return EXIT_NETWORK
    printer.several = len(listeners) > 1

    def stop() -> None:
        for listener in listeners:
            listener.stop()

    def announce() -> None:
        for address in addresses:
            printer.listening(address, plan)

    finished = print_until_stopped(events, printer.show, args.count, stop, announce)
    printer.summary(finished, sum(listener.turned_away for listener in listeners))
    return EXIT_OK


def _run_app(args: argparse.Namespace, plan: ListenPlan) -> int:
    """The explorer, open on its Listen screen with these settings, already listening."""
    for flag, given in (("--json", args.json), ("--full", args.full), ("--count", args.count)):
        if given:
            raise UsageError(f"{flag} is for the printed report; leave it out with --app")
    if plan.more_ports:
        raise UsageError("the Listen screen listens on one port; give one with --app")
    if args.on or args.default_reply is not None:
        raise UsageError(
            "the Listen screen takes rules from a file (--reply-template FILE.toml), "
            "not --on or --default-reply; leave out --app"
        )
    from sockscope.tui import collector_paused

    with collector_paused():
        from sockscope.tui.app import SockscopeApp
        from sockscope.tui.widgets.listen_bar import ListenForm, ReplyMode

    config = plan.config
    if args.reply is not None:
        reply: str = ReplyMode.FIXED
        text = args.reply
    elif args.reply_hex is not None:
        reply, text = (
            ReplyMode.FIXED,
            format_text(parse_payload(args.reply_hex, "--reply-hex", hex=True)),
        )
    elif args.reply_template is not None and is_template_file(args.reply_template):
        reply, text = ReplyMode.RULES, args.reply_template
    else:
        reply, text = args.reply_template or ReplyMode.NONE, ""
    form = ListenForm(
        host=config.host,
        port="" if config.port is None else str(config.port),
        transport=config.transport,
        reply=reply,
        reply_text=text,
        max_clients=str(config.max_clients),
        capture_limit=args.capture_limit,
        cert=args.cert or "",
        key=args.key or "",
        alpn=config.alpn,
        linger=config.linger,
        idle=config.idle_timeout,
    )
    return SockscopeApp(listen=form).run() or 0


class _Printer(ServingPrinter):
    def __init__(self, plan: ListenPlan, as_json: bool, full: bool) -> None:
        super().__init__(as_json, full)
        self.plan = plan
        self.several = False  # several ports: each client says which one it came to

    def listening(self, address: ListenAddress, plan: ListenPlan) -> None:
        config = plan.config
        if self.as_json:
            self._line(
                {
                    "listening": {
                        "host": address.host,
                        "port": address.port,
                        "transport": address.transport.value,
                        "ca_file": address.ca_file,
                        "max_clients": config.max_clients,
                        "capture_limit": config.capture_limit,
                        "idle": config.idle_timeout,
                        "reply": plan.reply,
                    }
                }
            )
            for warning in plan.warnings:
                self._line({"note": {"message": warning}})
            return
        self._say(f"listening on {address.label} ({address.transport.value}); Ctrl-C stops", "bold")
        self._say(
            f"  up to {config.max_clients} clients at once · "
            f"{human_bytes(config.capture_limit)} kept per client each way · reply: {plan.reply}",
            "dim",
        )
        if address.transport is Transport.UDP:
            self._say(
                f"  a client is its address; its conversation ends after "
                f"{seconds(config.idle)} without a datagram "
                f"(try: nc -u {address.host} {address.port})",
                "dim",
            )
        else:
            self._say(
                f"  a client with nothing sent either way for {seconds(config.idle)} is closed; "
                "past the limit new clients wait",
                "dim",
            )
        if address.ca_file:
            host = "localhost" if is_loopback(address.host) else address.host
            self._say(f"  CA certificate: {address.ca_file}")
            self._say(f"  try: curl --cacert {address.ca_file} https://{host}:{address.port}/")
        for warning in plan.warnings:
            self._say(f"note: {warning}", "yellow")

    def _arrived(self, session: ClientSession) -> None:
        udp = session.exchange.target.transport is Transport.UDP
        how = "first datagram from" if udp else "connected:"
        self._say(f"client {session.number} {how} {self._peer(session)}", "dim")

    def _finished(self, session: ClientSession, exchange: Exchange) -> None:
        eof = exchange.stop in (StopReason.PEER_CLOSED, StopReason.RESET)
        analysis = analyse_client(exchange.received, eof=eof, protocol=self.plan.protocol)
        if self.as_json:
            out = {"client": session.number, "peer": session.peer, **exchange.to_stream_dict()}
            out["listener"] = _listener_label(exchange)
            out["request"] = client_analysis_to_dict(analysis)
            self._line(out)
            return
        from sockscope.cli.listen_report import print_client

        print_client(
            self.console,
            session.number,
            self._peer(session),
            exchange,
            analysis,
            self.plan.encoding,
            full=self.full,
        )
        sys.stdout.flush()

    def _peer(self, session: ClientSession) -> str:
        if not self.several:
            return session.peer
        return f"{session.peer} on {_listener_label(session.exchange)}"


def _listener_label(exchange: Exchange) -> str | None:
    """The address the client came to (its CONNECT event says), for runs on several ports."""
    connect = next(exchange.of_type(EventType.CONNECT), None)
    label = None if connect is None else connect.detail.get("listener")
    return label if isinstance(label, str) else None
