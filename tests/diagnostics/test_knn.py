import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.spatial.distance import pdist
from scipy.stats import spearmanr
from sklearn.datasets import load_wine
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors

from skscale.datasets import load_nutrimouse
from skscale.diagnostics import _knn, knn_distortion
from skscale.preprocessing import BlockScaler, ZScoreScaler


@pytest.fixture(scope="module")
def wine():
    data = load_wine(as_frame=True)
    return data.data, ZScoreScaler().fit_transform(data.data), data.target.to_numpy()


def _neighbour_sets(X, k):
    return NearestNeighbors(n_neighbors=k).fit(X).kneighbors(return_distance=False)


def test_wine_against_independent_computations(wine):
    X, Z, y = wine
    report = knn_distortion(X, Z, y=y, n_neighbors=10)
    m = report.metrics
    before, after = _neighbour_sets(X.to_numpy(), 10), _neighbour_sets(Z, 10)
    shared = np.array(
        [len(set(b) & set(a)) for b, a in zip(before, after, strict=True)]
    )
    assert m["overlap"] == pytest.approx(np.mean(shared / 10))
    assert m["jaccard"] == pytest.approx(np.mean(shared / (20 - shared)))
    assert m["trustworthiness"] == pytest.approx(trustworthiness(X, Z, n_neighbors=10))
    assert m["continuity"] == pytest.approx(trustworthiness(Z, X, n_neighbors=10))
    assert m["spearman"] == pytest.approx(spearmanr(pdist(X), pdist(Z)).statistic)
    assert m["purity_before"] == pytest.approx(np.mean(y[before] == y[:, None]))
    assert m["purity_after"] == pytest.approx(np.mean(y[after] == y[:, None]))
    assert m["purity_after"] > m["purity_before"] + 0.2
    assert m["n_queries"] == 178 and m["overlap_se"] == 0


def test_wine_proline_owns_the_distances_before(wine):
    X, Z, _ = wine
    features = knn_distortion(X, Z).features
    assert features["distance_share_before"].idxmax() == "proline"
    assert features.loc["proline", "distance_share_before"] > 0.99
    assert features.loc["proline", "local_distance_share_before"] > 0.5
    assert features["distance_share_after"].max() < 0.1
    for column in features.columns:
        assert features[column].sum() == pytest.approx(1.0)


def test_shares_match_their_formulas():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3)) * [1, 3, 9]
    Z = X / X.std(axis=0)
    report = knn_distortion(X, Z, n_neighbors=4)
    pairs = np.array([(i, j) for i in range(30) for j in range(30) if i < j])
    squares = ((X[pairs[:, 0]] - X[pairs[:, 1]]) ** 2).sum(axis=0)
    assert_allclose(report.features["distance_share_before"], squares / squares.sum())
    neighbours = _neighbour_sets(Z, 4)
    local = sum(((Z[i] - Z[neighbours[i]]) ** 2).sum(axis=0) for i in range(30))
    assert_allclose(report.features["local_distance_share_after"], local / local.sum())


def test_sampled_queries_estimate_the_exact_overlap():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1500, 6)) * [1, 1, 2, 5, 20, 50]
    Z = X / X.std(axis=0)
    exact = knn_distortion(X, Z, n_neighbors=5)
    sampled = knn_distortion(X, Z, n_neighbors=5, max_samples=300, random_state=0)
    m = sampled.metrics
    assert m["n_queries"] == 300 and m["n_samples"] == 1500
    assert 0 < m["overlap_se"] < 0.05
    assert abs(m["overlap"] - exact.metrics["overlap"]) < 4 * m["overlap_se"]
    assert abs(m["trustworthiness"] - exact.metrics["trustworthiness"]) < 0.02
    again = knn_distortion(X, Z, n_neighbors=5, max_samples=300, random_state=0)
    pd.testing.assert_series_equal(sampled.metrics, again.metrics)
    assert "300 random query points" in sampled.summary()


def test_sampled_pairs_estimate_the_spearman_correlation(monkeypatch):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 4)) * [1, 2, 4, 8]
    Z = X / X.std(axis=0)
    exact = spearmanr(pdist(X), pdist(Z)).statistic
    monkeypatch.setattr(_knn, "_ALL_PAIRS_LIMIT", 100)
    monkeypatch.setattr(_knn, "_MAX_PAIRS", 20_000)
    report = knn_distortion(X, Z, random_state=0)
    assert report.metrics["n_pairs"] == 20_000
    assert report.metrics["spearman"] == pytest.approx(exact, abs=0.02)


def test_small_data_and_degenerate_cases():
    X = np.arange(12.0).reshape(6, 2) ** 1.3
    report = knn_distortion(X, X, n_neighbors=10)
    assert report.metrics["n_neighbors"] == 5  # at most n_samples - 1
    assert np.isnan(report.metrics["trustworthiness"])  # needs k < n / 2
    assert report.metrics["overlap"] == 1.0
    with pytest.raises(ValueError, match="got 1 sample"):
        knn_distortion(X[:1], X[:1])


