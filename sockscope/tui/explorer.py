"""The explorer's rules, in plain Python: tests drive them without a screen.

`Explorer` holds what the target fields say and who put it there, the exchanges in the
history (with their capture files), the compare mark, the live session, and whether an
action may run now (`why_not`). The explorer's screen shows this state in its widgets
and turns keys and edits into calls here; nothing here knows of Textual.

Who set a field decides whether it may change: only the user changes what the user
typed; a template (or the lab) fills a field only while it still holds what a template
(or the lab) put there. The lab is the host `lab` (LAB_HOST), which resolves to the
lab's loopback address: 127.0.0.1 typed by the user is a real server there, not the lab.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Protocol

from sockscope.core.fields import check_host, check_unix_path, parse_port
from sockscope.core.model import EventType, Exchange, Target, TlsOptions, Transport
from sockscope.core.steps import Dialogue, Step, step_outcomes
from sockscope.core.templates import Template, TemplateError
from sockscope.engine.session import Action
from sockscope.engine.tlsinfo import with_template_certificate
from sockscope.tui.kept import Kept
from sockscope.tui.lab_info import LAB_HOST, LabInfo


class Origin(Enum):
    """Who put a field's value there."""

    USER = "user"  # typed or chosen by the user (or opened from a transcript): it stays
    TEMPLATE = "template"  # a template's default port: the next template may replace it
    LAB = "lab"  # the lab's host label or a lab service's port: the lab may replace it


@dataclass(frozen=True)
class TargetFields:
    """The target bar as the explorer sees it: the text of each field and its origin."""

    host: str = ""
    port: str = ""
    transport: Transport = Transport.TCP
    template: str | None = None
    host_by: Origin = Origin.USER
    port_by: Origin = Origin.USER


# The views, in tab order for the narrow layout: (pane id, tab label).
VIEWS: tuple[tuple[str, str], ...] = (
    ("sent", "Sent"),
    ("received", "Received"),
    ("decoded", "Decoded"),
    ("headers", "Headers"),
    ("timeline-pane", "Timeline"),
    ("history-pane", "History"),
)

# Session commands and the engine action each one is: the engine says whether the
# session's state allows it.
SESSION_ACTIONS: Mapping[str, Action] = {
    "half_close": Action.HALF_CLOSE,
    "close_session": Action.CLOSE,
    "reset_session": Action.RESET,
    "start_tls": Action.STARTTLS,
}
# What a live session refuses: they act on finished exchanges or on the next one-shot run.
ONE_SHOT_ACTIONS = frozenset({"cancel", "save", "replay", "options", "connect", "export"})
# The export formats that refuse some exchanges (a curl line is one HTTP request; a shell
# line cannot hold every byte): asked before the user is asked for a path.
CHECKED_FORMATS = frozenset({"curl", "ncat", "socat"})


class Refuses(Protocol):
    """What the explorer asks of a live session (engine.Session)."""

    def why_not(self, action: Action) -> str | None: ...


class Exports(Protocol):
    """The explorer's save and export dialog, which Listen's and Relay's connections use
    too: through this protocol, so that no screen imports the app that imports it."""

    def export(
        self, chosen: tuple[int, Exchange], fmt: str, title: str, screen_id: str, stem: str = ...
    ) -> None: ...


def listened(exchange: Exchange) -> bool:
    """Whether `exchange` is a client's conversation with our Listen mode (its connect
    event names the listener), rather than one we started."""
    connect = next((e for e in exchange.events if e.type is EventType.CONNECT), None)
    return connect is not None and "listener" in connect.detail


def run_kind(exchange: Exchange, templates: Mapping[str, Template]) -> str:
    """What the history calls an exchange: its template's name, `client` for a Listen
    client, `raw` without a template. A dialogue template's exchange whose bytes went
    out without its steps (an edited request sent in one go, or its replay) was not
    that dialogue, and says so."""
    if listened(exchange):
        return "client"
    name = exchange.template
    if not name:
        return "raw"
    template = templates.get(name)
    sent = any(exchange.of_type(EventType.SEND))
    if template is not None and template.steps and sent and not step_outcomes(exchange):
        return f"{name}, sent without its steps"
    return name


def app_words(message: str) -> str:
    """A message written for the command line, in the app's own ways: its export
    palette entries and its options screen rather than CLI flags."""
    return (
        message.replace("--format ", "Export: ")
        .replace("(--ca-file FILE)", "(a CA file in ctrl+o)")
        .replace("(--insecure)", "(ctrl+o, verify off)")
        .replace("--insecure", "verification off (ctrl+o)")
    )


@dataclass
class Entry:
    """One exchange in the history (in `kept`, maybe on disk), and the file its
    received bytes were copied to."""

    kept: Kept
    index: int
    capture: str | None = None

    @property
    def exchange(self) -> Exchange:
        return self.kept[self.index]


