"""Where to send: host, port, transport, template, Send; with a message line under it.

Every field is checked as it is typed by the same functions the CLI uses
(core.fields); a problem is named on the line under the bar and the field keeps what
was typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label, Select, Static

from sockscope.core.fields import FieldError, check_host, check_unix_path, parse_port
from sockscope.core.model import Transport
from sockscope.core.templates import Template
from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, WARNING_STYLE, plain, safe
from sockscope.tui.explorer import TargetFields
from sockscope.tui.lab_info import LabInfo
from sockscope.tui.widgets.filled_input import FilledInput


class FieldCheck(Validator):
    """A core.fields check as a Textual validator; its FieldError text is the failure."""

    def __init__(self, check: Callable[[str], object]) -> None:
        super().__init__()
        self._check = check

    def validate(self, value: str) -> ValidationResult:
        try:
            self._check(value)
        except FieldError as exc:
            return self.failure(str(exc))
        return self.success()


class TargetBar(Vertical):
    """Host, port, transport, template and Send on one row, a message line below."""

    class TemplateChosen(Message):
        """The user picked a template (None: the blank choice)."""

        def __init__(self, name: str | None) -> None:
            super().__init__()
            self.name = name

    class TransportChosen(Message):
        def __init__(self, transport: Transport) -> None:
            super().__init__()
            self.transport = transport

    class SendRequested(Message):
        """Enter in a field or the Send button."""

    class TargetEdited(Message):
        """The user edited the host or port field (`field`): it now holds `value`."""

        def __init__(self, field: str, value: str) -> None:
            super().__init__()
            self.field = field
            self.value = value

    def __init__(
        self,
        templates: Mapping[str, Template],
        lab: LabInfo | None,
        fields: TargetFields,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._templates = templates
        self._lab = lab
        self._fields = fields
        self._transport = fields.transport
        self._notes: list[str] = []
        # Values this bar put in an input itself, whose Changed message is still to come:
        # only what the user types is reported as an edit.
        self._echoes: dict[str, list[str]] = {"host": [], "port": []}

    def compose(self) -> ComposeResult:
        fields = self._fields
        host, port, transport, template = (
            fields.host,
            fields.port,
            fields.transport,
            fields.template,
        )
        with Horizontal(id="target-row"):
            yield Label("host", classes="field-label")
            # A host from a saved transcript may hold control characters: shown as
            # tokens, sent as it is (FilledInput). Reached by ctrl+b or tab, a field's
            # text is selected, so what is typed replaces it, as in a browser's address bar.
            yield FilledInput(
                host,
                placeholder="host name, address or unix path",
                id="host",
                compact=True,
                valid_empty=True,
                validators=[FieldCheck(self._check_host)],
            )
            yield Label("port", classes="field-label")
            yield FilledInput(
                port,
                placeholder="1-65535",
                id="port",
                compact=True,
                valid_empty=True,
                validators=[FieldCheck(self._check_port)],
            )
            yield Select(
                [(t.value, t) for t in Transport],
                value=transport,
                allow_blank=False,
                id="transport",
                compact=True,
            )
            yield Select(
                # Names of user templates come from their files.
                [(safe(name, limit=80, one_line=True), name) for name in self._templates],
                value=template if template in self._templates else Select.NULL,
                prompt="template",
                id="template",
                compact=True,
            )
            yield Button("Send", id="send", variant="primary", compact=True)
        with Horizontal(id="target-info"):
            yield Static(id="target-message")
            yield Static(id="options-summary")

    def on_mount(self) -> None:
        self.query_one("#options-summary").display = False
        self.query_one("#port", Input).disabled = self._transport.is_unix
        self.revalidate()

    # ---- values -------------------------------------------------------------------

    @property
    def transport(self) -> Transport:
        # Kept apart from the Select: the inputs validate before the Select is mounted.
        return self._transport

    @property
    def template(self) -> Template | None:
        value = self.query_one("#template", Select).value
        return self._templates.get(value) if isinstance(value, str) else None

    @property
    def host_text(self) -> str:
        return self.query_one("#host", FilledInput).true_value

    @property
    def port_text(self) -> str:
        return self.query_one("#port", Input).value

    def show(self, fields: TargetFields) -> None:
        """Show `fields`, writing only the inputs whose text differs (never under the
        user's typing: the explorer changes a field only when the user did not type it)."""
        host = self.query_one("#host", FilledInput)
        if host.true_value != fields.host:
            host.fill(fields.host)
            self._echoes["host"].append(host.value)
        port = self.query_one("#port", Input)
        if port.value != fields.port:
            self._echoes["port"].append(fields.port)
            port.value = fields.port
        self._transport = fields.transport
        self.query_one("#transport", Select).value = fields.transport
        template = fields.template if fields.template in self._templates else Select.NULL
        self.query_one("#template", Select).value = template
        # A Unix socket has no port; what was typed there stays for later.
        self.query_one("#port", Input).disabled = fields.transport.is_unix
        self.revalidate()

    def focus_host(self) -> None:
        """Focus the host field now, its text selected, so that the keys typed next land
        in it and replace it."""
        host = self.query_one("#host", Input)
        if self.screen.focused is host:
            # Queued behind the keys already on their way to it, ahead of the next ones.
            host.call_later(host.select_all)
        else:
            self.screen.set_focus(host)  # selected on focus

    def set_options_summary(self, verify_off: bool, parts: list[str]) -> None:
        """The options that are not the defaults, right of the message line; turning
        verification off gets a warning badge of its own."""
        shown: list[Content] = []
        if verify_off:
            shown.append(plain(" verify off ", f"reverse bold {WARNING_STYLE}"))
        if parts:
            shown.append(safe(" · ".join(parts), DIM_STYLE, limit=120, one_line=True))
        summary = self.query_one("#options-summary", Static)
        summary.update(Content(" ").join(shown))
        summary.display = bool(shown)

    def set_notes(self, notes: list[str]) -> None:
        """Extra plain sentences for the message line (template file problems)."""
        self._notes = notes
        self.revalidate()

    # ---- validation ---------------------------------------------------------------

    def _check_host(self, text: str) -> object:
        if self.transport.is_unix:
            return check_unix_path(text, "unix path")
        return check_host(text)

    def _check_port(self, text: str) -> object:
        if self.transport.is_unix:
            return None  # a Unix socket has no port; whatever is typed stays for later
        return parse_port(text)

    def problems(self) -> list[str]:
        """One sentence per invalid field, in the order of the bar. An empty field is
        not one (valid_empty): an explorer opened with no target (after `sockscope
        listen --app`) is waiting for one, not wrong; Send names what is missing."""
        out = []
        for input_id in ("host", "port"):
            field = self.query_one(f"#{input_id}", Input)
            result = field.validate(field.value)
            if result is not None and not result.is_valid:
                out.extend(result.failure_descriptions)
        return out

    def revalidate(self) -> list[str]:
        problems = self.problems()
        message = self.query_one("#target-message", Static)
        if problems:
            message.update(safe(" · ".join(problems), ERROR_STYLE, one_line=True))
        elif self._notes:
            message.update(safe(" · ".join(self._notes), DIM_STYLE, one_line=True))
        elif self._lab is not None:
            message.update(plain(self._lab.hint(message.size.width), DIM_STYLE))
        else:
            message.update("")
        return problems

    # ---- events -------------------------------------------------------------------

    def on_resize(self) -> None:
        # The lab line names as many services as fit: once the line itself is laid out.
        self.call_after_refresh(self.revalidate)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.revalidate()
        field = event.input.id
        if field not in self._echoes:
            return
        echoes = self._echoes[field]
        if event.value in echoes:
            del echoes[: echoes.index(event.value) + 1]
            return
        value = event.value
        if isinstance(event.input, FilledInput):
            value = event.input.true_of(value)
        self.post_message(self.TargetEdited(field, value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.SendRequested())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.SendRequested())

    def on_select_changed(self, event: Select.Changed) -> None:
        # A Select also reports the value it was built with, and a value set from code:
        # the explorer tells those from the user's choice by comparing with its own.
        event.stop()
        if event.select.id == "transport" and isinstance(event.value, Transport):
            self.post_message(self.TransportChosen(event.value))
        elif event.select.id == "template":
            name = event.value if isinstance(event.value, str) else None
            self.post_message(self.TemplateChosen(name))
