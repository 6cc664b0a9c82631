"""sockscope's own loopback servers: real peers with no network, for users and tests."""

from sockscope.lab.console import serve
from sockscope.lab.server import Lab, LabError, LabThread

__all__ = ["Lab", "LabError", "LabThread", "serve"]
