"""Per-field accuracy against counts worked out by hand."""

from dataclasses import FrozenInstanceError, replace

import pytest

from tests.support.reports import run
from webapp.reports.fields import Cell, FieldRow, field_table, fold

EXPECTED = {
    1: {"total": 10, "items": [{"name": "a", "price": 1}, {"name": "b", "price": 2}]},
    2: {"total": 5, "items": []},
}


def diff(path, reason="different value"):
    return {"path": path, "expected": 1, "actual": 2, "reason": reason}


def test_array_positions_fold_into_one_field():
    assert fold("items[12].price") == "items[].price"
    assert fold('lines[0]["odd.key"][3]') == 'lines[]["odd.key"][]'
    assert fold("total") == "total"


def test_each_occurrence_counts_and_failed_or_unreadable_runs_get_every_field_wrong():
    runs = [
        # model a: one wrong price of two; then a failed run; a skipped run does not count
        replace(run("a", image=1, sample=0), diffs=[diff("items[1].price")]),
        run("a", image=1, sample=1, status="failed"),
        run("a", image=1, sample=2, status="skipped"),
        replace(run("a", image=2, sample=0), diffs=[diff("total")]),
        # model b: everything right on image 1, then output that is not JSON
        replace(run("b", image=1, sample=0), diffs=[]),
        replace(run("b", image=1, sample=1), diffs=[diff("$", "not valid JSON")]),
        # an item where none was expected: the empty list is wrong; the invented field is no row
        replace(run("b", image=2, sample=0), diffs=[diff("items", "missing"), diff("items[0].name", "unexpected")]),
    ]
    rows = {r.path: r for r in field_table(runs, EXPECTED, ["a", "b"])}
    # image 1: total once, items[].name twice, items[].price twice; image 2: total, and the
    # empty list `items` (a field, as in the scoring)
    assert set(rows) == {"total", "items[].name", "items[].price", "items"}
    a = {path: (r.cells["a"].right, r.cells["a"].total) for path, r in rows.items()}
    b = {path: (r.cells["b"].right, r.cells["b"].total) for path, r in rows.items()}
    assert a == {"total": (1, 3), "items[].name": (2, 4), "items[].price": (1, 4), "items": (1, 1)}
    assert b == {"total": (2, 3), "items[].name": (2, 4), "items[].price": (2, 4), "items": (0, 1)}


def test_worst_fields_come_first():
    runs = [
        replace(run("a", image=1), diffs=[diff("items[0].price"), diff("items[1].price"), diff("total")]),
        replace(run("a", image=1, sample=1), diffs=[diff("total")]),
    ]
    order = [r.path for r in field_table(runs, {1: EXPECTED[1]}, ["a"])]
    assert order == ["total", "items[].price", "items[].name"]  # 0/2, then 2/4, then 4/4
    assert [r.worst for r in field_table(runs, {1: EXPECTED[1]}, ["a"])] == [0.0, 0.5, 1.0]


def test_a_model_with_no_scored_run_has_no_rate():
    rows = field_table([replace(run("a", image=2), diffs=[])], {2: EXPECTED[2]}, ["a", "b"])
    assert all(r.cells["b"].rate is None and r.cells["a"].rate == 1.0 for r in rows)


def test_a_row_no_model_was_scored_on_counts_as_right():
    # No rate to take the minimum of: the row sorts with the fields every model got right (1.0).
    assert FieldRow("total", {"a": Cell(0, 0), "b": Cell(0, 0)}).worst == 1.0
    assert FieldRow("total", {"a": Cell(0, 0), "b": Cell(1, 4)}).worst == 0.25  # 1 of 4


def test_rows_and_cells_are_frozen():
    [row] = field_table([replace(run("a", image=2), diffs=[])], {2: {"total": 5}}, ["a"])
    assert (row.path, row.cells["a"]) == ("total", Cell(1, 1))
    with pytest.raises(FrozenInstanceError):
        row.path = "other"
    with pytest.raises(FrozenInstanceError):
        row.cells["a"].right = 0
