import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_wine

from skscale.diagnostics import _knn, _pca, knn_distortion, pca_dominance
from skscale.preprocessing import ZScoreScaler

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def wine():
    data = load_wine(as_frame=True)
    return data.data, ZScoreScaler().fit_transform(data.data), data.target.to_numpy()


def test_pca_on_dask_uses_the_blockwise_covariance(wine):
    X, Z, _ = wine
    lazy = pca_dominance(
        dd.from_pandas(X, npartitions=3), da.from_array(Z, chunks=(40, 13))
    )
    eager = pca_dominance(X, Z)
    pd.testing.assert_frame_equal(lazy.components, eager.components, rtol=1e-9)
    assert list(lazy.features.index) == list(X.columns)
    assert lazy.sampling.startswith(
        "covariance accumulated chunk by chunk over all 178"
    )
    assert "Covariance accumulated" in lazy.summary()
    assert eager.sampling is None


def test_pca_on_wide_dask_samples_rows(wine, monkeypatch):
    X, Z, _ = wine
    monkeypatch.setattr(_pca, "_DASK_COVARIANCE_LIMIT", 5)
    monkeypatch.setattr(_pca, "DASK_SAMPLE_ROWS", 100)
    report = pca_dominance(
        da.from_array(X.to_numpy(), chunks=50), da.from_array(Z, chunks=50)
    )
    assert report.sampling == (
        "PCA on 100 of 178 rows sampled at random from the dask input"
    )
    assert report.n_samples == 100
    assert report.components.loc["PC1", "top_feature_before"] == "x12"  # proline


def test_knn_on_dask_samples_rows_and_labels(wine, monkeypatch):
    X, Z, y = wine
    lazy = knn_distortion(
        da.from_array(X.to_numpy(), chunks=60), da.from_array(Z, chunks=60), y=y
    )
    eager = knn_distortion(X.to_numpy(), Z, y=y)
    assert_allclose(lazy.metrics.to_numpy(), eager.metrics.to_numpy())
    assert "all 178 rows" in lazy.sampling
    monkeypatch.setattr(_knn, "DASK_SAMPLE_ROWS", 90)
    sampled = knn_distortion(
        da.from_array(X.to_numpy(), chunks=60), da.from_array(Z, chunks=60), y=y
    )
    assert sampled.metrics["n_samples"] == 90
    assert "90 of 178 rows sampled" in sampled.summary()
    note = sampled.sampling
    assert sampled.summary().endswith(f" ({note[0].upper()}{note[1:]}.)")
    assert sampled.metrics["purity_after"] > sampled.metrics["purity_before"]


def test_knn_on_dask_honours_random_state(wine, monkeypatch):
    X, Z, y = wine
    monkeypatch.setattr(_knn, "DASK_SAMPLE_ROWS", 90)
    lazy_x = da.from_array(X.to_numpy(), chunks=60)
    lazy_z = da.from_array(Z, chunks=60)
    reports = [
        knn_distortion(lazy_x, lazy_z, y=y, random_state=seed) for seed in (1, 1, 2)
    ]
    metrics = [report.metrics.to_numpy() for report in reports]
    assert_allclose(metrics[0], metrics[1])  # the same seed, the same sample
    assert not np.allclose(metrics[0], metrics[2])  # another seed, other rows


@pytest.mark.parametrize("lazy_side", ["both", "before", "after"])
def test_pca_on_dask_with_missing_values_and_blocks_equals_in_memory(wine, lazy_side):
    X, Z, _ = wine
    X = X.copy()
    X.iloc[::7, 2] = np.nan  # 26 missing before
    Z = Z.copy()
    Z[::11, 5] = np.nan  # 17 missing after
    blocks = {"first": list(X.columns[:6]), "rest": list(X.columns[6:])}
    before = dd.from_pandas(X, npartitions=3) if lazy_side != "after" else X
    after = (
        da.from_array(Z, chunks=(40, 13)) if lazy_side != "before" else pd.DataFrame(Z)
    )
    lazy = pca_dominance(before, after, blocks=blocks)
    eager = pca_dominance(X, Z, blocks=blocks)
    assert lazy.n_missing == eager.n_missing == 26 + 17
    assert lazy.n_samples == eager.n_samples == 178
    pd.testing.assert_frame_equal(lazy.components, eager.components, rtol=1e-9)
    pd.testing.assert_frame_equal(lazy.blocks, eager.blocks, rtol=1e-9)
    assert list(lazy.features.index) == list(X.columns)


@pytest.mark.parametrize("lazy_side", ["both", "before", "after"])
def test_knn_on_dask_keeps_names_and_lazy_labels_whichever_side_is_lazy(
    wine, lazy_side, monkeypatch
):
    X, Z, y = wine
    Z = pd.DataFrame(Z, columns=X.columns)
    monkeypatch.setattr(_knn, "DASK_SAMPLE_ROWS", 120)
    before = dd.from_pandas(X, npartitions=3) if lazy_side != "after" else X
    after = dd.from_pandas(Z, npartitions=3) if lazy_side != "before" else Z
    labels = dd.from_pandas(pd.Series(y), npartitions=3)
    report = knn_distortion(before, after, y=labels, random_state=0)
    assert report.metrics["n_samples"] == 120
    assert list(report.features.index) == list(X.columns)
    assert report.features["distance_share_before"].idxmax() == "proline"
    # the labels of the sampled rows, not of the first 120
    assert report.metrics["purity_after"] > report.metrics["purity_before"]
    again = knn_distortion(before, after, y=pd.Series(y).to_numpy(), random_state=0)
    assert_allclose(report.metrics.to_numpy(), again.metrics.to_numpy())
