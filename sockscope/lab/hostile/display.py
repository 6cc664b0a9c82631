"""Display attacks: bytes a terminal or a markup parser would act on, each served twice,
as a raw TCP reply and inside an HTTP response (reason phrase, header value and body).

sockscope must show every one as inert, visible text (untrusted-bytes.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sockscope.core.model import StopReason
from sockscope.core.views import human_bytes
from sockscope.lab.hostile.case import HTTP_GET, Case, Expect
from sockscope.lab.hostile.script import ReadRequest, Send

HUGE_LINE = 5_000_000


@dataclass(frozen=True)
class Attack:
    name: str
    payload: bytes
    does: str
    in_head: bool = True  # also in the reason phrase and a header (not for huge payloads)
    newline: bool = True  # the raw reply ends its line


ATTACKS = (
    Attack("osc52-clipboard", b"\x1b]52;c;cHduZWQ=\x1b\\", "OSC 52: writes the clipboard"),
    Attack("osc0-title", b"\x1b]0;pwned\x07", "OSC 0: sets the window title"),
    Attack("csi-cursor-up", b"\x1b[2A", "CSI: moves the cursor up two lines"),
    Attack("csi-clear", b"\x1b[2J\x1b[H", "CSI: clears the screen, cursor home"),
    Attack("csi-conceal", b"\x1b[8mhidden\x1b[0m", "CSI: conceals the text after it"),
    Attack("csi-hide-cursor", b"\x1b[?25l", "CSI: hides the cursor"),
    Attack(
        "osc8-hyperlink",
        b"\x1b]8;;https://evil.example/\x1b\\https://trusted.example/\x1b]8;;\x1b\\",
        "OSC 8: a link whose text lies about its target",
    ),
    Attack(
        "markup-link",
        b"[link=https://evil.example/]https://trusted.example/[/link]",
        "Rich markup: a link whose text lies about its target",
    ),
    Attack("c1-csi", "\u009b2J".encode(), "U+009B, the 8-bit CSI, as UTF-8"),
    Attack("raw-9b", b"\x9b2J", "the raw byte 0x9B, the 8-bit CSI in Latin-1"),
    Attack("esc-reset", b"\x1bc", "ESC c: resets the terminal"),
    Attack("click-action", b"[@click=app.quit]x[/]", "Textual markup: clicking quits the app"),
    Attack(
        "click-action-space",
        b"[ @click=app.quit]x[/]",
        "the same with a leading space, which rich.markup.escape misses",
    ),
    Attack("markup-unclosed", b"x [/", "markup that crashes a parser: `x [/`"),
    Attack("markup-stray-close", b"[/b]", "markup that crashes a parser: a stray `[/b]`"),
    Attack(
        "bidi",
        "invoice\u202efdp.exe\u202c zero\u200bwidth".encode(),
        "bidi override and zero-width characters that reorder or hide text",
    ),
    Attack(
        "huge-line",
        (b"0123456789" * (HUGE_LINE // 10))[:HUGE_LINE],
        f"one {HUGE_LINE:,}-byte line without a newline",
        in_head=False,
        newline=False,
    ),
)

_SHOWS = "visible tokens and literal text; the terminal and the app untouched"


def _http_response(attack: Attack) -> bytes:
    body = attack.payload + b"\n"
    reason, headers = b"OK", b""
    if attack.in_head:
        reason = attack.payload
        headers = b"X-Attack: " + attack.payload + b"\r\n"
    return b"HTTP/1.1 200 %s\r\n%sContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (
        reason,
        headers,
        len(body),
        body,
    )


def _has_control(data: bytes) -> bool:
    return any(byte < 0x20 or byte == 0x7F for byte in data)


def _cases(attack: Attack) -> tuple[Case, Case]:
    raw = attack.payload + (b"\n" if attack.newline else b"")
    response = _http_response(attack)
    shows = "a cut view with a size note, no freeze" if not attack.in_head else _SHOWS
    return (
        Case(
            f"display-{attack.name}",
            "tcp",
            f"speaks first: {attack.does}",
            shows,
            Expect(
                StopReason.PEER_CLOSED,
                f"server finished sending (EOF) after {human_bytes(len(raw))}",
            ),
            steps=(Send(raw),),
        ),
        Case(
            f"display-{attack.name}-http",
            "tcp",
            f"HTTP, {'in the reason, a header and the body' if attack.in_head else 'the body'}: "
            + attack.does,
            shows,
            Expect(
                StopReason.PEER_CLOSED,
                f"server finished sending (EOF) after {human_bytes(len(response))}",
                problems=("ctl-in-value",)
                if attack.in_head and _has_control(attack.payload)
                else (),
            ),
            steps=(ReadRequest(), Send(response)),
            client=HTTP_GET,
        ),
    )


CASES = tuple(case for attack in ATTACKS for case in _cases(attack))
