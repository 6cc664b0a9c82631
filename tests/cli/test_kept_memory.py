"""Keeping N bytes costs memory in proportion: the text report, `send --json` and opening a
transcript each peak under 1.5 x N + 60 MiB of traced allocations (issue 14's target)."""

from __future__ import annotations

import base64
import contextlib
import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sockscope.cli import main
from sockscope.export.transcript import load_transcript, save_transcript
from tests.export.conftest import made_exchange

MIB = 1024 * 1024


def _target(kept: int) -> int:
    return kept * 3 // 2 + 60 * MIB


@pytest.fixture
def peak_memory() -> Iterator[Callable[[], int]]:
    """The peak of traced allocations (every thread, the lab's too) since the test began."""
    tracemalloc.start()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _send_bytes(lab, n: int, out: Path, *flags: str) -> int:
    """`sockscope send` of the lab's /bytes?n=N, its stdout in a file (not in memory)."""
    args = ["send", lab.host, str(lab.port("http")), "-T", "http-get"]
    args += ["--path", f"/bytes?n={n}", "--capture-limit", "1G", *flags]
    with out.open("w") as file, contextlib.redirect_stdout(file):
        return main(args)


def test_the_text_report_keeping_32_mib_peaks_under_the_target(
    lab, tmp_path: Path, peak_memory: Callable[[], int]
) -> None:
    kept = 32 * MIB
    out = tmp_path / "report.txt"

    code = _send_bytes(lab, kept, out)

    assert peak_memory() < _target(kept)
    assert code == 0
    assert "32.0 MiB" in out.read_text()


def test_send_json_keeping_32_mib_peaks_under_the_target(
    lab, tmp_path: Path, peak_memory: Callable[[], int]
) -> None:
    kept = 32 * MIB
    out = tmp_path / "out.json"

    code = _send_bytes(lab, kept, out, "--json")

    peak = peak_memory()
    assert code == 0
    doc = json.loads(out.read_text())
    assert len(base64.b64decode(doc["http"]["body_b64"])) == kept
    assert base64.b64decode(doc["received_b64"]).endswith(base64.b64decode(doc["http"]["body_b64"]))
    assert peak < _target(kept)


def test_opening_a_transcript_keeping_32_mib_peaks_under_the_target(tmp_path: Path) -> None:
    kept = 32 * MIB
    path = tmp_path / "big.json"
    pieces = [bytes([i % 256]) * (64 * 1024) for i in range(kept // (64 * 1024))]
    save_transcript(made_exchange([b"GET / HTTP/1.1\r\n\r\n"], pieces), path)
    del pieces

    tracemalloc.start()
    try:
        exchange = load_transcript(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert exchange.kept == kept
    assert peak < _target(kept)
