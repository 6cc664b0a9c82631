"""The command palette: the main actions, every template, and the lab's services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from sockscope.core.copy_forms import COPY_FORMS
from sockscope.export import FORMATS as EXPORT_FORMATS
from sockscope.tui.content import safe
from sockscope.tui.explorer import VIEWS

if TYPE_CHECKING:
    from sockscope.core.templates import Template
    from sockscope.tui.lab_info import LabInfo


class Commanded(Protocol):
    """What a palette asks of the screen (or app) it serves: whether an action may run
    now, and to run it. The palette imports no screen, so no screen imports it back."""

    def refusal(self, action: str, *parameters: object) -> str | None: ...

    def run_command(self, action: str, *parameters: object) -> None: ...


class ExplorerCommanded(Commanded, Protocol):
    """The explorer, for its palette: its templates and the lab's services too."""

    templates: dict[str, Template]
    template_problems: list[str]  # one line per template file that did not load
    lab: LabInfo | None

    def choose_template(self, name: str | None) -> None: ...

    def lab_services(self) -> Iterator[tuple[str, str]]: ...

    def open_lab_service(self, service: str, template: str) -> None: ...


# Exports that are a command line or a script: worth pasting, so offered for the clipboard.
COPY_EXPORTS = ("curl", "ncat", "python")
COPY_WHAT = "the selection, the current match or linked bytes, else the focused pane"
EXPORT_HELP = {
    "json": "a JSON transcript",
    "python": "a standard-library Python script that replays it",
    "curl": "a curl command line (one plain HTTP/1.x request only)",
    "ncat": "an ncat command line",
    "socat": "a socat command line",
    "pcap": "a pcap capture for Wireshark",
    "diagram": "a sequence diagram, as text",
    "diagram-svg": "a sequence diagram, as an SVG picture",
}


# (palette text, action, help) for the explorer's own actions, in the palette's order.
ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Send", "send", "send the request (ctrl+s)"),
    ("Cancel", "cancel", "stop the running exchange (escape)"),
    ("Session: Connect", "connect", "open a persistent session to the target (f6)"),
    ("Session: Half-close", "half_close", "finish sending; keep reading (f7)"),
    ("Session: Close", "close_session", "close the session gracefully (f8)"),
    ("Session: Reset", "reset_session", "abort the session: the peer sees a RST (f9)"),
    (
        "Session: STARTTLS",
        "start_tls",
        "upgrade the session to TLS, after the server's go-ahead to STARTTLS (f10)",
    ),
    ("Go to: request editor", "focus_request", "type the bytes to send (ctrl+e)"),
    ("Go to: target", "focus_target", "the host field, then port, transport, template (ctrl+b)"),
    ("Find", "find", "search the received bytes: text, \\r\\n escapes or hex (ctrl+f)"),
    ("Go to: history", "focus_history", "every exchange so far; enter shows one (ctrl+n)"),
    ("Switch text / hex", "toggle_hex", "edit the request as text or as hex (ctrl+t)"),
    ("Convert bare LF to CRLF", "crlf", "fix line endings of the request (ctrl+r)"),
    ("Options", "options", "TLS, when to stop reading, capture file (ctrl+o)"),
    ("Save transcript", "save", "write the shown exchange as JSON (f3)"),
    ("Replay", "replay", "send the shown exchange's request bytes again, same options (f5)"),
    (
        "Compare with…",
        "compare",
        "mark the shown exchange; the next history entry chosen is compared (f4)",
    ),
    (
        "Switch turns / events",
        "toggle_turns",
        "the timeline as turns (who spoke, when, how much) or every event (ctrl+l)",
    ),
    ("Listen…", "listen", "be the server: accept clients and watch what each sends (ctrl+g)"),
    ("Relay…", "relay", "stand between a client and a server and watch both directions"),
    (
        "Presentation",
        "present",
        "two large views in a high-contrast theme, or back ('Present:' picks the views)",
    ),
    (
        "Diagram and playback",
        "teach",
        "the shown exchange as a sequence diagram; space plays it back, → steps (f12)",
    ),
    ("Zoom", "zoom", "the focused view gets the whole screen, or back (f2)"),
    ("Help", "help", "keys, panes and stop reasons (f1)"),
)


# The palette's text before each template file problem, which the message line names.
TEMPLATE_PROBLEM = "Template problem"
TEMPLATE_PROBLEM_HELP = "left out at start; `sockscope templates` lists them too"


def template_note(problems: list[str]) -> str:
    """The message line's note on the template files that did not load: how many and
    where to read each, before the first (the line is cut at the screen's width)."""
    count = len(problems)
    noun, them = ("problem", "it") if count == 1 else ("problems", "them")
    where = f'ctrl+p: "{TEMPLATE_PROBLEM}" lists {them}'
    return f"{count} template {noun} ({where}): {problems[0]}"


# What a provider offers: (text, help, callback). The text may quote a user template's
# name and title; the help, a refusal the engine words.
Command = tuple[str, str, Callable[[], object]]
# The longest hit shown: a template title may be as long as its file allows.
MAX_HIT = 200


