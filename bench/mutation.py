"""Mutation testing of the pure modules: would the unit tests notice a wrong number?

    ./bench/run mutation                        # every module below
    ./bench/run mutation --module scoring       # one (its short name)

Each mutant changes one thing in a copy of the project: a comparison flipped (< and <=,
== and !=, in and not in, is and is not), and/or swapped, + and -, * and /, a number
nudged, True and False swapped, a returned value replaced by None. The module's unit tests
then run against it; a mutant they fail on is killed. The table gives the score per module,
then every survivor with its line, to be killed by a test or, when it changes nothing that can
be observed, excused by name in docs/mutation.md. The result is appended there too. Survivors
excused there (under "## Equivalent mutants", as `- `path:line` mutation: reason`) are counted
apart: the last column scores the module on the mutants that could have been noticed.

Before its mutants, each module's tests run once unchanged: they must pass (else every mutant
would count as killed), and their time sets the limit for each mutant's run: three times that
time and at least 10 s, unless `--timeout` says otherwise. A mutant whose tests run past the
limit is counted as killed: a loop that no longer ends is as observable as a wrong number (the
loop mutants of webapp/pairing.py used to take a fixed 120 s each). Hypothesis draws the same
examples on every run and never fails a test for being slow (bench/mutation_profile.py), so a
verdict does not depend on luck or on the machine's load.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
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
# The same examples on every run, and no failure for a slow machine (bench/mutation_profile.py).
HYPOTHESIS = ["-p", "bench.mutation_profile", "--hypothesis-profile", "mutation"]
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


def _run_tests(copy: Path, tests: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *HYPOTHESIS, *tests],
        cwd=copy,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(copy)},
    )


def time_limit(copy: Path, tests: list[str], floor: float = 10.0) -> float:
    """Three times what the unchanged module's tests take, at least `floor` seconds; they must pass."""
    started = time.monotonic()
    result = _run_tests(copy, tests, timeout=600)
    if result.returncode != 0:
        raise SystemExit(f"The tests fail without any mutant:\n{result.stdout.decode()[-3000:]}")
    return max(floor, 3 * (time.monotonic() - started))


def killed(copy: Path, module_path: str, mutant: Mutant, tests: list[str], timeout: float) -> bool:
    (copy / module_path).write_text(mutant.source)
    try:
        result = _run_tests(copy, tests, timeout)
    except subprocess.TimeoutExpired:
        return True  # a mutant whose loop never ends is noticed too (module docstring)
    return result.returncode != 0


_EXCUSE = re.compile(r"- `(?P<where>[^`]+)` (?P<what>.+?): ")


def excused() -> list[str]:
    """The survivors docs/mutation.md excuses as equivalent, as the runner names them."""
    if not LOG.exists():
        return []
    section = LOG.read_text().partition("\n## Equivalent mutants\n")[2].split("\n## ")[0]
    return [f"- `{m['where']}` {m['what']}" for line in section.splitlines() if (m := _EXCUSE.match(line))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", choices=sorted(MODULES), action="append")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: from the unchanged run)")
    arguments = parser.parse_args()
    chosen = arguments.module or list(MODULES)
    rows, survivors, equivalent = [], [], excused()
    with tempfile.TemporaryDirectory(prefix="vb-mutation-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "node_modules"))
        for name in chosen:
            module_path, tests = MODULES[name]
            original = (ROOT / module_path).read_text()
            all_mutants = mutants(original)
            limit = arguments.timeout or time_limit(copy, tests)
            print(f"{name}: {len(all_mutants)} mutants, {limit:.0f} s each at most", flush=True)
            dead = excuses = 0
            for mutant in all_mutants:
                if killed(copy, module_path, mutant, tests, limit):
                    dead += 1
                    continue
                named = f"- `{module_path}:{mutant.line}` {mutant.what}"
                if named in equivalent:
                    equivalent.remove(named)  # one excuse per mutant, when a line has two alike
                    excuses += 1
                    named += " (excused)"
                survivors.append(named)
            (copy / module_path).write_text(original)
            score = dead / len(all_mutants) if all_mutants else 1.0
            noticeable = len(all_mutants) - excuses
            rest = dead / noticeable if noticeable else 1.0
            rows.append([name, len(all_mutants), dead, excuses, f"{score:.0%}", f"{rest:.0%}"])
            print(f"{name}: {dead}/{len(all_mutants)} killed ({score:.0%}), {excuses} excused", flush=True)
    text = table(["Module", "Mutants", "Killed", "Equivalent", "Score", "Score without them"], rows)
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
