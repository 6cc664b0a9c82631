"""The Relay screen: stand between a client and a server and watch each connection.

The engine's Relay owns the sockets and runs on its own threads; how the screen starts
it and takes its reports is in screens/serving.py, shared with Listen. The
selected connection's two directions are shown side by side: the client's bytes (hex and
repr, decoded, parsed as a request or commands) and the server's (the same, parsed as a
reply), with the timeline under them.

The bar takes what `sockscope relay` takes (LISTEN, TARGET, transport) and checks it with
the command's own checks (cli.relay_plan). Every byte from either side is untrusted: it
reaches a widget only through the panes' line sources or tui.content.safe.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar, cast

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, OptionList, Select, Static, Tab, Tabs

from sockscope.core.model import Direction, Exchange
from sockscope.core.relay_analysis import RelayAnalysis, analyse_relay
from sockscope.core.views import human_bytes
from sockscope.engine.relay import Relay, RelaySession
from sockscope.engine.serving import ListenAddress
from sockscope.tui.commands import RelayCommands
from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, KEY_STYLE, OK_STYLE, plain, safe
from sockscope.tui.explorer import Exports
from sockscope.tui.lab_info import LAB_HOST
from sockscope.tui.screens.listen import tls_rows
from sockscope.tui.screens.serving import ServingScreen
from sockscope.tui.widgets.byte_view import ContentLines, LineView, NoLines
from sockscope.tui.widgets.clients import Client, ClientList
from sockscope.tui.widgets.filled_input import FilledInput
from sockscope.tui.widgets.panes import (
    DecodedPane,
    HeadersPane,
    Pane,
    SentPane,
    framing_rows,
    header_rows,
    reply_rows,
    size_badge,
)
from sockscope.tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    from sockscope.cli.relay_plan import RelayPlan

TRANSPORTS = ("tcp", "tls", "udp")
# The actions on the selected connection: refused, with a reason, when it cannot take them.
CONNECTION_ACTIONS = frozenset({"close_connection", "save_connection", "export_connection"})


# ---- panes ---------------------------------------------------------------------------


class ClientSidePane(SentPane):
    EMPTY = ("no connection selected", "the client sent nothing")


class ServerSidePane(SentPane):
    EMPTY = ("no connection selected", "the server sent nothing")

    def data_of(self, exchange: Exchange) -> bytes:
        return exchange.received

    def badge(self, exchange: Exchange) -> str:
        return size_badge(exchange.kept, exchange.bytes_in)


class ClientParsedPane(Pane):
    """The client's bytes parsed: an HTTP request, command lines, or redis commands."""

    def compose(self) -> ComposeResult:
        yield LineView(id=f"{self.id}-view")

    def show(self, exchange: Exchange | None, analysis: RelayAnalysis | None) -> None:
        view = self.query_one(LineView)
        if exchange is None or analysis is None:
            view.show(NoLines("the client's request goes here"))
            self.set_badge("")
            return
        tls = tls_rows(one_side(exchange, Direction.CLIENT))
        rows, kind = client_rows(exchange, analysis)
        self.set_badge(" · ".join(part for part in ("tls" if tls else "", kind) if part))
        view.show(ContentLines([*tls, *rows]))


def one_side(exchange: Exchange, direction: Direction) -> Exchange:
    """`exchange` with `direction`'s events only: the panes that show a TLS session then
    show that side's handshake (the client's SNI and ALPN, the server's certificate and
    verification) rather than the first one on the timeline."""
    return replace(exchange, events=[e for e in exchange.events if e.direction is direction])


def client_rows(exchange: Exchange, analysis: RelayAnalysis) -> tuple[list[Content], str]:
    request = analysis.client.http
    if request is not None:
        rows: list[Content] = []
        if request.method:
            line = f"{request.method} {request.target} {request.version}"
            rows.append(safe(line, "bold", 500, one_line=True))
        rows.extend(header_rows(request.headers))
        rows.append(Content(""))
        rows.extend(framing_rows(request))
        return rows, "http"
    if analysis.client_values:
        return reply_rows(analysis.client_values), "redis"
    if analysis.client.commands:
        rows = [
            Content.assemble(
                safe(f"{command.verb:<6}", KEY_STYLE, 40, one_line=True),
                " ",
                safe(command.argument, limit=400, one_line=True),
            )
            for command in analysis.client.commands
        ]
        return rows, analysis.client.protocol or "commands"
    if exchange.sent:
        return [plain("raw bytes: no parser applies", DIM_STYLE)], "raw"
    return [plain("nothing from the client yet", DIM_STYLE)], ""


