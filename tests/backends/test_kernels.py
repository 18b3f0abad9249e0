import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skscale._backends import dense, sparse
from skscale._backends._statistics import Moments
from skscale._backends.dense import affine_map, dense_min_max, dense_moments, row_blocks
from skscale._backends.sparse import sparse_moments

# every test here runs on the compiled kernels and on the NumPy path
pytestmark = pytest.mark.usefixtures("kernel_path")


def _sum_of_squares(moments):
    """M2 in the data's and the weights' units, written out."""
    with np.errstate(over="ignore", under="ignore"):
        return moments.m2 * moments.unit * moments.unit * moments.weight_unit


@pytest.fixture
def small_blocks(monkeypatch):
    """Make every kernel walk many blocks even on small test arrays."""
    monkeypatch.setattr(dense, "_BLOCK_ELEMENTS", 12)
    monkeypatch.setattr(dense, "_MOMENT_BLOCK_ELEMENTS", 12)
    monkeypatch.setattr(dense, "_FUSED_MOMENT_BLOCK_ELEMENTS", 12)
    monkeypatch.setattr(dense, "_MAP_BLOCK_ELEMENTS", 12)


def test_row_blocks_cover_every_row_once():
    for n_rows, n_cols in [(0, 3), (1, 1), (10, 3), (1000, 7), (5, 100_000)]:
        rows = np.concatenate(
            [np.arange(n_rows)[block] for block in row_blocks(n_rows, n_cols)] or [[]]
        )
        assert_array_equal(rows, np.arange(n_rows))


def _reference(X, weights=None):
    """Weighted count, mean and M2 per column, written out with exact sums."""
    n, p = X.shape
    weights = np.ones(n) if weights is None else weights
    count, mean, m2 = np.zeros(p), np.zeros(p), np.zeros(p)
    for j in range(p):
        keep = ~np.isnan(X[:, j])
        x, w = X[keep, j], weights[keep]
        count[j] = math.fsum(w)
        if count[j] > 0:
            mean[j] = math.fsum(w * x) / count[j]
            m2[j] = math.fsum(w * (x - mean[j]) ** 2)
    return count, mean, m2


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("nan_fraction", [0.0, 0.2])
def test_dense_moments_match_exact_sums(small_blocks, weighted, nan_fraction):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(53, 4)) * [1, 10, 1e-3, 5] + [0, 1e6, -3, 1e10]
    X[rng.random(X.shape) < nan_fraction] = np.nan
    X[:, 2] = np.nan if nan_fraction else X[:, 2]
    weights = rng.uniform(0, 3, size=53) if weighted else None
    moments = dense_moments(X, weights)
    count, mean, m2 = _reference(X, weights)
    assert_allclose(moments.count, count, rtol=1e-14)
    has = count > 0
    # correct to float64 rounding of the mean, relative to its size or its spread
    spread = np.sqrt(m2[has] / count[has])
    error = np.abs(moments.mean[has] - mean[has])
    assert (error <= 1e-15 * np.maximum(np.abs(mean[has]), spread)).all()
    assert np.isnan(moments.mean[~has]).all()
    assert_allclose(_sum_of_squares(moments), m2, rtol=1e-10, atol=1e-12)


def test_dense_moments_float32_accumulate_in_float64(small_blocks):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 3)).astype(np.float32)
    moments = dense_moments(X)
    _, mean, m2 = _reference(X.astype(np.float64))
    assert moments.mean.dtype == np.float64
    assert_allclose(moments.mean, mean, rtol=1e-13)
    assert_allclose(_sum_of_squares(moments), m2, rtol=1e-12)


def test_drift_within_a_block_stays_exact():
    # A trend that moves far from the running mean inside one block is the
    # case where sum(d**2) - n * c**2 would cancel; it must be recomputed.
    x = np.linspace(0, 1e6, 10_000)[:, None] + 1e9
    moments = dense_moments(x)
    _, mean, m2 = _reference(x)
    assert_allclose(_sum_of_squares(moments), m2, rtol=1e-12)
    assert_allclose(moments.mean, mean, rtol=1e-16)


def test_merge_is_associative_and_matches_one_pass(small_blocks):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(90, 2)) + 1e7
    a, b, c = X[:30], X[30:60], X[60:]
    left = dense_moments(a).merge(dense_moments(b)).merge(dense_moments(c))
    right = dense_moments(a).merge(dense_moments(b).merge(dense_moments(c)))
    whole = dense_moments(X)
    for merged in (left, right):
        assert_allclose(merged.mean, whole.mean, rtol=1e-15)
        assert_allclose(_sum_of_squares(merged), _sum_of_squares(whole), rtol=1e-11)


