"""What the Listen and Relay screens share: the server's life seen from the screen.

The server (an engine Listener or Relay) binds on a worker thread, since binding and
making a TLS certificate take a moment; its callbacks only queue what happened in a
ServingBridge, which posts one ServedUpdate at a time; redraws go through a Throttle; and
on leaving, every conversation goes to the app in a Left message, for the history.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar, Generic, TypeVar

from textual import on, work
from textual.message import Message
from textual.worker import Worker, WorkerState

from sockscope.core.model import Exchange
from sockscope.engine.binding import ListenError
from sockscope.engine.serving import ListenAddress, Serving
from sockscope.tui.bridge import ServingBridge, Throttle
from sockscope.tui.opening import FocusOnOpen

# At most this many redraws a second while clients talk (as the explorer's).
REDRAW_INTERVAL = 0.05

Session = TypeVar("Session")


class ServedUpdate(Message):
    """New sessions, events or notes are waiting in `bridge`."""

    def __init__(self, bridge: ServingBridge[Any]) -> None:
        super().__init__()
        self.bridge = bridge


class ServedStarted(Message):
    def __init__(self, server: Serving, address: ListenAddress) -> None:
        super().__init__()
        self.server = server
        self.address = address


class ServedFailed(Message):
    def __init__(self, server: Serving, message: str) -> None:
        super().__init__()
        self.server = server
        self.message = message


class ServingScreen(FocusOnOpen, Generic[Session]):
    """A screen that runs one server at a time; subclasses say what to draw."""

    VERB: ClassVar[str] = "serve"  # "could not VERB: ..."
    NOUN: ClassVar[str] = "conversation"  # what the history is told it received

    class Left(Message):
        """The screen was left: its conversations, for the app's history."""

        def __init__(self, exchanges: list[Exchange], noun: str, title: str) -> None:
            super().__init__()
            self.exchanges = exchanges
            self.noun = noun
            self.title = title

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.server: Serving | None = None
        self.address: ListenAddress | None = None  # while serving
        self._bridge: ServingBridge[Session] | None = None
        self._note = ""
        self._error = ""
        self._turned_away = 0
        self._shown: tuple[int, int, object] | None = None  # (number, events, stop) drawn
        self._throttle = Throttle(self, REDRAW_INTERVAL)
        self._changed = asyncio.Event()
        # Sessions the server reported, listed at the next redraw with everything else.
        self._arrived: list[Session] = []

    def on_unmount(self) -> None:
        # The app is quitting (or the screen was dismissed): release the port.
        if self.server is not None:
            self.server.stop()

    async def changed(self) -> None:
        """Until the next redraw (tests wait on it instead of sleeping)."""
        await self._changed.wait()

    def redraw(self) -> None:
        raise NotImplementedError

    # ---- start and stop ----------------------------------------------------------------

    def _new_bridge(self) -> ServingBridge[Session]:
        return ServingBridge(self, ServedUpdate)

    def _start(self, server: Serving, bridge: ServingBridge[Session]) -> None:
        """Bind `server` (made with `bridge`'s callbacks) off the UI thread."""
        self.server, self._bridge = server, bridge
        self._error = self._note = ""
        self._bind(server)

    @work(thread=True, exclusive=True, group="serving", exit_on_error=False)
    def _bind(self, server: Serving) -> None:
        try:
            address = server.start()
        except ListenError as exc:
            self.post_message(ServedFailed(server, exc.message))
            return
        self.post_message(ServedStarted(server, address))

    @on(ServedStarted)
    def _started(self, message: ServedStarted) -> None:
        if message.server is not self.server:
            message.server.stop()  # stopped while it was binding
            return
        self._turned_away = 0
        self.serving_on(message.address)

    def serving_on(self, address: ListenAddress) -> None:
        """Show that we serve at `address` (also how a snapshot shows a fixed state)."""
        raise NotImplementedError

    @on(ServedFailed)
    def _failed(self, message: ServedFailed) -> None:
        if message.server is self.server:
            self._ended(f"could not {self.VERB}: {message.message}")
            self.app.bell()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "serving" and event.worker.state is WorkerState.ERROR:
            self._ended(f"internal error: {event.worker.error!r}")

    def _ended(self, error: str) -> None:
        """The server could not start: say why, and let the fields be edited again."""
        self.server = None
        self._error = error
        self.set_running(False)
        self.redraw()

    def set_running(self, running: bool) -> None:
        """The bar shows whether the server runs (its fields locked while it does)."""
        raise NotImplementedError

    def _stop(self) -> None:
        """Stop accepting and end every open conversation (they stay in the list)."""
        server, self.server = self.server, None
        if server is not None:
            self._turned_away = server.turned_away
            server.stop()
        self.address = None

    def left_exchanges(self) -> list[Exchange]:
        raise NotImplementedError

    def action_leave(self) -> None:
        self._stop()
        self.redraw()  # list the sessions that arrived since the last redraw
        title = self.VERB.capitalize()
        self.app.post_message(self.Left(self.left_exchanges(), self.NOUN, title))
        self.dismiss()

    # ---- what the server reports ---------------------------------------------------

    @on(ServedUpdate)
    def _take_events(self, message: ServedUpdate) -> None:
        sessions, notes = message.bridge.drain()
        if message.bridge is not self._bridge:
            return
        self._arrived.extend(sessions)
        if notes:
            self._note = notes[-1]
        if self.server is not None:
            self._turned_away = self.server.turned_away
        self._throttle.request(self.redraw)
