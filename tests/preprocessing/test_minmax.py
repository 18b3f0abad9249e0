import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.preprocessing import MinMaxScaler as SklearnMinMaxScaler

from skscale.preprocessing import MinMaxScaler


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("nan_fraction", [0.0, 0.1])
@pytest.mark.parametrize("feature_range", [(0, 1), (-1, 1), (-3.5, 10)])
def test_matches_scikit_learn(dtype, nan_fraction, feature_range, make_data):
    X = make_data(nan_fraction=nan_fraction, dtype=dtype)
    ours = MinMaxScaler(feature_range).fit(X)
    ref = SklearnMinMaxScaler(feature_range=feature_range).fit(X)
    # scikit-learn keeps float32 statistics in float32; skscale's are float64.
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for name in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        assert_allclose(getattr(ours, name), getattr(ref, name), rtol=rtol)
    assert ours.n_samples_seen_ == ref.n_samples_seen_
    Xt = ours.transform(X)
    assert Xt.dtype == dtype
    assert_allclose(Xt, ref.transform(X), rtol=rtol, atol=rtol)
    assert_allclose(ours.inverse_transform(Xt), X, rtol=rtol, atol=rtol * 1e3)


def test_clip_bounds_held_out_data(make_data):
    X = make_data()
    scaler = MinMaxScaler((-1, 1), clip=True).fit(X)
    held_out = X * 3 + 100
    Xt = scaler.transform(held_out)
    assert Xt.min() >= -1 and Xt.max() <= 1
    ref = SklearnMinMaxScaler(feature_range=(-1, 1), clip=True).fit(X)
    assert_allclose(Xt, ref.transform(held_out), rtol=1e-12, atol=1e-12)


def test_clip_keeps_nan(make_data):
    X = make_data(nan_fraction=0.2)
    Xt = MinMaxScaler(clip=True).fit(X).transform(X)
    assert_array_equal(np.isnan(Xt), np.isnan(X))


def test_partial_fit_agrees_with_fit(make_data):
    X = make_data(nan_fraction=0.1)
    chunked = MinMaxScaler()
    for rows in np.array_split(np.arange(X.shape[0]), 9):
        chunked.partial_fit(X[rows])
    whole = MinMaxScaler().fit(X)
    assert_array_equal(chunked.data_min_, whole.data_min_)
    assert_array_equal(chunked.data_max_, whole.data_max_)
    assert chunked.n_samples_seen_ == whole.n_samples_seen_ == X.shape[0]


def test_partial_fit_column_nan_in_first_batch_only():
    first = np.array([[np.nan, 1.0], [np.nan, 2.0]])
    second = np.array([[5.0, 0.0], [7.0, 3.0]])
    with pytest.warns(UserWarning, match="column 0"):
        scaler = MinMaxScaler().partial_fit(first)
    scaler.partial_fit(second)
    assert_array_equal(scaler.data_min_, [5.0, 0.0])
    assert_array_equal(scaler.data_max_, [7.0, 3.0])


@pytest.mark.parametrize("quantile_range", [(1, 99), (5, 95), (0, 100), (25, 75)])
def test_quantile_range_uses_percentiles(quantile_range, make_data):
    X = make_data(nan_fraction=0.05)
    X[0, :] = 1e9  # one outlier per column
    scaler = MinMaxScaler(quantile_range=quantile_range).fit(X)
    low = np.nanpercentile(X, quantile_range[0], axis=0)
    high = np.nanpercentile(X, quantile_range[1], axis=0)
    assert_allclose(scaler.data_min_, low, rtol=1e-13)
    assert_allclose(scaler.data_max_, high, rtol=1e-13)
    Xt = scaler.transform(X)
    expected = (X - low) / (high - low)
    assert_allclose(Xt, expected, rtol=1e-10, atol=1e-12)


def test_quantile_range_resists_one_outlier():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, size=(1000, 1))
    x[0] = 1e6
    plain = MinMaxScaler().fit_transform(x)
    robust = MinMaxScaler(quantile_range=(1, 99), clip=True).fit_transform(x)
    assert np.ptp(plain[1:]) < 1e-4  # the bulk is squashed
    assert np.ptp(robust[1:]) > 0.99  # the bulk keeps its spread
    assert robust.max() == 1.0


