"""The size rules of docs/architecture.md, checked rather than hoped for: no module over 500
lines and no class over 300, in the server, the SDK and the benchmarks. A module that grows
past them is split along its topics (as ``match/`` and ``safety/`` are), not waved through."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = [ROOT / "src" / "disco", ROOT / "bench"]
MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 300


def oversized(text: str, where: str) -> list[str]:
    """What in the module ``text`` (named ``where``) breaks the rules."""
    found = []
    if len(text.splitlines()) > MAX_MODULE_LINES:
        found.append(f"{where}: {len(text.splitlines())} lines")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
            length = node.end_lineno - node.lineno + 1
            if length > MAX_CLASS_LINES:
                found.append(f"{where}: class {node.name}, {length} lines")
    return found


def test_no_module_over_500_lines_and_no_class_over_300() -> None:
    modules = sorted(p for folder in CHECKED for p in folder.rglob("*.py"))
    assert len(modules) > 100, "the source tree was not found"
    broken = [line for p in modules for line in oversized(p.read_text(), str(p.relative_to(ROOT)))]
    assert broken == []


def test_the_check_sees_a_long_module_and_a_long_class() -> None:
    fields = "\n".join(f"    x{i} = {i}" for i in range(MAX_CLASS_LINES))
    assert oversized(f"class Big:\n{fields}\n", "big.py") == ["big.py: class Big, 301 lines"]
    assert oversized("x = 1\n" * (MAX_MODULE_LINES + 1), "long.py") == ["long.py: 501 lines"]
    assert oversized("class Small:\n    x = 1\n" + "x = 1\n" * 498, "fine.py") == []
