import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_wine
from sklearn.decomposition import PCA

from skscale.datasets import load_nutrimouse
from skscale.diagnostics import pca_dominance
from skscale.preprocessing import BlockScaler, ZScoreScaler


@pytest.fixture(scope="module")
def wine():
    X = load_wine(as_frame=True).data
    return X, ZScoreScaler().fit_transform(X)


def test_wine_proline_is_pc1_before_and_not_after(wine):
    X, Z = wine
    report = pca_dominance(X, Z)
    pc1 = report.components.loc["PC1"]
    assert pc1["top_feature_before"] == "proline"
    assert pc1["top_share_before"] > 0.99
    assert pc1["effective_features_before"] < 1.01
    assert pc1["evr_before"] > 0.99
    assert pc1["top_share_after"] < 0.25
    assert pc1["effective_features_after"] > 5
    assert report.features["variance_share_before"].idxmax() == "proline"


@pytest.mark.parametrize("which", [0, 1])
def test_matches_scikit_learn_pca(wine, which):
    data = wine[which].to_numpy() if which == 0 else wine[which]
    report = pca_dominance(data, data, n_components=4)
    pca = PCA(n_components=4).fit(data)
    assert_allclose(
        report.components["evr_before"], pca.explained_variance_ratio_, rtol=1e-9
    )
    for pc in (0, 1):
        assert_allclose(
            np.abs(report.features[f"pc{pc + 1}_loading_before"]),
            np.abs(pca.components_[pc]),
            atol=1e-8,
        )
    squared = pca.components_**2
    assert_allclose(
        report.components["top_share_before"], squared.max(axis=1), rtol=1e-8
    )
    assert_allclose(
        report.components["effective_features_before"],
        1 / np.sum(squared**2, axis=1),
        rtol=1e-8,
    )
    variance = np.var(data, axis=0)
    assert_allclose(report.features["variance_share_before"], variance / variance.sum())


def test_wide_tables_go_through_the_gram_matrix():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 400)) * rng.uniform(0.1, 10, size=400)
    report = pca_dominance(X, ZScoreScaler().fit_transform(X), n_components=3)
    assert report.method == "gram"
    pca = PCA(n_components=3, svd_solver="full").fit(X)
    assert_allclose(
        report.components["evr_before"], pca.explained_variance_ratio_, rtol=1e-9
    )
    assert_allclose(
        np.abs(report.features["pc1_loading_before"]),
        np.abs(pca.components_[0]),
        atol=1e-8,
    )
    assert pca_dominance(X.T, X.T).method == "covariance"


def test_loading_signs_are_deterministic():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 4))
    for data in (X, -X):
        loadings = pca_dominance(data, data).features["pc1_loading_before"]
        assert loadings.loc[loadings.abs().idxmax()] > 0


def test_nutrimouse_blocks_before_and_after_mfa():
    mice = load_nutrimouse()
    scaled = BlockScaler(mice.blocks).fit_transform(mice.data)
    report = pca_dominance(mice.data, scaled, blocks=mice.blocks)
    blocks = report.blocks
    assert blocks["n_features"].to_dict() == {"gene": 120, "lipid": 21}
    assert blocks.loc["lipid", "pc1_share_before"] > 0.95
    assert 0.35 <= blocks.loc["gene", "pc1_share_after"] <= 0.65
    assert 0.35 <= blocks.loc["lipid", "pc1_share_after"] <= 0.65
    for column in ("variance_share_before", "pc1_share_after", "pc2_share_before"):
        assert blocks[column].sum() == pytest.approx(1.0)
    assert report.features.loc["C16.0", "block"] == "lipid"
    assert "block 'lipid' holds" in report.summary()


def test_feature_names_and_shapes():
    X = np.arange(20.0).reshape(5, 4) ** 1.5
    report = pca_dominance(X, X, n_components=10)
    assert list(report.features.index) == ["x0", "x1", "x2", "x3"]
    assert len(report.components) == 4  # at most min(n_samples, n_features)
    named = pd.DataFrame(X, columns=list("abcd"))
    assert list(pca_dominance(X, named).features.index) == list("abcd")


def test_missing_values_count_as_the_column_mean():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3)) * [1, 5, 10]
    with_nan = X.copy()
    with_nan[::4, 1] = np.nan
    imputed = with_nan.copy()
    imputed[::4, 1] = np.nanmean(with_nan[:, 1])
    report = pca_dominance(with_nan, with_nan)
    reference = pca_dominance(imputed, imputed)
    pd.testing.assert_frame_equal(report.components, reference.components)
    assert report.n_missing == 20


def test_constant_data_have_no_component():
    report = pca_dominance(np.ones((5, 3)), np.ones((5, 3)))
    assert report.components["top_feature_before"].isna().all()
    assert "no variance" in report.summary()


@pytest.mark.parametrize(
    "after, message",
    [
        (np.ones((5, 2)), r"X_after has shape \(5, 2\); expected \(5, 3\)"),
        (np.array([[1, 2, np.inf]] * 5), "X_after contains infinity in column 2"),
    ],
)
def test_bad_input_is_refused_clearly(after, message):
    with pytest.raises(ValueError, match=message):
        pca_dominance(np.ones((5, 3)), after)


def test_bad_parameters():
    with pytest.raises(ValueError, match="n_components must be a positive integer"):
        pca_dominance(np.eye(3), np.eye(3), n_components=0)
    with pytest.raises(ValueError, match="'city'"):
        frame = pd.DataFrame({"x": [1.0, 2.0], "city": ["a", "b"]})
        pca_dominance(frame, frame)


