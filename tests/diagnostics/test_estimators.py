import io
import sys

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_wine
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from skscale.datasets import load_nutrimouse
from skscale.diagnostics import (
    KNNDistortion,
    PCADominance,
    knn_distortion,
    pca_dominance,
)
from skscale.preprocessing import MinMaxScaler, ZScoreScaler


@pytest.fixture(scope="module")
def wine():
    return load_wine(as_frame=True)


def test_pca_dominance_stands_where_the_scaler_stood(wine):
    pipeline = make_pipeline(PCADominance(MinMaxScaler()), PCA(n_components=2))
    scores = pipeline.fit_transform(wine.data)
    reference = make_pipeline(MinMaxScaler(), PCA(n_components=2)).fit_transform(
        wine.data
    )
    assert_allclose(scores, reference)
    step = pipeline[0]
    expected = pca_dominance(wine.data, MinMaxScaler().fit_transform(wine.data))
    pd.testing.assert_frame_equal(step.report_.components, expected.components)
    assert isinstance(step.scaler_, MinMaxScaler)
    assert list(step.get_feature_names_out()) == list(wine.data.columns)


def test_knn_distortion_gets_the_labels_from_the_pipeline(wine):
    pipeline = make_pipeline(KNNDistortion(random_state=0), KNeighborsClassifier())
    pipeline.fit(wine.data, wine.target)
    report = pipeline[0].report_
    expected = knn_distortion(
        wine.data, ZScoreScaler().fit_transform(wine.data), y=wine.target
    )
    pd.testing.assert_series_equal(report.metrics, expected.metrics)
    assert isinstance(pipeline[0].scaler_, ZScoreScaler)
    assert pipeline.score(wine.data, wine.target) > 0.9


def test_passthrough_reports_on_the_data_as_they_are(wine):
    step = PCADominance("passthrough").fit(wine.data)
    assert step.scaler_ == "passthrough"
    assert step.report_.components.loc["PC1", "top_feature_after"] == "proline"
    assert_allclose(step.transform(wine.data), wine.data.to_numpy())


def test_blocks_reach_the_report():
    mice = load_nutrimouse()
    step = PCADominance(blocks=mice.blocks).fit(mice.data)
    assert list(step.report_.blocks.index) == ["gene", "lipid"]


def test_a_scaler_that_changes_the_width_is_refused(wine):
    with pytest.raises(ValueError, match="one output column per input column"):
        PCADominance(PCA(n_components=2)).fit(wine.data)


def test_set_output_pandas(wine):
    step = KNNDistortion(n_neighbors=3).set_output(transform="pandas")
    out = step.fit_transform(wine.data, wine.target)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(wine.data.columns)


def test_plots_draw_both_reports(wine):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    scaled = ZScoreScaler().fit_transform(wine.data)
    report = pca_dominance(wine.data, scaled)
    # drawn into the caller's axes, Display-style: the report comes back
    assert report.plot(axes=Figure().subplots(1, 2), max_features=5) is report
    left, right = report.axes_
    assert left.get_title() == "PC1 squared loadings"
    assert len(left.get_yticklabels()) == 5
    assert right.get_title() == "Explained variance ratio"
    knn = knn_distortion(wine.data, scaled, y=wine.target)
    assert knn.plot(axes=Figure().subplots(1, 2)) is knn
    assert "label purity" in knn.axes_[1].get_title()
    mice = load_nutrimouse()
    blocks = pca_dominance(mice.data, mice.data, blocks=mice.blocks)
    blocks.plot(axes=Figure().subplots(1, 2))
    assert blocks.axes_[0].get_title() == "PC1 share by block"
    blocks.figure_.savefig(io.BytesIO(), format="png")


def test_plot_without_matplotlib_names_the_extra(wine, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    report = pca_dominance(wine.data, wine.data)
    with pytest.raises(ImportError, match=r"skscale\[plot\]"):
        report.plot()


@pytest.mark.parametrize("wrapper", [PCADominance, KNNDistortion])
def test_the_wrapped_scaler_sees_the_input_as_given(wrapper):
    """A BlockScaler whose blocks name columns needs the DataFrame itself."""
    from skscale.datasets import load_nutrimouse
    from skscale.preprocessing import BlockScaler

    mice = load_nutrimouse()
    blocks = {name: list(columns) for name, columns in mice.blocks.items()}
    options = {"blocks": blocks} if wrapper is PCADominance else {}
    fitted = wrapper(BlockScaler(blocks), **options).fit(mice.data)
    assert list(fitted.scaler_.feature_names_in_) == list(mice.data.columns)
    direct = BlockScaler(blocks).fit(mice.data).transform(mice.data)
    assert_allclose(fitted.transform(mice.data), direct)
    if options:
        assert fitted.report_.blocks.loc["gene", "n_features"] == 120


@pytest.mark.parametrize("wrapper", [PCADominance, KNNDistortion])
def test_sparse_input_is_reported_on_as_it_is(wrapper):
    import scipy.sparse as sp

    from skscale.diagnostics import knn_distortion, pca_dominance

    rng = np.random.default_rng(0)
    X = sp.random(60, 8, density=0.4, format="csr", random_state=0)
    X.data *= rng.uniform(1.0, 100.0, X.data.size)
    X.data[3] = np.nan  # ZScoreScaler takes NaN: an implicit zero is a value
    y = np.arange(60) % 3
    scaler = ZScoreScaler(with_mean=False)
    fitted = wrapper(scaler).fit(X, y)
    assert fitted.__sklearn_tags__().input_tags.sparse
    out = fitted.transform(X)
    assert sp.issparse(out) and out.format == "csr"
    direct = ZScoreScaler(with_mean=False).fit(X).transform(X)
    assert_allclose(out.toarray(), direct.toarray(), equal_nan=True)
    # the report is the function's, on the same sparse pair
    if wrapper is PCADominance:
        expected = pca_dominance(X, direct).components
        got = fitted.report_.components
    else:
        expected = knn_distortion(X, direct, y=y).metrics
        got = fitted.report_.metrics
    pd.testing.assert_index_equal(got.index, expected.index)
    if wrapper is PCADominance:
        pd.testing.assert_frame_equal(got, expected)
    else:
        pd.testing.assert_series_equal(got, expected)
    # a scaler that must centre says so, and the tags tell the same
    assert not wrapper().__sklearn_tags__().input_tags.sparse
    with pytest.raises(ValueError, match="cannot center a sparse matrix"):
        wrapper().fit(X)
