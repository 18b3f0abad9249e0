"""The moment kernels at their edges: quiet whatever numpy's error state,
exact where a block drifts far from its shift, and the sparse column sums
chunked as finely as the data allow."""

import contextlib
import decimal
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skscale._backends import dense, sparse
from skscale._backends._statistics import Moments
from skscale._backends.dense import dense_moments
from skscale._backends.sparse import sparse_moments

# every test here runs on the compiled kernels and on the NumPy path
pytestmark = pytest.mark.usefixtures("kernel_path")


def _sum_of_squares(moments):
    """M2 in the data's and the weights' units, written out."""
    with np.errstate(over="ignore", under="ignore"):
        return moments.m2 * moments.unit * moments.unit * moments.weight_unit


@contextlib.contextmanager
def strict():
    """numpy raising on every floating-point event, warnings as errors: the
    kernels must decide each overflow, underflow and 0/0 themselves."""
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _exact(column, weights=None):
    """Mean and population standard deviation of one column, NaN skipped, in
    50-digit decimal arithmetic (every float64 converts exactly)."""
    context = decimal.Context(prec=50, Emin=-999999, Emax=999999)
    if weights is None:
        weights = np.ones(len(column))
    pairs = [
        (context.create_decimal(float(v)), context.create_decimal(float(w)))
        for v, w in zip(column, weights, strict=True)
        if not np.isnan(v)
    ]
    total = sum((w for _, w in pairs), decimal.Decimal(0))
    mean = context.divide(sum((v * w for v, w in pairs), decimal.Decimal(0)), total)
    var = context.divide(sum((w * (v - mean) ** 2 for v, w in pairs)), total)
    return float(mean), float(context.sqrt(var))


def _columns():
    """Columns that overflow, underflow, drift or miss values."""
    rng = np.random.default_rng(0)
    noise = rng.normal(size=40)
    huge = np.where(noise > 0, 1.5e308, -1.5e308)  # spread beyond float64
    cols = {
        "near 1e300": 1e300 + 1e299 * noise,
        "near 1e-300": 1e-300 * (2 + noise),
        "subnormal spread": 1e-310 * np.round(noise * 4),
        "offset 1e12": 1e12 + 1e-3 * noise,
        "with NaN": np.where(noise > 1, np.nan, 5 + noise),
        "all NaN": np.full(40, np.nan),
        "huge": huge,
    }
    return cols


@pytest.mark.parametrize("block_elements", [21, 1 << 18])
@pytest.mark.parametrize("weighted", [False, True])
def test_dense_moments_are_quiet_at_every_extreme(
    monkeypatch, block_elements, weighted
):
    monkeypatch.setattr(dense, "_MOMENT_BLOCK_ELEMENTS", block_elements)
    monkeypatch.setattr(dense, "_FUSED_MOMENT_BLOCK_ELEMENTS", block_elements)
    columns = _columns()
    X = np.column_stack(list(columns.values()))
    weights = np.ones(len(X)) if weighted else None
    with strict():
        moments = dense_moments(X, weights)
        mean, std = moments.mean, moments.std()
    for j, (name, column) in enumerate(columns.items()):
        if name == "all NaN":
            assert np.isnan(mean[j]) and np.isnan(std[j])
            assert moments.count[j] == 0
            continue
        if name == "huge":
            assert not np.isfinite(mean[j] - 0 + std[j] * 0) or not np.isfinite(std[j])
            continue
        exact_mean, exact_std = _exact(column)
        assert_allclose(mean[j], exact_mean, rtol=1e-12, err_msg=name)
        assert_allclose(std[j], exact_std, rtol=1e-9, err_msg=name)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_moments_are_quiet_at_every_extreme(fmt, weighted):
    # the sparse kernel has no units: squares beyond float64 give inf, which
    # the estimators refuse (dense data near 1e300 keep an exact spread)
    columns = {k: v for k, v in _columns().items() if k not in ("huge", "near 1e300")}
    X = np.column_stack(list(columns.values()))
    X[::3] = 0.0  # implicit zeros
    matrix = sp.csr_matrix(X).asformat(fmt)
    weights = np.ones(len(X)) if weighted else None
    with strict():
        moments = sparse_moments(matrix, weights)
        mean, std = moments.mean, moments.std()
    for j, name in enumerate(columns):  # "all NaN" has its implicit zeros
        exact_mean, exact_std = _exact(X[:, j])
        assert_allclose(mean[j], exact_mean, rtol=1e-9, err_msg=name)
        if exact_std > 1e-290:
            assert_allclose(std[j], exact_std, rtol=1e-6, err_msg=name)


def test_merging_moments_is_quiet_at_every_extreme():
    columns = _columns()
    X = np.column_stack(list(columns.values()))
    with strict():
        first, second = dense_moments(X[:17]), dense_moments(X[17:])
        merged, whole = first.merge(second), dense_moments(X)
        means, stds = (merged.mean, whole.mean), (merged.std(), whole.std())
        merged.variance(), _sum_of_squares(merged)
    assert_array_equal(merged.count, (~np.isnan(X)).sum(axis=0))
    finite = slice(0, 6)  # not the column whose spread overflows
    assert_allclose(means[0][finite], means[1][finite], rtol=1e-12)
    assert_allclose(stds[0][finite], stds[1][finite], rtol=1e-9)


