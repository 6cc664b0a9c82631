"""ctrl+g: Listen mode. Be the server: accept clients and show each one's conversation.

The engine's Listener owns the sockets and runs on its own thread; how the screen starts
it and takes its reports is in screens/serving.py, shared with Relay. The screen keeps a
Client per accepted connection; the selected one is shown in the explorer's panes: what
it sent (hex and repr, decoded), the parsed request in place of the reply headers, what
we sent, and the timeline.
Redraws come at most ~20 times a second however fast clients talk.

Every client byte is untrusted (untrusted-bytes.md): it reaches a widget only through
the panes' line sources or tui.content.safe.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar, cast

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, OptionList, Tab, Tabs

from sockscope.core.client_analysis import ClientAnalysis, analyse_client
from sockscope.core.fields import is_loopback
from sockscope.core.model import Exchange, StopReason, Transport
from sockscope.core.payload import PayloadError
from sockscope.core.timeline import timeline_rows
from sockscope.core.views import human_bytes
from sockscope.engine.listener import (
    ClientSession,
    ListenAddress,
    ListenConfig,
    Listener,
)
from sockscope.tui.commands import ListenCommands
from sockscope.tui.content import (
    DIM_STYLE,
    ERROR_STYLE,
    KEY_STYLE,
    OK_STYLE,
    WARNING_STYLE,
    plain,
    safe,
)
from sockscope.tui.explorer import Exports
from sockscope.tui.screens.serving import ServingScreen
from sockscope.tui.widgets.byte_view import ContentLines, LineView, NoLines
from sockscope.tui.widgets.clients import Client, ClientList
from sockscope.tui.widgets.listen_bar import ListenBar, ListenForm, ListenPlan, ReplyMode
from sockscope.tui.widgets.panes import (
    DecodedPane,
    Pane,
    SentPane,
    framing_rows,
    header_rows,
    size_badge,
)
from sockscope.tui.widgets.request_editor import RequestEditor
from sockscope.tui.widgets.timeline import Timeline

# ---- panes ---------------------------------------------------------------------------


class ClientBytesPane(SentPane):
    """What the client sent, as hex and repr (its decoded text has a pane of its own)."""

    EMPTY = ("no client selected", "nothing received yet")

    def data_of(self, exchange: Exchange) -> bytes:
        return exchange.received

    def badge(self, exchange: Exchange) -> str:
        return size_badge(exchange.kept, exchange.bytes_in)

    def empty_text(self, exchange: Exchange | None) -> str:
        return self.EMPTY[0] if exchange is None else self.EMPTY[1]


class RequestPane(Pane):
    """The client's request parsed: HTTP request line, headers and problems, or the
    command lines of a line protocol; the TLS session (SNI, ALPN) first."""

    def compose(self) -> ComposeResult:
        yield LineView(id=f"{self.id}-view")

    def show(self, exchange: Exchange | None, analysis: ClientAnalysis | None) -> None:
        view = self.query_one(LineView)
        if exchange is None or analysis is None:
            view.show(NoLines("the parsed request goes here"))
            self.set_badge("")
            return
        tls = tls_rows(exchange)
        rows, kind = request_rows(exchange, analysis)
        self.set_badge(" · ".join(part for part in ("tls" if tls else "", kind) if part))
        view.show(ContentLines([*tls, *rows]))


def tls_rows(exchange: Exchange) -> list[Content]:
    """`TLS  TLSv1.3 · cipher · ALPN h2 · SNI name` (the timeline's words), then a blank."""
    row = next((row for row in timeline_rows(exchange) if row.event == "tls"), None)
    if row is None:
        return []
    return [
        Content.assemble(plain("TLS ", KEY_STYLE), safe(row.detail, limit=400, one_line=True)),
        Content(""),
    ]


def request_rows(exchange: Exchange, analysis: ClientAnalysis) -> tuple[list[Content], str]:
    """The rows and the kind for the pane's badge ("http", "smtp", "commands", "raw")."""
    request = analysis.http
    if request is not None:
        rows: list[Content] = []
        if request.method:
            rows.append(
                Content.assemble(
                    safe(request.method, f"bold {OK_STYLE}", 80, one_line=True),
                    " ",
                    safe(request.target, "bold", 400, one_line=True),
                    " ",
                    safe(request.version, "bold", 80, one_line=True),
                )
            )
        rows.extend(header_rows(request.headers))
        rows.append(Content(""))
        rows.extend(framing_rows(request))
        if request.extra:
            rows.append(
                plain(
                    f"+ {human_bytes(len(request.extra))} after the request (pipelined, or junk)",
                    WARNING_STYLE,
                )
            )
        return rows, "http"
    if analysis.commands:
        rows = []
        for command in analysis.commands:
            if command.message:
                line = plain(f"(message text, {human_bytes(command.size)})", DIM_STYLE)
            else:
                line = Content.assemble(
                    safe(f"{command.verb:<6}", KEY_STYLE, 40, one_line=True),
                    " ",
                    safe(command.argument, limit=400, one_line=True),
                )
            if not command.complete:
                line = line + plain("  (no line end yet)", WARNING_STYLE)
            rows.append(line)
        return rows, analysis.protocol or "commands"
    if exchange.kept:
        return [plain("raw bytes: no parser applies", DIM_STYLE)], "raw"
    waiting = "nothing received" if exchange.finished else "waiting for the client…"
    return [plain(waiting, DIM_STYLE)], ""


# ---- the screen ----------------------------------------------------------------------


# The narrow layout's tabs: (pane id, label); the client list is one of them.
LISTEN_VIEWS: tuple[tuple[str, str], ...] = (
    ("clients-pane", "Clients"),
    ("client-bytes", "Received"),
    ("client-decoded", "Decoded"),
    ("client-request", "Request"),
    ("client-sent", "Sent"),
    ("client-timeline-pane", "Timeline"),
)


class ListenScreen(ServingScreen[ClientSession]):
    """On leaving, every client's conversation (finished by then) goes to the app in a
    Left message, for the history, however the screen was opened."""

    VERB = "listen"
    NOUN = "client conversation"

    COMMANDS = Screen.COMMANDS | {ListenCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "toggle_listening", "Start/Stop", id="listen.toggle", priority=True),
        Binding("ctrl+s", "reply", "Reply", id="listen.reply", priority=True),
        Binding("f8", "close_client", "Close", id="listen.close-client"),
        Binding("f3", "save_client", "Save", id="listen.save"),
        Binding("ctrl+t", "toggle_hex", "Hex", id="listen.toggle-hex", show=False),
        Binding("escape", "leave", "Leave", id="listen.leave"),
        # As ctrl+n goes to the explorer's history; priority: from any field too.
        Binding("ctrl+n", "focus_clients", "Clients", id="listen.clients", priority=True),
    ]

    def __init__(
        self, form: ListenForm | None = None, *, start: bool = False, cursor_blink: bool = True
    ) -> None:
        """`start`: listen at once with `form` (`sockscope listen --app`)."""
        super().__init__(id="listen")
        self._form = form or ListenForm()
        self._start_at_mount = start
        self._cursor_blink = cursor_blink
        self._plan: ListenPlan | None = None
        self._config: ListenConfig | None = None
        self._reply = ""
        self._protocol: str | None = None

    def compose(self) -> ComposeResult:
        yield ListenBar(self._form, id="listen-bar")
        yield Tabs(
            *(Tab(label, id=f"tab-{pane}") for pane, label in LISTEN_VIEWS), id="listen-tabs"
        )
        with Horizontal(id="listen-body"):
            with Pane("Clients", id="clients-pane"):
                yield ClientList(id="clients")
            with Container(id="listen-views"):
                yield ClientBytesPane("Received from client", id="client-bytes")
                yield DecodedPane("Decoded", id="client-decoded")
                yield RequestPane("Request", id="client-request")
                yield SentPane("Sent by us", id="client-sent")
                with Pane("Timeline", id="client-timeline-pane"):
                    yield Timeline(id="client-timeline")
        yield RequestEditor(id="reply")
        yield Footer(compact=True)

    def first_field(self) -> Widget:
        return self.query_one("#listen-port")

    def on_mount(self) -> None:
        self.query_one("#clients-pane").add_class("-active")
        editor = self.query_one(RequestEditor)
        editor.border_title = "Reply to the selected client"
        editor.line_protocol = True
        if not self._cursor_blink:
            for field in self.query("Input, TextArea"):
                field.cursor_blink = False  # type: ignore[attr-defined]
        self._show_client()
        self.redraw()
        self.focus_first_field()
        if self._start_at_mount:
            self.action_toggle_listening()

    # ---- state, for the app's status and for tests ----------------------------------

    @property
    def clients(self) -> list[Client]:
        return self.query_one(ClientList).clients

    @property
    def listening(self) -> bool:
        return self.address is not None

    # ---- start and stop ----------------------------------------------------------------

    def action_toggle_listening(self) -> None:
        bar = self.query_one(ListenBar)
        if self.server is not None:
            self._stop()
            bar.set_listening(False)
            self.redraw()
            return
        if bar.problems():
            self.app.bell()
            self.redraw()
            return
        plan = bar.plan()
        bridge = self._new_bridge()
        listener = Listener(
            plan.config,
            responder=plan.responder,
            on_client=bridge.on_client,
            on_event=bridge.on_event,
            on_finished=bridge.on_finished,
            on_note=bridge.on_note,
        )
        self._plan = plan
        bar.set_listening(True)
        self._start(listener, bridge)

    def serving_on(self, address: ListenAddress) -> None:
        if self._plan is not None:
            plan = self._plan
            self.listening_on(address, plan.config, plan.reply, plan.protocol)

    def listening_on(
        self, address: ListenAddress, config: ListenConfig, reply: str, protocol: str | None
    ) -> None:
        """Show that we listen at `address` (also how a snapshot shows a fixed state)."""
        self.address, self._config, self._reply, self._protocol = address, config, reply, protocol
        self.query_one(ListenBar).set_listening(True)
        self.redraw()

    def set_running(self, running: bool) -> None:
        self.query_one(ListenBar).set_listening(running)

    def left_exchanges(self) -> list[Exchange]:
        # Recorded clients (snapshots) had no connection: only real ones are history.
        return [client.exchange for client in self.clients if client.session is not None]

    def add_client(self, client: Client) -> None:
        """A new entry in the client list (selected when it is the first)."""
        self.query_one(ClientList).add(client)

    # ---- showing ------------------------------------------------------------------------

    def redraw(self) -> None:
        """The client list, the selected client's panes and the status, now."""
        started = self._throttle.drawing()
        clients = self.query_one(ClientList)
        arrived, self._arrived = self._arrived, []
        for session in arrived:
            clients.add(Client(len(clients.clients) + 1, session.peer, session.exchange, session))
        clients.refresh_labels()
        self._show_client()
        self.query_one(ListenBar).show(self._status())
        self.query_one(RequestEditor).display = (
            self.query_one(ListenBar).reply_mode == ReplyMode.BY_HAND
        )
        self.refresh_bindings()
        self._changed.set()
        self._changed = asyncio.Event()
        self._throttle.drawn(started)

    def _status(self) -> Content:
        parts: list[Content] = self._exposure()
        address, config = self.address, self._config
        if address is not None and config is not None:
            open_now = sum(1 for client in self.clients if not client.exchange.finished)
            parts.append(plain("listening on ", OK_STYLE))
            parts.append(safe(address.label, "bold", 200, one_line=True))
            parts.append(
                plain(
                    f" ({address.transport.value}) · {open_now} of {config.max_clients} clients"
                    f" · {human_bytes(config.capture_limit)} kept per client · reply: ",
                )
            )
            parts.append(safe(self._reply, limit=80, one_line=True))
            if self._turned_away:
                parts.append(plain(f" · {self._turned_away} turned away", WARNING_STYLE))
            if address.ca_file:
                parts.append(plain("\nCA "))
                parts.append(safe(address.ca_file, "bold", 300, one_line=True))
                parts.append(plain(f" (curl --cacert FILE https://localhost:{address.port}/)"))
        else:
            # Port 0 is named only while the field holds it: after Stop it shows the port.
            port = self.query_one(ListenBar).form().port.strip()
            picks = " (port 0: the OS picks)" if port in ("", "0") else ""
            parts.append(plain(f"not listening · ctrl+l starts{picks}", DIM_STYLE))
            if self._turned_away:
                parts.append(plain(f" · {self._turned_away} turned away", WARNING_STYLE))
        if self._error:
            parts.append(safe(f" · {self._error}", ERROR_STYLE, 400, one_line=True))
        elif self._note:
            parts.append(safe(f" · {self._note}", WARNING_STYLE, 400, one_line=True))
        return Content("").join(parts)

    def _exposure(self) -> list[Content]:
        """A warning first, when other machines can reach the address (or will)."""
        if self.address is not None:
            host, transport = self.address.host, self.address.transport
        else:
            form = self.query_one(ListenBar).form()
            host, transport = form.host.strip(), form.transport
        if transport is Transport.UNIX or not host or is_loopback(host):
            return []
        return [
            plain(" not loopback ", f"reverse bold {WARNING_STYLE}"),
            plain(" other machines can connect to ", WARNING_STYLE),
            safe(host, f"bold {WARNING_STYLE}", 100, one_line=True),
            plain(" · ", WARNING_STYLE),
        ]

    @on(OptionList.OptionHighlighted, "#clients")
    def _client_chosen(self) -> None:
        self._show_client()
        self.refresh_bindings()

    def _show_client(self) -> None:
        client = self.query_one(ClientList).selected
        exchange = client.exchange if client is not None else None
        key = (
            None
            if client is None or exchange is None
            else (client.number, len(exchange.events), exchange.stop)
        )
        if key == self._shown and key is not None:
            return
        self._shown = key
        live = exchange is not None and not exchange.finished
        received = b"" if exchange is None else exchange.received
        self.query_one(ClientBytesPane).show(exchange)
        self.query_one(DecodedPane).show(received, live=live)
        analysis = None
        if exchange is not None:
            eof = exchange.stop in (StopReason.PEER_CLOSED, StopReason.RESET)
            analysis = analyse_client(received, eof=eof, protocol=self._protocol)
            if analysis.http is not None:
                # A request body sent gzip, deflate or br coded: decoded as it arrives.
                self.query_one(DecodedPane).show_http(analysis.http, live=live)
        self.query_one(RequestPane).show(exchange, analysis)
        self.query_one("#client-sent", SentPane).show(exchange)
        self.query_one(Timeline).show(exchange, live=live)

    # ---- narrow layout: one view at a time, the client list among them ------------------

    def action_focus_clients(self) -> None:
        """To the client list (at 80x24, its tab first)."""
        tabs = self.query_one("#listen-tabs", Tabs)
        if tabs.display:
            tabs.active = "tab-clients-pane"
        self.query_one(ClientList).focus()

    @on(Tabs.TabActivated, "#listen-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        chosen = (event.tab.id or "").removeprefix("tab-")
        views = self.query_one("#listen-views")
        for pane in self.query(".pane"):
            pane.set_class(pane.id == chosen, "-active")
        views.set_class(chosen != "clients-pane", "-active")

    @on(OptionList.OptionSelected, "#clients")
    def _client_opened(self) -> None:
        """Enter on a client, when the views are tabs: show what it sent."""
        tabs = self.query_one("#listen-tabs", Tabs)
        if tabs.display:
            tabs.active = "tab-client-bytes"

    # ---- bar ------------------------------------------------------------------------------

    @on(ListenBar.Toggle)
    def _bar_toggle(self) -> None:
        self.action_toggle_listening()

    @on(ListenBar.Changed)
    def _bar_changed(self) -> None:
        self._error = ""
        self.redraw()

    # ---- replies by hand ------------------------------------------------------------------

    def refusal(self, action: str) -> str | None:
        """Why `action` cannot run now, in a sentence (keys and palette alike)."""
        if (
            action in ("reply", "toggle_hex")
            and self.query_one(ListenBar).reply_mode != ReplyMode.BY_HAND
        ):
            return "replies are typed by hand only with the reply mode by hand"
        client = self.query_one(ClientList).selected
        if action in ("close_client", "reply") and (client is None or not client.open):
            return "no open client is selected"
        if action in ("save_client", "export_client"):
            if client is None:
                return "no client is selected"
            if not client.exchange.finished:
                return f"client #{client.number} is still open: close it (f8) or let it end"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reply", "toggle_hex"):
            return self.query_one(ListenBar).reply_mode == ReplyMode.BY_HAND
        if action in ("close_client", "save_client"):
            return None if self.refusal(action) else True
        return True

    def run_command(self, action: str, *parameters: object) -> None:
        """A palette command: run, or say why not (as the keys' refusals do)."""
        reason = self.refusal(action)
        if reason is not None:
            self._refuse(reason)
            return
        getattr(self, f"action_{action}")(*parameters)

    def on_key(self, event: events.Key) -> None:
        """A greyed-out key says why when pressed (Textual passes it on, to here)."""
        active = self.active_bindings.get(event.key)
        if active is not None and active.node is self and not active.enabled:
            event.stop()
            self.run_command(active.binding.action)

    def _refuse(self, reason: str) -> None:
        self.app.bell()
        self._note = reason
        self.redraw()

    def _open_client(self) -> Client | None:
        client = self.query_one(ClientList).selected
        if client is None or not client.open or client.session is None:
            self._refuse("no open client is selected")
            return None
        return client

    def action_save_client(self) -> None:
        self.action_export_client("json")

    def action_export_client(self, fmt: str) -> None:
        """The selected client's finished conversation, through the app's save dialog."""
        reason = self.refusal("export_client")
        client = self.query_one(ClientList).selected
        if reason is not None or client is None:
            self._refuse(reason or "no client is selected")
            return
        title = f"Save client #{client.number}" if fmt == "json" else f"Export as {fmt}"
        app = cast(Exports, self.app)
        app.export((client.number, client.exchange), fmt, title, "save-path", "client")

    def action_reply(self) -> None:
        """Send the reply editor's bytes to the selected client, over its connection."""
        editor = self.query_one(RequestEditor)
        try:
            data = editor.request_bytes()
        except PayloadError:
            editor.refresh_info()
            editor.query_one("TextArea").focus()
            self.app.bell()
            return
        client = self._open_client()
        if client is None or client.session is None:
            return
        client.session.send(data)
        # Turn by turn: the editor empties for the next reply (this one is in Sent by us).
        editor.set_bytes(b"")
        self._note = f"sent {human_bytes(len(data))} to client #{client.number}"
        self.redraw()

    def action_close_client(self) -> None:
        client = self._open_client()
        if client is None or client.session is None:
            return
        client.session.close()
        self._note = f"closing client #{client.number} (after what is queued)"
        self.redraw()

    def action_toggle_hex(self) -> None:
        if not self.query_one(RequestEditor).toggle_mode():
            self.app.bell()