def test_quantile_range_refuses_partial_fit(make_data):
    with pytest.raises(ValueError, match=r"quantile_range=\(1, 99\).*partial_fit"):
        MinMaxScaler(quantile_range=(1, 99)).partial_fit(make_data())


@pytest.mark.parametrize(
    "params, message",
    [
        ({"feature_range": (1, 0)}, r"feature_range=\(1, 0\); expected .*min < max"),
        ({"feature_range": (0, 1, 2)}, "two numbers"),
        ({"feature_range": ("a", 1)}, "two numbers"),
        ({"quantile_range": (90, 10)}, r"0 <= low < high <= 100"),
        ({"quantile_range": (-1, 50)}, r"0 <= low < high <= 100"),
        ({"quantile_range": (1, 101)}, r"0 <= low < high <= 100"),
    ],
)
def test_invalid_ranges_are_refused(params, message, make_data):
    with pytest.raises(ValueError, match=message):
        MinMaxScaler(**params).fit(make_data())


def test_exact_at_large_offset_where_scale_and_min_cancel():
    rng = np.random.default_rng(0)
    X = 1e8 + rng.uniform(0, 1e-3, size=(1000, 1))
    Xt = MinMaxScaler().fit(X).transform(X)
    low, high = X.min(), X.max()
    expected = (X - low) / (high - low)
    ours_error = np.abs(Xt - expected).max()
    sklearn_error = np.abs(SklearnMinMaxScaler().fit(X).transform(X) - expected).max()
    assert ours_error <= 1e-15
    assert ours_error < sklearn_error


def test_near_constant_column_is_not_blown_up():
    """The float64 bound of every skscale scaler, range <= n * eps * max|x|:
    rounding noise around 1 stays at feature_range[0], where scikit-learn's
    absolute 10 * eps blows it up to the whole range."""
    rng = np.random.default_rng(0)
    X = np.column_stack([1 + 1e-14 * rng.normal(size=500), rng.normal(size=500)])
    Xt = MinMaxScaler().fit_transform(X)
    assert np.abs(Xt[:, 0]).max() < 1e-10
    assert Xt[:, 1].min() == 0 and Xt[:, 1].max() == 1
    assert SklearnMinMaxScaler().fit_transform(X)[:, 0].max() == 1.0


@pytest.mark.parametrize("feature_range", [(0, 1), (-2, 2)])
def test_float32_values_a_few_units_apart_span_the_range(feature_range):
    """300.00 .. 300.03 in float32 is signal (984 distinct values), not
    rounding noise: it maps onto the whole feature_range, as in scikit-learn."""
    x = np.linspace(300.0, 300.03, 1000).astype(np.float32).reshape(-1, 1)
    assert np.unique(x).size > 900
    ours = MinMaxScaler(feature_range).fit_transform(x)
    theirs = SklearnMinMaxScaler(feature_range=feature_range).fit_transform(x)
    assert ours.dtype == np.float32
    assert ours.min() == pytest.approx(feature_range[0], abs=1e-6)
    assert ours.max() == pytest.approx(feature_range[1], abs=1e-6)
    x64 = x.astype(np.float64)
    low, high = feature_range
    exact = (x64 - x64.min()) / (x64.max() - x64.min()) * (high - low) + low
    assert_allclose(ours, exact, atol=2e-7 * (high - low))
    # scikit-learn maps the same range (its x * scale_ + min_ in float32
    # cancels to about 1e-3 here; ours subtracts first and stays exact)
    assert theirs.min() == pytest.approx(low) and theirs.max() == pytest.approx(high)
    assert np.abs(theirs - exact).max() > np.abs(ours - exact).max()


def test_constant_column_maps_to_range_start_like_scikit_learn():
    X = np.column_stack([np.full(10, 7.0), np.arange(10.0)])
    assert_allclose(
        MinMaxScaler((-2, 2)).fit_transform(X),
        SklearnMinMaxScaler(feature_range=(-2, 2)).fit_transform(X),
    )


def test_all_nan_column_warns_and_stays_nan(make_data):
    X = make_data(n=30, p=3)
    X[:, 1] = np.nan
    with pytest.warns(UserWarning, match="column 1 held only NaN"):
        scaler = MinMaxScaler().fit(X)
    Xt = scaler.transform(X)
    assert np.isnan(Xt[:, 1]).all()
    assert_allclose(Xt[:, [0, 2]], MinMaxScaler().fit_transform(X[:, [0, 2]]))
    with pytest.warns(UserWarning, match="column 1"):
        MinMaxScaler(quantile_range=(5, 95)).fit(X)


