"""`sockscope [HOST [PORT]]`: open the explorer; with no host, on an in-process lab."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sockscope.core.model import Exchange
from sockscope.tui.app import SockscopeApp
from sockscope.tui.lab_info import LabInfo


def launch(
    host: str | None,
    port: int | None,
    template: str | None,
    transport: str | None,
    exchanges: Sequence[Exchange] = (),
) -> int:
    """Run the app until quit; returns its exit code.

    `exchanges` (saved transcripts) open in the history, the last one shown, with no
    lab. Otherwise, with no host the lab starts on loopback (OS-chosen ports) so the
    first Send shows a real exchange without touching the network; it stops when the
    app quits.
    """
    if exchanges:
        return _run(SockscopeApp(exchanges=exchanges))
    if host is not None:
        return _run(SockscopeApp(host=host, port=port, template=template, transport=transport))
    with in_process_lab() as info:
        return _run(SockscopeApp(port=port, template=template, transport=transport, lab=info))


@contextmanager
def in_process_lab() -> Iterator[LabInfo]:
    """The lab listening on loopback until the block ends, as the app sees it. Its CA file
    is named, not yet written: the app makes the lab's identity after its first frame
    (LabInfo.make_identity), unless a TLS handshake or a Send to the lab asked first."""
    from sockscope.lab.server import LabThread  # only here: the lab's modules cost

    with LabThread() as lab:
        yield LabInfo(lab.host, lab.ports, lab.lab.ca_file, lab.make_identity)


def _run(app: SockscopeApp) -> int:
    """Run `app` until it ends; its exit status (non-zero after an internal error)."""
    app.run()
    return app.return_code or 0
