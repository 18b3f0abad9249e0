"""The pairwise design meets every pair of levels, and the interaction
matrix built from it crosses each value regime with every input kind."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests._pairwise import pairwise
from tests.test_interactions import ESTIMATORS, KINDS, VALUES, _design


@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=5),
    st.integers(0, 3),
)
def test_every_valid_pair_is_covered(sizes, forbidden_level):
    factors = {f"f{i}": tuple(range(n)) for i, n in enumerate(sizes)}

    def valid(c):  # one pair of levels can never be run
        return not (c["f0"] == forbidden_level and c.get("f1") == forbidden_level)

    design = pairwise(factors, valid)
    assert all(valid(c) for c in design)
    runnable = [
        dict(zip(factors, levels, strict=True))
        for levels in itertools.product(*factors.values())
    ]
    runnable = [c for c in runnable if valid(c)]
    for a, b in itertools.combinations(factors, 2):
        needed = {(c[a], c[b]) for c in runnable}
        met = {(c[a], c[b]) for c in design}
        assert needed == met, (a, b)
    assert len(design) <= len(runnable)


def test_a_design_is_much_smaller_than_the_product():
    factors = {"a": range(6), "b": range(4), "c": range(3), "d": range(3)}
    design = pairwise(factors)
    assert 24 <= len(design) <= 40  # the product has 216


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_each_value_regime_meets_every_kind(name):
    met = {(case.kind, case.values) for case in _design(name)}
    assert met == set(itertools.product(KINDS, VALUES))
