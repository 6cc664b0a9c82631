"""The `sockscope` command: the explorer by default, `send`, `lab`, `templates`, `export`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from sockscope.cli.crash import report_crash
from sockscope.cli.parsing import SUBCOMMANDS, UsageError, build_parser

EXIT_OK, EXIT_NETWORK, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


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
        print(f"sockscope {command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: never a raw traceback
        print(report_crash(exc), file=sys.stderr)
        return EXIT_INTERNAL


def _dispatch(command: str, args: object) -> int:
    if command == "send":
        from sockscope.cli.send import run_send

        return run_send(args)
    if command == "lab":
        from sockscope.lab import serve

        hostile = args.hostile  # type: ignore[attr-defined]
        return serve(args.host, args.port_base, args.json, hostile)  # type: ignore[attr-defined]
    if command == "export":
        from sockscope.cli.export import run_export

        return run_export(args)
    if command == "listen":
        from sockscope.cli.listen import run_listen

        return run_listen(args)
    if command == "templates":
        from sockscope.cli.templates import list_templates

        return list_templates(args)
    from sockscope.cli.explore import run_explorer

    return run_explorer(args)
