"""The export layer is pure of sockets and of the UI: it imports core and the standard library."""

from __future__ import annotations

import ast
from pathlib import Path

import sockscope.export

EXPORT = Path(sockscope.export.__file__).parent
FORBIDDEN = {"socket", "ssl", "selectors", "asyncio", "threading", "textual", "rich"}


def test_export_modules_import_only_core_and_the_standard_library() -> None:
    for path in EXPORT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, (path.name, name)
                if name.startswith("sockscope."):
                    assert name.startswith(("sockscope.core", "sockscope.export")), (
                        path.name,
                        name,
                    )