@pytest.mark.parametrize("quantile_range", [None, (1, 99)])
def test_infinity_names_the_column(quantile_range, make_data):
    df = pd.DataFrame(make_data(n=20, p=3), columns=["a", "b", "c"])
    df.loc[3, "c"] = -np.inf
    with pytest.raises(ValueError, match="infinity in column 'c' \\(index 2\\)"):
        MinMaxScaler(quantile_range=quantile_range).fit(df)


def test_sparse_is_refused_clearly():
    with pytest.raises(TypeError, match=r"[Ss]parse"):
        MinMaxScaler().fit(sp.random(10, 3, density=0.5, format="csr"))


@settings(max_examples=60, deadline=None)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.integers(1, 4)),
        elements=st.one_of(st.floats(-1e12, 1e12), st.just(np.nan)),
    ),
    held_out=arrays(
        np.float64,
        st.tuples(st.integers(1, 10), st.just(4)),
        elements=st.floats(-1e15, 1e15),
    ),
    feature_range=st.sampled_from([(0, 1), (-1, 1), (2, 3)]),
)
def test_property_clip_stays_inside_feature_range(X, held_out, feature_range):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scaler = MinMaxScaler(feature_range, clip=True).fit(X)
    Xt = scaler.transform(held_out[:, : X.shape[1]])
    finite = Xt[~np.isnan(Xt)]
    assert (finite >= feature_range[0]).all() and (finite <= feature_range[1]).all()


@settings(max_examples=60, deadline=None)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.integers(1, 4)),
        elements=st.floats(-1e9, 1e9),
    ),
)
def test_property_inverse_transform_round_trips(X):
    scaler = MinMaxScaler((-1, 1)).fit(X)
    assert_allclose(
        scaler.inverse_transform(scaler.transform(X)), X, rtol=1e-9, atol=1e-5
    )


@pytest.mark.parametrize("weighted", [False, True])
def test_percentiles_computed_a_few_columns_at_a_time(weighted, make_data, monkeypatch):
    from skscale._backends import dense

    X = make_data(n=40, p=7, nan_fraction=0.1)
    w = np.ones(40) if weighted else None
    whole = MinMaxScaler(quantile_range=(10, 90)).fit(X, sample_weight=w)
    monkeypatch.setattr(dense, "_PERCENTILE_BLOCK_ELEMENTS", 80)  # 2 columns
    blocked = MinMaxScaler(quantile_range=(10, 90)).fit(X, sample_weight=w)
    assert_array_equal(blocked.data_min_, whole.data_min_)
    assert_array_equal(blocked.data_max_, whole.data_max_)
    assert_allclose(whole.data_min_, np.nanpercentile(X, 10, axis=0))


def _percentile_by_hand(column, q):
    """numpy's 'linear' percentile written out: sort the values, find the
    position q/100 * (n - 1), interpolate between its two neighbours."""
    values = np.sort(column[~np.isnan(column)])
    position = q / 100 * (len(values) - 1)
    below = int(np.floor(position))
    above = min(below + 1, len(values) - 1)
    return values[below] + (position - below) * (values[above] - values[below])


@pytest.mark.parametrize("quantile_range", [(3, 80), (0, 37.5), (62, 100), (10, 11)])
def test_asymmetric_quantile_ranges_match_percentiles_by_hand(quantile_range):
    rng = np.random.default_rng(4)
    X = rng.lognormal(size=(53, 3))
    X[rng.random(X.shape) < 0.1] = np.nan
    scaler = MinMaxScaler(quantile_range=quantile_range).fit(X)
    for j in range(X.shape[1]):
        assert scaler.data_min_[j] == pytest.approx(
            _percentile_by_hand(X[:, j], quantile_range[0]), rel=1e-12
        )
        assert scaler.data_max_[j] == pytest.approx(
            _percentile_by_hand(X[:, j], quantile_range[1]), rel=1e-12
        )


