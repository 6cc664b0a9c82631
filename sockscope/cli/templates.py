"""`sockscope templates`: what can be sent, where it goes, and where user templates live.

Every string here but our own may come from a user template file someone else wrote:
each reaches stdout through `sanitize_line` (JSON output through `json.dumps`).
"""

from __future__ import annotations

import argparse

from sockscope.cli.output import print_json
from sockscope.cli.parsing import UsageError
from sockscope.core.sanitize import sanitize, sanitize_line
from sockscope.core.templates import load_templates, unknown_template, user_template_dir


def list_templates(args: argparse.Namespace) -> int:
    templates, problems = load_templates()
    if args.show:
        template = templates.get(args.show)
        if template is None:
            raise UsageError(f"--show: {unknown_template(args.show, templates, problems)}")
        print(sanitize(template.payload))
        return 0
    if args.json:
        listing = {
            name: {
                "title": t.title,
                "transport": t.transport.value,
                "port": t.port,
                "payload": t.payload,
                "hex": t.is_hex,
                "source": t.source,
            }
            for name, t in templates.items()
        }
        print_json(listing)
        return 0
    width = max(len(name) for name in templates)
    for name, t in templates.items():
        port = "-" if t.port is None else str(t.port)
        line = f"{name:<{width}}  {t.transport.value:<10} {port:>5}  {t.title}"
        if t.source != "built-in":
            line += f"  ({t.source})"
        print(sanitize_line(line))
    print(f"\nUser templates: {sanitize_line(str(user_template_dir()))}/*.toml")
    for problem in problems:
        print(f"warning: {sanitize_line(problem)}")
    return 0