def test_summary_and_html(wine):
    report = pca_dominance(*wine)
    summary = report.summary()
    assert "'proline', with 100.0% of PC1's squared loadings" in summary
    assert "After scaling, PC1 explains 36.2%" in summary
    html = report._repr_html_()
    assert "<table" in html and "top_feature_before" in html and "proline" in html
    assert "PCADominanceReport" in repr(report)


def _expected_sentence(label, pc1, when, n_features, block=None):
    """The summary's sentence, written out from the report's own table."""
    sentence = (
        f"{label}, PC1 explains {100 * pc1[f'evr_{when}']:.1f}% of the variance and "
        f"its largest loading is {pc1[f'top_feature_{when}']!r}, with "
        f"{100 * pc1[f'top_share_{when}']:.1f}% of PC1's squared loadings (about "
        f"{pc1[f'effective_features_{when}']:.1f} of {n_features} features share it)"
    )
    if block is not None:
        sentence += f"; block {block[0]!r} holds {100 * block[1]:.1f}% of PC1"
    return sentence + "."


def test_summary_in_full_with_blocks():
    mice = load_nutrimouse()
    scaled = BlockScaler(mice.blocks).fit_transform(mice.data)
    report = pca_dominance(mice.data, scaled, blocks=mice.blocks)
    pc1 = report.components.loc["PC1"]
    sentences = []
    for label, when in (("Before scaling", "before"), ("After scaling", "after")):
        shares = report.blocks[f"pc1_share_{when}"]
        block = (shares.idxmax(), shares.max())
        sentences.append(_expected_sentence(label, pc1, when, 141, block))
    assert report.summary() == " ".join(sentences)


def test_summary_when_one_side_has_no_variance():
    after = np.random.default_rng(0).normal(size=(10, 3))
    report = pca_dominance(np.ones((10, 3)), after)
    pc1 = report.components.loc["PC1"]
    assert report.summary() == (
        "Before scaling, the data have no variance. "
        + _expected_sentence("After scaling", pc1, "after", 3)
    )


def test_each_component_points_its_largest_loading_up():
    X = np.random.default_rng(11).normal(size=(60, 5)) @ np.random.default_rng(
        12
    ).normal(size=(5, 5))
    report = pca_dominance(X, X * [1, 2, 3, 4, 5])
    # the convention, checked on the scores: PC1's largest-loading feature
    # grows with PC1 (a positive correlation)
    for when in ("before", "after"):
        top = report.components.loc["PC1", f"top_feature_{when}"]
        column = int(top[1:])
        data = X if when == "before" else X * [1, 2, 3, 4, 5]
        corr = np.corrcoef(report.scores[f"pc1_{when}"], data[:, column])[0, 1]
        assert corr > 0


@pytest.mark.parametrize("magnitude", [1e-4, 1e6])
def test_rank_deficiency_is_judged_relative_to_the_total_variance(magnitude):
    rng = np.random.default_rng(13)
    base = rng.normal(size=(40, 2)) * magnitude
    X = np.column_stack([base, base[:, 0]])  # the third column repeats the first
    report = pca_dominance(X, X, n_components=3)
    evr = report.components["evr_before"]
    assert evr.iloc[:2].sum() == pytest.approx(1.0, rel=1e-12)
    assert report.components.loc["PC1", "top_feature_before"] is not None
    # the third component has no variance: no direction, not rounding noise
    assert pd.isna(report.components.loc["PC3", "top_feature_before"])
    assert evr.iloc[2] < 1e-12


def test_components_are_limited_by_the_rows_of_a_wide_table():
    X = np.random.default_rng(14).normal(size=(4, 6))
    report = pca_dominance(X, X, n_components=10)
    assert len(report.components) <= 4


def test_one_component_leaves_the_second_score_missing():
    X = np.random.default_rng(15).normal(size=(20, 3))
    report = pca_dominance(X, X, n_components=1)
    assert report.scores["pc2_after"].isna().all()
    assert report.scores["pc2_after"].dtype == np.float64


@pytest.mark.parametrize("factor", [1e300, 1e-300])
def test_data_near_the_float64_limits_give_the_ratios_of_ordinary_data(factor):
    # the same table in ordinary units and multiplied by 1e300 (or 1e-300):
    # every reported figure is a ratio, so the reports agree
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3)) * [3.0, 1.0, 0.5] + 5.0
    scaled = ZScoreScaler().fit_transform(X)
    expected = pca_dominance(X, scaled)
    got = pca_dominance(X * factor, scaled)
    for table in ("components", "features"):
        want = getattr(expected, table).select_dtypes("number")
        have = getattr(got, table).select_dtypes("number")
        assert_allclose(have.to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-12)


def test_a_column_of_1e308_values_is_reported_not_refused():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 3))
    X[:, 0] = 1e308 * rng.uniform(0.5, 1.0, size=30)
    report = pca_dominance(X, ZScoreScaler().fit_transform(X))
    pc1 = report.components.loc["PC1"]
    assert pc1["top_feature_before"] == "x0"
    assert pc1["top_share_before"] == pytest.approx(1.0)
    # beside 1e308 the other columns' variance is below float64's resolution:
    # PC2 before has none (NaN loadings, as for any component without variance)
    features = report.features
    for column in ("variance_share_before", "pc1_loading_before"):
        assert np.isfinite(features[column]).all()
    assert features["variance_share_before"].tolist() == [1.0, 0.0, 0.0]
    assert features["pc2_loading_before"].isna().all()