# ---- the bar -------------------------------------------------------------------------


class RelayBar(Vertical):
    """LISTEN, TARGET and the transport on one row, with Start/Stop; a status line."""

    DEFAULT_CSS = """
    RelayBar { height: auto; padding: 0 1; }
    RelayBar #relay-row { height: 1; }
    RelayBar #relay-row Input { width: 1fr; margin-right: 1; }
    RelayBar #relay-transport { width: 9; margin-right: 1; }
    RelayBar #relay-start { min-width: 8; }
    RelayBar #relay-message { height: auto; max-height: 2; color: $text-muted; }
    """

    class Toggle(Message):
        """Start or Stop was pressed (or enter in a field)."""

    def __init__(self, args: argparse.Namespace, *, id: str) -> None:
        super().__init__(id=id)
        self._args = args

    def compose(self) -> ComposeResult:
        args = self._args
        transport = args.transport if args.transport in TRANSPORTS else "tcp"
        with Horizontal(id="relay-row"):
            # From the command line: a path may hold anything, shown as tokens, kept true.
            yield FilledInput(
                args.listen, placeholder="[HOST:]PORT or unix:PATH", compact=True, id="relay-listen"
            )
            yield FilledInput(
                args.target, placeholder="TARGET HOST:PORT or PATH", compact=True, id="relay-target"
            )
            yield Select(
                [(name, name) for name in TRANSPORTS],
                value=transport,
                allow_blank=False,
                compact=True,
                id="relay-transport",
            )
            yield Button("Start", id="relay-start", compact=True)
        yield Static(id="relay-message", markup=False)

    def args(self) -> argparse.Namespace:
        """The command's arguments: the fields, over what the screen was opened with."""
        return argparse.Namespace(
            **{
                **vars(self._args),
                "listen": self.query_one("#relay-listen", FilledInput).true_value.strip(),
                "target": self.query_one("#relay-target", FilledInput).true_value.strip(),
                "transport": str(self.query_one("#relay-transport", Select).value),
            }
        )

    def set_running(self, running: bool) -> None:
        self.query_one("#relay-start", Button).label = "Stop" if running else "Start"
        for field in self.query(Input):
            field.disabled = running
        self.query_one("#relay-transport", Select).disabled = running

    def show(self, status: Content) -> None:
        self.query_one("#relay-message", Static).update(status)

    @on(Button.Pressed, "#relay-start")
    @on(Input.Submitted)
    def _toggle(self) -> None:
        self.post_message(self.Toggle())


def on_the_lab(target: str, lab_host: str | None) -> str:
    """TARGET as the explorer reads it: `lab:PORT` is the lab's address, while one runs."""
    host, colon, port = target.rpartition(":")
    if lab_host is None or not colon or host != LAB_HOST:
        return target
    return f"{lab_host}:{port}"


def default_args(listen: str = "127.0.0.1:0", target: str = "") -> argparse.Namespace:
    """`sockscope relay`'s defaults, for a Relay screen opened from the palette."""
    from sockscope.cli.parsing import build_parser

    args = build_parser("relay").parse_args([listen, "127.0.0.1:1"])
    args.target = target
    return args


# ---- the screen ----------------------------------------------------------------------

# The narrow layout's tabs: (view id, label); each view but the first holds both sides.
RELAY_VIEWS: tuple[tuple[str, str], ...] = (
    ("connections-pane", "Connections"),
    ("relay-bytes", "Bytes"),
    ("relay-decoded", "Decoded"),
    ("relay-parsed", "Parsed"),
    ("relay-timeline-pane", "Timeline"),
)


