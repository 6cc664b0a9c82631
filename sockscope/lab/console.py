"""`sockscope lab`: serve the lab in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import json
import shlex
import signal
import sys
import threading

from sockscope.core.sanitize import sanitize, sanitize_line
from sockscope.lab.catalog import SERVICES
from sockscope.lab.server import Lab, LabError


def table(lab: Lab) -> str:
    """Each service's transports and ports, what it does, and a command to try it."""
    host = shlex.quote(lab.host)
    rows = [("service", "transport", "port", "what it does")]
    examples = [""]
    for service in SERVICES:
        for transport, port in lab.ports[service.name].items():
            rows.append((service.name, transport, str(port), service.description))
            arguments = service.examples[transport].format(ca_file=shlex.quote(lab.ca_file))
            examples.append(f"$ sockscope send {host} {port} {arguments}")
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        f"sockscope lab on {lab.host}; Ctrl-C stops it.",
        f"The https certificate is signed by the CA in {lab.ca_file}",
        "",
    ]
    for (name, transport, port_text, what), example in zip(rows, examples, strict=True):
        left = f"{name:<{widths[0]}}  {transport:<{widths[1]}}  {port_text:>{widths[2]}}  "
        lines.append(left + what)
        if example:
            lines.append(" " * len(left) + example)
    if lab.hostile:
        lines += ["", *hostile_table(lab)]
    return "\n".join(lines)


def hostile_table(lab: Lab) -> list[str]:
    """Each hostile case: where, what it does, what sockscope should show, how to try it."""
    from sockscope.lab.hostile import CASES

    host = shlex.quote(lab.host)
    name_width = max(len(case.name) for case in CASES)
    lines = [
        f"Hostile cases ({len(CASES)}): each misbehaves on purpose (hostile-servers.md).",
        f"{'case':<{name_width}}  transport   port  what it does",
    ]
    for case in CASES:
        (transport, port), *_ = lab.ports[case.name].items()
        left = f"{case.name:<{name_width}}  {transport:<9}  {port:>5}  "
        arguments = " ".join(
            shlex.quote(argument.replace("{ca_file}", lab.ca_file)) for argument in case.client
        )
        lines += [
            left + case.does,
            " " * len(left) + f"shows: {case.shows}",
            " " * len(left) + f"$ sockscope send {host} {port} {arguments}",
        ]
    return lines


async def _serve(host: str, port_base: int | None, as_json: bool, hostile: bool) -> int:
    stopping = asyncio.Event()
    if threading.current_thread() is threading.main_thread():
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
    try:
        lab = Lab(host, port_base, hostile)
        await lab.start()
    except (LabError, ValueError) as exc:
        # The message may quote --host as given: on one line, a newline in it a token.
        print(sanitize_line(f"sockscope lab: {exc}"), file=sys.stderr)
        return 1
    try:
        lab.make_identity()  # the table names the CA file: it is there once printed
        # The table names the host and the CA file's path (under $TMPDIR).
        print(json.dumps(lab.ports) if as_json else sanitize(table(lab)), flush=True)
        await stopping.wait()
    finally:
        await lab.stop()
    return 0


def serve(
    host: str = "127.0.0.1",
    port_base: int | None = None,
    as_json: bool = False,
    hostile: bool = False,
) -> int:
    """Run the lab until SIGINT or SIGTERM; 0 on a clean stop, 1 if a service cannot listen.

    `hostile` adds every case of sockscope.lab.hostile, each on its own port.
    """
    try:
        return asyncio.run(_serve(host, port_base, as_json, hostile))
    except KeyboardInterrupt:
        # Ctrl-C before the signal handlers were in place: still a clean stop.
        return 0