def test_continuous_y_gives_no_purity_and_wrong_length_is_refused(wine):
    X, Z, y = wine
    report = knn_distortion(X, Z, y=np.linspace(0, 1, 178))
    assert np.isnan(report.metrics["purity_before"])
    assert "purity" not in report.summary()
    with pytest.raises(ValueError, match="y has 177 entries but X_before has 178"):
        knn_distortion(X, Z, y=y[:-1])


@pytest.mark.parametrize("param", ["n_neighbors", "max_samples"])
def test_bad_parameters_are_refused(param):
    with pytest.raises(ValueError, match=f"{param} must be a positive integer"):
        knn_distortion(np.eye(4), np.eye(4), **{param: 0})


def test_blocks_on_nutrimouse():
    mice = load_nutrimouse()
    scaled = BlockScaler(mice.blocks).fit_transform(mice.data)
    report = knn_distortion(mice.data, scaled, y=mice.genotype, blocks=mice.blocks)
    blocks = report.blocks
    assert blocks.loc["lipid", "distance_share_before"] > 0.95
    assert 0.3 < blocks.loc["gene", "distance_share_after"] < 0.95
    assert blocks["local_distance_share_after"].sum() == pytest.approx(1.0)
    assert 0.5 <= report.metrics["purity_after"] <= 1.0


def test_html_and_repr(wine):
    report = knn_distortion(*wine[:2])
    html = report._repr_html_()
    assert "trustworthiness" in html and "<table" in html
    assert "KNNDistortionReport" in repr(report)


@pytest.mark.parametrize("with_labels", [False, True])
def test_the_chunked_accumulation_equals_one_chunk(with_labels, monkeypatch):
    """Every per-chunk sum (distance shares, purity, rank penalties, overlap)
    gives the same report when the queries are split in many chunks."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(240, 5)) * [1, 2, 4, 8, 30]
    Z = X / X.std(axis=0)
    y = (X[:, 0] > 0).astype(int) + (X[:, 4] > 10) if with_labels else None
    whole = knn_distortion(X, Z, y=y, n_neighbors=6)
    # about 3 queries per chunk (the step is set by n_samples and k * p)
    monkeypatch.setattr(_knn, "_BLOCK_ELEMENTS", 3 * 240)
    chunked = knn_distortion(X, Z, y=y, n_neighbors=6)
    pd.testing.assert_series_equal(chunked.metrics, whole.metrics, rtol=1e-12)
    pd.testing.assert_frame_equal(chunked.features, whole.features, rtol=1e-12)
    if with_labels:
        neighbours = _neighbour_sets(Z, 6)
        assert chunked.metrics["purity_after"] == pytest.approx(
            np.mean(y[neighbours] == y[:, None])
        )


def test_sampled_pairs_never_pair_a_point_with_itself(monkeypatch):
    monkeypatch.setattr(_knn, "_ALL_PAIRS_LIMIT", 10)
    monkeypatch.setattr(_knn, "_MAX_PAIRS", 50_000)
    first, second = _knn._sample_pairs(12, np.random.RandomState(0))
    assert first.size == 50_000 and not np.any(first == second)
    # every ordered pair of distinct points is drawn about equally often
    counts = np.bincount(first * 12 + second, minlength=144).reshape(12, 12)
    off_diagonal = counts[~np.eye(12, dtype=bool)]
    assert off_diagonal.min() > 0.6 * 50_000 / 132
    assert off_diagonal.max() < 1.4 * 50_000 / 132


def _expected_summary(report, queries):
    """The summary written out from the report's own tables."""
    m, f = report.metrics, report.features
    text = [
        f"{int(m['n_neighbors'])}-nearest neighbours of {int(m['n_samples']):,} "
        f"samples ({queries}): {100 * m['overlap']:.1f}% of each point's neighbours "
        f"are the same before and after scaling (Jaccard {m['jaccard']:.2f}); "
        f"trustworthiness {m['trustworthiness']:.2f}, continuity "
        f"{m['continuity']:.2f}; rank correlation of distances {m['spearman']:.2f}."
    ]
    for label, when in (("Before scaling", "before"), ("After scaling", "after")):
        top = f[f"distance_share_{when}"].idxmax()
        text.append(
            f"{label}, {top!r} makes {100 * f.loc[top, f'distance_share_{when}']:.1f}% "
            f"of all squared distances "
            f"({100 * f.loc[top, f'local_distance_share_{when}']:.1f}% among "
            "neighbours)."
        )
    if np.isfinite(m["purity_before"]):
        text.append(
            f"Neighbour label purity goes from {m['purity_before']:.2f} to "
            f"{m['purity_after']:.2f}."
        )
    if report.sampling is not None:
        text.append(f"({report.sampling[0].upper()}{report.sampling[1:]}.)")
    return " ".join(text)


