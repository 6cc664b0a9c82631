"""The explorer: compose the bar, the request editor and the views; run exchanges.

`SockscopeApp(exchange=...)` opens showing a saved Exchange (snapshots, transcripts);
`SockscopeApp(host=..., lab=...)` opens prefilled. The engine runs in a thread worker
and reports through worker.Bridge; the panes redraw at most ~10 times a second.

Connect (f6) opens a persistent session instead (engine.session, through
worker.SessionBridge): while it is live, Send sends the editor's bytes on it, and
Half-close, Close and Reset drive it; the engine refuses what the state does not allow,
in a sentence shown on the status line. An ended session joins the history.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.command import CommandPalette
from textual.containers import Container
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import OptionList, TextArea
from textual.worker import Worker, WorkerState, get_current_worker

from sockscope.core.analysis import Analysis, LiveAnalysis, analyse, shown_text
from sockscope.core.copy_forms import MAX_CLIPBOARD, copy_form
from sockscope.core.fields import FieldError
from sockscope.core.model import (
    EventType,
    Exchange,
    ReadPolicy,
    StopReason,
    Target,
)
from sockscope.core.payload import PayloadError
from sockscope.core.sanitize import sanitize
from sockscope.core.steps import Dialogue
from sockscope.core.templates import Template, TemplateError, load_templates
from sockscope.core.views import human_bytes
from sockscope.engine import Action
from sockscope.tui.bridge import Throttle
from sockscope.tui.commands import SockscopeCommands, template_note
from sockscope.tui.explorer import (
    SESSION_ACTIONS,
    VIEWS,
    Explorer,
    app_words,
    replay_dialogue,
)
from sockscope.tui.finding import Finder
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.opening import HoldsKeysWhileOpening
from sockscope.tui.options import Options
from sockscope.tui.options import summary as options_summary
from sockscope.tui.presentation import Presenting, pick
from sockscope.tui.safe_app import SafeApp
from sockscope.tui.widgets.byte_view import ByteRows, LineView
from sockscope.tui.widgets.find_bar import FindBar
from sockscope.tui.widgets.footer import KeyFooter
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.panes import (
    DecodedPane,
    HeadersPane,
    Pane,
    ReceivedPane,
    SentPane,
    pane_of,
    part_names,
)
from sockscope.tui.widgets.request_editor import RequestEditor
from sockscope.tui.widgets.status import State, StatusLine
from sockscope.tui.widgets.target_bar import TargetBar
from sockscope.tui.widgets.timeline import Timeline
from sockscope.tui.worker import (
    Bridge,
    ConversationDone,
    ConversationUpdate,
    SessionBridge,
    SessionChanged,
    SessionUpdate,
    Tally,
)

if TYPE_CHECKING:
    import argparse

    from textual.widgets import Tabs

    from sockscope.tui.screens.serving import ServingScreen
    from sockscope.tui.widgets.listen_bar import ListenForm

# The shortest time between redraws while an exchange streams in: ten a second, as fast
# as counters can be read, and seldom enough that a fast stream's frames do not leave a
# key press waiting behind them.
REDRAW_INTERVAL = 0.1
# A finished capture at least this large shows its bytes first and its parsed headers
# a frame later.
HEADERS_AFTER_FRAME = 8 * 1024 * 1024
# The GIL switch interval while the app runs. The socket worker (and an in-process lab)
# share the GIL with the screen, and a thread streaming from a fast server takes it back
# after every recv() before the waiting UI thread wakes: the UI then waits the whole
# interval for each turn of its event loop. A tenth of the default 5 ms keeps a loopback
# connect under a millisecond and lets a key press during a firehose show in its own frame.
SWITCH_INTERVAL = 0.0005

# The screen's classes by its size (Textual's breakpoints): the narrow layout shows one
# view at a time, under tabs.
WIDTHS: list[tuple[int, str]] = [(0, "-narrow"), (100, "-wide")]
HEIGHTS: list[tuple[int, str]] = [(0, "-short"), (30, "-tall")]

# Greyed out (not hidden) while a session is live, and named when pressed: Send and the
# session commands, and Listen (one conversation on screen at a time).
GREYED_IN_SESSION = frozenset({"send", "listen", "relay", *SESSION_ACTIONS})
# After every copy: OSC 52 is the one way an app in a terminal reaches the clipboard.
CLIPBOARD_NOTE = (
    "Copied. Some terminals ignore clipboard writes (OSC 52): "
    "the palette's 'Copy to file' writes the same text to a file."
)
# The actions that name the engine's refusal on the status line themselves.
NAME_THEIR_REFUSAL = frozenset({"send", "connect", *SESSION_ACTIONS})
# What the explorer still does on the Listen screen.
LISTEN_SCREEN_ACTIONS = frozenset({"quit", "help", "zoom", "copy"})


class ExplorerScreen(Screen[None]):
    """The explorer's own screen. Tab moves the focus at once (priority), so the keys
    typed after it land in the field it moves to, however fast they come."""

    # The app starts in the host field: not in the first focusable widget, styled twice
    # more (focused, then not) before the first frame.
    AUTO_FOCUS = "#host"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "app.focus_next", "Next", id="focus-next", priority=True, show=False),
        Binding(
            "shift+tab",
            "app.focus_previous",
            "Previous",
            id="focus-previous",
            priority=True,
            show=False,
        ),
    ]

    def __init__(self, *, id: str, classes: str) -> None:
        super().__init__(id=id, classes=classes)
        self._resumed = False

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """The first time the screen shows, its widgets have just been styled as they
        mounted: Textual would style every one of them again before the first frame."""
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The keys in the order the app declares them, so the footer keeps its order as
        the focus moves (Textual lists priority keys and the focused widget's first);
        ctrl+t named after the mode it switches to."""
        active = super().active_bindings
        rank = {b.key: i for i, b in enumerate(self.app.BINDINGS) if isinstance(b, Binding)}
        ordered = dict(sorted(active.items(), key=lambda item: rank.get(item[0], len(rank))))
        toggle = ordered.get("ctrl+t")
        editors = self.query(RequestEditor)
        if toggle is not None and toggle.binding.action == "toggle_hex" and editors:
            mode = "Text" if editors.first().is_hex else toggle.binding.description
            ordered["ctrl+t"] = toggle._replace(binding=replace(toggle.binding, description=mode))
        return ordered


