"""Fitted scalers from statistics computed elsewhere, and z-score clipping."""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skscale.preprocessing import (
    LevelScaler,
    MinMaxScaler,
    ParetoScaler,
    RangeScaler,
    VastScaler,
    ZScoreScaler,
)


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    return rng.normal(size=(200, 4)) * [1, 10, 100, 0.5] + [5, -3, 1e4, 2]


@pytest.mark.parametrize("var_ddof", [0, 1])
@pytest.mark.parametrize(
    "Scaler, params",
    [
        (ZScoreScaler, {}),
        (ZScoreScaler, {"ddof": 1}),
        (ParetoScaler, {}),
        (VastScaler, {"ddof": 0}),
        (LevelScaler, {}),
    ],
)
def test_moment_scalers_from_stats_equal_fit(X, Scaler, params, var_ddof):
    """Statistics as SQL computes them (VAR_SAMP: ddof 1, VAR_POP: ddof 0)."""
    scaler = Scaler.from_stats(
        X.shape[0],
        X.mean(axis=0),
        X.var(axis=0, ddof=var_ddof),
        var_ddof=var_ddof,
        **params,
    )
    fitted = Scaler(**params).fit(X)
    assert_allclose(scaler.scale_, fitted.scale_, rtol=1e-12)
    assert_allclose(scaler.transform(X), fitted.transform(X), rtol=1e-10, atol=1e-12)
    assert scaler.n_samples_seen_ == X.shape[0] and scaler.n_features_in_ == 4


def test_from_stats_then_partial_fit_continues(X):
    scaler = ZScoreScaler.from_stats(100, X[:100].mean(axis=0), X[:100].var(axis=0))
    scaler.partial_fit(X[100:])
    assert_allclose(scaler.var_, ZScoreScaler().fit(X).var_, rtol=1e-12)
    assert scaler.n_samples_seen_ == 200


def test_range_and_minmax_from_stats(X):
    ranged = RangeScaler.from_stats(
        200,
        X.mean(axis=0),
        X.var(axis=0),
        data_min=X.min(axis=0),
        data_max=X.max(axis=0),
    )
    assert_allclose(
        ranged.transform(X), RangeScaler().fit_transform(X), rtol=1e-12, atol=1e-14
    )
    with pytest.raises(ValueError, match="needs data_min and data_max"):
        RangeScaler.from_stats(200, X.mean(axis=0), X.var(axis=0))
    minmax = MinMaxScaler.from_stats(
        X.min(axis=0),
        X.max(axis=0),
        n_samples=200,
        feature_range=(-1, 1),
        feature_names=["a", "b", "c", "d"],
    )
    assert_allclose(
        minmax.transform(X),
        MinMaxScaler((-1, 1)).fit_transform(X),
        rtol=1e-12,
        atol=1e-15,
    )
    assert list(minmax.get_feature_names_out()) == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mean": [1.0, 2.0], "var": [1.0]}, "same length"),
        ({"mean": [1.0], "var": [-1.0]}, "var must be >= 0"),
        ({"mean": [np.nan], "var": [1.0]}, "mean must be finite"),
        (
            {"mean": [1.0], "var": [1.0], "n_samples": 1, "var_ddof": 1},
            "exceed var_ddof",
        ),
        ({"mean": [1.0], "var": [1.0], "feature_names": ["a", "b"]}, "2 entries"),
    ],
)
def test_from_stats_refuses_bad_statistics(kwargs, message):
    kwargs = {"n_samples": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        ZScoreScaler.from_stats(**kwargs)


def test_from_stats_validates_parameters():
    with pytest.raises(ValueError, match="ddof"):
        ZScoreScaler.from_stats(10, [0.0], [1.0], ddof=-1)
    with pytest.raises(ValueError, match="data_min must not exceed data_max"):
        MinMaxScaler.from_stats([2.0], [1.0])
    with pytest.raises(ValueError, match="same length"):
        RangeScaler.from_stats(
            5, [0.0, 1.0], [1.0, 1.0], data_min=[0.0], data_max=[1.0]
        )


def test_max_value_clips_dense_sparse_and_dask(X):
    scaler = ZScoreScaler(max_value=1.0).fit(X)
    out = scaler.transform(X)
    assert np.abs(out).max() == 1.0
    unclipped = ZScoreScaler().fit_transform(X)
    assert_array_equal(out, np.clip(unclipped, -1, 1))
    sparse = sp.random(100, 5, density=0.3, format="csc", random_state=0) * 50
    clipped = ZScoreScaler(with_mean=False, max_value=0.5).fit(sparse).transform(sparse)
    assert sp.issparse(clipped) and abs(clipped).max() == 0.5
    da = pytest.importorskip("dask.array")
    lazy = scaler.transform(da.from_array(X, chunks=50))
    assert_array_equal(lazy.compute(), out)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"mean": [1.0, 2.0], "var": [1.0]},
            "mean and var must be 1-D of the same length; got mean (2,), var (1,).",
        ),
        (
            {"mean": [[1.0]], "var": [[1.0]]},
            "mean and var must be 1-D of the same length; got mean (1, 1), var (1, 1).",
        ),
        ({"mean": [1.0], "var": [-1.0]}, "var must be >= 0."),
        (
            {"mean": [1.0], "var": [1.0], "n_samples": 0},
            "n_samples must exceed var_ddof=0 for every feature.",
        ),
    ],
)
def test_from_stats_messages_in_full(kwargs, message):
    kwargs = {"n_samples": 10, **kwargs}
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        ZScoreScaler.from_stats(**kwargs)


def test_from_stats_accepts_the_edges_of_valid_statistics():
    # a constant feature (variance 0), one sample with ddof 0, min == max
    scaler = ZScoreScaler.from_stats(1, [3, 4], [0, 1])
    assert scaler.mean_.dtype == scaler.var_.dtype == np.float64  # ints given
    assert_array_equal(scaler.scale_, [1.0, 1.0])
    minmax = MinMaxScaler.from_stats([2.0], [2.0], feature_names=["a"])
    assert minmax.feature_names_in_.dtype == object  # scikit-learn's convention
    assert_array_equal(minmax.transform([[2.0]]), [[0.0]])
    with pytest.raises(
        ValueError, match=r"^RangeScaler\.from_stats needs data_min and data_max\.$"
    ):
        RangeScaler.from_stats(5, [0.0], [1.0], data_min=[0.0])
    with pytest.raises(ValueError, match=r"^data_min must not exceed data_max\.$"):
        MinMaxScaler.from_stats([2.0], [1.0])
