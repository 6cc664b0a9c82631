"""The lab's TLS identity: a throwaway CA and a leaf for localhost, made at every start."""

from __future__ import annotations

import shutil
import ssl
import tempfile
from pathlib import Path

import trustme

NAMES = ("localhost", "127.0.0.1", "::1")
# What a client shows as the certificate's owner, so the lab is easy to recognise.
ORGANIZATION = "sockscope lab"


class LabCertificates:
    """A server context for the https service and the CA's PEM file for clients to trust."""

    def __init__(self) -> None:
        # Kept so the hostile lab can sign certificates that verify as a chain.
        self.ca = ca = trustme.CA(organization_name=ORGANIZATION)
        leaf = ca.issue_cert(*NAMES, organization_name=ORGANIZATION, common_name=NAMES[0])
        self.server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(self.server_context)
        self._directory = Path(tempfile.mkdtemp(prefix="sockscope-lab-"))
        self.ca_file = self._directory / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))

    def remove(self) -> None:
        shutil.rmtree(self._directory, ignore_errors=True)
