"""The listener's side of TLS: a server context, the certificate made at start, the facts.

Without `--cert/--key` the listener makes a throwaway CA and a leaf for the loopback
names (and the address it binds) with trustme, as the lab does, and keeps the CA's PEM
file for clients to trust (`curl --cacert`). The files live until the listener stops.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sockscope.core.sanitize import sanitize

NAMES = ("localhost", "127.0.0.1", "::1")
ORGANIZATION = "sockscope listen"
_WILDCARDS = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class Identity:
    """A certificate chain and key in PEM files, and the CA that signed them (if ours)."""

    cert_file: str
    key_file: str | None
    ca_file: str | None = None
    directory: str | None = None  # removed by `remove()` when the files were made here

    def remove(self) -> None:
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def throwaway_identity(host: str) -> Identity:
    """A fresh CA and a leaf for the loopback names plus `host` (unless it is a wildcard)."""
    import trustme  # imported here: only TLS listening without --cert needs it

    names = list(NAMES)
    if host not in names and host not in _WILDCARDS:
        names.append(host)
    ca = trustme.CA(organization_name=ORGANIZATION)
    leaf = ca.issue_cert(*names, organization_name=ORGANIZATION, common_name=names[0])
    directory = Path(tempfile.mkdtemp(prefix="sockscope-listen-"))
    chain = directory / "server.pem"
    leaf.private_key_and_cert_chain_pem.write_to_path(str(chain))
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Identity(str(chain), None, str(ca_file), str(directory))


class CertificateError(Exception):
    """The certificate or key given cannot be loaded; `str()` says why, sanitised."""


def listening_tls(
    cert_file: str | None, key_file: str | None, host: str, alpn: tuple[str, ...]
) -> tuple[Identity, ssl.SSLContext]:
    """The identity a listening side shows (the files given, or one made now for `host`)
    and its server context; raises CertificateError when the files cannot be loaded."""
    identity = Identity(cert_file, key_file) if cert_file else throwaway_identity(host)
    try:
        return identity, server_context(identity, alpn)
    except (OSError, ssl.SSLError) as exc:
        identity.remove()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CertificateError(f"cannot load the certificate and key: {sanitize(reason)}") from None


def server_context(identity: Identity, alpn: tuple[str, ...]) -> ssl.SSLContext:
    """Raises OSError or ssl.SSLError when the certificate or key cannot be loaded."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(identity.cert_file, identity.key_file)
    if alpn:
        context.set_alpn_protocols(list(alpn))
    return context


def client_facts(sock: ssl.SSLSocket, sni: str | None) -> dict[str, Any]:
    """JSON-safe facts about a client's TLS session, for the TLS event. `sni` and `alpn`
    are client-chosen text: show them through the display sanitiser."""
    cipher = sock.cipher()
    return {
        "version": sock.version(),
        "cipher": cipher[0] if cipher else None,
        "bits": cipher[2] if cipher else None,
        "alpn": sock.selected_alpn_protocol(),
        "sni": sni,
    }
