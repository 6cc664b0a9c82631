"""The explorer's rules without a screen: who set each field, the lab's label, the
history and compare marks, and why an action cannot run now."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest

import sockscope.tui
from sockscope.core.fields import FieldError
from sockscope.core.model import TlsOptions, Transport
from sockscope.core.templates import builtin_templates
from sockscope.engine.errors import INSECURE_HINT
from sockscope.engine.session import Action
from sockscope.tui.explorer import Explorer, Origin, app_words, replay_dialogue
from sockscope.tui.lab_info import LAB_HOST
from tests.tui.exchanges import LAB, http_exchange, smtp_session_exchange


def on_lab() -> Explorer:
    explorer = Explorer(builtin_templates(), LAB)
    explorer.open_on(None, None, None, None, None)
    return explorer


def on_host(host: str) -> Explorer:
    explorer = Explorer(builtin_templates(), LAB)
    explorer.open_on(host, None, "http-get", None, None)
    return explorer


def test_with_the_lab_the_explorer_opens_on_the_lab_label_and_its_http_port() -> None:
    fields = on_lab().fields
    http = str(LAB.port("http", Transport.TCP))
    assert (fields.host, fields.port, fields.transport) == (LAB_HOST, http, Transport.TCP)
    assert (fields.host_by, fields.port_by) == (Origin.LAB, Origin.LAB)


def test_the_lab_label_resolves_to_the_lab_address_and_trusts_its_ca() -> None:
    explorer = Explorer(builtin_templates(), replace(LAB, ca_file="/lab/ca.pem"))
    explorer.open_on(None, None, None, None, None)
    target = explorer.target(TlsOptions())
    assert (target.host, target.port) == (LAB.host, LAB.port("http", Transport.TCP))
    assert target.tls.ca_file == "/lab/ca.pem"


def test_127_0_0_1_typed_by_the_user_is_not_the_lab() -> None:
    explorer = on_host("127.0.0.1")
    explorer.typed("port", "8080")
    assert not explorer.on_lab
    target = explorer.target(TlsOptions())
    assert (target.host, target.port, target.tls.ca_file) == ("127.0.0.1", 8080, None)


def test_a_port_the_user_typed_stays_through_transport_and_template_changes() -> None:
    explorer = on_host("127.0.0.1")
    assert explorer.typed("port", "8080")
    explorer.choose_transport(Transport.TLS)
    explorer.choose_template("smtp")
    assert explorer.fields.port == "8080"
    assert explorer.fields.transport is Transport.TCP  # the template's transport


def test_a_port_a_template_filled_follows_the_next_template() -> None:
    explorer = on_host("mail.example")
    assert explorer.fields.port == "80"
    explorer.choose_template("smtp")
    assert (explorer.fields.port, explorer.fields.port_by) == ("25", Origin.TEMPLATE)


def test_on_the_lab_a_lab_port_follows_the_transport_until_the_user_types_one() -> None:
    explorer = on_lab()
    explorer.choose_transport(Transport.TLS)
    assert explorer.fields.port == str(LAB.port("http", Transport.TLS))
    explorer.typed("port", "9999")
    explorer.choose_transport(Transport.TCP)
    explorer.choose_template("smtp")
    assert explorer.fields.port == "9999"


def test_a_value_the_explorer_put_in_a_field_is_not_taken_for_typing() -> None:
    explorer = on_lab()
    assert not explorer.typed("port", explorer.fields.port)
    assert explorer.fields.port_by is Origin.LAB


def test_a_lab_service_sets_the_lab_host_and_the_service_port() -> None:
    explorer = on_host("example.com")
    explorer.typed("port", "1234")
    template = explorer.open_lab_service("trickle", "banner")
    assert template is not None and template.name == "banner"
    fields = explorer.fields
    assert (fields.host, fields.port) == (LAB_HOST, str(LAB.port("trickle", Transport.TCP)))


def test_templates_render_the_lab_address_not_its_label() -> None:
    assert on_lab().render_host() == LAB.host


def test_an_invalid_port_is_named_when_asked_for_the_target() -> None:
    explorer = on_host("example.com")
    explorer.typed("port", "70000")
    with pytest.raises(FieldError, match="1-65535"):
        explorer.target(TlsOptions())


def test_compare_marks_the_shown_exchange_and_the_next_selection_pairs_with_it() -> None:
    explorer = on_lab()
    first, second = http_exchange(), http_exchange("HEAD", "http-head")
    explorer.add(first)
    explorer.add(second)
    explorer.current = first
    assert explorer.toggle_compare() == 0
    assert explorer.select(1) == (0, 1)
    assert explorer.compare_mark is None
    assert explorer.toggle_compare() == 0
    assert explorer.toggle_compare() is None  # f4 again drops the mark


class RefusingSession:
    def why_not(self, action: Action) -> str | None:
        return None if action is Action.SEND else f"the session refuses {action.value}"


def test_a_live_session_refuses_one_shot_actions_and_names_the_way_out() -> None:
    explorer = on_lab()
    explorer.session = RefusingSession()
    assert explorer.why_not("send") is None
    assert explorer.why_not("half_close") == "the session refuses half-close"
    assert explorer.why_not("replay") == "a session is live: close it (f8) first"
    assert "close it (f8)" in (explorer.why_not("listen") or "")
    explorer.session = None
    assert explorer.why_not("half_close") == "not connected: Connect (f6) first"


def test_curl_export_of_an_smtp_exchange_is_refused_before_a_path_is_asked() -> None:
    explorer = on_lab()
    smtp = smtp_session_exchange()
    explorer.add(smtp)
    explorer.current = smtp
    reason = explorer.why_not("export", "curl")
    assert reason is not None and "Export: ncat" in reason and "--format" not in reason
    assert explorer.why_not("export", "ncat") is None
    assert explorer.why_not("export", "python") is None


def test_app_messages_name_the_apps_own_ways_not_cli_flags() -> None:
    hint = INSECURE_HINT
    assert (
        app_words(hint)
        == "trust the server's CA (a CA file in ctrl+o), or connect anyway without verifying "
        "(ctrl+o, verify off)"
    )
    assert app_words("use --format python or ncat") == "use Export: python or ncat"


def test_a_session_replays_turn_by_turn_each_after_the_reply_before_it() -> None:
    session = smtp_session_exchange()
    dialogue = replay_dialogue(session, None)
    assert dialogue is not None
    assert dialogue.sends == (None, b"EHLO sockscope.local\r\n", b"QUIT\r\n")
    assert [step.until for step in dialogue.steps] == [b"\r\n", b"\r\n", None]


def test_a_dialogue_replays_with_its_template_steps_and_checks() -> None:
    templates = builtin_templates()
    template = templates["smtp-dialogue"]
    session = smtp_session_exchange()
    rendered = template.dialogue(session.target.host, session.target.port)
    dialogue_exchange = replace(session, template="smtp-dialogue", request=rendered.request)
    assert replay_dialogue(dialogue_exchange, template) == rendered
    assert any(step.expect for step in rendered.steps)


def test_a_single_request_replays_in_one_send() -> None:
    assert replay_dialogue(http_exchange(), None) is None


def test_no_screen_widget_or_palette_imports_the_app_that_imports_it() -> None:
    tui = Path(sockscope.tui.__file__).parent
    importers = []
    for path in sorted(tui.rglob("*.py")):
        if path.name in ("app.py", "launch.py"):
            continue  # the app itself, and what starts it
        tree = ast.parse(path.read_text())
        modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        if "sockscope.tui.app" in modules:
            importers.append(path.relative_to(tui).as_posix())
    assert importers == []
