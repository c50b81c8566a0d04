"""The shape of the code: no module over 500 lines, no function over 60.

A module or a function past these sizes does several things; the next
engineer has to read all of it to change one. Measured with `ast`, so a
function's size runs from its `def` to its last line, nested functions
included (they are part of what has to be read).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60

# Data, not logic: the migrations are written by Django and never edited by
# hand, and the demo's loader is one long list of the demo project's people,
# cases and messages, read top to bottom like a fixture.
EXEMPT_MODULES = {"migrations"}
EXEMPT_FUNCTIONS = {("secdesk/demo.py", "load_demo")}


def _sources() -> list[Path]:
    return sorted(
        path
        for folder in ("secdesk", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if not EXEMPT_MODULES.intersection(path.relative_to(ROOT).parts)
    )


def _long_functions(path: Path) -> dict[tuple[str, str], int]:
    name = path.relative_to(ROOT).as_posix()
    found = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_FUNCTION_LINES and (name, node.name) not in EXEMPT_FUNCTIONS:
                found[(name, node.name)] = lines
    return found


def test_no_module_is_over_500_lines():
    long = {
        path.relative_to(ROOT).as_posix(): lines
        for path in _sources()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_over_60_lines():
    long = {}
    for path in _sources():
        long |= _long_functions(path)
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"
