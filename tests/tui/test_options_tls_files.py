"""ctrl+o: a client certificate, its key and a TLS key log, checked as typed."""

from __future__ import annotations

from pathlib import Path

import trustme
from textual.widgets import Input

from sockscope.tui.screens.options import OptionsScreen
from tests.tui.exchanges import LAB
from tests.tui.helpers import make_app, pilot_test

SIZE = (120, 40)


def _files(directory: Path) -> tuple[Path, Path, Path]:
    client = trustme.CA().issue_cert("client@example.org")
    stranger = trustme.CA().issue_cert("stranger@example.org")
    cert, key, other = directory / "c.pem", directory / "k.pem", directory / "o.pem"
    client.cert_chain_pems[0].write_to_path(str(cert))
    client.private_key_pem.write_to_path(str(key))
    stranger.private_key_pem.write_to_path(str(other))
    return cert, key, other


@pilot_test
async def test_a_client_certificate_and_key_log_apply_and_show_beside_the_target(
    tmp_path: Path,
) -> None:
    cert, key, _ = _files(tmp_path)
    app = make_app(lab=LAB)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        app.screen.query_one("#opt-cert", Input).value = str(cert)
        app.screen.query_one("#opt-key", Input).value = str(key)
        app.screen.query_one("#opt-keylog", Input).value = str(tmp_path / "keys.log")
        await pilot.press("ctrl+o")  # apply
        assert not isinstance(app.screen, OptionsScreen)
        tls = app.options.tls
        assert (tls.cert_file, tls.key_file) == (str(cert), str(key))
        assert tls.keylog_file == str(tmp_path / "keys.log")
        summary = str(app.query_one("#options-summary").render())
        assert "client cert c.pem" in summary and "key log" in summary


@pilot_test
async def test_a_key_of_another_certificate_is_named_and_not_applied(tmp_path: Path) -> None:
    cert, _, other = _files(tmp_path)
    app = make_app(lab=LAB)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        app.screen.query_one("#opt-cert", Input).value = str(cert)
        app.screen.query_one("#opt-key", Input).value = str(other)
        await pilot.pause()
        message = str(app.screen.query_one("#options-message").render())
        assert "client certificate: the key does not belong to the certificate" in message
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, OptionsScreen)
        assert app.options.tls.cert_file is None
