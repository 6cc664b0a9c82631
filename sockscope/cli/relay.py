"""`sockscope relay`: stand between a client and a server, and print each conversation.

As in `sockscope listen`, the relay's threads only queue what happened and this thread
prints, so conversations never interleave; Ctrl-C (or SIGTERM) stops, open conversations
end as cancelled and are printed too.
"""

from __future__ import annotations

import argparse
import queue
import sys
import time

from sockscope.cli.output import warn
from sockscope.cli.parsing import UsageError
from sockscope.cli.relay_plan import RelayPlan, plan_relay
from sockscope.cli.serving import Events, Happening, ServingPrinter, print_until_stopped
from sockscope.core.model import Exchange, Transport
from sockscope.core.relay_analysis import analyse_relay, relay_analysis_to_dict
from sockscope.core.views import human_bytes
from sockscope.engine.errors import seconds
from sockscope.engine.relay import Relay, RelayError, RelaySession
from sockscope.engine.serving import ListenAddress
from sockscope.export.transcript import TranscriptError, save_transcript

EXIT_OK, EXIT_NETWORK = 0, 1


def run_relay(args: argparse.Namespace) -> int:
    plan = plan_relay(args)
    if args.app:
        return _run_app(args)
    events: Events = queue.SimpleQueue()
    relay = Relay(
        plan.config,
        on_client=lambda session: events.put((Happening.CLIENT, session)),
        on_finished=lambda session, exchange: events.put((Happening.FINISHED, (session, exchange))),
        on_note=lambda message, facts: events.put((Happening.NOTE, (message, facts))),
    )
    try:
        address = relay.start()
    except RelayError as exc:
        warn(f"sockscope relay: error: {exc}")
        return EXIT_NETWORK
    printer = _Printer(plan, args.json, args.full)
    finished = print_until_stopped(
        events, printer.show, args.count, relay.stop, lambda: printer.relaying(address)
    )
    printer.summary(finished, relay.turned_away)
    return EXIT_OK


def _run_app(args: argparse.Namespace) -> int:
    """The explorer, open on its Relay screen with these arguments, already relaying."""
    printed = (("--json", args.json), ("--full", args.full), ("--count", args.count))
    for flag, given in (*printed, ("--save", args.save)):
        if given:
            raise UsageError(f"{flag} is for the printed report; leave it out with --app")
    from sockscope.tui import collector_paused

    with collector_paused():
        from sockscope.tui.app import SockscopeApp

    return SockscopeApp(relay=args).run() or 0


def transcript_name(session: RelaySession) -> str:
    """`relay-20261202-142301-1.json`: the start time keeps runs apart, the number
    the conversations of one run."""
    started = time.strftime("%Y%m%d-%H%M%S", time.localtime(session.exchange.started_at))
    return f"relay-{started}-{session.number}.json"


class _Printer(ServingPrinter):
    noun = "connection"

    def __init__(self, plan: RelayPlan, as_json: bool, full: bool) -> None:
        super().__init__(as_json, full)
        self.plan = plan

    def relaying(self, address: ListenAddress) -> None:
        config = self.plan.config
        target = config.target
        if self.as_json:
            self._line(
                {
                    "relaying": {
                        "host": address.host,
                        "port": address.port,
                        "transport": address.transport.value,
                        "ca_file": address.ca_file,
                        "target": target.label,
                        "target_transport": target.transport.value,
                        "max_clients": config.max_clients,
                        "capture_limit": config.capture_limit,
                        "idle": config.idle_timeout,
                    }
                }
            )
            for warning in self.plan.warnings:
                self._line({"note": {"message": warning}})
            return
        self._say(
            f"relaying {address.label} ({address.transport.value}) -> {target.label} "
            f"({target.transport.value}); Ctrl-C stops",
            "bold",
        )
        self._say(
            f"  up to {config.max_clients} clients at once · "
            f"{human_bytes(config.capture_limit)} kept per connection each way · "
            f"closed after {seconds(config.idle_timeout)} with nothing relayed",
            "dim",
        )
        if address.ca_file:
            self._say(f"  CA certificate for clients: {address.ca_file}")
        if target.transport is Transport.TLS and not target.tls.verify:
            self._say("note: the target's certificate is not verified (--insecure)", "yellow")
        for warning in self.plan.warnings:
            self._say(f"note: {warning}", "yellow")

    def _arrived(self, session: RelaySession) -> None:
        self._say(f"connection {session.number} from {session.peer}", "dim")

    def _finished(self, session: RelaySession, exchange: Exchange) -> None:
        analysis = analyse_relay(exchange, self.plan.protocol)
        saved = self._save(session, exchange)
        if self.as_json:
            out = {"connection": session.number, "peer": session.peer, **exchange.to_stream_dict()}
            out.update(relay_analysis_to_dict(analysis))
            if saved:
                out["saved"] = saved
            self._line(out)
            return
        from sockscope.cli.relay_report import print_conversation

        print_conversation(
            self.console,
            session.number,
            session.peer,
            exchange,
            analysis,
            self.plan.encoding,
            full=self.full,
        )
        if saved:
            self._say(f"  saved: {saved}", "dim")
        sys.stdout.flush()

    def _save(self, session: RelaySession, exchange: Exchange) -> str | None:
        directory = self.plan.save
        if directory is None:
            return None
        path = directory / transcript_name(session)
        try:
            save_transcript(exchange, path)
        except TranscriptError as exc:
            self._note(f"not saved: {exc}")
            return None
        return str(path)
