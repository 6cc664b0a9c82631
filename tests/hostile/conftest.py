"""The hostile lab for the whole session, and ways to meet a case as a user would.

Each case carries the `sockscope send` arguments its table row describes; tests run
those very arguments (plus short test timeouts the case may override), through the
engine and through the command line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator

import pytest

from sockscope.cli.parsing import build_parser
from sockscope.cli.send import SendPlan, plan_send
from sockscope.core.model import Exchange
from sockscope.engine import run_exchange
from sockscope.lab import LabThread
from sockscope.lab.hostile import CASES, Case

# Short enough for a fast suite; a case that needs other values sets them in its
# arguments, which come later and so win.
TEST_ARGUMENTS = ("--idle", "0.3", "--timeout", "5")

# Characters a terminal may act on, or that reorder or hide text: C0 (but LF and TAB),
# DEL, C1, format characters (bidi, zero-width), separators, private use, unassigned.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def unsafe_characters(text: str) -> set[str]:
    return {
        ch
        for ch in set(text)
        if ch not in "\n\t" and unicodedata.category(ch) in _UNSAFE_CATEGORIES
    }


ExchangeOf = Callable[[Case], tuple[SendPlan, Exchange]]


def case_params(cases: tuple[Case, ...] = CASES) -> list[object]:
    return [pytest.param(case, id=case.name) for case in cases]


@pytest.fixture(scope="session")
def hostile_lab() -> Iterator[LabThread]:
    with LabThread(hostile=True) as running:
        yield running


def send_arguments(lab: LabThread, case: Case) -> list[str]:
    client = [argument.replace("{ca_file}", lab.ca_file) for argument in case.client]
    return [lab.host, str(lab.port(case.name)), *TEST_ARGUMENTS, *client]


def send_plan(lab: LabThread, case: Case) -> SendPlan:
    """What `sockscope send` would do for the case, from its own argument checks."""
    return plan_send(build_parser("send").parse_args(send_arguments(lab, case)))


@pytest.fixture(scope="session")
def exchange_of(hostile_lab: LabThread) -> ExchangeOf:
    """The exchange `sockscope send` has with a case, run once per session and shared by
    the tests that each look at one side of it."""
    done: dict[str, tuple[SendPlan, Exchange]] = {}

    def run(case: Case) -> tuple[SendPlan, Exchange]:
        if case.name not in done:
            plan = send_plan(hostile_lab, case)
            done[case.name] = (plan, run_exchange(plan.target, plan.request, plan.policy))
        return done[case.name]

    return run
