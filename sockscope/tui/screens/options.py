"""ctrl+o: TLS options, when to stop reading, and a capture file for every received byte.

Each field is checked as it is typed with core.fields; a problem is named under the
form and the field keeps what was typed. Apply (or enter) closes the screen with the
new Options only when every field is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from sockscope.core.model import ReadPolicy, TlsOptions
from sockscope.tui.content import DIM_STYLE, ERROR_STYLE, plain, safe
from sockscope.tui.options import (
    POLICY_FIELDS,
    Options,
    client_certificate_check,
    format_policy_value,
    overrides,
    parse_alpn,
    parse_ca_file,
    parse_capture_file,
    parse_cert_file,
    parse_key_file,
    parse_keylog_file,
    parse_policy_value,
    parse_server_name,
)
from sockscope.tui.widgets.filled_input import FilledInput
from sockscope.tui.widgets.target_bar import FieldCheck


class OptionBox(Checkbox, inherit_bindings=False):
    """A checkbox that space toggles; enter is the dialog's (apply), as its border says."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_button", "Toggle", id="options.toggle", show=False),
    ]


class OptionsScreen(ModalScreen[Options | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="options.cancel"),
        Binding("ctrl+o", "apply", "Apply", id="options.apply"),
        # Inputs and buttons take enter themselves (submit applies; a button presses).
        Binding("enter", "apply", "Apply", id="options.enter-applies", show=False),
    ]

    def __init__(self, options: Options, base: ReadPolicy) -> None:
        """`base` is the template's read policy, which `options.policy` overrides."""
        super().__init__(id="options")
        self._options = options
        self._base = base

    def compose(self) -> ComposeResult:
        tls = self._options.tls
        policy = self._options.read_policy(self._base)
        with Vertical(id="options-body") as body:
            body.border_title = "Options"
            body.border_subtitle = "enter applies · escape cancels"
            with Grid(id="options-grid"):
                yield Label("TLS", classes="options-section")
                yield OptionBox("verify the certificate", tls.verify, id="opt-verify", compact=True)
                yield from self._field(
                    "sni", "server name", tls.server_name or "", parse_server_name, "the host"
                )
                yield from self._field(
                    "alpn", "ALPN", ",".join(tls.alpn), parse_alpn, "none; e.g. h2,http/1.1"
                )
                yield from self._field(
                    "ca", "CA file", tls.ca_file or "", parse_ca_file, "system trust store"
                )
                yield from self._field(
                    "cert", "client cert", tls.cert_file or "", parse_cert_file, "none; PEM"
                )
                yield from self._field(
                    "key", "client key", tls.key_file or "", parse_key_file, "in the cert file"
                )
                yield from self._field(
                    "keylog",
                    "TLS key log",
                    tls.keylog_file or "",
                    parse_keylog_file,
                    "none; NSS key log for Wireshark",
                )
                yield Label("Reading", classes="options-section")
                yield OptionBox(
                    "half-close after sending", policy.half_close, id="opt-half-close", compact=True
                )
                for field_id, label, name in POLICY_FIELDS:
                    yield from self._field(
                        field_id,
                        label,
                        format_policy_value(name, getattr(policy, name)),
                        _policy_check(name, label),
                        _PLACEHOLDERS[name],
                    )
                yield from self._field(
                    "capture-file",
                    "capture file",
                    self._options.capture_file or "",
                    parse_capture_file,
                    "none; every received byte goes here",
                )
            yield Static(id="options-message")
            with Horizontal(id="options-buttons"):
                yield Button("Apply", id="options-apply", variant="primary", compact=True)
                yield Button("Cancel", id="options-cancel", compact=True)

    def _field(
        self, field_id: str, label: str, value: str, check: Callable[[str], Any], hint: str
    ) -> ComposeResult:
        yield Label(label, classes="options-label")
        # A template's delimiter, a typed path: shown with tokens, kept as they are. As in
        # the target bar, a field reached with tab has its text selected: typing replaces it.
        yield FilledInput(
            value,
            placeholder=hint,
            id=f"opt-{field_id}",
            compact=True,
            validators=[FieldCheck(check)],
        )

    def on_mount(self) -> None:
        self.query_one("#opt-verify", Checkbox).focus()
        self._revalidate()

    def _revalidate(self) -> list[str]:
        problems: list[str] = []
        for field in self.query(Input):
            result = field.validate(field.value)
            if result is not None and not result.is_valid:
                problems.extend(result.failure_descriptions)
        if not problems:
            problem = client_certificate_check(
                parse_cert_file(self._value("cert")), parse_key_file(self._value("key"))
            )
            problems.extend([] if problem is None else [problem])
        message = self.query_one("#options-message", Static)
        if problems:
            message.update(safe(" · ".join(problems), ERROR_STYLE, one_line=True))
        else:
            message.update(plain("empty means none, or the template's default", DIM_STYLE))
        return problems

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._revalidate()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "options-apply":
            self.action_apply()
        else:
            self.dismiss(None)

    def action_apply(self) -> None:
        if self._revalidate():
            self.app.bell()
            return
        self.dismiss(self.options())

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#opt-{field_id}", FilledInput).true_value

    def options(self) -> Options:
        """The form as Options; only call when every field is valid."""

        text = self._value
        tls = TlsOptions(
            verify=self.query_one("#opt-verify", Checkbox).value,
            server_name=parse_server_name(text("sni")),
            alpn=parse_alpn(text("alpn")),
            ca_file=parse_ca_file(text("ca")),
            cert_file=parse_cert_file(text("cert")),
            key_file=parse_key_file(text("key")),
            keylog_file=parse_keylog_file(text("keylog")),
        )
        values: dict[str, Any] = {
            name: parse_policy_value(name, text(field_id), label)
            for field_id, label, name in POLICY_FIELDS
        }
        values["half_close"] = self.query_one("#opt-half-close", Checkbox).value
        policy = replace(self._base, **values)
        return Options(tls, overrides(policy, self._base), parse_capture_file(text("capture-file")))


_PLACEHOLDERS = {
    "connect_timeout": "seconds",
    "idle_timeout": "none; seconds of silence",
    "deadline": "none; seconds in all",
    "delimiter": "none; e.g. \\r\\n\\r\\n",
    "max_bytes": "none; e.g. 64k",
    "capture_limit": "e.g. 8M",
}


def _policy_check(name: str, label: str) -> Callable[[str], Any]:
    return lambda text: parse_policy_value(name, text, label)
