"""The tests have one layout: every folder a package under `tests`, helpers imported as
`tests.folder.module`, so any test file runs alike alone, in the suite, or on a worker."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _test_folders() -> list[Path]:
    return [TESTS, *(p.parent for p in TESTS.rglob("*.py") if p.parent != TESTS)]


def test_every_test_folder_is_a_package() -> None:
    missing = {f for f in _test_folders() if not (f / "__init__.py").exists()}
    assert sorted(str(f.relative_to(TESTS.parent)) for f in missing) == []


def test_tests_import_their_helpers_absolutely() -> None:
    relative = []
    for path in TESTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                relative.append(f"{path.relative_to(TESTS.parent)}:{node.lineno}")
    assert relative == []
