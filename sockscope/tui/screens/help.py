"""F1: the keys by group, what each pane shows, and what each stop reason means."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from sockscope.core.model import StopReason
from sockscope.tui.content import DIM_STYLE, KEY_STYLE, plain

# The groups, in the order the help shows them.
GROUPS = ("Send & read", "Session", "Views", "Files", "Listen", "Relay", "App")

# What each key does, by binding id: the help is built from the bindings themselves
# (their keys), so a key that changes changes here, and a binding without a line here
# still appears under App with its short description (a test wants a line for each).
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "send": ("Send & read", "send (enter in the host or port field too); in a session, on it"),
    "cancel": ("Send & read", "stop the running exchange, from the editor too; bytes are kept"),
    "focus-request": ("Send & read", "edit the request (in the editor: end of line)"),
    "focus-target": ("Send & read", "the target: host, then port, transport, template, Send"),
    "toggle-hex": ("Send & read", "edit the request as text or as hex"),
    "crlf": ("Send & read", "convert bare LF line endings in the request to CRLF"),
    "options": ("Send & read", "options: TLS verification, SNI, ALPN; timeouts, capture file"),
    "connect": ("Session", "connect: a persistent session; ctrl+s then sends turn by turn"),
    "half-close": ("Session", "half-close the session: finish sending, keep reading"),
    "close-session": ("Session", "close the session gracefully; it joins the history"),
    "reset-session": ("Session", "reset the session: close with a RST"),
    "start-tls": ("Session", "STARTTLS: upgrade the session to TLS after the go-ahead"),
    "find": ("Views", "find in the focused pane: text, \\r\\n escapes or hex; n / N"),
    "toggle-turns": ("Views", "the timeline as turns (who spoke, when, how much) or as events"),
    "zoom": ("Views", "zoom: the focused view gets the whole screen (again restores)"),
    "focus-history": ("Views", "the history: every exchange so far; enter shows one again"),
    "compare": ("Views", "compare with…: mark the shown exchange, then choose another"),
    "teach": ("Views", "the shown exchange as a sequence diagram; space plays it back"),
    "save": ("Files", "save the shown exchange as a transcript (sockscope open FILE)"),
    "replay": ("Files", "replay the shown exchange's exact request bytes, same options"),
    "listen": ("Listen", "Listen: be the server and watch each client (not during a session)"),
    "listen.toggle": ("Listen", "start or stop listening (stopping ends open clients)"),
    "listen.reply": ("Listen", "reply by hand: send the reply editor's bytes to the client"),
    "listen.close-client": ("Listen", "close the selected client's connection"),
    "listen.toggle-hex": ("Listen", "edit the reply as text or as hex"),
    "listen.save": ("Listen", "save the selected (finished) client's conversation"),
    "listen.leave": ("Listen", "leave: stop listening; the clients join the history"),
    "listen.clients": ("Listen", "go to the client list"),
    "relay.toggle": ("Relay", "start or stop relaying (stopping ends open connections)"),
    "relay.close": ("Relay", "close the selected connection, both sides"),
    "relay.save": ("Relay", "save the selected (finished) connection; the palette exports it"),
    "relay.leave": ("Relay", "leave: stop relaying; the connections join the history"),
    "help": ("App", "this help"),
    "help.close": ("App", "close this help"),
    "quit": ("App", "quit"),
}

# Keys that are not bindings of ours: Textual's palette and focus keys.
OTHER_KEYS: tuple[tuple[str, str, str], ...] = (
    ("Files", "ctrl+p", "palette: Export python, curl, ncat, socat, pcap; for a client too"),
    ("App", "ctrl+p", "palette: every action, template and lab service; themes"),
    ("App", "tab / shift+tab", "move: target, Send, request, panes, timeline, history"),
)

PANES: tuple[tuple[str, str], ...] = (
    ("Request", "the exact bytes to send: a newline is LF, \\r is CR, \\xNN any byte"),
    ("Sent", "hex dump and Python repr of the bytes that went out"),
    ("Received", "repr of the bytes that came back, x: hex; up/down or a click names a part"),
    ("Decoded", "as text; a gzip/br body decoded; p lays out JSON/XML; w wraps rows"),
    ("Headers", "TLS, steps, HTTP head or replies; up/down link a row; w cuts rows"),
    ("In a pane", "n / N: next / previous find match; y: copy (selection, match, linked, pane)"),
    ("Select", "drag; v, then up/down/pgup/pgdn/home/end; double click: a row; escape clears"),
    ("Copy", "y, or ctrl+c with a selection; ctrl+p Copy: text, hex, base64, to a file"),
    ("Timeline", "each step with its time, the delta since the previous one, and size"),
    ("Turns", "the timeline by turn: what you sent and what the peer said to each"),
    ("History", "every exchange of this session; select one to see it again"),
)

STOP_REASONS: dict[StopReason, str] = {
    StopReason.PEER_CLOSED: "the peer closed its side (EOF): it finished sending",
    StopReason.IDLE: "nothing arrived for the idle timeout (a UDP client: its silence)",
    StopReason.DEADLINE: "the whole exchange reached its time limit",
    StopReason.DELIMITER: "the reply contained the delimiter being waited for",
    StopReason.BYTE_COUNT: "the byte count asked for arrived",
    StopReason.DATAGRAM: "UDP: the first datagram arrived (one request, one reply)",
    StopReason.CAPTURE_LIMIT: "the capture limit was reached; later bytes were not kept",
    StopReason.EXPECTATION: "a dialogue step did not get the reply it expects",
    StopReason.CANCELLED: "you cancelled (escape), or stopped listening; what arrived is kept",
    StopReason.CLOSED: "you closed the session, or a Listen client (f8)",
    StopReason.RESET: "the connection was reset (RST): by the server, or by you (f9)",
    StopReason.ERROR: "a network error; the status line names it",
}


def key_rows(bindings: Iterable[Binding]) -> dict[str, list[tuple[str, str]]]:
    """Group -> (keys, what they do), for `bindings` plus the keys that are not ours."""
    groups: dict[str, list[tuple[str, str]]] = {group: [] for group in GROUPS}
    for binding in bindings:
        group, text = DESCRIPTIONS.get(binding.id or "", ("App", binding.description))
        keys = " / ".join(key.strip() for key in binding.key.split(","))
        groups[group].append((keys, text))
    for group, keys, text in OTHER_KEYS:
        groups[group].append((keys, text))
    return groups


def help_sections(bindings: Iterable[Binding]) -> list[tuple[str, Sequence[tuple[str, str]]]]:
    """(title, rows) for each table of the help, in order."""
    keys = [(group, rows) for group, rows in key_rows(bindings).items() if rows]
    stops = [(reason.value, text) for reason, text in STOP_REASONS.items()]
    return [*keys, ("Panes", PANES), ("Why reading stopped", stops)]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", "Close help", id="help.close"),
    ]

    def __init__(self, bindings: Iterable[BindingType], at: str | None = None) -> None:
        """`bindings`: the app's and its screens' (this screen's are added); `at`: the
        group shown at the top (the keys of the screen the help was asked on)."""
        super().__init__()
        every = [*bindings, *self.BINDINGS]
        self._keys = [binding for binding in every if isinstance(binding, Binding)]
        self._at = at
        self._titles: dict[str, Static] = {}

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "sockscope help"
            body.border_subtitle = "escape closes"
            for title, rows in help_sections(self._keys):
                self._titles[title] = Static(
                    plain(title, "bold $text-primary"), classes="help-title"
                )
                yield self._titles[title]
                # A grid, so a long line wraps under its own column, not under the key.
                with Grid(classes="help-table"):
                    for key, text in rows:
                        yield Static(plain(key, KEY_STYLE), classes="help-key")
                        yield Static(plain(text), classes="help-text")
            yield Static(
                plain(
                    "Server bytes are never interpreted: controls and invisible characters "
                    "are shown as styled tokens.",
                    DIM_STYLE,
                )
            )

    def on_mount(self) -> None:
        if self._at in self._titles:
            # After the first layout: before it the title has no place to scroll to.
            self.call_after_refresh(self._show_at, self._titles[self._at])

    def _show_at(self, title: Static) -> None:
        self.query_one("#help-body", VerticalScroll).scroll_to_widget(
            title, top=True, animate=False
        )
