"""`python -m tests.bench [AREA...]`: run the benchmarks and print the table."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tests.bench import engine, lab_load, startup, tui
from tests.bench.common import RUNS, LabProcess, Row, lab_process, machine
from tests.bench.servers import Nginx, nginx

Area = Callable[[LabProcess, Nginx | str], list[Row]]
AREAS: dict[str, tuple[str, Area]] = {
    "engine": (
        "1 GiB transfers from nginx vs curl, socat, ncat",
        lambda lab, srv: engine.transfers(srv),
    ),
    "memory": (
        "peak memory keeping N bytes: report, --json, open",
        lambda lab, srv: engine.keeping(srv),
    ),
    "startup": (
        "whole-process fixed costs, first frame vs peers",
        lambda lab, srv: startup.fixed_costs(srv) + startup.first_frames(),
    ),
    "views": ("the explorer on 1 MiB and 64 MiB captures", lambda lab, srv: tui.views()),
    "tui": ("key presses during a 1 GiB stream", lambda lab, srv: tui.responsiveness(lab)),
    "lab": ("ab against the lab, nginx, http.server and listen", lab_load.under_load),
}
COLUMNS = ("Area", "Measure", "Path", "sockscope", "Peer", "Ratio", "Target", "Verdict", "N")


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = (
            row.area,
            row.measure,
            row.path,
            row.ours,
            row.peer,
            row.ratio,
            row.target,
            row.verdict,
            row.runs,
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def usage() -> str:
    areas = "\n".join(f"  {name:8} {what}" for name, (what, _) in AREAS.items())
    return f"usage: python -m tests.bench [AREA...]\n\nareas (all when none is named):\n{areas}"


def main(argv: list[str]) -> int:
    if {"-h", "--help"} & set(argv):
        print(usage())
        return 0
    chosen = argv or list(AREAS)
    unknown = [name for name in chosen if name not in AREAS]
    if unknown:
        print(f"unknown area {', '.join(unknown)}\n\n{usage()}", file=sys.stderr)
        return 2
    rows: list[Row] = []
    with lab_process() as lab, nginx() as server:
        for name in chosen:
            started = time.perf_counter()
            print(f"running {name}...", file=sys.stderr, flush=True)
            rows.extend(AREAS[name][1](lab, server))
            print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(f"Machine: {machine()}\n")
    print(
        f"Each figure: the median of {RUNS} runs, tools alternated run by run, "
        "[min-max] of the runs; N: runs counted.\n"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