class Explorer:
    def __init__(self, templates: Mapping[str, Template], lab: LabInfo | None) -> None:
        self.templates = templates
        self.lab = lab
        self.fields = TargetFields()
        # The history's exchanges, their bytes in memory up to a budget.
        self.kept = Kept()
        self.history: list[Entry] = []
        # The finished exchange the panes show: what Save, Export and Replay act on.
        self.current: Exchange | None = None
        # The history entry marked by "Compare with…" (its index).
        self.compare_mark: int | None = None
        # The live persistent session, if there is one.
        self.session: Refuses | None = None

    # ---- the target -------------------------------------------------------------------

    def open_on(
        self,
        host: str | None,
        port: int | None,
        template: str | None,
        transport: str | None,
        exchange: Exchange | None,
    ) -> None:
        """The fields the explorer opens with: a saved exchange's target, else what was
        asked for, else the lab's HTTP service."""
        if exchange is not None:
            t = exchange.target
            port_text = "" if t.port is None else str(t.port)
            self.fields = TargetFields(t.host, port_text, t.transport, exchange.template)
            return
        chosen = self.templates.get(template) if template else None
        host_by = Origin.USER
        if host is None and self.lab is not None:
            host, host_by = LAB_HOST, Origin.LAB
            chosen = chosen or self.templates.get("http-get")
        kind = Transport(transport) if transport else (chosen.transport if chosen else None)
        self.fields = TargetFields(
            host or "",
            "" if port is None else str(port),
            kind or Transport.TCP,
            chosen.name if chosen else None,
            host_by,
            Origin.USER if port is not None else Origin.TEMPLATE,
        )
        self._fill_port()

    @property
    def on_lab(self) -> bool:
        """Whether the host field names the lab."""
        return self.lab is not None and self.fields.host.strip() == LAB_HOST

    @property
    def template(self) -> Template | None:
        name = self.fields.template
        return self.templates.get(name) if name else None

    def typed(self, field: str, text: str) -> bool:
        """The host or port field now holds `text`; True if that is the user's change
        (a value the explorer itself put there changes nothing)."""
        current = self.fields.host if field == "host" else self.fields.port
        if text == current:
            return False
        if field == "host":
            self.fields = replace(self.fields, host=text, host_by=Origin.USER)
        else:
            self.fields = replace(self.fields, port=text, port_by=Origin.USER)
        return True

    def choose_transport(self, transport: Transport) -> bool:
        """The user chose `transport`; on the lab, a port the lab filled follows it
        (http over tls is the https service). True if it changed."""
        if transport is self.fields.transport:
            return False
        self.fields = replace(self.fields, transport=transport)
        self._fill_port()
        return True

    def choose_template(self, name: str | None) -> Template | None:
        """The template `name` (None: none): its transport, and its port where the port
        is not the user's. Returns the template whose request is to be rendered."""
        template = self.templates.get(name) if name else None
        self.fields = replace(self.fields, template=template.name if template else None)
        if template is not None:
            self.fields = replace(self.fields, transport=template.transport)
            self._fill_port()
        return template

    def open_lab_service(self, service: str, template: str) -> Template | None:
        """The lab's `service` (over TCP, https over TLS) with `template`: the lab's host
        and port, which the lab may change again later (a template chosen next fills its
        own port)."""
        where = self.lab.where(service) if self.lab is not None else None
        if where is None:
            return None
        port, transport = where
        chosen = self.templates.get(template)
        self.fields = TargetFields(
            LAB_HOST,
            str(port),
            transport,
            chosen.name if chosen else None,
            Origin.LAB,
            Origin.LAB,
        )
        return chosen

    def _fill_port(self) -> None:
        """Put the template's (on the lab: the lab service's) port in the port field,
        unless the user typed what is there."""
        fields, template = self.fields, self.template
        if fields.port_by is Origin.USER or template is None or fields.transport.is_unix:
            return
        if self.on_lab and self.lab is not None:
            port = self.lab.port_for_template(template.name, fields.transport)
            if port is not None:
                self.fields = replace(fields, port=str(port), port_by=Origin.LAB)
                return
        if template.port is not None:
            self.fields = replace(fields, port=str(template.port), port_by=Origin.TEMPLATE)

    def render_host(self) -> str:
        """The host a template's request names (`Host: ...`): the lab's address for the
        lab, `localhost` for a Unix socket or an empty field."""
        if self.on_lab and self.lab is not None:
            return self.lab.host
        host = self.fields.host.strip()
        return "localhost" if self.fields.transport.is_unix or not host else host

    def render_port(self) -> int | None:
        """The port a template's request names: the field's, else the template's."""
        try:
            return parse_port(self.fields.port)
        except ValueError:
            template = self.template
            return template.port if template else None

    def target(self, tls: TlsOptions) -> Target:
        """Where the fields point; raises FieldError naming the invalid field."""
        fields = self.fields
        template = self.templates.get(fields.template) if fields.template else None
        tls = with_template_certificate(tls, template)
        if fields.transport.is_unix:
            return Target(check_unix_path(fields.host), None, fields.transport)
        if self.on_lab and self.lab is not None:
            port = parse_port(fields.port)
            # The lab's https certificate is signed by its own CA: trusted for the lab only.
            if tls.ca_file is None:
                tls = replace(tls, ca_file=self.lab.trusted_ca())
            return Target(self.lab.host, port, fields.transport, tls=tls)
        host = check_host(fields.host)  # named first, as the bar orders them
        return Target(host, parse_port(fields.port), fields.transport, tls=tls)

    # ---- history and compare -------------------------------------------------------

    def add(self, exchange: Exchange, capture: str | None = None) -> int:
        """A finished exchange joins the history; returns its number (#1 first)."""
        self.kept.append(exchange)
        self.history.append(Entry(self.kept, len(self.kept) - 1, capture))
        return len(self.history)

    def number(self, exchange: Exchange | None) -> int | None:
        """`exchange`'s number in the history, None if it is not there."""
        index = self.kept.index_of(exchange)
        return None if index is None else index + 1

    def capture_of(self, exchange: Exchange) -> str | None:
        number = self.number(exchange)
        return None if number is None else self.history[number - 1].capture

    def shown_with_number(self) -> tuple[int, Exchange] | None:
        """The shown exchange and its history number, if it is a finished one."""
        number = self.number(self.current)
        if number is None or self.current is None:
            return None
        return number, self.current

    def toggle_compare(self) -> int | None:
        """f4: mark the shown exchange for comparison, or drop the mark; returns the
        marked index (None: the mark was dropped or nothing is shown)."""
        if self.compare_mark is not None:
            self.compare_mark = None
            return None
        chosen = self.shown_with_number()
        self.compare_mark = None if chosen is None else chosen[0] - 1
        return self.compare_mark

    def select(self, index: int) -> tuple[int, int] | None:
        """History entry `index` was selected: the pair of indexes to compare when an
        entry was marked (the mark is then dropped), else None."""
        marked, self.compare_mark = self.compare_mark, None
        if marked is None or marked == index:
            return None
        return marked, index

    # ---- what may run now ----------------------------------------------------------

    def why_not(self, action: str, *parameters: object) -> str | None:
        """Why `action` cannot run now, in one plain sentence naming the app's way out;
        None if it can. Keys and palette commands both ask here."""
        session = self.session
        if action in SESSION_ACTIONS:
            if session is None:
                return "not connected: Connect (f6) first"
            return session.why_not(SESSION_ACTIONS[action])
        if session is not None:
            if action == "listen":
                return "a session is live: close it (f8) or reset it (f9) before listening"
            if action == "connect":
                return session.why_not(Action.CONNECT)
            if action in ONE_SHOT_ACTIONS:
                return "a session is live: close it (f8) first"
            if action == "send":
                return session.why_not(Action.SEND)
            return None
        chosen = self.shown_with_number()
        if chosen is None:
            return None  # Save, Export and Replay say so themselves: nothing to act on yet
        if action == "replay" and listened(chosen[1]):
            return "a Listen client's conversation has no server to replay it to"
        if action == "export" and parameters and parameters[0] in CHECKED_FORMATS:
            return export_refusal(chosen[1], str(parameters[0]))
        return None


def replay_dialogue(exchange: Exchange, template: Template | None) -> Dialogue | None:
    """How to replay `exchange` turn by turn; None when one send replays it.

    A dialogue template's exchange replays its steps, checks included, while its request
    is still what the template renders. Any other conversation of several turns (a
    session) sends each turn after the reply that came before it the first time: until
    that reply's last line end (or last byte) arrives again."""
    target = exchange.target
    if template is not None and template.steps:
        host = "localhost" if target.transport.is_unix else target.host
        try:
            dialogue = template.dialogue(host, target.port)
        except TemplateError:
            dialogue = None
        if dialogue is not None and dialogue.request == exchange.request:
            return dialogue
    steps: list[Step] = []
    sends: list[bytes | None] = []
    data: bytes | None = None  # what the step being built sends
    reply = b""
    for event in exchange.events:
        if event.type is EventType.RECV:
            reply += event.data
        elif event.type is EventType.SEND:
            if reply:
                steps.append(Step(until=_reply_end(reply)))
                sends.append(data)
            elif data is not None:
                steps.append(Step())
                sends.append(data)
            data, reply = bytes(event.data), b""
    if not steps:
        return None  # one send (or none): the request in one go
    steps.append(Step())
    sends.append(data)
    return Dialogue(tuple(steps), tuple(sends), None)


def _reply_end(reply: bytes) -> bytes:
    for end in (b"\r\n", b"\n"):
        if reply.endswith(end):
            return end
    return reply[-1:]


def export_refusal(exchange: Exchange, fmt: str) -> str | None:
    """Why `exchange` cannot be written as `fmt` (e.g. curl for an SMTP exchange)."""
    from sockscope.export import ExportError
    from sockscope.export.formats import render

    try:
        render(exchange, fmt)
    except ExportError as exc:
        return app_words(str(exc))
    return None
