"""Mutation testing of the pure modules: would the unit tests notice a wrong number?

    ./bench/run mutation                        # every module below
    ./bench/run mutation --module scoring       # one (its short name)

Each mutant changes one thing in a copy of the project: a comparison flipped (< and <=,
== and !=, in and not in, is and is not), and/or swapped, + and -, * and /, a number
nudged, True and False swapped, a returned value replaced by None. The module's unit tests
then run against it; a mutant they fail on is killed. The table gives the score per module,
then every survivor with its line, to be killed by a test or, when it changes nothing that can
be observed, excused by name in docs/mutation.md. The result is appended there too.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, environment_line, table

MODULES = {
    "scoring": ("webapp/scoring.py", ["tests/unit/test_scoring.py", "tests/unit/test_scoring_rules.py"]),
    "compare_rules": (
        "webapp/compare_rules.py",
        ["tests/unit/test_compare_rules.py", "tests/unit/test_scoring_rules.py", "tests/unit/test_output_schema.py"],
    ),
    "pairing": ("webapp/pairing.py", ["tests/unit/test_pairing.py", "tests/unit/test_scoring_rules.py"]),
    "stats": ("webapp/reports/stats.py", ["tests/unit/test_report_stats.py", "tests/unit/test_report_recommend.py"]),
    "recommend": (
        "webapp/reports/recommend.py",
        ["tests/unit/test_report_recommend.py", "tests/unit/test_report_rationale.py"],
    ),
    "patterns": (
        "webapp/reports/patterns.py",
        ["tests/unit/test_report_recommend.py", "tests/unit/test_report_patterns.py"],
    ),
    "confidence": (
        "webapp/reports/confidence.py",
        ["tests/unit/test_report_confidence.py", "tests/unit/test_report_recommend.py"],
    ),
    "fields": ("webapp/reports/fields.py", ["tests/unit/test_report_fields.py"]),
    "json_extract": ("webapp/engine/json_extract.py", ["tests/unit/test_json_extract.py"]),
}
LOG = ROOT / "docs" / "mutation.md"
SWAPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.And: ast.Or,
    ast.Or: ast.And,
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
}


@dataclass
class Mutant:
    line: int
    what: str
    source: str


class _Mutator(ast.NodeTransformer):
    """Applies the `target`-th possible mutation (counting in walk order); counts them all."""

    def __init__(self, target: int):
        self.target, self.seen, self.what, self.line = target, -1, "", 0

    def _hit(self, node, what: str) -> bool:
        self.seen += 1
        if self.seen == self.target:
            self.what, self.line = what, getattr(node, "lineno", 0)
            return True
        return False

    def visit_Compare(self, node):
        self.generic_visit(node)
        for i, op in enumerate(node.ops):
            if type(op) in SWAPS and self._hit(node, f"{type(op).__name__} -> {SWAPS[type(op)].__name__}"):
                node.ops[i] = SWAPS[type(op)]()
        return node

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        if self._hit(node, f"{type(node.op).__name__} -> {SWAPS[type(node.op)].__name__}"):
            node.op = SWAPS[type(node.op)]()
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if type(node.op) in SWAPS and self._hit(node, f"{type(node.op).__name__} -> {SWAPS[type(node.op)].__name__}"):
            node.op = SWAPS[type(node.op)]()
        return node

    def visit_Constant(self, node):
        value = node.value
        if isinstance(value, bool):
            flipped = not value
            return ast.copy_location(ast.Constant(flipped), node) if self._hit(node, f"{value} -> {flipped}") else node
        if isinstance(value, (int, float)) and self._hit(node, f"{value!r} -> {value + 1!r}"):
            return ast.copy_location(ast.Constant(value + 1), node)
        return node

    def visit_Return(self, node):
        self.generic_visit(node)
        returns_something = node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None
        )
        if returns_something and self._hit(node, "return value -> None"):
            node.value = ast.Constant(None)
        return node

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node  # a docstring is not code
        return self.generic_visit(node)


def mutants(source: str) -> list[Mutant]:
    counter = _Mutator(-1)
    counter.visit(ast.parse(source))
    found = []
    for target in range(counter.seen + 1):
        mutator = _Mutator(target)
        tree = mutator.visit(ast.parse(source))
        ast.fix_missing_locations(tree)
        found.append(Mutant(mutator.line, mutator.what, ast.unparse(tree)))
    return found


def killed(copy: Path, module_path: str, mutant: Mutant, tests: list[str]) -> bool:
    (copy / module_path).write_text(mutant.source)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            cwd=copy,
            capture_output=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(copy)},
        )
    except subprocess.TimeoutExpired:
        return True  # a mutant that hangs the tests is noticed too
    return result.returncode != 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", choices=sorted(MODULES), action="append")
    chosen = parser.parse_args().module or list(MODULES)
    rows, survivors = [], []
    with tempfile.TemporaryDirectory(prefix="vb-mutation-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "node_modules"))
        for name in chosen:
            module_path, tests = MODULES[name]
            original = (ROOT / module_path).read_text()
            all_mutants = mutants(original)
            dead = 0
            for mutant in all_mutants:
                if killed(copy, module_path, mutant, tests):
                    dead += 1
                else:
                    survivors.append(f"- `{module_path}:{mutant.line}` {mutant.what}")
            (copy / module_path).write_text(original)
            score = dead / len(all_mutants) if all_mutants else 1.0
            rows.append([name, len(all_mutants), dead, f"{score:.0%}"])
            print(f"{name}: {dead}/{len(all_mutants)} killed ({score:.0%})", flush=True)
    text = table(["Module", "Mutants", "Killed", "Score"], rows)
    text += "\n\nSurvivors:\n" + ("\n".join(survivors) if survivors else "none") + "\n"
    block = f"\n## Run of {environment_line()}\n\n{text}"
    print(block)
    if not LOG.exists():
        LOG.write_text("# Mutation testing\n\n`./bench/run mutation` (see bench/mutation.py). Newest runs last.\n")
    with LOG.open("a") as f:
        f.write(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