class RelayScreen(ServingScreen[RelaySession]):
    """On leaving, every connection (finished by then) goes to the app in a Left message,
    for the history."""

    VERB = "relay"
    NOUN = "relayed connection"

    # Wide and tall: the connections beside three rows of client/server pairs and the
    # timeline. Narrow or short (80x24): one view at a time under tabs, the connections
    # among them; a pair keeps its two sides, stacked when the screen is narrow so that
    # each side keeps a whole line of text.
    DEFAULT_CSS = """
    RelayScreen #relay-tabs { display: none; }
    RelayScreen #relay-body { height: 1fr; }
    RelayScreen #connections-pane { width: 36; }
    RelayScreen #connections, RelayScreen #relay-timeline { height: 1fr; border: none; }
    RelayScreen #relay-views {
        width: 1fr;
        layout: grid;
        grid-size: 1 4;
        grid-rows: 1fr 1fr 1fr 8;
    }
    RelayScreen .relay-pair > .pane { width: 1fr; }
    RelayScreen.-narrow, RelayScreen.-short {
        #relay-tabs { display: block; }
        #relay-body, #relay-views { layout: vertical; }
        #connections-pane, #relay-views, #relay-views > * { display: none; }
        #connections-pane.-active, #relay-views.-active, #relay-views > .-active {
            display: block;
            width: 1fr;
            height: 1fr;
        }
    }
    RelayScreen.-narrow .relay-pair { layout: vertical; }
    """

    COMMANDS = Screen.COMMANDS | {RelayCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "toggle_relaying", "Start/Stop", id="relay.toggle", priority=True),
        Binding("f8", "close_connection", "Close", id="relay.close"),
        Binding("f3", "save_connection", "Save", id="relay.save"),
        Binding("escape", "leave", "Leave", id="relay.leave"),
    ]

    def __init__(
        self,
        args: argparse.Namespace | None = None,
        *,
        start: bool = False,
        lab_host: str | None = None,
    ) -> None:
        """`args`: `sockscope relay`'s arguments; `start`: relay at once (`--app`);
        `lab_host`: the address the explorer's host `lab` stands for, if a lab runs."""
        super().__init__(id="relay")
        self._lab_host = lab_host
        self._args = args if args is not None else default_args()
        self._start_at_mount = start
        self._plan: RelayPlan | None = None
        self._sessions: dict[int, RelaySession] = {}

    def compose(self) -> ComposeResult:
        yield RelayBar(self._args, id="relay-bar")
        yield Tabs(*(Tab(label, id=f"tab-{view}") for view, label in RELAY_VIEWS), id="relay-tabs")
        with Horizontal(id="relay-body"):
            with Pane("Connections", id="connections-pane"):
                yield ClientList(id="connections")
            with Container(id="relay-views"):
                with Horizontal(id="relay-bytes", classes="relay-pair"):
                    yield ClientSidePane("Client → server", id="relay-client-bytes")
                    yield ServerSidePane("Server → client", id="relay-server-bytes")
                with Horizontal(id="relay-decoded", classes="relay-pair"):
                    yield DecodedPane("Client decoded", id="relay-client-decoded")
                    yield DecodedPane("Server decoded", id="relay-server-decoded")
                with Horizontal(id="relay-parsed", classes="relay-pair"):
                    yield ClientParsedPane("Request", id="relay-client-parsed")
                    yield HeadersPane("Reply", id="relay-server-parsed")
                with Pane("Timeline", id="relay-timeline-pane"):
                    yield Timeline(id="relay-timeline")
        yield Footer(compact=True)

    def first_field(self) -> Widget:
        return self.query_one("#relay-target", Input)

    def on_mount(self) -> None:
        self.query_one("#connections-pane").add_class("-active")
        self._show_connection()
        self.redraw()
        self.focus_first_field()
        if self._start_at_mount:
            self.action_toggle_relaying()

    @property
    def connections(self) -> list[Client]:
        return self.query_one(ClientList).clients

    @property
    def relaying(self) -> bool:
        return self.address is not None

    # ---- start and stop ----------------------------------------------------------------

    @on(RelayBar.Toggle)
    def _bar_toggle(self) -> None:
        self.action_toggle_relaying()

    def action_toggle_relaying(self) -> None:
        from sockscope.cli.parsing import UsageError
        from sockscope.cli.relay_plan import plan_relay

        bar = self.query_one(RelayBar)
        if self.server is not None:
            self._stop()
            bar.set_running(False)
            self.redraw()
            return
        args = bar.args()
        args.target = on_the_lab(args.target, self._lab_host)
        try:
            plan = plan_relay(args)
        except UsageError as exc:
            self._error = str(exc)
            self.app.bell()
            self.redraw()
            return
        bridge = self._new_bridge()
        relay = Relay(
            plan.config,
            on_client=bridge.on_client,
            on_event=bridge.on_event,
            on_finished=bridge.on_finished,
            on_note=bridge.on_note,
        )
        self._plan = plan
        bar.set_running(True)
        self._start(relay, bridge)

    def serving_on(self, address: ListenAddress) -> None:
        if self._plan is not None:
            self.relaying_on(address, self._plan)

    def relaying_on(self, address: ListenAddress, plan: RelayPlan) -> None:
        """Show that we relay from `address` (also how a snapshot shows a fixed state)."""
        self.address, self._plan = address, plan
        self.query_one(RelayBar).set_running(True)
        self.query_one(ClientList).focus()  # the fields are locked: the list takes the keys
        self.redraw()

    def add_connection(self, client: Client) -> None:
        """A connection in the list that no relay holds (a snapshot's recorded one)."""
        self.query_one(ClientList).add(client)

    def set_running(self, running: bool) -> None:
        self.query_one(RelayBar).set_running(running)

    def _ended(self, error: str) -> None:
        super()._ended(error)
        self.query_one("#relay-listen", Input).focus()  # binding is what failed

    def left_exchanges(self) -> list[Exchange]:
        return [client.exchange for client in self.connections]

    # ---- what the relay reports --------------------------------------------------------

    def redraw(self) -> None:
        started = self._throttle.drawing()
        connections = self.query_one(ClientList)
        arrived, self._arrived = self._arrived, []
        for session in arrived:
            number = len(connections.clients) + 1
            self._sessions[number] = session
            connections.add(Client(number, session.peer, session.exchange))
        connections.refresh_labels()
        self._show_connection()
        self.query_one(RelayBar).show(self._status())
        self.refresh_bindings()
        self._changed.set()
        self._changed = asyncio.Event()
        self._throttle.drawn(started)

    def _status(self) -> Content:
        parts: list[Content] = []
        address, plan = self.address, self._plan
        if address is not None and plan is not None:
            open_now = sum(1 for client in self.connections if not client.exchange.finished)
            parts.append(plain("relaying ", OK_STYLE))
            parts.append(safe(address.label, "bold", 200, one_line=True))
            parts.append(plain(" → "))
            parts.append(safe(plan.config.target.label, "bold", 200, one_line=True))
            # The transport is in the bar: the line fits 80 columns with loopback ports.
            limit = human_bytes(plan.config.capture_limit)
            parts.append(plain(f" · {open_now} open · keeps {limit} each way"))
            if address.ca_file:
                parts.append(plain("\nCA for clients "))
                parts.append(safe(address.ca_file, "bold", 300, one_line=True))
        else:
            # A refusal names the field to fix: it replaces the next step, on 80 columns.
            parts.append(plain("not relaying" if self._error else self._how_to_start(), DIM_STYLE))
        if self._error:
            parts.append(safe(f" · {self._error}", ERROR_STYLE, 400, one_line=True))
        elif self._note:
            parts.append(safe(f" · {self._note}", DIM_STYLE, 400, one_line=True))
        return Content("").join(parts)

    def _how_to_start(self) -> str:
        """What to do next, while not relaying: name the target first, if it is empty."""
        args = self.query_one(RelayBar).args()
        if not args.target:
            return "not relaying · TARGET: the server's HOST:PORT; then enter or ctrl+l starts"
        picks = " (LISTEN port 0: the OS picks)" if args.listen.rsplit(":", 1)[-1] == "0" else ""
        return f"not relaying · ctrl+l starts{picks}"

    @on(Input.Changed)
    def _field_changed(self) -> None:
        """A field edited: its refusal is out of date, and so may be what to do next."""
        self._error = ""
        self.redraw()

    @on(OptionList.OptionHighlighted, "#connections")
    def _connection_chosen(self) -> None:
        self._show_connection()
        self.refresh_bindings()

    def _show_connection(self) -> None:
        client = self.query_one(ClientList).selected
        exchange = None if client is None else client.exchange
        key = (
            None
            if client is None or exchange is None
            else (
                client.number,
                len(exchange.events),
                exchange.stop,
            )
        )
        if key == self._shown and key is not None:
            return
        self._shown = key
        live = exchange is not None and not exchange.finished
        self.query_one(ClientSidePane).show(exchange)
        self.query_one(ServerSidePane).show(exchange)
        sent = b"" if exchange is None else exchange.sent
        received = b"" if exchange is None else exchange.received
        self.query_one("#relay-client-decoded", DecodedPane).show(sent, live=live)
        self.query_one("#relay-server-decoded", DecodedPane).show(received, live=live)
        protocol = None if self._plan is None else self._plan.protocol
        analysis = None if exchange is None else analyse_relay(exchange, protocol)
        self.query_one(ClientParsedPane).show(exchange, analysis)
        server = None if analysis is None or not received else analysis.server
        server_side = None if exchange is None else one_side(exchange, Direction.SERVER)
        self.query_one(HeadersPane).show(server_side, server)
        self.query_one(Timeline).show(exchange, live=live)

    # ---- narrow layout: one view at a time, the connections among them -----------------

    @on(Tabs.TabActivated, "#relay-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        chosen = (event.tab.id or "").removeprefix("tab-")
        for view, _label in RELAY_VIEWS:
            self.query_one(f"#{view}").set_class(view == chosen, "-active")
        self.query_one("#relay-views").set_class(chosen != "connections-pane", "-active")

    @on(OptionList.OptionSelected, "#connections")
    def _connection_opened(self) -> None:
        """Enter on a connection, when the views are tabs: show both sides parsed, with
        the tabs focused (the list is out of sight): left and right then change views."""
        tabs = self.query_one("#relay-tabs", Tabs)
        if tabs.display:
            tabs.active = "tab-relay-parsed"
            tabs.focus()

    # ---- per connection ------------------------------------------------------------------

    def refusal(self, action: str) -> str | None:
        """Why `action` cannot run now, in a sentence (keys and palette alike)."""
        if action not in CONNECTION_ACTIONS:
            return None
        client = self.query_one(ClientList).selected
        if client is None:
            return "no connection is selected" if self.connections else "no connection yet"
        if action == "close_connection" and (
            client.exchange.finished or client.number not in self._sessions
        ):
            return f"connection #{client.number} has ended"
        if action != "close_connection" and not client.exchange.finished:
            return f"connection #{client.number} is still open: close it (f8) or let it end"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A refused key is greyed out in the footer, and says why when pressed."""
        return None if self.refusal(action) else True

    def run_command(self, action: str, *parameters: object) -> None:
        """A palette command: run as its key would (each action says why when refused)."""
        getattr(self, f"action_{action}")(*parameters)

    def on_key(self, event: events.Key) -> None:
        """A greyed-out key says why when pressed (Textual passes it on, to here)."""
        active = self.active_bindings.get(event.key)
        # Asked now, not read from `active.enabled`: that is as of the last refresh of
        # the bindings, which a connection arriving just before the key may not have had.
        if active is not None and active.node is self and self.refusal(active.binding.action):
            event.stop()
            self.run_command(active.binding.action)

    def _selected_for(self, action: str) -> Client | None:
        """The selected connection, or None after saying why `action` cannot run."""
        reason = self.refusal(action)
        if reason is not None:
            self.app.bell()
            self._error, self._note = "", reason
            self.redraw()
            return None
        return self.query_one(ClientList).selected

    def action_close_connection(self) -> None:
        client = self._selected_for("close_connection")
        if client is not None:
            self._sessions[client.number].close()
            self._note = f"closing connection #{client.number} (both sides)"
            self.redraw()

    def action_save_connection(self) -> None:
        self.action_export_connection("json")

    def action_export_connection(self, fmt: str) -> None:
        """The selected finished connection, through the app's save dialog."""
        client = self._selected_for("save_connection" if fmt == "json" else "export_connection")
        if client is not None:
            title = f"Save connection #{client.number}" if fmt == "json" else f"Export as {fmt}"
            app = cast(Exports, self.app)
            app.export((client.number, client.exchange), fmt, title, "save-path", "relay")
