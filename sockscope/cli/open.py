"""`sockscope open FILE...`: the explorer with saved transcripts in its history, or with
`--play` the playback of the last one."""

from __future__ import annotations

import argparse

from sockscope.cli.parsing import UsageError
from sockscope.export.transcript import TranscriptError, load_transcript


def run_open(args: argparse.Namespace) -> int:
    # Every file is read before the screen opens: a bad one is a line on the terminal.
    try:
        exchanges = [load_transcript(name) for name in args.files]
    except TranscriptError as exc:
        raise UsageError(str(exc)) from None
    from sockscope.tui import collector_paused

    if args.play:
        with collector_paused():
            from sockscope.tui.playback import play

        return play(exchanges[-1])
    with collector_paused():
        from sockscope.tui.launch import launch

    return launch(None, None, None, None, exchanges)
