"""Invariants every scaler keeps, on arrays hypothesis invents."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from sklearn.datasets import load_wine
from sklearn.feature_selection import SelectorMixin

from skscale.preprocessing import BlockScaler, MinMaxScaler, ZScoreScaler
from skscale.utils.discovery import all_estimators
from tests._registry import reference_instances

# Every estimator with an inverse, apart from the per-sample normalisers (whose
# invariants are about rows: tests/preprocessing/test_samples.py), is a scaler
# these invariants hold for; those
# that also learn in chunks must agree with one fit. Both come from the
# registry, so a new scaler is held to them unasked.
SCALERS = [
    e
    for e in reference_instances().values()
    if hasattr(e, "inverse_transform")
    and not getattr(e, "_per_sample", False)
    and not isinstance(e, SelectorMixin)  # an inverse that fills in zeros
]
STREAMING = [type(e) for e in SCALERS if hasattr(e, "partial_fit")]
ALL_SCALERS = [
    *SCALERS,
    # the percentile range takes its own code path
    MinMaxScaler(quantile_range=(5, 95)),
]
EXAMPLES = 40
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def tables(min_rows=2, max_rows=40, min_cols=2, max_cols=4, nan=True):
    """Columns with their own magnitude and offset, some NaN."""

    @st.composite
    def build(draw):
        n = draw(st.integers(min_rows, max_rows))
        p = draw(st.integers(min_cols, max_cols))
        base = draw(arrays(np.float64, (n, p), elements=st.floats(-1e3, 1e3, width=32)))
        scale = draw(arrays(np.float64, p, elements=st.sampled_from([1e-3, 1.0, 1e4])))
        offset = draw(arrays(np.float64, p, elements=st.sampled_from([0.0, 10.0, 1e6])))
        X = base * scale + offset
        if nan:
            mask = draw(arrays(np.bool_, (n, p), elements=st.booleans()))
            X[mask & (np.arange(n)[:, None] % 3 == 0)] = np.nan
        return X

    return build()


def _quiet(func, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args)


@pytest.mark.parametrize("scaler", ALL_SCALERS, ids=repr)
@SETTINGS
@given(X=tables())
def test_inverse_transform_returns_X(scaler, X):
    fitted = _quiet(scaler.__sklearn_clone__().fit, X)
    back = fitted.inverse_transform(fitted.transform(X))
    tolerance = 1e-9 * np.nanmax(np.abs(X), axis=0, initial=1.0)
    assert np.array_equal(np.isnan(back), np.isnan(X))
    assert (np.nan_to_num(np.abs(back - X)) <= tolerance + 1e-9).all()


@pytest.mark.parametrize("cls", STREAMING, ids=lambda c: c.__name__)
@SETTINGS
@given(X=tables(min_rows=4), data=st.data())
def test_any_chunking_of_partial_fit_equals_fit(cls, X, data):
    cuts = sorted(data.draw(st.sets(st.integers(1, len(X) - 1), max_size=4)))
    chunked = cls()
    for chunk in np.split(X, cuts):
        _quiet(chunked.partial_fit, chunk)
    whole = _quiet(cls().fit, X)
    # Any order of accumulation agrees to float64 rounding of the statistics;
    # a standard deviation far below its column's mean (condition |mean|/std)
    # carries a relative rounding error of about n * eps * condition, which a
    # scaler that divides by it (twice, for vast scaling) passes on.
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        condition = np.abs(np.nanmean(X, axis=0)) / np.nanstd(X, axis=0)
    condition = np.nan_to_num(condition, nan=0.0, posinf=0.0)  # constant: exact
    rtol = 1e-7 + 100 * len(X) * np.finfo(float).eps * condition
    out_chunked, out_whole = chunked.transform(X), whole.transform(X)
    for j in range(X.shape[1]):
        assert_allclose(out_chunked[:, j], out_whole[:, j], rtol=rtol[j], atol=1e-7)


@pytest.mark.parametrize("scaler", ALL_SCALERS, ids=repr)
@SETTINGS
@given(X=tables(), seed=st.integers(0, 2**16))
def test_permuting_rows_changes_nothing(scaler, X, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    plain = _quiet(scaler.__sklearn_clone__().fit, X).transform(X)
    permuted = _quiet(scaler.__sklearn_clone__().fit, X[order]).transform(X)
    assert_allclose(permuted, plain, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("scaler", ALL_SCALERS, ids=repr)
@SETTINGS
@given(X=tables(nan=False))
def test_float32_agrees_with_float64_to_float32_rounding(scaler, X):
    single = X.astype(np.float32)
    values = single.astype(np.float64)
    out32 = _quiet(scaler.__sklearn_clone__().fit, single).transform(single)
    fitted64 = _quiet(scaler.__sklearn_clone__().fit, values)
    out64 = fitted64.transform(values)
    assert out32.dtype == np.float32
    # columns whose spread (the range, or the percentile range the scaler uses)
    # is a few float32 ulps are rounding noise in float32 (scale 1, by design)
    # but signal in float64: compare the others
    spread = getattr(fitted64, "data_range_", np.ptp(values, axis=0))
    resolved = spread > 1e4 * np.finfo(np.float32).eps * (
        np.abs(values).max(axis=0) + 1e-30
    )
    if isinstance(scaler, BlockScaler):
        # one such column changes its whole block's weight: nothing to compare
        assume(((np.ptp(values, axis=0) == 0) | resolved).all())
    out32, out64 = out32[:, resolved], out64[:, resolved]
    assert_allclose(
        out32, out64, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(out64).max(initial=0))
    )


@SETTINGS
@given(
    X=tables(min_rows=3, nan=False),
    a=st.floats(1e-3, 1e3),
    b=st.floats(-1e4, 1e4),
)
def test_zscore_is_unchanged_by_a_positive_affine_change(X, a, b):
    spread = np.ptp(X, axis=0) > 1e-3 * (np.abs(X).max(axis=0) + 1)
    plain = ZScoreScaler().fit_transform(X)
    changed = ZScoreScaler().fit_transform(a * X + b)
    assert_allclose(changed[:, spread], plain[:, spread], atol=1e-5)


@SETTINGS
@given(X=tables(), held_out=tables(min_rows=1, max_rows=5, min_cols=4, max_cols=4))
def test_minmax_clip_stays_in_the_feature_range(X, held_out):
    scaler = _quiet(MinMaxScaler((-2, 3), clip=True).fit, X)
    out = scaler.transform(held_out[:, : X.shape[1]] * 1e3)
    finite = out[~np.isnan(out)]
    assert (finite >= -2).all() and (finite <= 3).all()


def _fitted_estimators():
    wine = load_wine()
    X, y = wine.data, wine.target.astype(float)
    for name, estimator in reference_instances().items():
        yield name, estimator.fit(X, y), X


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_every_fitted_estimator_survives_persistence(how, tmp_path):
    names = []
    for name, estimator, X in _fitted_estimators():
        if how == "pickle":
            restored = pickle.loads(pickle.dumps(estimator))
        else:
            joblib.dump(estimator, tmp_path / f"{name}.joblib")
            restored = joblib.load(tmp_path / f"{name}.joblib")
        method = "predict" if hasattr(estimator, "predict") else "transform"
        assert np.array_equal(
            getattr(restored, method)(X), getattr(estimator, method)(X)
        )
        names.append(name)
    assert names == [name for name, _ in all_estimators()]
