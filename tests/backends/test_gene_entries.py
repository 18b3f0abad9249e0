"""The entries gene selection and count detection use: dense and sparse agree
with one another and with the values written out here."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skscale._backends import column_maxima, count_profile, mapped_moments

rng = np.random.default_rng(0)
COUNTS = rng.poisson(0.7, (50, 7)).astype(float)
COUNTS[:, 3] = 0.0  # a column of implicit zeros only
COUNTS[:, 5] = np.arange(1, 51)  # a column with no zero


def _kinds(X):
    return [X, sp.csr_matrix(X), sp.csc_matrix(X), X.astype(np.float32)]


@pytest.mark.parametrize("kind", range(4))
def test_column_maxima_counts_implicit_zeros(kind):
    X = -COUNTS - 1.0  # every value negative: an implicit zero is the largest
    X[:, 3] = 0.0
    X[::2, 1] = 0.0
    data = _kinds(X)[kind]
    expected = X.max(axis=0)
    if kind in (1, 2):  # only the stored values are negative
        expected = np.where((X == 0).any(axis=0), 0.0, expected)
    assert_array_equal(column_maxima(data), expected)


def test_column_maxima_of_a_column_of_nan_is_nan():
    X = COUNTS.copy()
    X[:, 2] = np.nan
    for data in (X, sp.csr_matrix(X)):
        high = column_maxima(data)
        assert np.isnan(high[2]) and np.isfinite(np.delete(high, 2)).all()


@pytest.mark.parametrize("kind", range(4))
def test_count_profile_sees_whole_numbers_and_zeros(kind):
    whole, zeros, largest = count_profile(_kinds(COUNTS)[kind])
    assert whole
    assert zeros == int((COUNTS == 0).sum())
    assert largest == COUNTS.max()
    fractional = COUNTS.copy()
    fractional[7, 2] = 0.5
    assert not count_profile(_kinds(fractional)[kind])[0]
    negative = COUNTS.copy()
    negative[7, 2] = -1.0
    assert not count_profile(_kinds(negative)[kind])[0]


def test_count_profile_skips_nan():
    X = COUNTS.copy()
    X[4, 4] = np.nan
    for data in (X, sp.csr_matrix(X)):
        assert count_profile(data) == (True, int((X == 0).sum()), X[~np.isnan(X)].max())


@pytest.mark.parametrize("kind", range(4))
def test_mapped_moments_are_the_moments_of_the_mapped_values(kind):
    shift = np.linspace(0, 3, COUNTS.shape[1])

    def function(values, columns):  # maps 0 to 0, per column
        return np.expm1(values) * np.exp(-shift[columns])

    moments = mapped_moments(_kinds(COUNTS)[kind], function)
    mapped = np.expm1(COUNTS) * np.exp(-shift)
    assert_allclose(moments.mean, mapped.mean(axis=0), rtol=1e-14)
    assert_allclose(moments.variance(ddof=1), mapped.var(axis=0, ddof=1), rtol=1e-13)


def test_mapped_values_are_not_written_in_a_narrow_dtype():
    X = np.full((4, 2), 12.0, dtype=np.float16)
    X[0] = 11.0
    moments = mapped_moments(X, lambda values, columns: np.expm1(values))
    assert_allclose(moments.mean, np.expm1([[11.0], [12.0], [12.0], [12.0]]).mean())