def test_summary_in_full(wine):
    X, Z, y = wine
    every = knn_distortion(X, Z, y=y, n_neighbors=5)
    assert every.summary() == _expected_summary(every, "every sample a query")
    sampled = knn_distortion(X, Z, n_neighbors=5, max_samples=50, random_state=0)
    assert sampled.summary() == _expected_summary(sampled, "50 random query points")


def test_the_smallest_valid_parameters_are_accepted(wine):
    X, Z, _ = wine
    report = knn_distortion(X, Z, n_neighbors=1, max_samples=1, random_state=0)
    assert report.metrics["n_queries"] == 1 and report.metrics["n_neighbors"] == 1
    for bad in ({"n_neighbors": 0}, {"max_samples": 0}):
        with pytest.raises(ValueError, match=f"{next(iter(bad))} must be"):
            knn_distortion(X, Z, **bad)


@pytest.mark.parametrize("n_queries", [1, 2])
def test_overlap_standard_error_of_one_and_two_queries(wine, n_queries):
    """No labels: both purities are NaN. The overlap's standard error is the
    sample standard deviation over sqrt(n), with the finite-population factor
    (NaN, and quiet, for a single query)."""
    X, Z, _ = wine
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = knn_distortion(
            X, Z, n_neighbors=3, max_samples=n_queries, random_state=1
        )
    m = report.metrics
    assert m["n_queries"] == n_queries
    assert np.isnan(m["purity_before"]) and np.isnan(m["purity_after"])
    if n_queries == 1:
        assert np.isnan(m["overlap_se"])
        return
    # two overlaps a and b: mean (a + b) / 2 and standard error
    # |a - b| / 2 * sqrt(1 - 2 / n), so both can be read back; each must be
    # the overlap of some row, computed here with scikit-learn
    before, after = _neighbour_sets(X.to_numpy(), 3), _neighbour_sets(Z, 3)
    every = np.array(
        [len(set(b) & set(a)) / 3 for b, a in zip(before, after, strict=True)]
    )
    assert np.isfinite(m["overlap_se"])
    half_gap = m["overlap_se"] / np.sqrt(1 - 2 / len(X))
    for value in (m["overlap"] - half_gap, m["overlap"] + half_gap):
        assert np.isclose(value, every, atol=1e-12).any()


def test_a_column_vector_of_labels_warns_like_scikit_learn(wine):
    from sklearn.exceptions import DataConversionWarning

    X, Z, y = wine
    with pytest.warns(DataConversionWarning):
        report = knn_distortion(X, Z, y=np.asarray(y).reshape(-1, 1), n_neighbors=5)
    assert (
        report.metrics["purity_after"]
        == knn_distortion(X, Z, y=y, n_neighbors=5).metrics["purity_after"]
    )


def test_report_plot_passes_axes_and_max_features_on():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    wide = pd.DataFrame(
        np.random.default_rng(0).normal(size=(40, 20)) * np.arange(1, 21),
        columns=[f"f{i}" for i in range(20)],
    )
    report = knn_distortion(wide, wide / np.arange(1, 21), n_neighbors=3)
    given = Figure().subplots(1, 2)
    assert report.plot(axes=given) is report
    assert list(report.axes_) == list(given)
    # 15 features by default: one tick label each
    assert len([t for t in given[0].get_yticklabels() if t.get_text()]) == 15
    report.plot(max_features=4)
    assert len([t for t in report.axes_[0].get_yticklabels() if t.get_text()]) == 4


def test_missing_values_and_block_labels_are_in_the_report(wine):
    X, Z, _ = wine
    X = X.copy()
    X.iloc[::9, 3] = np.nan  # 20 missing cells
    blocks = {
        "acids": ["malic_acid", "ash"],
        "rest": list(X.columns.drop(["malic_acid", "ash"])),
    }
    report = knn_distortion(X, Z, n_neighbors=5, blocks=blocks)
    assert report.n_missing == 20
    assert report.features.loc["malic_acid", "block"] == "acids"
    assert report.features.loc["proline", "block"] == "rest"


def test_two_samples_are_enough_and_one_is_refused():
    report = knn_distortion(
        [[0.0, 1.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]], n_neighbors=1
    )
    assert report.metrics["overlap"] == 1.0
    with pytest.raises(
        ValueError,
        match=r"^knn_distortion needs at least 2 samples to have neighbours; "
        r"got 1 sample\.$",
    ):
        knn_distortion([[0.0, 1.0]], [[0.0, 1.0]], n_neighbors=1)


def test_at_most_5000_queries_by_default():
    X = np.random.default_rng(3).normal(size=(5001, 2))
    report = knn_distortion(X, X * [1.0, 3.0], n_neighbors=2, random_state=0)
    assert report.metrics["n_queries"] == 5000
    assert "(5,000 random query points)" in report.summary()