def test_merge_with_empty_moments_is_identity():
    moments = dense_moments(np.array([[1.0, 2.0], [3.0, 5.0]]))
    for merged in (Moments.empty(2).merge(moments), moments.merge(Moments.empty(2))):
        assert_array_equal(merged.count, moments.count)
        assert_array_equal(merged.mean, moments.mean)
        assert_array_equal(_sum_of_squares(merged), _sum_of_squares(moments))


def test_variance_with_ddof():
    moments = dense_moments(np.array([[1.0, 4.0, np.nan], [3.0, np.nan, np.nan]]))
    assert_allclose(moments.variance(0)[:2], [1.0, 0.0])
    var1 = moments.variance(1)
    assert var1[0] == 2.0 and var1[1] == 0.0 and np.isnan(var1[2])


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_moments_match_dense(fmt):
    rng = np.random.default_rng(3)
    X = sp.random(70, 6, density=0.3, format=fmt, random_state=3) * 7
    X.data[rng.random(X.data.shape) < 0.1] = np.nan
    weights = rng.uniform(0.1, 2, size=70)
    for w in (None, weights):
        sparse = sparse_moments(X, w)
        dense = dense_moments(X.toarray(), w)
        assert_allclose(sparse.count, dense.count)
        assert_allclose(sparse.mean, dense.mean, rtol=1e-13)
        assert_allclose(
            _sum_of_squares(sparse), _sum_of_squares(dense), rtol=1e-12, atol=1e-12
        )


def test_dense_min_max_skip_nan_and_name_inf(small_blocks):
    X = np.array([[1.0, np.nan, 3.0], [-2.0, np.nan, 8.0], [np.nan, np.nan, -1.0]])
    low, high = dense_min_max(X)
    assert_array_equal(low[[0, 2]], [-2.0, -1.0])
    assert_array_equal(high[[0, 2]], [1.0, 8.0])
    assert np.isnan(low[1]) and np.isnan(high[1])
    X[2, 0] = -np.inf
    with pytest.raises(ValueError, match="column 'a' \\(index 0\\)"):
        dense_min_max(X, feature_names=["a", "b", "c"])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_affine_map_forward_and_inverse(small_blocks, dtype):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(17, 3)).astype(dtype)
    center, scale = np.array([1.0, -2.0, 0.5]), np.array([2.0, 0.5, 3.0])
    out = affine_map(X, center, scale, out=np.empty_like(X))
    assert out.dtype == dtype
    expected = (X.astype(np.float64) - center) / scale
    assert_allclose(
        out, expected.astype(dtype), rtol=1e-6 if dtype == np.float32 else 0
    )
    back = affine_map(out, center, scale, out=np.empty_like(out), inverse=True)
    assert_allclose(back, X, rtol=1e-5 if dtype == np.float32 else 1e-14)
    assert_array_equal(affine_map(X, None, None, out=np.empty_like(X)), X)


def test_affine_map_in_place_checks_everything_before_writing(small_blocks):
    X = np.arange(30.0).reshape(10, 3)
    X[9, 2] = np.inf
    before = X.copy()
    with pytest.raises(ValueError, match="column 2"):
        affine_map(X, np.ones(3), np.ones(3), out=X)
    assert_array_equal(X, before)


def test_affine_map_overflowing_sum_is_not_mistaken_for_inf(small_blocks):
    X = np.full((8, 2), 1e308)
    out = affine_map(X, np.zeros(2), np.full(2, 10.0), out=np.empty_like(X))
    assert_allclose(out, 1e307)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_sparse_moments_equal_the_exact_path(fmt, dtype, monkeypatch):
    monkeypatch.setattr(dense, "_BLOCK_ELEMENTS", 8)  # many slices
    rng = np.random.default_rng(5)
    X = sp.random(300, 7, density=0.4, format="csc", random_state=5) * 10
    X = X.tolil()
    X[:, 3] = 1e6 + rng.normal(size=(300, 1))  # dense, large offset: would cancel
    X[:, 6] = 0.0  # an empty column
    X = X.asformat(fmt).astype(dtype)
    fast = sparse_moments(X)
    exact = sparse_moments(X, exact=True)
    reference = dense_moments(X.toarray())
    for moments in (fast, exact):
        assert_allclose(moments.mean, reference.mean, rtol=1e-13)
        assert_allclose(
            _sum_of_squares(moments), _sum_of_squares(reference), rtol=1e-9, atol=1e-12
        )
    assert fast.m2[6] == 0.0 and fast.mean[6] == 0.0


