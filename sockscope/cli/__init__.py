"""The `sockscope` command: the explorer by default, or a sub-command named first."""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

from sockscope.cli.parsing import SUBCOMMANDS, UsageError, build_parser
from sockscope.crash import EXIT_INTERNAL, report_crash

# Annotations only: type checkers take any TYPE_CHECKING as True.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

EXIT_USAGE = 2
EXIT_OUTPUT = 74  # sysexits' EX_IOERR: the output could not be written (a full disk)
EXIT_BROKEN_PIPE = 141  # what a shell reports for a tool ended by SIGPIPE
# Errors of writing the output, not of anything sockscope did.
_OUTPUT_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush at exit cannot fail
    again on the same pipe or disk."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


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
            _warn(f"sockscope: error: {exc}{_did_you_mean(args_list)}")
        else:
            _warn(f"sockscope {command}: error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): as for any shell tool, stop quietly.
        _drop_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRORS:
            _warn(report_crash(exc))
            return EXIT_INTERNAL
        _drop_stdout()
        _warn(f"sockscope: cannot write the output: {exc.strerror}")
        return EXIT_OUTPUT
    except Exception as exc:  # the last line of defence: never a raw traceback
        _warn(report_crash(exc))
        return EXIT_INTERNAL


def _warn(text: str) -> None:
    """`cli.output.warn`, imported when a message is shown: `sockscope --help` shows none,
    and the sanitiser it loads would be a noticeable share of that command's start."""
    from sockscope.cli.output import warn

    warn(text)


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
