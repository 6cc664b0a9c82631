"""`sockscope templates`: what can be sent, where it goes, and where user templates live."""

from __future__ import annotations

import argparse
import json

from sockscope.cli.parsing import UsageError
from sockscope.core.sanitize import sanitize
from sockscope.core.templates import TemplateError, load_templates, user_template_dir


def list_templates(args: argparse.Namespace) -> int:
    templates, problems = load_templates()
    if args.show:
        template = templates.get(args.show)
        if template is None:
            raise UsageError(
                f"--show: unknown template {args.show!r}; one of: {', '.join(templates)}"
            )
        try:
            print(template.payload if template.is_hex else sanitize(template.payload))
        except TemplateError as exc:
            raise UsageError(str(exc)) from None
        return 0
    if args.json:
        print(
            json.dumps(
                {
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
            )
        )
        return 0
    width = max(len(name) for name in templates)
    for name, t in templates.items():
        port = "-" if t.port is None else str(t.port)
        line = f"{name:<{width}}  {t.transport.value:<10} {port:>5}  {t.title}"
        if t.source != "built-in":
            line += f"  ({t.source})"
        print(sanitize(line))
    print(f"\nUser templates: {user_template_dir()}/*.toml")
    for problem in problems:
        print(f"warning: {sanitize(problem)}")
    return 0