@pytest.mark.parametrize("magnitude", [1e300, 1e-300, 1e-310])
def test_extreme_magnitudes_keep_an_exact_standard_deviation(small_blocks, magnitude):
    rng = np.random.default_rng(6)
    X = np.column_stack([rng.normal(size=40), rng.random(40) + 2]) * magnitude
    X[3, 0] = np.nan
    moments = dense_moments(X)
    for j in range(2):
        column = X[~np.isnan(X[:, j]), j] / magnitude
        mean = math.fsum(column) / column.size
        std = math.sqrt(math.fsum((column - mean) ** 2) / column.size)
        rtol = 1e-6 if magnitude < 1e-305 else 1e-12  # subnormal data are coarse
        assert moments.mean[j] / magnitude == pytest.approx(mean, rel=rtol, abs=rtol)
        assert moments.std()[j] / magnitude == pytest.approx(std, rel=rtol)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (1000, 50), (333, 7), (50, 2000)])
def test_dense_min_max_matches_nanmin_nanmax(shape, order):
    """The widened reduction (k rows viewed as one) against numpy's own,
    remainder rows, NaN, all-NaN columns and F-ordered input included."""
    from skscale._backends.dense import dense_min_max

    rng = np.random.default_rng(sum(shape))
    X = rng.normal(size=shape) * rng.uniform(1, 1e3, shape[1])
    X[rng.random(shape) < 0.1] = np.nan
    X[:, 0] = np.nan
    X = np.asarray(X, order=order)
    for data in (X, X.astype(np.float32)):
        low, high = dense_min_max(data)
        assert low.dtype == high.dtype == np.float64
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column
            assert_array_equal(low, np.nanmin(data, axis=0))
            assert_array_equal(high, np.nanmax(data, axis=0))


def test_dense_min_max_names_the_infinite_column_in_a_widened_block():
    from skscale._backends.dense import dense_min_max

    X = np.ones((4000, 20))
    X[2345, 13] = -np.inf
    with pytest.raises(ValueError, match="13"):
        dense_min_max(X)


@pytest.mark.parametrize("offset", [0.0, 1e3, 1e6])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("with_center", [True, False])
def test_float32_map_is_within_two_units_of_the_float64_result(
    offset, order, with_center
):
    """The float32 path splits the center in two float32 parts: at any offset
    it stays within two float32 units of the float64 result rounded once
    (scikit-learn's float32 map loses the offset)."""
    rng = np.random.default_rng(0)
    X = (offset + rng.normal(size=(3000, 7)) * [1, 10, 1e-2, 3, 5, 7, 9]).astype(
        np.float32
    )
    X[rng.random(X.shape) < 0.05] = np.nan
    X = np.asarray(X, order=order)
    X64 = X.astype(np.float64)
    center = np.nanmean(X64, axis=0) if with_center else None
    scale = np.nanstd(X64, axis=0)
    out = affine_map(X, center, scale, out=np.empty_like(X))
    exact = ((X64 - (0 if center is None else center)) / scale).astype(np.float32)
    assert out.dtype == np.float32
    assert_array_equal(np.isnan(out), np.isnan(X))
    units = np.abs(out.view(np.int32).astype(np.int64) - exact.view(np.int32))
    assert units[~np.isnan(X)].max() <= 2


def test_float32_map_refuses_inf_naming_the_column():
    X = np.ones((5000, 4), dtype=np.float32)
    X[4321, 2] = np.inf
    with pytest.raises(ValueError, match="2"):
        affine_map(X, np.zeros(4), np.ones(4), out=np.empty_like(X))


@pytest.mark.parametrize("n_rows", [1000, 1037, 5])
def test_widened_deviations_keep_the_moments_exact(n_rows, monkeypatch):
    """Blocks of 4096 values over 4 columns: 1024 rows, taken 256 at a time as
    one wide row, a remainder when the rows do not divide; at an offset of 1e8
    the mean and variance match math.fsum's."""
    from skscale._backends.dense import dense_moments

    monkeypatch.setattr(dense, "_MOMENT_BLOCK_ELEMENTS", 4096)
    monkeypatch.setattr(dense, "_FUSED_MOMENT_BLOCK_ELEMENTS", 4096)
    rng = np.random.default_rng(n_rows)
    X = 1e8 + rng.normal(size=(n_rows * 5, 4)) * [1, 10, 0.1, 3]
    moments = dense_moments(X)
    for j in range(4):
        column = X[:, j]
        mean = math.fsum(column) / len(column)
        var = math.fsum((column - mean) ** 2) / len(column)
        assert moments.mean[j] == pytest.approx(mean, rel=1e-15)
        assert moments.variance(0)[j] == pytest.approx(var, rel=1e-12)


