"""`sockscope export`: a saved exchange as a script, a transcript, a command line or a pcap."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sockscope.cli.parsing import UsageError
from sockscope.export import ExportError
from sockscope.export.formats import render, write_export
from sockscope.export.transcript import TranscriptError, load_transcript


def run_export(args: argparse.Namespace) -> int:
    try:
        exchange = load_transcript(args.file)
    except TranscriptError as exc:
        raise UsageError(str(exc)) from None
    shape = {"by_turn": args.by_turn, "to_scale": args.to_scale}
    if any(shape.values()) and not args.format.startswith("diagram"):
        raise UsageError("--by-turn and --to-scale shape diagrams: give -f diagram")
    try:
        if args.output:
            write_export(exchange, args.format, Path(args.output), **shape)
            return 0
        result = render(exchange, args.format, **shape)
    except ExportError as exc:
        raise UsageError(f"--format {args.format}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"-o: cannot write {args.output}: {exc.strerror or exc}") from None
    if isinstance(result, bytes):
        if sys.stdout.isatty():
            raise UsageError(
                f"--format {args.format} is binary: give -o FILE or redirect (> out.pcap)"
            )
        sys.stdout.flush()
        sys.stdout.buffer.write(result)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(result)
    return 0
