"""`sockscope export`: a saved exchange as a script, a transcript, a command line or a pcap."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sockscope.cli.parsing import UsageError
from sockscope.core.model import Exchange
from sockscope.export import ExportError
from sockscope.export.pcap import to_pcap
from sockscope.export.python_script import to_python
from sockscope.export.shell import to_shell
from sockscope.export.transcript import TranscriptError, load_transcript, transcript_text


def run_export(args: argparse.Namespace) -> int:
    try:
        exchange = load_transcript(args.file)
    except TranscriptError as exc:
        raise UsageError(str(exc)) from None
    try:
        result = render(exchange, args.format)
    except ExportError as exc:
        raise UsageError(f"--format {args.format}: {exc}") from None
    if args.output:
        _write_file(Path(args.output), result, executable=args.format == "python")
    elif isinstance(result, bytes):
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


def render(exchange: Exchange, fmt: str) -> str | bytes:
    if fmt == "python":
        return to_python(exchange)
    if fmt == "json":
        return transcript_text(exchange)
    if fmt == "pcap":
        return to_pcap(exchange)
    return to_shell(exchange, fmt)


def _write_file(path: Path, result: str | bytes, *, executable: bool) -> None:
    try:
        path.write_bytes(result if isinstance(result, bytes) else result.encode("utf-8"))
        if executable:
            path.chmod(0o755)  # the script starts with #!/usr/bin/env python3
    except OSError as exc:
        raise UsageError(f"-o: cannot write {path}: {exc.strerror or exc}") from None
