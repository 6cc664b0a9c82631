"""Benchmarks for issue 6, "Performance at scale": not tests, never in the default run.

Run them all (about three minutes on two cores) from the repository root:

    python -m tests.bench            # everything, then a Markdown table
    python -m tests.bench engine tui # only some areas: engine, lab, views, tui, startup

Each figure is measured side by side with its peer in the same run (curl, socat, ncat,
nginx, `python -m http.server`, a bare Textual app) and given as a ratio. A peer that is
not installed shows "n/a (install X)". The files are not named test_*.py, so pytest
never collects them.
"""
