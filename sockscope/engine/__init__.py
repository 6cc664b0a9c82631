"""The engine: blocking stdlib sockets that turn a Target and a request into an Exchange.

No Textual, no Rich: the CLI, the app's worker threads and the tests all call it alike.
Each name is imported from its module when first used, so `sockscope send` does not pay
for the session machinery it never runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sockscope.engine.connection import Connection, FileSink, ReadOutcome, Recorder
    from sockscope.engine.errors import classify
    from sockscope.engine.memory import receive_buffer
    from sockscope.engine.run import run_exchange
    from sockscope.engine.session import Action, Session, SessionState
    from sockscope.engine.steps import run_steps

_MODULES = {
    "Action": "session",
    "Connection": "connection",
    "FileSink": "connection",
    "ReadOutcome": "connection",
    "Recorder": "connection",
    "Session": "session",
    "SessionState": "session",
    "classify": "errors",
    "receive_buffer": "memory",
    "run_exchange": "run",
    "run_steps": "steps",
}

__all__ = [
    "Action",
    "Connection",
    "FileSink",
    "ReadOutcome",
    "Recorder",
    "Session",
    "SessionState",
    "classify",
    "receive_buffer",
    "run_exchange",
    "run_steps",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:  # a submodule (`from sockscope.engine import listen_udp`) is found next
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
