"""Benchmarks (issues 6 and 14): not tests, never in the default run.

Run them all (about ten minutes on two cores) from the repository root:

    python -m tests.bench            # everything, then a Markdown table
    python -m tests.bench engine tui # some areas; `python -m tests.bench --help` names them

Each figure is measured side by side with its peer in the same run (curl, socat, ncat,
nginx, `python -m http.server`, `python3 -c pass`, a bare Textual app, Toolong, Posting)
through one helper, `common.alternate`: tools alternated run by run, the median of 5
runs with [min-max], a byte count checked for every transfer (a wrong count fails the
row), and the path (splice or copy) sockscope took. A peer that is not installed shows
"n/a (install X)". The files are not named test_*.py, so pytest never collects them.
"""
