"""The explorer's target takes a template's client certificate ([tls] cert, key) when
the options name none; the options' own certificate wins."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import trustme

from sockscope.core.fields import FieldError
from sockscope.core.model import TlsOptions, Transport
from sockscope.core.templates import builtin_templates
from sockscope.tui.explorer import Explorer, TargetFields


@pytest.fixture
def explorer(tmp_path: Path) -> Explorer:
    both = tmp_path / "client.pem"
    trustme.CA().issue_cert("me@example.org").private_key_and_cert_chain_pem.write_to_path(
        str(both)
    )
    base = builtin_templates()["http-get"]
    templates = {
        "mtls": replace(base, name="mtls", cert_file=str(both)),
        "broken": replace(base, name="broken", cert_file=str(tmp_path / "missing.pem")),
    }
    return Explorer(templates, None)


def test_the_templates_certificate_is_used_when_the_options_name_none(explorer: Explorer) -> None:
    explorer.fields = TargetFields("example.org", "443", Transport.TLS, "mtls")
    tls = explorer.target(TlsOptions()).tls
    assert tls.cert_file is not None and tls.cert_file.endswith("client.pem")

    own = TlsOptions(cert_file="/mine.pem")
    assert explorer.target(own).tls.cert_file == "/mine.pem"


def test_a_templates_unusable_certificate_is_named(explorer: Explorer) -> None:
    explorer.fields = TargetFields("example.org", "443", Transport.TLS, "broken")
    with pytest.raises(FieldError, match=r"template broken: tls\.cert: cannot read it"):
        explorer.target(TlsOptions())
