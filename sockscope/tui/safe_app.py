"""What every sockscope app does with its errors and notifications, in one base class.

The explorer and the playback app both put text from elsewhere on the terminal, and
both may meet an unexpected error: `SafeApp` makes the two behave alike.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.notifications import SeverityLevel

from sockscope.core.sanitize import sanitize
from sockscope.crash import EXIT_INTERNAL, report_crash


class SafeApp(App[int]):
    def _handle_exception(self, error: Exception) -> None:
        """An unhandled error still ends the app (and fails a Pilot test), but what reaches
        the terminal is one sanitised line and a log file path: Textual's own report is a
        traceback with local variables, which may quote server bytes (ESC included).
        Textual 8.2.8 (pinned) prints `_exit_renderables` after the screen is restored."""
        super()._handle_exception(error)
        self._return_code = EXIT_INTERNAL  # Textual's 1 would read as "network failure"
        self._exit_renderables[:] = [Text(report_crash(error))]

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification (ours, a screen's, Textual's own) is shown sanitised and
        never parsed as markup (whatever `markup` says): messages quote file names,
        paths and template errors."""
        super().notify(
            sanitize(message),
            title=sanitize(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )
