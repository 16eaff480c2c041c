import itertools

from hypothesis import given
from hypothesis import strategies as st

from webapp.pairing import best_pairing


def total(cost, pairing):
    return sum(cost[row][column] for row, column in enumerate(pairing))


def test_empty_and_single():
    assert best_pairing([]) == []
    assert best_pairing([[7]]) == [0]


def test_a_hand_solved_matrix():
    # Rows take columns 1, 0, 2: 1 + 2 + 2 = 5; the diagonal costs 4 + 5 + 2 = 11 and every
    # other pairing at least 7 (checked by hand over the six).
    cost = [[4, 1, 3], [2, 5, 6], [3, 2, 2]]
    assert best_pairing(cost) == [1, 0, 2]
    assert total(cost, best_pairing(cost)) == 5


def test_the_greedy_choice_is_not_taken():
    # Row 0's cheapest column (0, cost 1) would leave row 1 the 100: the best pays 2 + 2.
    assert best_pairing([[1, 2], [2, 100]]) == [1, 0]


def test_negative_costs():
    assert best_pairing([[-5, 0], [0, -5]]) == [0, 1]
    assert best_pairing([[0, -5], [-5, 0]]) == [1, 0]


@given(
    st.integers(0, 6).flatmap(
        lambda n: st.lists(st.lists(st.integers(-20, 40), min_size=n, max_size=n), min_size=n, max_size=n)
    )
)
def test_the_pairing_is_as_cheap_as_the_best_of_all(cost):
    n = len(cost)
    pairing = best_pairing(cost)
    assert sorted(pairing) == list(range(n))
    best = min(total(cost, list(p)) for p in itertools.permutations(range(n)))
    assert total(cost, pairing) == best


def test_with_nothing_to_choose_each_row_keeps_its_own_column():
    # Every pairing costs the same: ties are broken towards the order given, so an output
    # whose order is as good as any other keeps it (scoring then names each item where it was).
    for n in (2, 3, 4):
        assert best_pairing([[5] * n for _ in range(n)]) == list(range(n))
