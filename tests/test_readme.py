"""The README's promises: the two set-up commands, and CI running exactly the second."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _command_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.startswith("python3 -m venv")]


def test_readme_starts_with_the_two_set_up_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```", 2)[1]
    commands = _command_lines(first_block)
    assert len(commands) == 2
    assert commands[0].endswith(".venv/bin/sockscope")
    assert commands[1].endswith("-m pytest")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme_test_command = _command_lines(readme.split("```", 2)[1])[1]
    assert readme_test_command in _command_lines(ci)


def test_ci_fails_on_lint_format_or_type_errors_before_the_tests() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in ci.splitlines()]
    tests = lines.index(_command_lines(readme.split("```", 2)[1])[1])
    checks = [".venv/bin/ruff check .", ".venv/bin/ruff format --check .", ".venv/bin/mypy"]
    assert all(lines.index(check) < tests for check in checks)
    assert "set -euo pipefail" in lines