class Commands(Provider):
    """A provider built from (text, help, callback) triples."""

    def _commands(self) -> Iterator[Command]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for text, help_text, callback in self._commands():
            shown = safe(text, limit=MAX_HIT, one_line=True)
            yield DiscoveryHit(shown, callback, text=shown.plain, help=_help(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, callback in self._commands():
            # A hit is matched, highlighted and put back in the palette's input as it
            # is shown (tokens for control characters): Textual's own highlight would
            # parse the text as markup.
            shown = safe(text, limit=MAX_HIT, one_line=True)
            score, offsets = matcher.fuzzy_search.match(matcher.query, shown.plain)
            if score > 0:
                for offset in offsets:
                    if not shown.plain[offset].isspace():
                        shown = shown.stylize(matcher.match_style, offset, offset + 1)
                yield Hit(score, shown, callback, text=shown.plain, help=_help(help_text))


def _help(text: str) -> str:
    """A hit's help as Content: the palette parses a `str` help as markup, and passes
    Content through as it is (Textual 8.2.8, command.py, `Content.from_markup`)."""
    return safe(text, limit=MAX_HIT, one_line=True)  # type: ignore[return-value]


class SockscopeCommands(Commands):
    def _commands(self) -> Iterator[Command]:
        """(text, help, callback) for everything the palette offers. Each action runs
        through the app's own check, as its key does: one the app refuses now says why
        (in its help here, and when chosen) instead of running."""
        app = cast(ExplorerCommanded, self.app)

        def command(text: str, action: str, help_text: str, *parameters: object) -> Command:
            refusal = app.refusal(action, *parameters)
            return text, refusal or help_text, partial(app.run_command, action, *parameters)

        for text, action, help_text in ACTIONS:
            yield command(text, action, help_text)
            if action == "present":  # which two views presentation keeps
                for pane, label in VIEWS:
                    help_text = f"present the {label} view beside the one picked before it"
                    yield command(f"Present: {label}", "present_pane", help_text, pane)
            if action == "replay":  # the other ways to write the shown exchange
                for fmt in EXPORT_FORMATS:
                    help_text = f"write the shown exchange as {EXPORT_HELP[fmt]}"
                    yield command(f"Export: {fmt}", "export", help_text, fmt)
                for fmt in COPY_EXPORTS:
                    help_text = f"the shown exchange as {EXPORT_HELP[fmt]}, to the clipboard"
                    yield command(f"Copy as {fmt}", "copy_export", help_text, fmt)
                for form in COPY_FORMS:
                    help_text = f"{COPY_WHAT}, as {form}, to the clipboard (y: as text)"
                    yield command(f"Copy: {form}", "copy", help_text, form)
                    help_text = f"{COPY_WHAT}, as {form}, to a file you name"
                    yield command(f"Copy to file: {form}", "copy_to_file", help_text, form)
        if app.refusal("choose_template") is not None:
            return  # the Listen screen: the explorer's bar is not in sight
        for name, template in app.templates.items():
            yield (
                f"Template: {name} · {template.title}",
                f"{template.transport.value}" + (f" port {template.port}" if template.port else ""),
                partial(app.choose_template, name),
            )
        for problem in app.template_problems:
            show = partial(self.app.notify, problem, title="not loaded", severity="warning")
            yield f"{TEMPLATE_PROBLEM}: {problem}", TEMPLATE_PROBLEM_HELP, show
        if app.lab is not None:
            for service, template_name in app.lab_services():
                yield (
                    f"Lab: {service}",
                    f"{app.lab.host} with template {template_name}",
                    partial(app.open_lab_service, service, template_name),
                )


# The Listen screen's own commands: (palette text, action, help).
LISTEN_ACTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "Listen: Start / Stop",
        "toggle_listening",
        "start listening, or stop (ends open clients) (ctrl+l)",
    ),
    ("Listen: Reply", "reply", "send the reply editor's bytes to the selected client (ctrl+s)"),
    ("Listen: Close client", "close_client", "close the selected client's connection (f8)"),
    ("Listen: Save client", "save_client", "write the selected client's conversation (f3)"),
    ("Listen: Switch reply text / hex", "toggle_hex", "edit the reply as text or hex (ctrl+t)"),
    ("Listen: Leave", "leave", "stop listening; the clients join the history (escape)"),
)


# The Relay screen's own commands: (palette text, action, help).
RELAY_ACTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "Relay: Start / Stop",
        "toggle_relaying",
        "start relaying, or stop (ends open connections) (ctrl+l)",
    ),
    ("Relay: Close connection", "close_connection", "close both sides of the selected one (f8)"),
    ("Relay: Save connection", "save_connection", "write the selected connection (f3)"),
    ("Relay: Leave", "leave", "stop relaying; the connections join the history (escape)"),
)


class ScreenCommands(Commands):
    """A screen's own keys, and exports of its selected conversation, in the palette;
    each goes through the screen's own check, as the keys do."""

    ACTIONS: tuple[tuple[str, str, str], ...] = ()
    SAVE = ""  # the save action, after which the exports are offered
    EXPORT = ("", "")  # (palette text before the format, what is exported)

    def _commands(self) -> Iterator[Command]:
        screen = cast(Commanded, self.screen)

        def command(text: str, action: str, help_text: str, *parameters: object) -> Command:
            refusal = screen.refusal(action)
            return text, refusal or help_text, partial(screen.run_command, action, *parameters)

        prefix, what = self.EXPORT
        for text, action, help_text in self.ACTIONS:
            yield command(text, action, help_text)
            if action == self.SAVE:
                for fmt in EXPORT_FORMATS:
                    help_text = f"write {what} as {EXPORT_HELP[fmt]}"
                    export = f"export_{action.removeprefix('save_')}"
                    yield command(f"{prefix}{fmt}", export, help_text, fmt)


class ListenCommands(ScreenCommands):
    ACTIONS = LISTEN_ACTIONS
    SAVE = "save_client"
    EXPORT = ("Listen: Export client: ", "the selected client's conversation")


class RelayCommands(ScreenCommands):
    ACTIONS = RELAY_ACTIONS
    SAVE = "save_connection"
    EXPORT = ("Relay: Export connection: ", "the selected connection")