@pytest.mark.parametrize("quantile_range", [None, (0, 100), (7, 93), (30, 55)])
@pytest.mark.parametrize("with_nan", [False, True])
def test_integer_weights_equal_repeated_rows(quantile_range, with_nan):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(31, 4)) * [1, 10, 100, 1e6] + [0, 5, -3, 1e9]
    if with_nan:
        X[rng.random(X.shape) < 0.1] = np.nan
    w = rng.integers(0, 4, size=31)
    weighted = MinMaxScaler(quantile_range=quantile_range).fit(X, sample_weight=w)
    repeated = MinMaxScaler(quantile_range=quantile_range).fit(np.repeat(X, w, axis=0))
    assert_allclose(weighted.data_min_, repeated.data_min_, rtol=1e-13)
    assert_allclose(weighted.data_max_, repeated.data_max_, rtol=1e-13)
    assert weighted.n_samples_seen_ == w.sum()
    Z = rng.normal(size=(9, 4))
    assert_allclose(weighted.transform(Z), repeated.transform(Z), rtol=1e-12)


def test_zero_weight_rows_are_left_out_of_the_range():
    X = np.array([[0.0, -50.0], [1.0, 2.0], [2.0, 4.0], [1000.0, 3.0]])
    scaler = MinMaxScaler().fit(X, sample_weight=[0, 1, 1, 0])
    assert_array_equal(scaler.data_min_, [1.0, 2.0])
    assert_array_equal(scaler.data_max_, [2.0, 4.0])


def test_weighted_partial_fit_equals_fit():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(60, 3))
    w = rng.random(60)
    w[::7] = 0
    whole = MinMaxScaler().fit(X, sample_weight=w)
    chunked = MinMaxScaler()
    for rows in np.array_split(np.arange(60), 4):
        chunked.partial_fit(X[rows], sample_weight=w[rows])
    assert_array_equal(chunked.data_min_, whole.data_min_)
    assert_array_equal(chunked.data_max_, whole.data_max_)
    assert chunked.n_samples_seen_ == pytest.approx(whole.n_samples_seen_)


@pytest.mark.parametrize("factor, constant", [(2.5, False), (0.4, True)])
def test_the_near_constant_bound_sits_where_the_rule_says(factor, constant):
    """A range ``factor`` times the rule's bound, n * eps * max|x| /
    sqrt(1 - n * eps) (written out here), is scaled (above) or constant
    (below)."""
    n, eps = 100, np.finfo(np.float64).eps
    bound = n * eps * 1.0 / np.sqrt(1 - n * eps)
    x = np.ones((n, 1))
    x[n // 2 :] += factor * bound
    assert x.max() - x.min() == pytest.approx(factor * bound, rel=0.05)
    out = MinMaxScaler((-1, 1)).fit_transform(x)
    if constant:  # feature_range[0], give or take the rounding noise
        assert_allclose(out, -1.0, rtol=0, atol=1e-12)
    else:
        assert out.min() == -1.0 and out.max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"feature_range": (1, 1)},
            "Got feature_range=(1, 1); expected (min, max) with min < max.",
        ),
        (
            {"feature_range": (2, 1)},
            "Got feature_range=(2, 1); expected (min, max) with min < max.",
        ),
        (
            {"feature_range": ("a", 1)},
            "Got feature_range=('a', 1); expected a tuple of two numbers.",
        ),
        (
            {"feature_range": (0, np.inf)},
            "Got feature_range=(0, inf); expected finite numbers.",
        ),
        (
            {"quantile_range": (50, 50)},
            "Got quantile_range=(50, 50); expected 0 <= low < high <= 100.",
        ),
        (
            {"quantile_range": (-1, 50)},
            "Got quantile_range=(-1, 50); expected 0 <= low < high <= 100.",
        ),
        (
            {"quantile_range": (5, np.nan)},
            "Got quantile_range=(5, nan); expected finite numbers.",
        ),
    ],
)
def test_bad_ranges_are_refused_in_full(params, message):
    import re

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        MinMaxScaler(**params).fit(np.arange(6.0).reshape(3, 2))


def test_a_constant_column_maps_to_the_low_end_with_the_range_as_scale():
    X = np.column_stack([np.full(5, 3.0), np.arange(5.0)])
    scaler = MinMaxScaler(feature_range=(-1, 1)).fit(X)
    assert_array_equal(scaler.scale_, [2.0, 0.5])
    assert_array_equal(scaler.transform(X)[:, 0], np.full(5, -1.0))
    assert MinMaxScaler.from_stats([0.0], [1.0]).n_samples_seen_ == 0
