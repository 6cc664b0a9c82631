"""Every hostile case through `sockscope send`: the report names how it ended and what is
wrong, prints no traceback and no byte a terminal would act on, and stays small."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest

from sockscope.core.views import decode_segments
from sockscope.lab import LabThread
from sockscope.lab.hostile import Case, case
from sockscope.lab.hostile.display import ATTACKS, Attack
from tests.clirun import CliResult
from tests.hostile.conftest import case_params, send_arguments, unsafe_characters

REPORT_LIMIT = 256 * 1024  # characters: the report of a 5 MB line is a glance, not a dump

ATTACK_OF: dict[str, Attack] = {
    name: attack
    for attack in ATTACKS
    for name in (f"display-{attack.name}", f"display-{attack.name}-http")
}


def visible(payload: bytes) -> str:
    """How the report shows `payload`: the same text, unsafe characters as tokens."""
    return "".join(text for text, _ in decode_segments(payload, "utf-8"))


@pytest.mark.parametrize("case", case_params())
def test_the_report_says_how_each_case_ended_with_no_traceback_or_terminal_control(
    hostile_lab: LabThread, cli: Callable[..., CliResult], case: Case
) -> None:
    run = cli("send", *send_arguments(hostile_lab, case))

    assert run.code == (1 if case.expect.error else 0)
    assert run.err == ""
    assert "Traceback" not in run.out
    assert case.expect.says in run.out
    assert unsafe_characters(run.out) == set()
    assert len(run.out) < REPORT_LIMIT


@pytest.mark.parametrize("case", case_params())
def test_the_json_names_the_stop_the_error_kind_and_the_problems(
    hostile_lab: LabThread, cli: Callable[..., CliResult], case: Case
) -> None:
    run = cli("send", *send_arguments(hostile_lab, case), "--json")

    assert run.err == ""
    out = json.loads(run.out)
    expect = case.expect
    assert out["stop_reason"] == expect.stop.value
    assert expect.says in out["stop_message"]
    assert (out["error"] or {}).get("kind") == (expect.error.value if expect.error else None)
    codes = {p["code"] for p in out["http"]["problems"]} if out["http"] else set()
    assert set(expect.problems) <= codes


@pytest.mark.parametrize(
    "case", case_params(tuple(case(name) for name in ATTACK_OF if ATTACK_OF[name].in_head))
)
def test_each_display_attack_shows_as_inert_visible_text(
    hostile_lab: LabThread, cli: Callable[..., CliResult], case: Case
) -> None:
    run = cli("send", *send_arguments(hostile_lab, case))

    # Markup arrives literally (a parsed tag would vanish), controls as visible tokens.
    assert visible(ATTACK_OF[case.name].payload) in run.out
    assert unsafe_characters(run.out) == set()


@pytest.mark.parametrize("name", ["display-huge-line", "display-huge-line-http"])
def test_a_five_megabyte_line_is_cut_with_a_note_of_the_rest(
    hostile_lab: LabThread, cli: Callable[..., CliResult], name: str
) -> None:
    run = cli("send", *send_arguments(hostile_lab, case(name)))

    assert "more (--full shows all, -o FILE saves them)" in run.out
    assert "4.8 MiB" in run.out
    assert len(run.out) < REPORT_LIMIT


def test_hostile_certificate_names_reach_the_error_as_tokens(
    hostile_lab: LabThread, cli: Callable[..., CliResult]
) -> None:
    run = cli("send", *send_arguments(hostile_lab, case("tls-hostile-names")))

    assert "hostname mismatch: the certificate is for ␛]52;c;cHduZWQ=␇.evil.example, " in run.out
    assert "[@click=app.quit]x[/].evil.example" in run.out
    assert unsafe_characters(run.out) == set()


def test_hostile_certificate_names_are_tokens_in_the_timeline_when_unverified(
    hostile_lab: LabThread, cli: Callable[..., CliResult]
) -> None:
    arguments = send_arguments(hostile_lab, case("tls-hostile-names"))
    run = cli("send", *arguments, "--insecure")

    assert run.code == 0
    assert "␛[2J␛[H\\u202egnp.exe [@click=app.quit]x[/]" in run.out
    assert unsafe_characters(run.out) == set()


@pytest.mark.parametrize(
    "name", ["display-osc52-clipboard-http", "tls-hostile-names", "http-many-headers"]
)
def test_a_real_process_writes_no_traceback_and_no_control_bytes(
    hostile_lab: LabThread, name: str
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sockscope", "send", *send_arguments(hostile_lab, case(name))],
        capture_output=True,
        timeout=60,
    )

    assert proc.stderr == b""
    assert unsafe_characters(proc.stdout.decode("utf-8")) == set()  # strict: no raw 0x9B
    assert proc.returncode == (1 if case(name).expect.error else 0)
