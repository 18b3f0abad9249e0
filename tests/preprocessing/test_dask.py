"""dask input: the same fitted numbers as in memory, lazy transforms, clusters."""

import sys

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")

from skscale._backends.dask import is_dask_collection, require_dask  # noqa: E402
from skscale.preprocessing import (  # noqa: E402
    LevelScaler,
    MinMaxScaler,
    ParetoScaler,
    RangeScaler,
    VastScaler,
    ZScoreScaler,
)

SCALERS = [
    ZScoreScaler,
    MinMaxScaler,
    ParetoScaler,
    VastScaler,
    LevelScaler,
    RangeScaler,
]


def _data(dtype=np.float64, n=20_000, nan=True, seed=0):
    rng = np.random.default_rng(seed)
    X = 1e6 + rng.normal(size=(n, 6)) * [1, 10, 100, 0.1, 5, 50]
    if nan:
        X[rng.random(X.shape) < 0.03] = np.nan
    return X.astype(dtype)


def _fitted_state(scaler):
    return {
        name: value
        for name, value in vars(scaler).items()
        if name.endswith("_") and not name.startswith("_") and name != "n_features_in_"
    }


@pytest.mark.parametrize("Scaler", SCALERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("chunks", [(3000, 6), (7001, 2)])
def test_fit_on_dask_equals_fit_in_memory(Scaler, dtype, chunks):
    X = _data(dtype)
    lazy = Scaler().fit(da.from_array(X, chunks=chunks))
    eager = Scaler().fit(X)
    for name, value in _fitted_state(eager).items():
        got = getattr(lazy, name)
        assert isinstance(got, np.ndarray | np.integer | int), name
        assert_allclose(got, value, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("Scaler", SCALERS)
def test_transform_is_lazy_keeps_chunks_and_dtype(Scaler):
    X = _data(np.float32)
    calls = []

    def load(block):
        calls.append(1)
        return block

    lazy_input = da.from_array(X, chunks=(5000, 3)).map_blocks(load, dtype=X.dtype)
    scaler = Scaler().fit(X)
    calls.clear()
    out = scaler.transform(lazy_input)
    back = scaler.inverse_transform(out)
    assert calls == []  # nothing computed yet
    assert isinstance(out, da.Array) and out.dtype == np.float32
    assert out.chunks == lazy_input.chunks
    assert_allclose(out.compute(), scaler.transform(X), rtol=1e-6, equal_nan=True)
    assert_allclose(back.compute(), X, rtol=1e-6, equal_nan=True)


def test_partial_fit_mixes_dask_and_numpy_batches():
    X = _data()
    scaler = ZScoreScaler()
    scaler.partial_fit(da.from_array(X[:8000], chunks=1500))
    scaler.partial_fit(X[8000:12000])
    scaler.partial_fit(da.from_array(X[12000:], chunks=4000))
    reference = ZScoreScaler().fit(X)
    assert_allclose(scaler.mean_, reference.mean_, rtol=1e-15)
    assert_allclose(scaler.var_, reference.var_, rtol=1e-12)
    assert_array_equal(scaler.n_samples_seen_, reference.n_samples_seen_)


def test_sample_weight_with_dask():
    X = _data(nan=False)
    weights = np.random.default_rng(1).uniform(0, 2, size=len(X))
    lazy = ZScoreScaler().fit(da.from_array(X, chunks=3000), sample_weight=weights)
    eager = ZScoreScaler().fit(X, sample_weight=weights)
    assert_allclose(lazy.var_, eager.var_, rtol=1e-12)
    ranged = RangeScaler().fit(da.from_array(X, chunks=3000), sample_weight=weights)
    assert_allclose(ranged.scale_, RangeScaler().fit(X, sample_weight=weights).scale_)


def test_dask_dataframe_keeps_feature_names():
    frame = pd.DataFrame(_data(n=3000), columns=list("abcdef"))
    lazy = dd.from_pandas(frame, npartitions=4)
    scaler = ZScoreScaler().fit(lazy)
    assert list(scaler.feature_names_in_) == list("abcdef")
    assert_allclose(scaler.mean_, ZScoreScaler().fit(frame).mean_, rtol=1e-15)
    out = scaler.transform(lazy)
    assert is_dask_collection(out)
    assert_allclose(out.compute(), scaler.transform(frame), equal_nan=True)
    with pytest.raises(ValueError, match="feature names should match"):
        scaler.transform(
            dd.from_pandas(frame.rename(columns={"a": "z"}), npartitions=2)
        )


def test_bad_dask_input_is_refused_clearly():
    X = _data(n=2000, nan=False)
    X[1500, 4] = np.inf
    with pytest.raises(ValueError, match="infinity in column 4"):
        ZScoreScaler().fit(da.from_array(X, chunks=500))
    scaler = ZScoreScaler().fit(_data(n=2000))
    with pytest.raises(ValueError, match="expecting 6 features"):
        scaler.transform(da.ones((10, 5), chunks=5))
    with pytest.raises(ValueError, match="2-D dask array"):
        scaler.transform(da.ones(10, chunks=5))
    with pytest.raises(ValueError, match=r"quantile_range=.*dask"):
        MinMaxScaler(quantile_range=(1, 99)).fit(da.from_array(X, chunks=500))
    frame = dd.from_pandas(pd.DataFrame({"x": [1.0, 2.0], "s": ["a", "b"]}), 1)
    with pytest.raises(ValueError, match="non-numeric 's'"):
        ZScoreScaler().fit(frame)


def test_integer_dask_input_is_converted():
    X = np.arange(60).reshape(20, 3)
    scaler = ZScoreScaler().fit(da.from_array(X, chunks=7))
    assert_allclose(scaler.mean_, X.mean(axis=0))
    assert scaler.transform(da.from_array(X, chunks=7)).dtype == np.float64


def test_on_a_two_worker_local_cluster():
    distributed = pytest.importorskip("distributed")
    X = _data(n=30_000)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        lazy = client.persist(da.from_array(X, chunks=5000))
        scaler = ZScoreScaler().fit(lazy)
        scaled = scaler.transform(lazy).persist()
        result = scaled.compute()
    reference = ZScoreScaler().fit(X)
    assert_allclose(scaler.var_, reference.var_, rtol=1e-12)
    assert_allclose(result, reference.transform(X), equal_nan=True)


def test_without_dask_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=r"skscale\[dask\]"):
        require_dask()
    assert not is_dask_collection(np.ones(3))
    assert not is_dask_collection(pd.DataFrame({"a": [1]}))
