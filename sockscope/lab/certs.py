"""The lab's TLS identity: a throwaway CA and a leaf for localhost, made at every start.

The context and the CA file's path exist from the start; the certificates themselves are
made by `make()` (importing trustme and cryptography is most of its cost), so the lab can
listen, and the app paint its first frame, before they exist. A handshake that comes first
waits for them: the context's SNI callback, which OpenSSL calls for every ClientHello (with
or without a server name), makes them if need be and hands the handshake the leaf's context.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import trustme

NAMES = ("localhost", "127.0.0.1", "::1")
# What a client shows as the certificate's owner, so the lab is easy to recognise.
ORGANIZATION = "sockscope lab"


class LabCertificates:
    """A server context for the https and STARTTLS services and the CA's PEM file for
    clients to trust (written by `make()`)."""

    def __init__(self) -> None:
        self._directory = Path(tempfile.mkdtemp(prefix="sockscope-lab-"))
        self.ca_file = self._directory / "ca.pem"
        self.server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server_context.sni_callback = self._handshaking
        # make() may be called from the lab's loop (a handshake), a client's thread and
        # the app's at once: one makes them, the others wait; remove() waits for it too.
        self._lock = threading.Lock()
        self._ca: trustme.CA | None = None
        self._leaf_context: ssl.SSLContext | None = None
        self._removed = False

    def make(self) -> ssl.SSLContext:
        """Make the certificates and write the CA file, unless done; returns, once they
        are, the context that holds the leaf."""
        with self._lock:
            if self._leaf_context is not None:
                return self._leaf_context
            if self._removed:
                raise RuntimeError("the lab has stopped")
            import trustme

            ca = trustme.CA(organization_name=ORGANIZATION)
            leaf = ca.issue_cert(*NAMES, organization_name=ORGANIZATION, common_name=NAMES[0])
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            leaf.configure_cert(context)
            ca.cert_pem.write_to_path(str(self.ca_file))
            self._ca = ca
            self._leaf_context = context
            return context

    @property
    def ca(self) -> trustme.CA:
        """The CA (made first if need be): the hostile lab signs its own leaves with it."""
        self.make()
        assert self._ca is not None
        return self._ca

    def _handshaking(
        self, connection: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: ssl.SSLContext
    ) -> None:
        connection.context = self.make()

    def remove(self) -> None:
        with self._lock:
            self._removed = True
            shutil.rmtree(self._directory, ignore_errors=True)