@pytest.mark.parametrize("X", [np.ones((3, 2)), sp.coo_matrix(np.ones((3, 2)))])
def test_sparse_scale_takes_only_csr_or_csc(X):
    with pytest.raises(TypeError, match="Expected a CSR or CSC matrix; got"):
        sparse.sparse_scale(
            X, np.ones(2), copy=True, inverse=False, feature_names=None, what="X"
        )


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize(
    "method, what",
    [("transform", "Input X contains"), ("inverse_transform", "passed to inverse")],
)
def test_sparse_maps_name_the_infinite_column_and_the_call(fmt, method, what):
    import pandas as pd

    from skscale.preprocessing import ZScoreScaler

    dense = np.zeros((6, 3))
    dense[::2] = [[1.0, 2.0, 3.0]]
    frame = pd.DataFrame.sparse.from_spmatrix(
        sp.csr_matrix(dense), columns=["a", "b", "c"]
    )
    scaler = ZScoreScaler(with_mean=False).fit(frame)
    dense[0, 1] = -np.inf
    bad = sp.csr_matrix(dense).asformat(fmt)
    named = pd.DataFrame.sparse.from_spmatrix(bad, columns=["a", "b", "c"])
    before = bad.data.copy()
    with pytest.raises(ValueError, match=f"{what}.*column 'b'"):
        getattr(scaler, method)(named)
    # unnamed input: the names learnt in fit still say which column
    with (
        warnings.catch_warnings(),
        pytest.raises(ValueError, match=rf"{what}.*column 'b' \(index 1\)"),
    ):
        warnings.simplefilter("ignore", UserWarning)  # no feature names
        getattr(scaler, method)(bad, copy=False)
    assert_array_equal(bad.data, before)  # refused before anything changed


@pytest.mark.parametrize(
    "params", [{}, {"quantile_range": (10.0, 90.0)}], ids=["range", "percentiles"]
)
def test_inf_in_a_row_of_weight_zero_is_refused_like_the_moments(params):
    from skscale.preprocessing import MinMaxScaler, ZScoreScaler

    X = np.array([[1.0, 2.0], [3.0, np.inf], [5.0, 1.0], [2.0, 2.5]])
    weights = np.array([1.0, 0.0, 1.0, 1.0])
    for scaler in (MinMaxScaler(**params), ZScoreScaler()):
        with pytest.raises(ValueError, match="infinity in column 1"):
            scaler.fit(X, sample_weight=weights)
    # ... while a finite row of weight 0 is left out of the range
    X[1, 1] = 1e6
    fitted = MinMaxScaler(**params).fit(X, sample_weight=weights)
    assert fitted.data_max_[1] <= 2.5


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_fit_names_the_infinite_column(fmt):
    import pandas as pd

    from skscale.preprocessing import ZScoreScaler

    dense = np.zeros((6, 3))
    dense[::2] = [[1.0, 2.0, 3.0]]
    dense[2, 2] = np.inf
    frame = pd.DataFrame.sparse.from_spmatrix(
        sp.csr_matrix(dense).asformat(fmt), columns=["a", "b", "c"]
    )
    for weights in (None, np.ones(6)):
        with pytest.raises(
            ValueError, match=r"Input X contains infinity in column 'c'"
        ):
            ZScoreScaler(with_mean=False).fit(frame, sample_weight=weights)


def test_sparse_squares_beyond_float64_fall_back_to_the_exact_path():
    from skscale.preprocessing import ZScoreScaler

    # every value stored, near 1e155: the squares overflow, the variance does not
    values = 1e155 * (1 + 1e-3 * np.random.default_rng(5).normal(size=(50, 2)))
    sparse = ZScoreScaler(with_mean=False).fit(sp.csr_matrix(values))
    dense = ZScoreScaler(with_mean=False).fit(values)
    assert np.isfinite(sparse.var_).all()
    assert_allclose(sparse.var_, dense.var_, rtol=1e-12)
    assert_allclose(sparse.mean_, values.mean(axis=0), rtol=1e-14)


def test_sparse_weighted_column_with_one_present_value():
    from skscale.preprocessing import ZScoreScaler

    X = sp.csr_matrix(np.array([[5.0, 1.0], [np.nan, 2.0], [np.nan, 0.0]]))
    scaler = ZScoreScaler(with_mean=False).fit(X, sample_weight=np.ones(3))
    assert_array_equal(scaler.mean_, [5.0, 1.0])
    assert_array_equal(scaler.var_, [0.0, 2.0 / 3.0])


