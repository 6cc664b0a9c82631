"""The engine: blocking stdlib sockets that turn a Target and a request into an Exchange.

No Textual, no Rich: the CLI, the app's worker threads and the tests all call it alike.
"""

from sockscope.engine.connection import Connection, FileSink, ReadOutcome, Recorder
from sockscope.engine.errors import classify
from sockscope.engine.run import run_exchange
from sockscope.engine.session import Action, Session, SessionState
from sockscope.engine.steps import run_steps

__all__ = [
    "Action",
    "Connection",
    "FileSink",
    "ReadOutcome",
    "Recorder",
    "Session",
    "SessionState",
    "classify",
    "run_exchange",
    "run_steps",
]
