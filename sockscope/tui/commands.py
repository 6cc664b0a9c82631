"""The command palette: the main actions, every template, and the lab's services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from sockscope.engine import Action
from sockscope.export import FORMATS as EXPORT_FORMATS

if TYPE_CHECKING:
    from sockscope.tui.app import SockscopeApp


EXPORT_HELP = {
    "json": "a JSON transcript",
    "python": "a standard-library Python script that replays it",
    "curl": "a curl command line (one plain HTTP/1.x request only)",
    "ncat": "an ncat command line",
    "socat": "a socat command line",
    "pcap": "a pcap capture for Wireshark",
}


class SockscopeCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        """(text, help, callback) for everything the palette offers."""
        app: SockscopeApp = self.app  # type: ignore[assignment]
        yield "Send", "send the request (ctrl+s)", app.action_send
        yield "Cancel", "stop the running exchange (escape)", app.action_cancel
        yield from self._session_commands(app)
        yield (
            "Switch text / hex",
            "edit the request as text or as hex (ctrl+t)",
            (app.action_toggle_hex),
        )
        yield (
            "Convert bare LF to CRLF",
            "fix line endings of the request (ctrl+r)",
            (app.action_crlf),
        )
        yield "Options", "TLS, when to stop reading, capture file (ctrl+o)", app.action_options
        yield "Save transcript", "write the shown exchange as JSON (f3)", app.action_save
        yield (
            "Replay",
            "send the shown exchange's request bytes again, same options (f5)",
            app.action_replay,
        )
        for fmt in EXPORT_FORMATS:
            yield (
                f"Export: {fmt}",
                f"write the shown exchange as {EXPORT_HELP[fmt]}",
                partial(app.action_export, fmt),
            )
        yield (
            "Compare with…",
            "mark the shown exchange; the next history entry chosen is compared (f4)",
            app.action_compare,
        )
        yield (
            "Switch turns / events",
            "the timeline as turns (who spoke, when, how much) or every event (ctrl+l)",
            app.action_toggle_turns,
        )
        yield (
            "Listen…",
            "be the server: accept clients and watch what each sends (ctrl+g)",
            app.action_listen,
        )
        yield "Zoom", "the focused view gets the whole screen, or back (f2)", app.action_zoom
        yield "Help", "keys, panes and stop reasons (f1)", app.action_help
        for name, template in app.templates.items():
            # Help text is parsed as markup: only our own words and numbers go there;
            # the title (from a user's TOML file) goes in the Content display text.
            yield (
                f"Template: {name} · {template.title}",
                f"{template.transport.value}" + (f" port {template.port}" if template.port else ""),
                partial(app.choose_template, name),
            )
        if app.lab is not None:
            for service, template_name in app.lab_services():
                yield (
                    f"Lab: {service}",
                    f"{app.lab.host} with template {template_name}",
                    partial(app.open_lab_service, service, template_name),
                )

    @staticmethod
    def _session_commands(app: SockscopeApp) -> Iterator[tuple[str, str, Callable[[], object]]]:
        """Connect, Half-close, Close and Reset; the help says why when the state refuses
        one (running it anyway puts the same sentence on the status line)."""
        session = app.session.session if app.session is not None else None
        commands = (
            ("Connect", Action.CONNECT, "open a persistent session to the target (f6)"),
            ("Half-close", Action.HALF_CLOSE, "finish sending; keep reading (f7)"),
            ("Close", Action.CLOSE, "close the session gracefully (f8)"),
            ("Reset", Action.RESET, "abort the session: the peer sees a RST (f9)"),
        )
        actions = {
            Action.CONNECT: app.action_connect,
            Action.HALF_CLOSE: app.action_half_close,
            Action.CLOSE: app.action_close_session,
            Action.RESET: app.action_reset_session,
        }
        for text, action, help_text in commands:
            refusal = (
                session.why_not(action)
                if session is not None
                else None
                if action is Action.CONNECT
                else "not connected: Connect first"
            )
            # Help text is parsed as markup: the engine's sentences are our own words.
            yield f"Session: {text}", refusal or help_text, actions[action]

    async def discover(self) -> Hits:
        for text, help_text, callback in self._commands():
            yield DiscoveryHit(Content(text), callback, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, callback in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, text=text, help=help_text)
