"""`python -m tests.bench [AREA...]`: run the benchmarks and print the table."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tests.bench import engine, lab_load, startup, tui
from tests.bench.common import LabProcess, Row, lab_process, machine

AREAS: dict[str, Callable[[LabProcess], list[Row]]] = {
    "engine": lambda lab: engine.throughput(lab) + engine.memory(lab),
    "views": lambda lab: tui.views(),
    "tui": tui.responsiveness,
    "startup": lambda lab: startup.rows(),
    "lab": lab_load.under_load,
}


def table(rows: list[Row]) -> str:
    lines = [
        "| Area | Measure | sockscope | Peer | Ratio | Target | Verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = (row.area, row.measure, row.ours, row.peer, row.ratio, row.target, row.verdict)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    chosen = argv or list(AREAS)
    unknown = [name for name in chosen if name not in AREAS]
    if unknown:
        print(f"unknown area {', '.join(unknown)}; choose from {', '.join(AREAS)}")
        return 2
    rows: list[Row] = []
    with lab_process() as lab:
        for name in chosen:
            started = time.perf_counter()
            print(f"running {name}...", file=sys.stderr, flush=True)
            rows.extend(AREAS[name](lab))
            print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(f"Machine: {machine()}\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