def test_a_block_far_from_its_shift_is_summed_again_exactly():
    """The running mean is far from a new block that is itself tight: the
    fast ``sum(d**2) - n c**2`` would cancel to noise; the kernel redoes
    those columns exactly."""
    rng = np.random.default_rng(1)
    tight = 1e8 + 1e-3 * rng.normal(size=(500, 2))
    seen = Moments(np.full(2, 1e-40), np.zeros(2), np.zeros(2), np.zeros(2))
    moments = dense_moments(tight, init=seen)
    # the tiny earlier weight adds 1e-40 * 1e16 to M2 (5e-4): nothing
    for j in range(2):
        mean, std = _exact(tight[:, j])
        assert_allclose(moments.mean[j], mean, rtol=1e-15)
        assert_allclose(moments.std()[j], std, rtol=1e-12)


@pytest.mark.parametrize("huge", [1e200, -1.5e308, 1e-300])
def test_rows_of_weight_zero_do_not_set_the_unit(huge):
    # the counted rows are tiny; a row of weight 0 holds a value whose square
    # overflows (or, at 1e-300, one that is merely far from the others): the
    # unit the deviations are divided by comes from the counted rows only, so
    # their spread does not underflow to 0
    tiny = 1e-200 * np.array([1.0, 2.0, 3.0, 5.0, 8.0])
    X = np.append(tiny, huge)[:, None]
    weights = np.append(np.ones(5), 0.0)
    with strict():
        moments = dense_moments(X, weights)
        mean, std = moments.mean, moments.std()
    exact_mean, exact_std = _exact(tiny)
    assert moments.count[0] == 5
    assert_allclose(mean[0], exact_mean, rtol=1e-12)
    assert_allclose(std[0], exact_std, rtol=1e-9)


def test_fractional_weights_below_one_still_move_the_mean():
    a = dense_moments(np.array([[1.0], [3.0]]), np.array([0.25, 0.25]))
    b = dense_moments(np.array([[10.0]]), np.array([0.5]))
    merged = a.merge(b)
    assert_allclose(merged.count, [1.0])
    mean = 0.25 * 1 + 0.25 * 3 + 0.5 * 10
    assert_allclose(merged.mean, [mean])
    expected_m2 = (
        0.25 * (1 - mean) ** 2 + 0.25 * (3 - mean) ** 2 + 0.5 * (10 - mean) ** 2
    )
    assert_allclose(merged.m2, [expected_m2])


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_column_sums_in_many_chunks(monkeypatch, fmt, dtype):
    """``_BLOCK_ELEMENTS = 1`` makes every chunk a run of ~16 stored values,
    so rows (CSR) or columns (CSC) are summed in dozens of slices."""
    monkeypatch.setattr(sparse, "_BLOCK_ELEMENTS", 1)
    rng = np.random.default_rng(2)
    dense = rng.normal(size=(97, 13)) * (rng.random((97, 13)) < 0.4)
    dense[5] = 0.0  # an empty row
    dense[:, 4] = 0.0  # an empty column
    X = sp.csr_matrix(dense.astype(dtype)).asformat(fmt)
    values = X.toarray().astype(np.float64)
    for squared in (False, True):
        sums = sparse._sparse_column_sums(X, squared=squared)
        expected = (values**2 if squared else values).sum(axis=0)
        assert sums.dtype == np.float64
        assert_allclose(sums, expected, rtol=1e-13, atol=1e-13)


def test_row_by_row_moments_near_1e_minus_300_keep_their_spread():
    # merging single rows rescales to a unit near their difference, whose
    # square would underflow in unit 1
    column = 1e-300 * (2 + np.random.default_rng(0).normal(size=20))
    moments = Moments.empty(1)
    for value in column:
        moments = dense_moments(np.array([[value]]), init=moments)
    assert_allclose(moments.std(), [_exact(column)[1]], rtol=1e-9)


@pytest.mark.parametrize("q", [0.0, 1.0, 12.5, 50.0, 77.7, 99.0, 100.0])
def test_weighted_percentiles_equal_numpy_on_the_rows_repeated(q):
    # integer weights are frequencies: the weighted percentile of a column is
    # numpy's (linear) percentile of the column with each row repeated
    rng = np.random.default_rng(7)
    values = rng.normal(size=(23, 3))
    values[[2, 9], 1] = np.nan
    weights = rng.integers(0, 4, size=23).astype(np.float64)
    weights[0] = 5.0
    (got,) = dense._weighted_percentiles(values, weights, [q])
    for column in range(values.shape[1]):
        repeated = np.repeat(values[:, column], weights.astype(int))
        expected = np.percentile(repeated[~np.isnan(repeated)], q)
        assert_allclose(got[column], expected, rtol=1e-13)
