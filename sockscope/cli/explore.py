"""`sockscope [HOST [PORT]]`: open the explorer, prefilled when a target is given."""

from __future__ import annotations

import argparse

from sockscope.cli.parsing import UsageError
from sockscope.core.fields import FieldError, check_host, parse_port
from sockscope.core.templates import load_templates


def run_explorer(args: argparse.Namespace) -> int:
    # Validate before the screen opens: a message on the terminal beats a blank app.
    try:
        host = check_host(args.host, "HOST") if args.host else None
        port = parse_port(args.port, "PORT") if args.port else None
    except FieldError as exc:
        raise UsageError(str(exc)) from None
    if args.template:
        templates, _ = load_templates()
        if args.template not in templates:
            names = ", ".join(templates)
            raise UsageError(f"--template: unknown template {args.template!r}; one of: {names}")
    from sockscope.tui import collector_paused

    with collector_paused():
        from sockscope.tui.launch import launch

    return launch(host, port, args.template, args.transport)
