"""F1: the keys, what each pane shows, and what each stop reason means."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from sockscope.core.model import StopReason
from sockscope.tui.content import DIM_STYLE, KEY_STYLE, plain

KEYS: tuple[tuple[str, str], ...] = (
    ("ctrl+s / enter", "send (enter in the host or port field); in a session, send on it"),
    ("escape", "cancel the running exchange; bytes received so far are kept"),
    ("f6", "connect: a persistent session; ctrl+s then sends turn by turn"),
    ("f7", "half-close the session: finish sending, keep reading"),
    ("f8", "close the session gracefully; it joins the history"),
    ("f9", "reset the session: close with a RST"),
    ("ctrl+t", "edit the request as text or as hex"),
    ("ctrl+r", "convert bare LF line endings in the request to CRLF"),
    ("ctrl+o", "options: TLS verification, SNI, ALPN; timeouts, capture file"),
    ("f3", "save the shown exchange as a transcript (sockscope open FILE)"),
    ("f5", "replay the shown exchange's exact request bytes, same options"),
    ("f4", "compare with…: mark the shown exchange, then choose another"),
    ("ctrl+l", "the timeline as turns (who spoke, when, how much) or as events"),
    ("f2", "zoom: the focused view gets the whole screen (f2 again restores)"),
    ("ctrl+p", "palette: actions, exports (python, curl, pcap...), templates"),
    ("tab / shift+tab", "move between fields and panes"),
    ("f1", "this help"),
    ("ctrl+q", "quit"),
)

PANES: tuple[tuple[str, str], ...] = (
    ("Request", "the exact bytes to send: a newline is LF, \\r is CR, \\xNN any byte"),
    ("Sent", "hex dump and Python repr of the bytes that went out"),
    ("Received", "Python repr of the bytes that came back, one row per line"),
    ("Decoded", "the bytes as text in the chosen encoding; controls shown as ␛ ␀ \\x9b"),
    ("Headers", "TLS session and certificate; HTTP status, headers, framing; reply codes"),
    ("Timeline", "each step with its time, the delta since the previous one, and size"),
    ("Turns", "the timeline by turn: what you sent and what the peer said to each"),
    ("History", "every exchange of this session; select one to see it again"),
)

STOP_REASONS: dict[StopReason, str] = {
    StopReason.PEER_CLOSED: "the server closed its side (EOF): it finished sending",
    StopReason.IDLE: "no data arrived for the idle timeout after the last send or recv",
    StopReason.DEADLINE: "the whole exchange reached its time limit",
    StopReason.DELIMITER: "the reply contained the delimiter being waited for",
    StopReason.BYTE_COUNT: "the byte count asked for arrived",
    StopReason.DATAGRAM: "UDP: the first datagram arrived (one request, one reply)",
    StopReason.CAPTURE_LIMIT: "the capture limit was reached; later bytes were not kept",
    StopReason.EXPECTATION: "a dialogue step did not get the reply it expects",
    StopReason.CANCELLED: "you cancelled (escape); what arrived before is kept",
    StopReason.CLOSED: "you closed the session (f8)",
    StopReason.RESET: "the connection was reset (RST): by the server, or by you (f9)",
    StopReason.ERROR: "a network error; the status line names it",
}


def _table(title: str, rows: tuple[tuple[str, str], ...], width: int) -> Content:
    lines = [plain(title, "bold $text-primary")]
    lines += [
        Content.assemble(plain(f"  {key:<{width}}", KEY_STYLE), plain(text)) for key, text in rows
    ]
    return Content("\n").join(lines)


def help_content() -> Content:
    stops = tuple((reason.value, text) for reason, text in STOP_REASONS.items())
    return Content("\n\n").join(
        [
            _table("Keys", KEYS, 18),
            _table("Panes", PANES, 10),
            _table("Why reading stopped", stops, 15),
            plain(
                "Server bytes are never interpreted: controls and invisible characters are "
                "shown as styled tokens.",
                DIM_STYLE,
            ),
        ]
    )


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", "Close help", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "sockscope help"
            body.border_subtitle = "escape closes"
            yield Static(help_content(), id="help-text")