def test_unit_moments_scale_each_column_by_its_own_size():
    from skscale.preprocessing import ZScoreScaler

    rng = np.random.default_rng(6)
    base = rng.normal(size=(12, 2))
    # squared deviations overflow in one column and underflow in the other
    X = base * [1e200, 1e-200] + [3e200, 0.0]
    weights = rng.integers(1, 4, size=12).astype(np.float64)
    weighted = ZScoreScaler().fit(X, sample_weight=weights)
    repeated = ZScoreScaler().fit(np.repeat(X, weights.astype(int), axis=0))
    assert_allclose(weighted.scale_, repeated.scale_, rtol=1e-13)
    assert_allclose(weighted.mean_, repeated.mean_, rtol=1e-13)
    expected = [
        np.sqrt(np.cov(np.repeat(base[:, j], weights.astype(int)), ddof=0)) * unit
        for j, unit in enumerate([1e200, 1e-200])
    ]
    assert_allclose(weighted.scale_, expected, rtol=1e-12)


def test_float32_map_names_the_column_and_the_call():
    X = np.ones((300, 4), dtype=np.float32)
    X[123, 2] = -np.inf
    with pytest.raises(
        ValueError,
        match=r"^Input X passed to inverse_transform contains infinity in column "
        r"'c' \(index 2\)",
    ):
        affine_map(
            X,
            np.zeros(4),
            np.ones(4),
            out=np.empty_like(X),
            feature_names=["a", "b", "c", "d"],
            what="X passed to inverse_transform",
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_identity_map_copies(dtype):
    X = np.random.default_rng(7).normal(size=(50, 3)).astype(dtype)
    out = np.full_like(X, np.nan)
    affine_map(X, None, None, out=out)
    assert_array_equal(out, X)


def test_a_chunk_without_any_value_in_a_column_does_not_poison_the_merge():
    from skscale.preprocessing import ZScoreScaler

    rng = np.random.default_rng(8)
    first = rng.normal(size=(30, 2)) * [1e3, 1.0] + [5e3, 0.0]
    first[:, 0] = np.nan  # the first chunk has no value in column 0
    second = rng.normal(size=(40, 2)) * [1e3, 1.0] + [5e3, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        scaler = ZScoreScaler().partial_fit(first).partial_fit(second)
    both = np.vstack([first, second])
    assert_allclose(scaler.mean_, np.nanmean(both, axis=0), rtol=1e-14)
    assert_allclose(scaler.var_, np.nanvar(both, axis=0), rtol=1e-13)
    assert_array_equal(scaler.n_samples_seen_, [40, 70])


def test_missing_values_next_to_huge_deviations_stay_exact_and_quiet():
    from skscale.preprocessing import ZScoreScaler

    X = np.random.default_rng(9).normal(size=(20, 2)) * [1e200, 1.0]
    X[::4, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        scaler = ZScoreScaler().fit(X)
    column = X[:, 0][~np.isnan(X[:, 0])] / 1e200
    assert_allclose(scaler.scale_[0], np.std(column) * 1e200, rtol=1e-13)


def test_float32_percentiles_are_computed_in_float64():
    from skscale.preprocessing import MinMaxScaler

    # 100 rows: the percentiles fall between two values (interpolated)
    X = (np.random.default_rng(10).lognormal(size=(100, 3)) * 1e4).astype(np.float32)
    scaler = MinMaxScaler(quantile_range=(12.3, 87.7)).fit(X)
    low, high = np.percentile(X.astype(np.float64), [12.3, 87.7], axis=0)
    assert_array_equal(scaler.data_min_, low)
    assert_array_equal(scaler.data_max_, high)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_an_unweighted_sparse_fit_takes_the_fast_path(fmt, monkeypatch):
    # the exact path (bincounts of every stored value) is for weights, NaN and
    # cancelling columns; a plain sparse fit must not pay for it
    def exact_path(*args, **kwargs):
        raise AssertionError("the exact sparse path ran")

    monkeypatch.setattr(sparse, "_column_sums", exact_path)
    X = sp.random(200, 30, density=0.2, format=fmt, random_state=0) * 100
    moments = sparse.sparse_moments(X)
    dense = X.toarray()
    assert_allclose(moments.mean, dense.mean(axis=0), rtol=1e-13)
    assert_allclose(moments.m2, dense.var(axis=0) * 200, rtol=1e-11)
