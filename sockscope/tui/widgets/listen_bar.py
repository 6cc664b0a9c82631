"""Listen mode's bar: where to listen, how to reply, the limits, Start/Stop.

Every field is checked as it is typed with core.fields (and core.payload for a fixed
reply, whose PayloadError names the column); the problems are named on the line under
the bar, which otherwise says where we listen and how many clients are connected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from sockscope.core.fields import (
    FieldError,
    check_host,
    check_unix_path,
    parse_port,
    parse_size,
)
from sockscope.core.model import Transport
from sockscope.core.payload import PayloadError, parse_text
from sockscope.core.responders import REPLY_TEMPLATES, Responder, plan_reply
from sockscope.core.sanitize import sanitize
from sockscope.core.server_rules import ServerScript, load_server_template, plan_rules
from sockscope.engine.listen_udp import UDP_IDLE
from sockscope.engine.listener import MAX_CLIENTS, ListenConfig
from sockscope.tui.content import ERROR_STYLE, safe
from sockscope.tui.widgets.filled_input import FilledInput
from sockscope.tui.widgets.target_bar import FieldCheck

LOOPBACK = "127.0.0.1"
TRANSPORTS = (Transport.TCP, Transport.UDP, Transport.TLS, Transport.UNIX)


class ReplyMode(StrEnum):
    """Reply modes besides the reply templates (a form's `reply` holds one of these or a
    template's name)."""

    NONE = "none"  # watch only
    FIXED = "fixed"  # the text field's payload
    RULES = "rules"  # a server template file (core.server_rules); the text field holds its path
    BY_HAND = "hand"  # typed in the reply editor


REPLY_MODES: tuple[tuple[str, str], ...] = (
    ("none: watch", ReplyMode.NONE),
    ("fixed text", ReplyMode.FIXED),
    *((name, name) for name in REPLY_TEMPLATES),
    ("rules file", ReplyMode.RULES),
    ("by hand", ReplyMode.BY_HAND),
)


@dataclass(frozen=True)
class ListenForm:
    """What the bar holds, as typed (the CLI's `sockscope listen --app` fills it)."""

    host: str = LOOPBACK
    port: str = "0"
    transport: Transport = Transport.TCP
    reply: str = ReplyMode.NONE  # a ReplyMode or a reply template's name
    reply_text: str = ""  # FIXED: payload syntax; RULES: the file's path
    max_clients: str = str(MAX_CLIENTS)
    capture_limit: str = "1M"
    cert: str = ""
    key: str = ""
    # Not on the bar: the CLI's --alpn, --linger and --idle, kept as given.
    alpn: tuple[str, ...] = ("http/1.1",)
    linger: float = 2.0
    idle: float | None = None


@dataclass(frozen=True)
class ListenPlan:
    config: ListenConfig
    responder: Callable[[], Responder] | None
    protocol: str | None  # the parser the reply template implies
    reply: str  # how we answer, in words


def listen_port(text: str, field: str = "port") -> int:
    """0 lets the OS pick; otherwise core.fields' port."""
    if text.strip() == "0":
        return 0
    try:
        return parse_port(text, field)
    except FieldError as exc:
        raise FieldError(field, f"{exc.message}; or 0 to let the OS pick") from None


def max_clients(text: str, field: str = "max clients") -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise FieldError(field, f"{sanitize(text)!r} is not a whole number from 1")
    return int(text)


def fixed_reply(text: str, field: str = "reply") -> bytes:
    try:
        return parse_text(text)
    except PayloadError as exc:
        raise FieldError(field, str(exc)) from None


def rules_file(text: str, field: str = "rules file") -> ServerScript:
    """The server template file at `text` (its path); FieldError names the problem."""
    if not text.strip():
        raise FieldError(field, "is empty; give the path of a server template (.toml)")
    try:
        return load_server_template(Path(text.strip()))
    except FieldError as exc:
        raise FieldError(field, exc.message) from None


def plan_listen(form: ListenForm) -> ListenPlan:
    """The listener's config and responder; FieldError names the first bad field."""
    transport = form.transport
    if transport is Transport.UNIX:
        host, port = check_unix_path(form.host, "unix path"), None
    else:
        host, port = check_host(form.host, "address"), listen_port(form.port)
    data = fixed_reply(form.reply_text) if form.reply == ReplyMode.FIXED else None
    template = form.reply if form.reply in REPLY_TEMPLATES else None
    datagram = transport is Transport.UDP
    try:
        if form.reply == ReplyMode.RULES:
            reply = plan_rules(rules_file(form.reply_text), datagram=datagram)
        else:
            reply = plan_reply(data=data, template=template, datagram=datagram)
    except ValueError as exc:
        raise FieldError("reply", str(exc)) from None
    words = "by hand" if form.reply == ReplyMode.BY_HAND else reply.words
    cert = form.cert.strip() or None
    key = form.key.strip() or None
    if transport is Transport.TLS:
        if key and not cert:
            raise FieldError("key", "needs a certificate (the chain it belongs to)")
        for field, path in (("certificate", cert), ("key", key)):
            if path and not Path(path).is_file():
                raise FieldError(field, f"{sanitize(path)} is not a readable file")
    else:
        cert = key = None
    config = ListenConfig(
        host=host,
        port=port,
        transport=transport,
        max_clients=max_clients(form.max_clients),
        capture_limit=parse_size(form.capture_limit, "keep per client"),
        cert_file=cert,
        key_file=key,
        alpn=form.alpn,
        linger=form.linger,
        # A UDP client never says goodbye: its silence ends the conversation.
        idle_timeout=UDP_IDLE if form.idle is None and transport is Transport.UDP else form.idle,
    )
    return ListenPlan(config, reply.factory, reply.protocol, words)


class ListenBar(Vertical):
    """Two rows of fields and a message line; Start/Stop on the first row."""

    class Toggle(Message):
        """Enter in a field, or the Start/Stop button."""

    class Changed(Message):
        """A field or the reply mode changed: check again, show the reply editor or not."""

        def __init__(self, mode: str) -> None:
            super().__init__()
            self.mode = mode

    def __init__(self, form: ListenForm, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._form = form
        self._transport = form.transport
        self._reply = form.reply

    def compose(self) -> ComposeResult:
        form = self._form
        with Horizontal(id="listen-row"):
            yield Label("address", classes="field-label")
            yield self._input("host", form.host, "address, or a path for unix", self._check_host)
            yield Label("port", classes="field-label")
            yield self._input("port", form.port, "0: any", self._check_port)
            yield Select(
                [(t.value, t) for t in TRANSPORTS],
                value=form.transport,
                allow_blank=False,
                id="listen-transport",
                compact=True,
            )
            yield Select(
                [(label, value) for label, value in REPLY_MODES],
                value=form.reply,
                allow_blank=False,
                id="listen-reply",
                compact=True,
            )
            yield self._input(
                "reply-text", form.reply_text, "reply text, e.g. hi\\r\\n", self._check_reply
            )
            yield Button("Start", id="listen-start", variant="primary", compact=True)
        with Horizontal(id="listen-limits"):
            yield Label("max clients", classes="field-label")
            yield self._input("max", form.max_clients, str(MAX_CLIENTS), max_clients)
            yield Label("keep", classes="field-label")
            yield self._input(
                "keep", form.capture_limit, "1M", lambda t: parse_size(t, "keep per client")
            )
            yield Label("cert", classes="field-label")
            # Short enough to read whole at 80 columns: the fields share what the row has left.
            yield self._input("cert", form.cert, "tls: generated", self._file("certificate"))
            yield Label("key", classes="field-label")
            yield self._input("key", form.key, "tls: in the cert", self._file("key"))
        yield Static(id="listen-message")

    def _input(
        self, name: str, value: str, hint: str, check: Callable[[str], object]
    ) -> FilledInput:
        # The command line fills these (`sockscope listen --app --unix PATH`).
        return FilledInput(
            value,
            placeholder=hint,
            id=f"listen-{name}",
            compact=True,
            validators=[FieldCheck(check)],
        )

    def on_mount(self) -> None:
        self._enable()

    # ---- values -------------------------------------------------------------------

    def _text(self, name: str) -> str:
        return self.query_one(f"#listen-{name}", FilledInput).true_value

    @property
    def reply_mode(self) -> str:
        return self._reply

    def form(self) -> ListenForm:
        return replace(
            self._form,
            host=self._text("host"),
            port=self._text("port"),
            transport=self._transport,
            reply=self._reply,
            reply_text=self._text("reply-text"),
            max_clients=self._text("max"),
            capture_limit=self._text("keep"),
            cert=self._text("cert"),
            key=self._text("key"),
        )

    def plan(self) -> ListenPlan:
        return plan_listen(self.form())

    # ---- validation ---------------------------------------------------------------

    def _check_host(self, text: str) -> object:
        if self._transport is Transport.UNIX:
            return check_unix_path(text, "unix path")
        return check_host(text, "address")

    def _check_port(self, text: str) -> object:
        return None if self._transport is Transport.UNIX else listen_port(text)

    def _check_reply(self, text: str) -> object:
        if self._reply == ReplyMode.RULES:
            return rules_file(text)
        return fixed_reply(text) if self._reply == ReplyMode.FIXED else None

    def _file(self, field: str) -> Callable[[str], object]:
        def check(text: str) -> object:
            if self._transport is Transport.TLS and text.strip() and not Path(text).is_file():
                raise FieldError(field, f"{sanitize(text)} is not a readable file")
            return None

        return check

    def problems(self) -> list[str]:
        """One sentence per invalid field, in the order of the bar, then what only the
        whole form can tell (a stream-only reply template over UDP)."""
        out: list[str] = []
        for field in self.query(Input):
            result = field.validate(field.value)
            if result is not None and not result.is_valid:
                out.extend(result.failure_descriptions)
        if not out:
            try:
                self.plan()
            except FieldError as exc:
                out.append(str(exc))
        return out

    def show(self, status: Content) -> list[str]:
        """The problems if any, else `status`; returns the problems."""
        problems = self.problems()
        message = self.query_one("#listen-message", Static)
        if problems:
            message.update(safe(" · ".join(problems), ERROR_STYLE, one_line=True))
        else:
            message.update(status)
        return problems

    # ---- state --------------------------------------------------------------------

    def set_listening(self, listening: bool) -> None:
        """While listening the fields describe the running listener: only the reply
        mode may change (to reply by hand as well)."""
        button = self.query_one("#listen-start", Button)
        button.label = "Stop" if listening else "Start"
        button.variant = "error" if listening else "primary"
        self._enable(listening)

    def _enable(self, listening: bool = False) -> None:
        for field in self.query(Input):
            field.disabled = listening
        self.query_one("#listen-transport", Select).disabled = listening
        if listening:
            return
        unix, tls = self._transport is Transport.UNIX, self._transport is Transport.TLS
        self.query_one("#listen-port", Input).disabled = unix
        self.query_one("#listen-reply-text", Input).disabled = self._reply not in (
            ReplyMode.FIXED,
            ReplyMode.RULES,
        )
        self.query_one("#listen-cert", Input).disabled = not tls
        self.query_one("#listen-key", Input).disabled = not tls

    # ---- events -------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self._reply))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Toggle())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Toggle())

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "listen-transport" and isinstance(event.value, Transport):
            host = self.query_one("#listen-host", Input)
            # A Unix socket wants a path: the loopback address would make one in the cwd.
            if event.value is Transport.UNIX and host.value == LOOPBACK:
                host.value = ""
            elif self._transport is Transport.UNIX and not host.value:
                host.value = LOOPBACK
            self._transport = event.value
        elif event.select.id == "listen-reply" and isinstance(event.value, str):
            self._reply = event.value
        if not self.query_one("#listen-transport", Select).disabled:
            self._enable()
        self.post_message(self.Changed(self._reply))