class SockscopeApp(HoldsKeysWhileOpening, SafeApp):
    TITLE = "sockscope"
    CSS_PATH = "sockscope.tcss"
    COMMANDS = App.COMMANDS | {SockscopeCommands}
    HORIZONTAL_BREAKPOINTS = WIDTHS
    VERTICAL_BREAKPOINTS = HEIGHTS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", id="send", priority=True),
        Binding("escape", "cancel", "Stop", id="cancel"),
        # Straight to a place: priority, so the focus moves before the keys typed after
        # it are handed to a widget (they land in the new place, however fast they come),
        # and ctrl+e works from the host field (whose own ctrl+e is end of line, as End
        # is); in the editor itself ctrl+e stays end of line.
        Binding("ctrl+e", "focus_request", "Edit", id="focus-request", priority=True, show=False),
        Binding("ctrl+b", "focus_target", "Target", id="focus-target", priority=True, show=False),
        # Find, as in every editor and browser (priority: an Input's own ctrl+f deletes).
        Binding("ctrl+f", "find", "Find", id="find", priority=True, show=False),
        Binding(
            "ctrl+n", "focus_history", "History", id="focus-history", priority=True, show=False
        ),
        # Priority, like Send: a key the state refuses is then passed on to on_key,
        # which says why, instead of being run.
        Binding("f6", "connect", "Connect", id="connect", priority=True),
        Binding("f7", "half_close", "Half-close", id="half-close", priority=True),
        Binding("f8", "close_session", "Close", id="close-session", priority=True),
        Binding("f9", "reset_session", "Reset", id="reset-session", priority=True),
        Binding("f10", "start_tls", "STARTTLS", id="start-tls", priority=True, show=False),
        Binding("ctrl+t", "toggle_hex", "Hex", id="toggle-hex"),
        # The request editor names it when a bare LF needs it; the footer is full at 80.
        Binding("ctrl+r", "crlf", "CRLF", id="crlf", show=False),
        # Keys that open a screen or dialog: priority too, so it is open before the keys
        # typed after them are handed to a widget (they go to it, not behind it).
        Binding("ctrl+o", "options", "Options", id="options", priority=True, show=False),
        Binding("f3", "save", "Save", id="save", priority=True),
        Binding("f5", "replay", "Replay", id="replay", show=False),
        # In the help and the palette, not the footer.
        Binding("f4", "compare", "Compare", id="compare", show=False),
        Binding("ctrl+l", "toggle_turns", "Turns", id="toggle-turns", show=False),
        Binding("f2", "zoom", "Zoom", id="zoom", show=False),
        # Priority, so the keys typed after it go to the Listen screen, not the field behind.
        Binding("ctrl+g", "listen", "Listen", id="listen", priority=True, show=False),
        Binding("f12", "teach", "Diagram", id="teach", priority=True, show=False),
        Binding("f1", "help", "Help", id="help", priority=True),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]
    # The explorer's own actions (keys and palette): the Listen screen switches them off,
    # but not Textual's (tab, the palette itself).
    EXPLORER_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {
            "export",
            "choose_template",
            "present",
            "present_pane",
            "relay",
            "copy",
            "copy_to_file",
            "copy_export",
            *(b.action for b in BINDINGS if isinstance(b, Binding)),
        }
    )

    def __init__(
        self,
        *,
        host: str | None = None,
        port: int | None = None,
        template: str | None = None,
        transport: str | None = None,
        lab: LabInfo | None = None,
        exchange: Exchange | None = None,
        exchanges: Sequence[Exchange] = (),
        templates: Mapping[str, Template] | None = None,
        template_dir: Path | None = None,
        cursor_blink: bool = True,
        listen: ListenForm | None = None,
        relay: argparse.Namespace | None = None,
    ) -> None:
        super().__init__()
        problems: list[str] = []
        if templates is None:
            templates, problems = load_templates(template_dir)
        self.templates = dict(templates)
        self.template_problems = problems
        self.lab = lab
        self._cursor_blink = cursor_blink
        self._switch_interval = sys.getswitchinterval()  # restored when the app ends
        self._collecting = gc.isenabled()  # restored when start-up is over
        # `sockscope listen --app`: open on the Listen screen, listening.
        self._listen = listen
        # `sockscope relay ... --app`: open on the Relay screen, relaying.
        self._relay = relay
        # Saved exchanges to open with, in history order; the last one is shown.
        self._preloaded = [*exchanges, *([exchange] if exchange is not None else [])]
        last = self._preloaded[-1] if self._preloaded else None
        self.explorer = Explorer(self.templates, lab)
        self.finder = Finder(self)
        # Presentation: the two views picked last stay, large, in a high-contrast theme.
        self.presenting = Presenting()
        self.presented = ["received", "decoded"]
        self.explorer.open_on(host, port, template, transport, last)
        self._run = 0
        self._bridge: Bridge | None = None
        self._live: Exchange | None = None
        self._rows = ByteRows(b"")
        # The shown exchange's received bytes, counted as its events arrive, and its
        # analysis with what it was made from (made again only when that changed).
        self._tally = Tally()
        self._analysed: tuple[tuple[object, ...], Analysis | None] = ((), None)
        # The running exchange's analysis, fed only what arrived since the last redraw.
        self._live_analysis: LiveAnalysis | None = None
        self._headers_of: tuple[object, ...] = ()
        self._state = State.READY
        self._settled = asyncio.Event()
        self._settled.set()
        self._throttle = Throttle(self, REDRAW_INTERVAL)
        # The request text as a template last rendered it: while the editor still
        # holds exactly that, a new host or port renders the template again.
        self._rendered_text: str | None = None
        self.options = Options()
        # The capture file of each run while it streams (it joins the history with it).
        self._capture_by_run: dict[int, str] = {}
        # The live persistent session (None once it has ended: it is then in the history).
        self.session: SessionBridge | None = None
        self._session_note = ""  # the engine's refusal of the last command, if it refused
        self._front = "sent"  # the view in front when one shows at a time

    # ---- layout -------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        """The explorer's screen, with its breakpoint classes from the start: Textual sets
        them at the first resize, which would restyle every widget once more in the first
        frame."""
        width, height = self.size
        classes = (
            breakpoint_class(width, self.HORIZONTAL_BREAKPOINTS),
            breakpoint_class(height, self.VERTICAL_BREAKPOINTS),
        )
        return ExplorerScreen(id="_default", classes=" ".join(classes))

    def compose(self) -> ComposeResult:
        yield TargetBar(self.templates, self.lab, self.explorer.fields, id="target-bar")
        yield RequestEditor(id="request")
        if one_view_at_a_time(self.size):
            yield self._view_tabs()
        yield FindBar(id="find-bar")
        with Container(id="views"):
            sent = SentPane("Sent", id="sent")
            sent.add_class("-active", update=False)  # the first tab; styled as it mounts
            yield sent
            yield ReceivedPane("Received", id="received")
            yield DecodedPane("Decoded", id="decoded")
            yield HeadersPane("Headers", id="headers")
            with Pane("Timeline", id="timeline-pane"):
                yield Timeline(id="timeline")
            with Pane("History", id="history-pane"):
                yield History(self.explorer.kept, self.templates, id="history")
        yield StatusLine(id="status")
        yield KeyFooter()

    def on_load(self) -> None:
        # Start-up builds tens of thousands of objects that live as long as the app: the
        # collector would walk them over and over before the first frame.
        self._collecting = gc.isenabled()
        gc.disable()

    def _started(self) -> None:
        """After the first frame: what start-up built is frozen, so the collector never
        walks it, and a full collection during a large stream pauses the screen (and a
        key press) for a fraction as long."""
        gc.freeze()
        if self._collecting:
            gc.enable()
        if self.lab is not None:
            # An in-process lab makes its TLS identity now, off the UI thread: a Send to
            # https soon after finds the CA file written (or waits for it).
            self.run_worker(self.lab.make_identity, thread=True, exit_on_error=False)

    def on_mount(self) -> None:
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.call_after_refresh(self._started)
        if not self._cursor_blink:
            for field in self.query("Input, TextArea"):
                field.cursor_blink = False  # type: ignore[attr-defined]
        # f2 zooms; escape (Textual's) also puts the pane back: both show in its title.
        self.watch(self.screen, "maximized", self._zoom_changed, init=False)
        bar = self.query_one(TargetBar)
        if self.template_problems:
            bar.set_notes([template_note(self.template_problems)])
        editor = self.query_one(RequestEditor)
        if self._preloaded:
            exchange = self._preloaded[-1]
            template = self.templates.get(exchange.template or "")
            editor.line_protocol = bool(template and template.line_protocol)
            if template is not None and template.is_hex:
                editor.toggle_mode()
            editor.set_bytes(exchange.request)
            for saved in self._preloaded:
                self._add_to_history(saved)
            self._show_reply_view()  # at 80x24 too, what came back comes first
            self._show_exchange(exchange, final_state(exchange))
        else:
            template = self.explorer.template
            if template is not None:
                self._fill_request(template)
            self._show_exchange(None, State.READY)
        bar.focus_host()
        if self._listen is not None:
            from sockscope.tui.screens.listen import ListenScreen

            self.push_screen(
                ListenScreen(self._listen, start=True, cursor_blink=self._cursor_blink)
            )
        if self._relay is not None:
            from sockscope.tui.screens.relay import RelayScreen

            self.push_screen(RelayScreen(self._relay, start=True))

    # ---- templates ----------------------------------------------------------------

    def _fill_request(self, template: Template) -> None:
        """Render `template` for the target's host and port into the editor."""
        editor = self.query_one(RequestEditor)
        editor.line_protocol = template.line_protocol
        try:
            data = template.render(self.explorer.render_host(), self.explorer.render_port())
        except TemplateError as exc:
            self.notify(str(exc), title="template", severity="error")
            return
        if template.is_hex != editor.is_hex:
            editor.toggle_mode()
        editor.set_bytes(data)
        self._rendered_text = editor.text

    def _show_fields(self) -> None:
        self.query_one(TargetBar).show(self.explorer.fields)

    @on(TargetBar.TemplateChosen)
    def _template_chosen(self, event: TargetBar.TemplateChosen) -> None:
        if event.name != self.explorer.fields.template:
            self.choose_template(event.name)

    @on(TargetBar.TransportChosen)
    def _transport_chosen(self, event: TargetBar.TransportChosen) -> None:
        if self.explorer.choose_transport(event.transport):
            self._show_fields()
            self._target_changed()

    @on(TargetBar.TargetEdited)
    def _target_edited(self, event: TargetBar.TargetEdited) -> None:
        if self.explorer.typed(event.field, event.value):
            self._target_changed()

    def _take_typed_fields(self) -> None:
        """What the host and port fields hold now: their edit messages may still be on
        their way when a send comes straight after the keys."""
        bar = self.query_one(TargetBar)
        host = self.explorer.typed("host", bar.host_text)
        if self.explorer.typed("port", bar.port_text) or host:
            self._target_changed()

    def _target_changed(self) -> None:
        """The host or port changed: a request the template rendered names them."""
        template = self.explorer.template
        # Quitting removes the widgets while a field's edit may still be on its way.
        editor = self.query_one_optional(RequestEditor)
        if template is not None and editor is not None and editor.text == self._rendered_text:
            self._fill_request(template)

    def choose_template(self, name: str | None) -> None:
        """Use template `name`: its transport, its port where the port is not the
        user's, and its request (chosen again, the request starts afresh)."""
        template = self.explorer.choose_template(name)
        self._show_fields()
        if template is not None:
            self._fill_request(template)

    def lab_services(self) -> Iterator[tuple[str, str]]:
        if self.lab is not None:
            yield from self.lab.services()

    def open_lab_service(self, service: str, template: str) -> None:
        """Point the bar at a lab service and pick the template that talks to it."""
        chosen = self.explorer.open_lab_service(service, template)
        self._show_fields()
        if chosen is not None:
            self._fill_request(chosen)

    # ---- sending ------------------------------------------------------------------

    @on(TargetBar.SendRequested)
    def _send_requested(self) -> None:
        self.action_send()

    def action_send(self) -> None:
        self._after_typed_keys(self._send_now)

    def _after_typed_keys(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the keys typed before its key are in their field: a
        priority key runs at once, while the keys typed before it may still wait in the
        focused widget's queue (fast typing, a busy screen)."""
        focused = self.focused
        if focused is None:
            callback()
        else:
            focused.call_later(callback)

    def _send_now(self) -> None:
        """Send the editor's bytes: on the live session if there is one, else as a new
        exchange (step by step when the template is a dialogue the editor still holds)."""
        self._take_typed_fields()
        request = self._editor_bytes()
        if request is None:
            return
        if self.session is not None:
            refusal = self.session.session.send(request)
            if refusal is None:
                self._show_reply_view()  # the peer's answer, at 80x24 too
            self._command(refusal)
            return
        target = self._bar_target()
        if target is None:
            return
        template = self.explorer.template
        policy = self.options.read_policy(self._template_policy(template))
        dialogue = None
        # A dialogue runs step by step while the editor still holds what the template
        # rendered; an edited request is sent as it stands, in one go.
        editor_text = self.query_one(RequestEditor).text
        if template is not None and template.steps and editor_text == self._rendered_text:
            dialogue = self._dialogue(template, target)
            if dialogue is None:
                return
        self._start(
            target,
            request,
            policy,
            template.name if template else None,
            self.options.capture_file,
            dialogue,
        )

    def _editor_bytes(self) -> bytes | None:
        """The request bytes; None (the editor names the column, a bell) if they do not parse."""
        editor = self.query_one(RequestEditor)
        try:
            return editor.request_bytes()
        except PayloadError:
            editor.refresh_info()
            editor.query_one("TextArea").focus()
            self.bell()
            return None

    def _bar_target(self) -> Target | None:
        """Where the bar points; None (the bar and the status line name the field, a
        bell) if it is invalid."""
        problems = self.query_one(TargetBar).revalidate()
        try:
            target = None if problems else self.explorer.target(self.options.tls)
        except FieldError as exc:
            problems = [str(exc)]
            target = None
        if target is None:
            self.bell()
            note = sanitize(f"not sent: {' · '.join(problems)}")
            self.query_one(StatusLine).show(self._state, self.explorer.current, note)
        return target

    def _dialogue(self, template: Template, target: Target) -> Dialogue | None:
        host = "localhost" if target.transport.is_unix else target.host
        try:
            return template.dialogue(host, target.port)
        except TemplateError as exc:
            self.notify(str(exc), title="template", severity="error")
            return None

    @staticmethod
    def _template_policy(template: Template | None) -> ReadPolicy:
        return template.read_policy(ReadPolicy()) if template else ReadPolicy()

    def _start(
        self,
        target: Target,
        request: bytes,
        policy: ReadPolicy,
        template: str | None,
        capture_file: str | None = None,
        dialogue: Dialogue | None = None,
    ) -> None:
        capture: BinaryIO | None = None
        if capture_file is not None:
            from sockscope.tui.writable import refuse_unless_regular

            try:
                refuse_unless_regular(capture_file)
                capture = open(capture_file, "wb")  # noqa: SIM115 - the worker closes it
            except OSError as exc:
                self.bell()
                note = f"cannot write the capture file {capture_file}: {exc.strerror or exc}"
                self.query_one(StatusLine).show(self._state, None, note)
                return
        self._run += 1
        if capture_file is not None:
            self._capture_by_run[self._run] = capture_file
        self._live = Exchange(target, request, policy, template=template, started_at=time.time())
        self._bridge = Bridge(self, self._run, self._live)
        self._live_analysis = None
        self._settled.clear()
        self._show_reply_view()
        self._show_exchange(self._live, State.CONNECTING, live=True)
        # exclusive=True cancels the previous run's worker: its engine sees the event.
        self._converse(self._bridge, target, request, policy, template, capture, dialogue)

    @work(thread=True, exclusive=True, group="conversation", exit_on_error=False)
    def _converse(
        self,
        bridge: Bridge,
        target: Target,
        request: bytes,
        policy: ReadPolicy,
        template: str | None,
        capture: BinaryIO | None,
        dialogue: Dialogue | None,
    ) -> None:
        cancel = get_current_worker().cancelled_event
        bridge.converse(target, request, policy, cancel, template, capture, dialogue)

    # ---- persistent sessions ------------------------------------------------------

    def action_connect(self) -> None:
        self._after_typed_keys(self._connect_now)

    def _connect_now(self) -> None:
        """Open a persistent session to the bar's target; replies show as they come."""
        self._take_typed_fields()
        if self.session is not None:
            self._command(self.session.session.why_not(Action.CONNECT))
            return
        target = self._bar_target()
        if target is None:
            return
        if self._live is not None:
            # One conversation at a time on screen: the running one is cancelled and
            # lands in the history, the session takes the panes.
            self.workers.cancel_group(self, "conversation")
            self._live = None
            self._throttle.cancel()
        template = self.explorer.template
        policy = self.options.read_policy(self._template_policy(template))
        bridge = SessionBridge(self, target, policy, template.name if template else None)
        self.session = bridge
        self.explorer.session = bridge.session
        self._live_analysis = None
        self._settled.clear()
        self.explorer.compare_mark = None
        self.query_one(History).mark(None)
        timeline = self.query_one(Timeline)
        timeline.turns_view = True  # a session is a dialogue: show it turn by turn
        self.query_one("#timeline-pane").border_title = "Turns"
        self._command(bridge.session.connect())
        self.refresh_bindings()

    def action_half_close(self) -> None:
        if self.session is not None:
            self._command(self.session.session.half_close())

    def action_close_session(self) -> None:
        if self.session is not None:
            self._command(self.session.session.close())

    def action_reset_session(self) -> None:
        if self.session is not None:
            self._command(self.session.session.reset())

    def action_start_tls(self) -> None:
        if self.session is not None:
            self._command(self.session.session.start_tls())

    def _command(self, refusal: str | None) -> None:
        """After a session command: the engine's refusal in the status line, or the
        session as it now is."""
        if refusal is not None:
            self.bell()
        # A refusal stays in sight while replies stream in, until the next command or
        # change of state.
        self._session_note = refusal or ""
        self._redraw_session()

    def _redraw_session(self) -> None:
        bridge = self.session
        if bridge is None or not self.is_running:
            return
        exchange = bridge.snapshot()
        self._show_exchange(exchange, State.RECEIVING, live=True)
        session = bridge.session
        self.query_one(StatusLine).show_session(
            session.state, exchange, session.message, self._session_note
        )

    @on(SessionUpdate)
    def _session_update(self, message: SessionUpdate) -> None:
        if message.bridge is self.session:
            self._throttle.request(self._redraw_session)

    @on(SessionChanged)
    def _session_changed(self, message: SessionChanged) -> None:
        bridge = message.bridge
        if bridge is not self.session:
            return
        self._session_note = ""
        if not message.state.ended:
            self._redraw_session()
            self.refresh_bindings()
            return
        self._throttle.cancel()
        self.session = self.explorer.session = None
        final = bridge.snapshot()
        self._add_to_history(final)
        self._show_exchange(final, final_state(final))
        self.refresh_bindings()
        self._settled.set()

    def refusal(self, action: str, *parameters: object) -> str | None:
        """Why `action` cannot run now, in one plain sentence; None if it can. Keys and
        palette commands both ask here (check_action for keys, run_command for the
        palette), so neither runs what the other would refuse."""
        if self._on_listen():
            if action in LISTEN_SCREEN_ACTIONS or action not in self.EXPLORER_ACTIONS:
                return None
            if self._front_is("RelayScreen"):
                return "not on the Relay screen: escape leaves it (and stops relaying)"
            return "not on the Listen screen: escape leaves it (and stops listening)"
        return self.explorer.why_not(action, *parameters)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Session commands only while a session is live, greyed out when its state
        refuses them; the one-shot actions step aside meanwhile, and Listen is greyed
        out. On the Listen screen, which has keys of its own, only quitting, help and
        zoom remain."""
        if action == "focus_request" and self.focused is self._request_text():
            return False  # the editor's own ctrl+e: end of line
        if action == "help" and _is_screen(self.screen, "HelpScreen"):
            return False  # the help's own f1 closes it
        if (
            action in self.EXPLORER_ACTIONS
            and action not in LISTEN_SCREEN_ACTIONS
            and not isinstance(self.screen, ExplorerScreen)
        ):
            return False  # a dialog, the palette or Listen is in front: keys are theirs
        if self.refusal(action, *parameters) is None:
            return True
        if self._on_listen():
            return False
        if action in SESSION_ACTIONS:
            return False if self.session is None else None
        if action == "replay" or (self.session is not None and action in GREYED_IN_SESSION):
            return None
        return False

    def _on_listen(self) -> bool:
        """Whether the Listen or Relay screen is in front: screens with keys of their own."""
        return self._front_is("ListenScreen") or self._front_is("RelayScreen")

    def _front_is(self, name: str) -> bool:
        """Whether screen `name` is in front (under the palette, if that is open)."""
        screens = (s for s in reversed(self.screen_stack) if not isinstance(s, CommandPalette))
        return _is_screen(next(screens, None), name)

    def run_command(self, action: str, *parameters: object) -> None:
        """A palette command: run as its key would, or say why not. Session commands
        the state refuses run anyway: they name the refusal on the status line."""
        reason = self.refusal(action, *parameters)
        if reason is None or (self.session is not None and action in NAME_THEIR_REFUSAL):
            getattr(self, f"action_{action}")(*parameters)
            return
        self.bell()
        self.notify(reason, title="not now", severity="warning")

    def on_key(self, event: events.Key) -> None:
        """A greyed-out key still says why when pressed: Textual passes a key whose
        binding is disabled on to the widgets, and so here."""
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.node is self and not active.enabled:
            self.run_command(active.binding.action)

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        gc.unfreeze()
        if self._collecting:
            gc.enable()  # should the app end before its first frame
        self.explorer.kept.close()
        if self.session is not None:
            self.session.session.close()

    def action_cancel(self) -> None:
        if self._live is None:
            return
        self.workers.cancel_group(self, "conversation")
        # Say so at once; the engine stops within 100 ms and reports the final bytes.
        self._show_exchange(self._live, State.CANCELLED, live=True)

    async def wait_for_conversation(self) -> None:
        """Until the latest exchange has finished and been shown (for tests)."""
        await self._settled.wait()

    @on(ConversationUpdate)
    def _take_live_events(self, message: ConversationUpdate) -> None:
        events = message.bridge.drain()
        live = self._live
        if live is None or message.bridge is not self._bridge:
            return
        live.events.extend(events)
        self._throttle.request(self._redraw_live)

    def _redraw_live(self) -> None:
        live = self._live
        # Quitting closes the screens while a redraw timer may still fire.
        if live is None or not self.is_running:
            return
        state = self._state
        if state is State.CONNECTING and any(
            e.type in (EventType.CONNECT, EventType.SEND, EventType.RECV) for e in live.events
        ):
            state = State.RECEIVING
        self._show_exchange(live, state, live=True)

    @on(ConversationDone)
    def _conversation_finished(self, message: ConversationDone) -> None:
        self._add_to_history(message.exchange, self._capture_by_run.pop(message.run, None))
        if message.run != self._run or self.session is not None:
            return  # a cancelled run: kept in the history, not shown over what runs now
        self._throttle.cancel()
        self._live = None
        self._show_exchange(message.exchange, final_state(message.exchange))
        self._settled.set()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if (
            worker.group == "conversation"
            and worker.state is WorkerState.ERROR
            and self._live is not None
        ):
            # An engine bug, not a network problem: say so in one sanitised line.
            live = replace(self._live, stop=StopReason.ERROR)
            self._live = None
            self._show_exchange(live, State.FAILED, note=f"internal error: {worker.error!r}")
            self._settled.set()

    # ---- showing ------------------------------------------------------------------

    def _show_exchange(
        self, exchange: Exchange | None, state: State, *, live: bool = False, note: str = ""
    ) -> None:
        self._state = state
        started = self._throttle.drawing()
        if not live:
            self.explorer.current = exchange
        self.query_one(SentPane).show(exchange)
        # Only the events new since the last redraw are looked at; past the capture
        # limit the kept bytes stay the same object, and the views leave them alone.
        received = self._tally.count(exchange)
        # While one exchange streams in (and when it ends) its row index grows from the
        # rows already found; ByteRows.of starts afresh when the bytes are not a
        # continuation. The Received and Decoded views share it.
        rows = ByteRows.of(received, self._rows)
        self._rows = rows
        self.query_one(ReceivedPane).show(exchange, rows, live=live)
        if self._parser_of(exchange) == "telnet":  # the text without the IAC commands
            self.query_one(DecodedPane).show(shown_text(received, "telnet"), live=live)
        else:
            self.query_one(DecodedPane).show(received, live=live, rows=rows)
        self.finder.show_capture(rows)
        if live or len(received) < HEADERS_AFTER_FRAME or self._headers_of[:1] == (exchange,):
            self._show_headers(exchange, received, live)
        else:
            # A large finished capture: its bytes first, its parsed headers a frame later
            # (parsing hands over the body as bytes, a copy as long as the body).
            self.query_one(HeadersPane).show_parsing(len(received))
            self._headers_of = ()
            self.call_after_refresh(self._show_headers, exchange, received, live)
        self.query_one(Timeline).show(exchange, live=live)
        if exchange is None:
            capture = None
        elif live:
            capture = self._capture_by_run.get(self._run)
        else:
            capture = self.explorer.capture_of(exchange)
        self.query_one(StatusLine).show(state, exchange, note, capture)
        # The redraw's cost counts the frame it paints, which costs more than the redraw.
        self.call_after_refresh(self._throttle.drawn, started)

    def _show_headers(
        self, exchange: Exchange | None, received: bytes | memoryview, live: bool
    ) -> None:
        if not live and exchange is not self.explorer.current:
            return  # another exchange was shown before this one's turn came
        analysis = self._analysis(exchange, received, live)
        headers_of = (exchange, analysis, self._tally.others)
        if headers_of != self._headers_of:
            self._headers_of = headers_of
            self.query_one(HeadersPane).show(exchange, analysis, received)
        if analysis is not None and analysis.http is not None:
            # A coded body decoded as it arrives, in the charset it names.
            self.query_one(DecodedPane).show_http(analysis.http, live=live)

    def _parser_of(self, exchange: Exchange | None) -> str | None:
        template = self.templates.get(exchange.template or "") if exchange else None
        return template.parser if template else None

    def _analysis(
        self, exchange: Exchange | None, received: bytes | memoryview, live: bool
    ) -> Analysis | None:
        """`analyse` again only when what it reads changed: not while only the counters
        move past the capture limit. While an exchange runs only its new bytes are parsed."""
        if not live:
            self._live_analysis = None
        if exchange is None or not received:
            return None
        parser = self._parser_of(exchange)
        made_of = (exchange.request, parser, received, exchange.stop, self._tally.truncated)
        key, analysis = self._analysed
        if len(key) != len(made_of) or any(a is not b for a, b in zip(key, made_of, strict=True)):
            if live:
                if self._live_analysis is None or self._live_analysis.parser != parser:
                    self._live_analysis = LiveAnalysis(parser, body=False)  # as below
                analysis = self._live_analysis.update(
                    exchange, received=received, bytes_in=self._tally.bytes_in
                )
            else:
                # body=False: a body that is one span of the received bytes stays there
                # (the panes read it by its span), not a second copy of a large capture.
                analysis = analyse(exchange, parser, body=False)
            self._analysed = (made_of, analysis)
        return analysis

    def _add_to_history(self, exchange: Exchange, capture: str | None = None) -> None:
        self.explorer.add(exchange, capture)
        self.query_one(History).add(exchange)

    @on(OptionList.OptionSelected, "#history")
    def _recall(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        exchange = self.explorer.history[index].exchange
        pair = self.explorer.select(index)
        self.query_one(History).mark(None)
        if pair is not None:
            from sockscope.tui.screens.compare import CompareScreen

            # The status line asked for this second entry: the question is answered.
            self.query_one(StatusLine).show(self._state, self.explorer.current)
            left, right = (self.explorer.history[i].exchange for i in pair)
            self.push_screen(CompareScreen((pair[0] + 1, left), (pair[1] + 1, right)))
            return
        if self.session is None:  # a live session keeps the panes
            self._show_exchange(exchange, final_state(exchange))

    # ---- compare ------------------------------------------------------------------

    def action_compare(self) -> None:
        """Mark the shown exchange; the next history entry selected is compared with it.
        Again (or on the marked entry itself) drops the mark."""
        had_mark = self.explorer.compare_mark is not None
        if not had_mark and self._finished_exchange() is None:
            return
        marked = self.explorer.toggle_compare()
        history = self.query_one(History)
        history.mark(marked)
        if marked is None:
            status = self.query_one(StatusLine)
            status.show(self._state, self.explorer.current, "comparison dropped")
            return
        history.highlighted = marked
        history.focus()
        self._show_view("history-pane")
        self.query_one(StatusLine).show(
            self._state,
            self.explorer.current,
            f"compare #{marked + 1} with…: select another history entry (f4 again drops it)",
        )

    def action_toggle_turns(self) -> None:
        """The timeline as turns (who spoke, when, how much) or as every event."""
        timeline = self.query_one(Timeline)
        timeline.turns_view = not timeline.turns_view
        self.query_one("#timeline-pane").border_title = (
            "Turns" if timeline.turns_view else "Timeline"
        )
        if self.session is not None:
            self._redraw_session()
        else:
            timeline.show(self.explorer.current)

    # ---- narrow layout: one view at a time ------------------------------------------

    def _view_tabs(self) -> Tabs:
        """The tabs that bring one view forward. A wide screen never shows them: they are
        made only once the screen is narrow or short (at start, or when it is resized), and
        their module imported then."""
        from textual.widgets import Tab, Tabs

        tabs = (Tab(label, id=f"tab-{pane}") for pane, label in VIEWS)
        return Tabs(*tabs, id="view-tabs", active=f"tab-{self._front}")

    def on_resize(self, event: events.Resize) -> None:
        """The first time the screen is narrow or short, the view tabs join it."""
        explorer = self.screen_stack[0] if self.screen_stack else None
        if (
            one_view_at_a_time(event.size)
            and explorer is not None
            and explorer.query("#request")
            and not explorer.query("#view-tabs")
        ):
            explorer.mount(self._view_tabs(), after="#request")

    def _show_view(self, pane: str) -> None:
        """Bring `pane` forward in the narrow layout (in the wide one every pane shows)."""
        tabs = self.screen_stack[0].query("#view-tabs")
        if tabs:
            from textual.widgets import Tabs

            tabs.first(Tabs).active = f"tab-{pane}"  # the tab says so, then the panes
        else:
            self._bring_forward(pane)

    def _show_reply_view(self) -> None:
        """A new exchange shows its reply: unless a view of the reply is in front already,
        Received comes forward, so at 80x24 ctrl+s never leaves the reply out of sight."""
        if self._front not in ("received", "decoded", "headers"):
            self._show_view("received")

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        # By its name, not @on(Tabs.TabActivated, ...), so Tabs is imported only with them.
        if event.tabs.id == "view-tabs":
            self._bring_forward((event.tab.id or "").removeprefix("tab-"))

    def _bring_forward(self, chosen: str) -> None:
        """Pane `chosen` is the one shown when one view shows at a time."""
        self._front = chosen
        for pane in self.screen_stack[0].query(".pane"):
            pane.set_class(pane.id == chosen, "-active")

    # ---- other actions ------------------------------------------------------------

    def action_toggle_hex(self) -> None:
        editor = self.query_one(RequestEditor)
        if not editor.toggle_mode():
            self.bell()
        self.refresh_bindings()  # the footer names the other mode

    def action_crlf(self) -> None:
        self.query_one(RequestEditor).to_crlf()

    def action_options(self) -> None:
        if _is_screen(self.screen, "OptionsScreen"):
            return
        from sockscope.tui.screens.options import OptionsScreen

        base = self._template_policy(self.explorer.template)
        self.push_screen(OptionsScreen(self.options, base), self._options_chosen)

    def _options_chosen(self, options: Options | None) -> None:
        if options is not None:
            self.options = options
            self._show_options()

    def _show_options(self) -> None:
        self.query_one(TargetBar).set_options_summary(
            not self.options.tls.verify, options_summary(self.options)
        )

    # ---- save, export, replay -------------------------------------------------------

    def _finished_exchange(self) -> tuple[int, Exchange] | None:
        """The exchange shown and its history number; None (with a bell) if none is."""
        chosen = self.explorer.shown_with_number()
        if chosen is None:
            self.bell()
            self.notify("no finished exchange to use yet", severity="warning")
        return chosen

    def action_save(self) -> None:
        chosen = self._finished_exchange()
        if chosen is not None:
            self.export(chosen, "json", "Save transcript", "save-path")

    def action_export(self, fmt: str) -> None:
        chosen = self._finished_exchange()
        if chosen is not None:
            self.export(chosen, fmt, f"Export as {fmt}", "export-path")

    def export(
        self,
        chosen: tuple[int, Exchange],
        fmt: str,
        title: str,
        screen_id: str,
        stem: str = "sockscope",
    ) -> None:
        """Ask where, then write `chosen` (its number names the default file, as
        `{stem}-{number}`) as `fmt`; the Listen screen's clients use it too."""
        from sockscope.export import ExportError
        from sockscope.export.formats import SUFFIX, write_export
        from sockscope.tui.screens.path import PathScreen

        number, exchange = chosen

        def write(path: str) -> str | None:
            try:
                write_export(exchange, fmt, Path(path))
            except ExportError as exc:
                return app_words(str(exc))
            except OSError as exc:
                return f"cannot write {path}: {exc.strerror or exc}"
            return None

        def say_written(path: str | None) -> None:
            if path is not None:
                self.notify(f"#{number} written to {path}", title=title)

        default = f"{stem}-{number}{SUFFIX[fmt]}"
        self.push_screen(PathScreen(title, default, write, id=screen_id), say_written)

    def action_replay(self) -> None:
        """The shown exchange's exact request bytes to its target again, with the same
        TLS options and read policy, as a new history entry; a dialogue or a session
        turn by turn, each turn after the reply that came before it."""
        chosen = self._finished_exchange()
        if chosen is None:
            return
        _number, exchange = chosen
        template = self.templates.get(exchange.template or "")
        self._start(
            exchange.target,
            exchange.request,
            exchange.policy,
            exchange.template,
            self.explorer.capture_of(exchange),
            replay_dialogue(exchange, template),
        )

    def action_teach(self) -> None:
        """The shown exchange as a sequence diagram, in the playback screen (at its end:
        space plays it from the start)."""
        chosen = self._finished_exchange()
        if chosen is not None:
            from sockscope.tui.screens.playback import PlaybackScreen

            self.push_screen(PlaybackScreen(chosen[1], at_end=True))

    def _zoom_changed(self, maximized: Widget | None) -> None:
        for pane in self.query(Pane):
            pane.show_zoomed(pane is maximized)

    def action_zoom(self) -> None:
        """Give the focused view the whole screen, or put it back."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        elif screen.focused is not None:
            pane = pane_of(screen.focused)
            if pane is not None:
                screen.maximize(pane, container=False)

    def action_present(self) -> None:
        """Presentation on or off: two large views and a high-contrast theme, for a room."""
        self.presenting.toggle(self)
        self._show_presented()

    def action_present_pane(self, pane: str) -> None:
        """Show view `pane` beside the one picked before it (presenting from then on)."""
        self.presented = pick(self.presented, pane)
        if not self.presenting.on:
            self.presenting.toggle(self)
        self._show_presented()

    def _show_presented(self) -> None:
        screen = self.screen_stack[0]  # the explorer's, whatever is in front of it
        presenting = self.presenting.on
        screen.set_class(presenting, "-presenting")
        for pane, _label in VIEWS:
            screen.query_one(f"#{pane}").set_class(
                presenting and pane in self.presented, "-presented"
            )

    def action_listen(self) -> None:
        """Listen mode: be the server and watch each client's conversation."""
        if not _is_screen(self.screen, "ListenScreen"):
            from sockscope.tui.screens.listen import ListenScreen

            self.push_screen(ListenScreen(cursor_blink=self._cursor_blink))

    def action_relay(self) -> None:
        """Relay mode: stand between a client and a server and watch both directions."""
        if not _is_screen(self.screen, "RelayScreen"):
            from sockscope.tui.screens.relay import RelayScreen

            self.push_screen(RelayScreen(lab_host=self.lab.host if self.lab else None))

    def on_serving_screen_left(self, message: ServingScreen.Left) -> None:
        """Leaving Listen or Relay: each conversation joins the history, so that save,
        export and compare work on it as on any exchange."""
        self._joined(message.exchanges, message.noun, message.title)

    def _joined(self, exchanges: list[Exchange], noun: str, title: str) -> None:
        if not exchanges:
            return
        for exchange in exchanges:
            self._add_to_history(exchange)
        count = len(exchanges)
        self.notify(f"{count} {noun}{'s' if count != 1 else ''} added to the history", title=title)

    def action_help(self) -> None:
        if not _is_screen(self.screen, "HelpScreen"):
            from sockscope.tui.screens.help import HelpScreen
            from sockscope.tui.screens.listen import ListenScreen
            from sockscope.tui.screens.relay import RelayScreen

            screens = [*ListenScreen.BINDINGS, *RelayScreen.BINDINGS]
            # Asked on Listen or Relay, the help opens at that screen's keys.
            at = next(
                (n for n in ("Listen", "Relay") if _is_screen(self.screen, f"{n}Screen")), None
            )
            self.push_screen(HelpScreen([*self.BINDINGS, *screens], at=at))

    # ---- going straight to a place ------------------------------------------------

    def _request_text(self) -> TextArea:
        return self.query_one("#request-text", TextArea)

    def action_focus_request(self) -> None:
        self._request_text().focus()

    def action_find(self) -> None:
        """Find in the focused pane's bytes: Sent or Decoded, else Received (ctrl+f
        again from the bar keeps the pane it searches)."""
        where = self.finder.where
        if not self.query_one(FindBar).has_focus_within:
            where = self.finder.focused_where()
        self._show_view(where)  # at 80x24, the pane searched comes forward
        if self.screen.maximized is not None:
            self.screen.minimize()  # a zoomed pane hides the bar: it would take keys unseen
        self.finder.open(where)

    @on(DecodedPane.Shown, "#decoded")
    def _decoded_shown(self) -> None:
        self.finder.refresh()

    def action_find_step(self, forward: bool) -> None:
        self.finder.step(forward)

    @on(FindBar.Changed)
    def _find_changed(self, message: FindBar.Changed) -> None:
        self.finder.search(message.query, message.mode)

    @on(FindBar.Step)
    def _find_step(self, message: FindBar.Step) -> None:
        self.finder.step(message.forward)

    @on(FindBar.Closed)
    def _find_closed(self) -> None:
        self.finder.close()

    def _copy_source(self) -> tuple[bytes | memoryview, str] | None:
        """The bytes a copy takes and what they are: the focused view's selection; in the
        explorer the current match or the linked part; else the focused pane's bytes (in
        the explorer, from a pane of text or outside the panes: Received's)."""
        view = self.screen.focused
        selected = view.selected_bytes() if isinstance(view, LineView) else None
        if selected is not None:
            return selected, "the selection"
        explorer = isinstance(self.screen, ExplorerScreen)
        if explorer:
            if self.explorer.current is None and self._live is None:  # nothing shown
                self.bell()
                self.notify("nothing to copy yet", severity="warning")
                return None
            selected = self.finder.selected()
            if selected is not None:
                return selected, "the highlighted bytes"
        pane = pane_of(view)
        data = None if pane is None else pane.copyable
        if explorer and data is None:
            pane = self.query_one(ReceivedPane)
            data = pane.copyable
        if pane is None or data is None:
            self.bell()
            self.notify(
                "nothing here to copy: focus a pane of bytes, or select (drag, or v)",
                severity="warning",
            )
            return None
        return data, f"the {pane.title} pane"

    def action_copy(self, form: str) -> None:
        """The clipboard is written here and in action_copy_export only: the user's own
        palette choice or key, never anything a server sent."""
        source = self._copy_source()
        if source is not None:
            data, what = source
            if len(data) > MAX_CLIPBOARD:
                self.bell()
                self.notify(
                    f"{what} ({human_bytes(len(data))}) is more than the "
                    f"{human_bytes(MAX_CLIPBOARD)} sockscope puts on the clipboard: select "
                    "less, or use the palette's 'Copy to file'",
                    severity="warning",
                )
                return
            self.copy_to_clipboard(copy_form(bytes(data), form))
            self.notify(f"{what} ({human_bytes(len(data))}) as {form}. {CLIPBOARD_NOTE}")

    def action_copy_to_file(self, form: str) -> None:
        from sockscope.tui.screens.path import PathScreen

        source = self._copy_source()
        if source is None:
            return
        data, what = source

        def write(path: str) -> str | None:
            # Opened here, so the field says what is wrong with the path; filled in a
            # thread: the text of 64 MiB of binary bytes takes many seconds to make.
            try:
                file = open(path, "w", encoding="utf-8")  # noqa: SIM115 (fill closes it)
            except OSError as exc:
                return f"cannot write {path}: {exc.strerror or exc}"

            def fill() -> None:
                try:
                    with file:
                        file.write(copy_form(bytes(data), form))
                except OSError as exc:
                    said = f"cannot write {path}: {exc.strerror or exc}"
                    self.call_from_thread(self.notify, said, severity="error")
                    return
                self.call_from_thread(self.notify, f"{what} as {form} written to {path}")

            self.run_worker(fill, thread=True, group="copy-to-file")
            return None

        self.push_screen(
            PathScreen(f"Copy {what} as {form} to", f"sockscope-copy.{form}", write, id="copy-path")
        )

    def action_copy_export(self, fmt: str) -> None:
        from sockscope.export import ExportError
        from sockscope.export.formats import render

        chosen = self._finished_exchange()
        if chosen is None:
            return
        try:
            text = render(chosen[1], fmt)
        except ExportError as exc:
            self.bell()
            self.notify(app_words(str(exc)), severity="warning")
            return
        assert isinstance(text, str)  # curl, ncat and python are text
        self.copy_to_clipboard(text)
        self.notify(f"#{chosen[0]} as {fmt}. {CLIPBOARD_NOTE}")

    @on(HeadersPane.Linked)
    def _linked(self, message: HeadersPane.Linked) -> None:
        self.finder.link(message.span)

    @on(ReceivedPane.Pointed)
    def _pointed(self, message: ReceivedPane.Pointed) -> None:
        """The Received cursor moved: name the parts its row belongs to, link the bytes of
        the first and put the Headers cursor on it; Received stays where the user is."""
        headers = self.query_one(HeadersPane)
        found = headers.fields_of(message.start, message.end)
        self.query_one(ReceivedPane).name_parts(*part_names([field for _, field in found]))
        self.finder.link(found[0][1].span if found else None, scroll=False)
        if found:
            headers.point_at(found[0][0])

    def action_focus_target(self) -> None:
        self.query_one(TargetBar).focus_host()

    def action_focus_history(self) -> None:
        # In the narrow layout the history is a tab: show it first.
        self._show_view("history-pane")
        self.query_one(History).focus()


# The screens load when first opened, not with the explorer: most sessions never open
# them, and their imports would lengthen every start-up.
_SCREEN_MODULES = {
    "HelpScreen": "sockscope.tui.screens.help",
    "ListenScreen": "sockscope.tui.screens.listen",
    "RelayScreen": "sockscope.tui.screens.relay",
    "OptionsScreen": "sockscope.tui.screens.options",
}


def _is_screen(screen: object, name: str) -> bool:
    """isinstance(screen, name) without importing the screen's module: a screen whose
    module was never loaded cannot be open."""
    module = sys.modules.get(_SCREEN_MODULES[name])
    return module is not None and isinstance(screen, getattr(module, name))


def breakpoint_class(size: int, breakpoints: Sequence[tuple[int, str]]) -> str:
    """The class Textual's breakpoints give a screen `size` cells wide (or high)."""
    return max((limit, name) for limit, name in breakpoints if size >= limit)[1]


def one_view_at_a_time(size: Size) -> bool:
    """Whether a screen of `size` shows one view at a time, under tabs (sockscope.tcss:
    `Screen.-narrow, Screen.-short`)."""
    return breakpoint_class(size.width, WIDTHS) == "-narrow" or (
        breakpoint_class(size.height, HEIGHTS) == "-short"
    )


def final_state(exchange: Exchange) -> State:
    if exchange.stop is StopReason.CANCELLED:
        return State.CANCELLED
    if exchange.error is not None or exchange.stop in (StopReason.ERROR, StopReason.EXPECTATION):
        return State.FAILED
    return State.DONE
