import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_wine
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler

from skscale.datasets import load_nutrimouse
from skscale.diagnostics import compare_scalers
from skscale.preprocessing import ZScoreScaler


@pytest.fixture(scope="module")
def wine():
    return load_wine(as_frame=True)


def test_default_candidates_and_columns(wine):
    comparison = compare_scalers(wine.data, wine.target)
    table = comparison.table
    assert list(table.index) == ["none", "zscore", "minmax", "robust", "pareto"]
    for column in (
        "pc1_evr",
        "pc1_top_feature",
        "pc1_top_share",
        "pc1_effective_features",
        "knn_overlap",
        "trustworthiness",
        "purity",
        "condition_number",
        "max_gd_step",
    ):
        assert column in table
    assert table.loc["none", "pc1_top_feature"] == "proline"
    assert table.loc["none", "knn_overlap"] == 1.0  # centring keeps every neighbour
    assert table.loc["zscore", "pc1_top_share"] < 0.25
    assert table.loc["zscore", "purity"] > table.loc["none", "purity"] + 0.2
    assert comparison.recommended in ("zscore", "minmax")
    assert "purity" in comparison.reason


def test_condition_number_and_step_match_the_covariance(wine):
    table = compare_scalers(wine.data, scalers={"zscore": ZScoreScaler()}).table
    scaled = StandardScaler().fit_transform(wine.data)
    eigenvalues = np.linalg.eigvalsh(np.cov(scaled, rowvar=False, bias=True))
    assert table.loc["zscore", "condition_number"] == pytest.approx(
        eigenvalues[-1] / eigenvalues[0], rel=1e-8
    )
    assert table.loc["zscore", "max_gd_step"] == pytest.approx(2 / eigenvalues[-1])
    raw = compare_scalers(wine.data, scalers={"none": ZScoreScaler(with_std=False)})
    assert raw.table.loc["none", "condition_number"] > 1e6  # a ravine


def test_cross_validation_fits_the_scaler_inside_each_fold(wine):
    estimator = KNeighborsClassifier()
    comparison = compare_scalers(
        wine.data,
        wine.target,
        scalers={"robust": RobustScaler(), "zscore": ZScoreScaler()},
        estimator=estimator,
        cv=3,
    )
    expected = cross_val_score(
        make_pipeline(RobustScaler(), KNeighborsClassifier()),
        wine.data,
        wine.target,
        cv=3,
    )
    assert comparison.table.loc["robust", "cv_score_mean"] == pytest.approx(
        expected.mean()
    )
    assert comparison.table.loc["robust", "cv_score_std"] == pytest.approx(
        expected.std()
    )
    best = comparison.table["cv_score_mean"].idxmax()
    assert comparison.recommended == best
    assert "cross-validated score" in comparison.reason


def test_regression_target_has_no_purity(wine):
    y = wine.data["alcohol"].to_numpy()
    X = wine.data.drop(columns="alcohol")
    comparison = compare_scalers(X, y, estimator=Ridge(), cv=3)
    assert "purity" not in comparison.table
    assert comparison.table["cv_score_mean"].notna().all()


def test_blocks_add_block_mfa_and_share_columns():
    mice = load_nutrimouse()
    comparison = compare_scalers(mice.data, blocks=mice.blocks)
    table = comparison.table
    assert "block_mfa" in table.index
    assert table.loc["none", "pc1_share[lipid]"] > 0.95
    assert 0.35 <= table.loc["block_mfa", "pc1_share[gene]"] <= 0.65
    # no labels, no estimator: the most balanced candidate is recommended
    assert comparison.recommended == "block_mfa"
    assert "balances the blocks" in comparison.reason
    assert np.isinf(table["condition_number"]).all()  # 141 features, 40 mice
    assert "Most balanced between blocks: 'block_mfa'" in comparison.summary()


def test_without_labels_or_blocks_the_spread_of_pc1_decides(wine):
    comparison = compare_scalers(wine.data)
    best = comparison.table["pc1_effective_features"].idxmax()
    assert comparison.recommended == best


def test_bad_arguments(wine):
    with pytest.raises(ValueError, match="at least one candidate"):
        compare_scalers(wine.data, scalers={})
    with pytest.raises(ValueError, match="An estimator needs y"):
        compare_scalers(wine.data, estimator=Ridge())


def test_progress_html_plot_and_file(wine, tmp_path):
    messages = []
    comparison = compare_scalers(
        wine.data,
        wine.target,
        scalers={"zscore": ZScoreScaler()},
        progress=messages.append,
    )
    assert messages == ["scaling with 'zscore'"]
    assert "<table" in comparison._repr_html_()
    assert "ScalerComparison" in repr(comparison)
    pytest.importorskip("matplotlib")
    assert len(comparison.plot().axes) == 4
    path = tmp_path / "report.html"
    assert comparison.to_html(path) is None
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("data:image/png;base64,") == 3
    assert_allclose(len(comparison.reports), 1)
