"""Template files: `starttls = true` in [[steps]], and a [tls] client certificate."""

from __future__ import annotations

import pytest

from sockscope.core.templates import TemplateError, builtin_templates, parse_template_file

HEAD = 'title = "mine"\nport = 25\nparser = "smtp"\n'


def parse(steps: str) -> object:
    return parse_template_file((HEAD + steps).encode(), "mine", "mine.toml")


def test_a_step_may_start_tls_after_its_expected_go_ahead() -> None:
    template = parse('[[steps]]\nsend = "STARTTLS\\r\\n"\nexpect = "220"\nstarttls = true\n')
    (step,) = template.steps  # type: ignore[attr-defined]
    assert step.starttls is True and step.expect == "220"


def test_starttls_without_expect_is_refused_naming_the_step() -> None:
    with pytest.raises(TemplateError, match=r"steps\[1\]\.starttls: needs expect"):
        parse('[[steps]]\nsend = "STARTTLS\\r\\n"\nstarttls = true\n')


def test_starttls_must_be_true_or_false() -> None:
    with pytest.raises(TemplateError, match=r"steps\[1\]\.starttls: must be true or false"):
        parse('[[steps]]\nexpect = "220"\nstarttls = "yes"\n')


def test_the_built_in_starttls_templates_upgrade_after_the_protocols_own_command() -> None:
    templates = builtin_templates()
    upgrades = {
        name: next(step.send or "" for step in templates[name].steps if step.starttls).split("\\")[
            0
        ]
        for name in ("smtp-starttls", "imap-starttls", "pop3-starttls", "ftp-auth-tls")
    }
    assert upgrades == {
        "smtp-starttls": "STARTTLS",
        "imap-starttls": "a1 STARTTLS",
        "pop3-starttls": "STLS",
        "ftp-auth-tls": "AUTH TLS",
    }


# ---- [tls]: a client certificate in a template ------------------------------------------


def test_a_template_may_name_a_client_certificate_and_key() -> None:
    template = parse('payload = "x"\n[tls]\ncert = "~/certs/me.pem"\nkey = "/etc/me.key"\n')
    assert (template.cert_file, template.key_file) == ("~/certs/me.pem", "/etc/me.key")  # type: ignore[attr-defined]


def test_a_relative_certificate_path_is_refused_naming_the_field() -> None:
    with pytest.raises(TemplateError, match=r"tls\.cert: must be an absolute path or start with ~"):
        parse('payload = "x"\n[tls]\ncert = "me.pem"\n')


def test_a_key_without_a_certificate_and_unknown_tls_fields_are_refused() -> None:
    with pytest.raises(TemplateError, match=r"tls\.key: needs tls\.cert"):
        parse('payload = "x"\n[tls]\nkey = "/k.pem"\n')
    with pytest.raises(TemplateError, match=r'unknown field "certificate"'):
        parse('payload = "x"\n[tls]\ncertificate = "/c.pem"\n')
