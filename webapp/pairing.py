"""The best one-to-one pairing of two lists: the assignment problem, solved exactly.

Scoring uses it to match a model's array items with the expected ones when their order does
not matter (webapp/scoring.py). The Hungarian algorithm with potentials (Kuhn–Munkres, as in
the classic O(n³) formulation), over integer costs so that ties are exact. Pure Python: the
arrays it pairs are small (scoring caps them), and numpy would not make n³ shorter.
"""

from __future__ import annotations

from collections.abc import Sequence

_NONE_YET = float("inf")


def best_pairing(cost: Sequence[Sequence[int]]) -> list[int]:
    """For a square matrix, the column paired with each row so that the summed cost is least."""
    n = len(cost)
    # 1-based, with column 0 a free column the row being placed starts from.
    row_potential: list[float] = [0] * (n + 1)  # ints in fact: every delta is a reduced cost
    column_potential: list[float] = [0] * (n + 1)
    row_of = [0] * (n + 1)  # row_of[column]: the row paired with it so far (0: none)
    way = [0] * (n + 1)
    for row in range(1, n + 1):
        row_of[0] = row
        column = 0
        slack: list[float] = [_NONE_YET] * (n + 1)
        used = [False] * (n + 1)
        while row_of[column]:
            used[column] = True
            current = row_of[column]
            delta, nearest = _NONE_YET, 0
            for j in range(1, n + 1):
                if used[j]:
                    continue
                reduced = cost[current - 1][j - 1] - row_potential[current] - column_potential[j]
                if reduced < slack[j]:
                    slack[j], way[j] = reduced, column
                if slack[j] < delta:
                    delta, nearest = slack[j], j
            for j in range(n + 1):
                if used[j]:
                    row_potential[row_of[j]] += delta
                    column_potential[j] -= delta
                else:
                    slack[j] -= delta
            column = nearest
        while column:  # flip the augmenting path back to the free column
            previous = way[column]
            row_of[column] = row_of[previous]
            column = previous
    pairing = [0] * n
    for j in range(1, n + 1):
        pairing[row_of[j] - 1] = j - 1
    return pairing
