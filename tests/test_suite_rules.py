"""What `make test` is: behaviour only. The bundle build lives in `make package-check` and
wall-clock figures in `benchmarks/`; these checks keep them from creeping back into the suite,
where they made it take minutes and fail on a busy machine."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CLOCKS = {("time", "monotonic"), ("time", "perf_counter"), ("time", "time")}


def _test_files() -> list[Path]:
    return sorted(path for path in TESTS.rglob("test_*.py") if path.resolve() != Path(__file__).resolve())


def _reads_clock(node: ast.AST, clock_names: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and isinstance(sub.func.value, ast.Name):
            if (sub.func.value.id, sub.func.attr) in CLOCKS:
                return True
        if isinstance(sub, ast.Name) and sub.id in clock_names:
            return True
    return False


def _upper_bounds_on_elapsed_time(tree: ast.AST) -> list[int]:
    """Lines of asserts like `elapsed < 1.0` where `elapsed` comes from a clock."""
    clock_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _reads_clock(node.value, set()):
            clock_names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for compare in (sub for sub in ast.walk(node.test) if isinstance(sub, ast.Compare)):
            sides = [compare.left, *compare.comparators]
            for op, (left, right) in zip(compare.ops, zip(sides, sides[1:], strict=False), strict=True):
                if isinstance(op, (ast.Lt, ast.LtE)) and _reads_clock(left, clock_names) and not _reads_clock(right, clock_names):
                    lines.append(node.lineno)
    return lines


def test_no_test_builds_the_bundle() -> None:
    builders = [path.relative_to(TESTS) for path in _test_files() if "PyInstaller" in path.read_text(encoding="utf-8")]
    assert builders == [], "the PyInstaller build belongs to packaging/check_bundle.py (make package-check)"


def test_no_test_asserts_how_fast_something_was() -> None:
    found = {
        str(path.relative_to(TESTS)): lines
        for path in _test_files()
        if (lines := _upper_bounds_on_elapsed_time(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert found == {}, "wall-clock limits belong in benchmarks/; assert what happened, not how fast"


def test_the_rule_finds_an_elapsed_time_limit() -> None:
    sample = "import time\nstarted = time.monotonic()\nwork()\nassert time.monotonic() - started < 1.0\nassert started <= time.monotonic()\n"
    assert _upper_bounds_on_elapsed_time(ast.parse(sample)) == [4]
