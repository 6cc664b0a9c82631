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
from typing import Any

from sockscope.cli.output import print_json, warn
from sockscope.cli.parsing import UsageError
from sockscope.cli.relay_plan import RelayPlan, plan_relay
from sockscope.cli.serving import Events, Happening, print_until_stopped
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
        on_finished=lambda session, _exchange: events.put((Happening.FINISHED, session)),
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
    from sockscope.tui.app import SockscopeApp

    return SockscopeApp(relay=args).run() or 0


def transcript_name(session: RelaySession) -> str:
    """`relay-20261202-142301-1.json`: the start time keeps runs apart, the number
    the conversations of one run."""
    started = time.strftime("%Y%m%d-%H%M%S", time.localtime(session.exchange.started_at))
    return f"relay-{started}-{session.number}.json"


class _Printer:
    def __init__(self, plan: RelayPlan, as_json: bool, full: bool) -> None:
        self.plan = plan
        self.as_json = as_json
        self.full = full
        self.console: Any = None
        if not as_json:
            from sockscope.cli.output import new_console

            self.console = new_console()

    def _line(self, obj: dict[str, Any]) -> None:
        print_json(obj)

    def _say(self, text: str, style: str = "") -> None:
        from sockscope.cli.report import safe

        self.console.print(safe(text, style))
        sys.stdout.flush()

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

    def show(self, kind: Happening, item: Any) -> int:
        """Print one queued happening; returns 1 for a finished conversation."""
        if kind is Happening.NOTE:
            message, facts = item
            if self.as_json:
                self._line({"note": {"message": message, **facts}})
            else:
                self._say(f"note: {message}", "yellow")
            return 0
        session: RelaySession = item
        if kind is Happening.CLIENT:
            if not self.as_json:
                self._say(f"connection {session.number} from {session.peer}", "dim")
            return 0
        self._finished(session, session.exchange)
        return 1

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
            message = f"not saved: {exc}"
            if self.as_json:
                self._line({"note": {"message": message}})
            else:
                self._say(f"note: {message}", "yellow")
            return None
        return str(path)

    def summary(self, finished: int, turned_away: int) -> None:
        if self.as_json:
            self._line({"stopped": {"connections": finished, "turned_away": turned_away}})
            return
        away = f", {turned_away} turned away (max-clients)" if turned_away else ""
        noun = "connection" if finished == 1 else "connections"
        self._say(f"stopped: {finished} {noun}{away}", "bold")
