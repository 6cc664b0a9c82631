"""`sockscope compare A.json B.json`: what differs between two saved exchanges."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sockscope.cli.output import new_console
from sockscope.cli.parsing import UsageError
from sockscope.cli.report import safe
from sockscope.cli.styled import Text
from sockscope.core.compare import BytesDiff, Change, Comparison, compare
from sockscope.export.transcript import TranscriptError, load_transcript

if TYPE_CHECKING:
    from sockscope.cli.output import Printer

MARKS = {Change.SAME: " ", Change.REMOVED: "-", Change.ADDED: "+", Change.CHANGED: "~"}
STYLES = {
    Change.SAME: "dim",
    Change.REMOVED: "red",
    Change.ADDED: "green",
    Change.CHANGED: "yellow",
}


def run_compare(args: argparse.Namespace) -> int:
    try:
        left, right = load_transcript(args.left), load_transcript(args.right)
    except TranscriptError as exc:
        raise UsageError(str(exc)) from None
    console = new_console()
    print_comparison(console, compare(left, right), args.left, args.right, show_all=args.all)
    return 0


def print_comparison(
    console: Printer, comparison: Comparison, left: str, right: str, *, show_all: bool
) -> None:
    console.print(Text("- ", style="red").append_text(safe(left)))
    console.print(Text("+ ", style="green").append_text(safe(right)))
    console.print(Text(comparison.summary, style="bold"))
    _print_bytes(console, "Sent", comparison.sent, show_all)
    _print_bytes(console, "Received", comparison.received, show_all)
    if comparison.status is not None and comparison.status[0] != comparison.status[1]:
        console.print(Text("Status", style="bold cyan"))
        console.print(Text("  - ", style="red").append_text(safe(comparison.status[0])))
        console.print(Text("  + ", style="green").append_text(safe(comparison.status[1])))
    changed = [h for h in comparison.headers if show_all or h.change is not Change.SAME]
    if changed:
        console.print(Text("Headers", style="bold cyan"))
    for header in changed:
        line = Text(f"  {MARKS[header.change]} ", style=STYLES[header.change])
        line.append_text(safe(header.name)).append(": ")
        if header.change is Change.CHANGED:
            line.append_text(safe(header.left or "")).append("  ->  ").append_text(
                safe(header.right or "")
            )
        else:
            line.append_text(safe((header.left if header.right is None else header.right) or ""))
        console.print(line)


def _print_bytes(console: Printer, name: str, diff: BytesDiff, show_all: bool) -> None:
    if diff.identical and not show_all:
        return
    console.print(Text(name, style="bold cyan"))
    for line in diff.lines:
        if show_all or line.change is not Change.SAME:
            # repr lines are ASCII by construction: nothing to sanitise.
            console.print(Text(f"  {MARKS[line.change]} {line.text}", style=STYLES[line.change]))
    for note in diff.notes:
        console.print(Text(f"  ... {note}", style="dim"))
