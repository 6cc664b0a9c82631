"""`sockscope lab`: the lab's services on loopback until Ctrl-C."""

from __future__ import annotations

import argparse


def run_lab(args: argparse.Namespace) -> int:
    from sockscope.lab import serve

    return serve(args.host, args.port_base, args.json, args.hostile)
