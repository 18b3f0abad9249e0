"""Invariants of the per-sample normalisers, on tables hypothesis invents.

Each normaliser comes from the registry (those with ``_per_sample``), so a
new one is held to the invariants every normaliser keeps; the invariants that
hold only for some (dilution, affine) are listed by name with the reason.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from tests._registry import reference_instances

NORMALIZERS = [
    e for e in reference_instances().values() if getattr(e, "_per_sample", False)
]
# A sample diluted (multiplied by c > 0) is the same sample: these give the
# same output for it (CLR without a pseudocount; the registry's has one).
DILUTION_FREE = {"TotalSumNormalizer", "PQNormalizer", "MedianRatioNormalizer"}

SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def positive_tables(min_rows=2, max_rows=25, min_cols=2, max_cols=6):
    """Positive quantities on different scales (counts, intensities)."""

    @st.composite
    def build(draw):
        n = draw(st.integers(min_rows, max_rows))
        p = draw(st.integers(min_cols, max_cols))
        base = draw(arrays(np.float64, (n, p), elements=st.floats(0.5, 100.0)))
        scale = draw(arrays(np.float64, p, elements=st.sampled_from([1e-2, 1.0, 1e3])))
        return base * scale

    return build()


def _quiet(func, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args)


def _names(estimators):
    return [type(e).__name__ for e in estimators]


def test_every_per_sample_estimator_is_here():
    assert set(_names(NORMALIZERS)) >= {
        "TotalSumNormalizer",
        "PQNormalizer",
        "MedianRatioNormalizer",
        "CLRTransformer",
        "QuantileNormalizer",
        "SampleStandardizer",
    }


@pytest.mark.parametrize("normalizer", NORMALIZERS, ids=_names(NORMALIZERS))
@SETTINGS
@given(X=positive_tables(min_rows=3), seed=st.integers(0, 2**16))
def test_rows_are_normalised_independently(normalizer, X, seed):
    """Transforming a subset of the rows, in any order, gives those rows of
    the whole transform: no row's output depends on another test row."""
    fitted = _quiet(normalizer.__sklearn_clone__().fit, X)
    whole = fitted.transform(X)
    rng = np.random.default_rng(seed)
    subset = rng.permutation(len(X))[: rng.integers(1, len(X))]
    assert_allclose(fitted.transform(X[subset]), whole[subset], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("normalizer", NORMALIZERS, ids=_names(NORMALIZERS))
@SETTINGS
@given(X=positive_tables(), seed=st.integers(0, 2**16))
def test_the_order_of_the_training_rows_changes_nothing(normalizer, X, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    plain = _quiet(normalizer.__sklearn_clone__().fit, X).transform(X)
    permuted = _quiet(normalizer.__sklearn_clone__().fit, X[order]).transform(X)
    assert_allclose(permuted, plain, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "normalizer",
    [n for n in NORMALIZERS if type(n).__name__ in DILUTION_FREE],
    ids=sorted(DILUTION_FREE),
)
@SETTINGS
@given(X=positive_tables(), data=st.data())
def test_a_diluted_sample_is_the_same_sample(normalizer, X, data):
    factors = data.draw(
        arrays(np.float64, len(X), elements=st.floats(1e-3, 1e3)), label="dilution"
    )
    fitted = _quiet(normalizer.__sklearn_clone__().fit, X)
    assert_allclose(
        fitted.transform(X * factors[:, None]), fitted.transform(X), rtol=1e-10
    )


@SETTINGS
@given(X=positive_tables(), shift=st.floats(-1e3, 1e3), scale=st.floats(1e-3, 1e3))
def test_standardised_rows_ignore_a_positive_affine_change(X, shift, scale):
    from skscale.preprocessing import SampleStandardizer

    model = SampleStandardizer().fit(X)
    assert_allclose(
        model.transform(X * scale + shift), model.transform(X), rtol=1e-6, atol=1e-6
    )


@SETTINGS
@given(X=positive_tables(min_rows=2))
def test_quantile_rows_are_permutations_of_the_reference(X):
    from skscale.preprocessing import QuantileNormalizer

    model = QuantileNormalizer().fit(X)
    out = model.transform(X)
    # rows without ties are exactly the reference, reordered
    for row, mapped in zip(X, out, strict=True):
        if np.unique(row).size == row.size:
            assert_allclose(np.sort(mapped), model.reference_, rtol=1e-12)
    # ties share their reference values: every row keeps the reference's sum
    assert_allclose(out.sum(axis=1), model.reference_.sum(), rtol=1e-10)


@SETTINGS
@given(X=positive_tables())
def test_total_sum_rows_all_reach_the_target(X):
    from skscale.preprocessing import TotalSumNormalizer

    model = TotalSumNormalizer().fit(X)
    assert_allclose(model.transform(X).sum(axis=1), model.target_sum_, rtol=1e-12)
