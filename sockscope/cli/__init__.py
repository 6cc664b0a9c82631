"""The `sockscope` command: the explorer by default, or a sub-command named first."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from sockscope.cli.output import warn
from sockscope.cli.parsing import SUBCOMMANDS, UsageError, build_parser
from sockscope.crash import EXIT_INTERNAL, report_crash

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # `sockscope HOST PORT` opens the explorer, so a sub-command is recognised by name.
    command = args_list[0] if args_list and args_list[0] in SUBCOMMANDS else "explore"
    if command != "explore":
        args_list = args_list[1:]
    parser = build_parser(command)
    try:
        args = parser.parse_args(args_list)
        return _dispatch(command, args)
    except UsageError as exc:
        # Every refusal of every command leaves here: it may quote any argument or file.
        if command == "explore":
            warn(f"sockscope: error: {exc}{_did_you_mean(args_list)}")
        else:
            warn(f"sockscope {command}: error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: never a raw traceback
        warn(report_crash(exc))
        return EXIT_INTERNAL


def _did_you_mean(args: list[str]) -> str:
    """A first word that the explorer took for a host but that is a sub-command mistyped
    (`sockscope sned ...`) is named with the command it is probably meant to be."""
    if not args:
        return ""
    import difflib

    close = difflib.get_close_matches(args[0], SUBCOMMANDS, n=1, cutoff=0.7)
    return f"; did you mean `sockscope {close[0]}`?" if close else ""


# Each command's module is imported only when it runs: `sockscope send` never pays for
# Textual, and the explorer starts without the export code.
_RUNNERS = {
    "explore": ("sockscope.cli.explore", "run_explorer"),
    "send": ("sockscope.cli.send", "run_send"),
    "connect": ("sockscope.cli.connect", "run_connect"),
    "lab": ("sockscope.cli.lab", "run_lab"),
    "templates": ("sockscope.cli.templates", "list_templates"),
    "export": ("sockscope.cli.export", "run_export"),
    "listen": ("sockscope.cli.listen", "run_listen"),
    "relay": ("sockscope.cli.relay", "run_relay"),
    "compare": ("sockscope.cli.compare", "run_compare"),
    "open": ("sockscope.cli.open", "run_open"),
}


def _dispatch(command: str, args: argparse.Namespace) -> int:
    module, function = _RUNNERS[command]
    run: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), function)
    return run(args)
