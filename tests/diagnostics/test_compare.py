import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from numpy.testing import assert_allclose
from sklearn.datasets import load_diabetes, load_wine
from sklearn.linear_model import Ridge, RidgeClassifier
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import (
    KFold,
    RepeatedStratifiedKFold,
    cross_val_score,
)
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler

from skscale.datasets import load_nutrimouse
from skscale.diagnostics import compare_scalers, knn_distortion, pca_dominance
from skscale.diagnostics._compare import (
    corrected_paired_pvalues,
    default_cv,
    detect_task,
    metric_name,
    score_bounds,
)
from skscale.preprocessing import MinMaxScaler, ZScoreScaler, candidate_scalers


@pytest.fixture(scope="module")
def wine():
    return load_wine(as_frame=True)


@pytest.fixture(scope="module")
def wine_comparison(wine):
    return compare_scalers(wine.data, wine.target, random_state=0)


def test_default_candidates_and_columns(wine_comparison):
    table = wine_comparison.table
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
    assert table.loc["none", "knn_overlap"] == 1.0  # no scaling keeps every neighbour
    assert table.loc["zscore", "pc1_top_share"] < 0.25
    assert table.loc["zscore", "purity"] > table.loc["none", "purity"] + 0.2
    assert wine_comparison.recommended in ("zscore", "minmax")
    assert "purity" in wine_comparison.reason
    assert wine_comparison.also_fine == []  # no cross-validation, no noise estimate


@pytest.mark.parametrize("name", ["none", "zscore", "minmax", "robust", "pareto"])
def test_every_column_agrees_with_the_candidates_own_reports(wine, name):
    """Each row of the table against pca_dominance / knn_distortion run
    independently on the same scaler, and against formulas."""
    comparison = compare_scalers(
        wine.data, wine.target, scalers={name: candidate_scalers()[name]}
    )
    row = comparison.table.loc[name]
    scaler = candidate_scalers()[name]
    scaled = (
        wine.data.to_numpy()
        if scaler == "passthrough"
        else np.asarray(scaler.fit_transform(wine.data))
    )
    pca = pca_dominance(wine.data, scaled, n_components=2).components.loc["PC1"]
    knn = knn_distortion(wine.data, scaled, y=wine.target, random_state=0).metrics
    assert row["pc1_evr"] == pytest.approx(pca["evr_after"])
    assert row["pc1_top_feature"] == pca["top_feature_after"]
    assert row["pc1_top_share"] == pytest.approx(pca["top_share_after"])
    assert row["pc1_effective_features"] == pytest.approx(
        pca["effective_features_after"]
    )
    assert row["knn_overlap"] == pytest.approx(knn["overlap"])
    assert row["trustworthiness"] == pytest.approx(knn["trustworthiness"])
    assert row["purity"] == pytest.approx(knn["purity_after"])
    # formulas, independently: PC1's share of variance, purity by brute force
    centred = scaled - scaled.mean(axis=0)
    eigenvalues = np.linalg.eigvalsh(centred.T @ centred / len(centred))
    assert row["pc1_evr"] == pytest.approx(eigenvalues[-1] / eigenvalues.sum())
    distances = ((centred[:, None, :] - centred[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(distances, np.inf)
    neighbours = np.argsort(distances, axis=1, kind="stable")[:, :10]
    labels = wine.target.to_numpy()
    purity = np.mean(labels[neighbours] == labels[:, None])
    assert row["purity"] == pytest.approx(purity, abs=0.01)


def test_condition_number_and_step_match_the_covariance(wine):
    table = compare_scalers(wine.data, scalers={"zscore": ZScoreScaler()}).table
    scaled = StandardScaler().fit_transform(wine.data)
    eigenvalues = np.linalg.eigvalsh(np.cov(scaled, rowvar=False, bias=True))
    assert table.loc["zscore", "condition_number"] == pytest.approx(
        eigenvalues[-1] / eigenvalues[0], rel=1e-8
    )
    assert table.loc["zscore", "max_gd_step"] == pytest.approx(2 / eigenvalues[-1])
    raw = compare_scalers(wine.data, scalers={"none": "passthrough"})
    assert raw.table.loc["none", "condition_number"] > 1e6  # a ravine


def test_cross_validation_fits_the_scaler_inside_each_fold(wine):
    comparison = compare_scalers(
        wine.data,
        wine.target,
        scalers={"robust": RobustScaler(), "zscore": ZScoreScaler()},
        estimator=KNeighborsClassifier(),
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
    assert_allclose(comparison.fold_scores.loc["robust"], expected)
    assert comparison.metric == "accuracy" and comparison.scoring == "accuracy"
    assert "cross-validated accuracy" in comparison.reason


def test_scaling_the_whole_table_before_the_split_would_score_differently():
    """A leak check that cannot pass by chance: one feature whose scale is set
    by a single outlier row. Fitted inside the fold, the fold without the
    outlier scales differently from a fit on all rows."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    X[0, 1] = 1e4  # one outlier that sets the min-max range of a noise feature
    folds = KFold(3, shuffle=True, random_state=0)
    inside = compare_scalers(
        X,
        y,
        scalers={"minmax": MinMaxScaler()},
        estimator=KNeighborsClassifier(3),
        cv=folds,
    ).fold_scores.loc["minmax"]
    expected = cross_val_score(
        make_pipeline(MinMaxScaler(), KNeighborsClassifier(3)), X, y, cv=folds
    )
    leaked = cross_val_score(
        KNeighborsClassifier(3), MinMaxScaler().fit_transform(X), y, cv=folds
    )
    assert_allclose(inside, expected)
    assert not np.allclose(expected, leaked)


def test_default_cv_repeats_folds_on_small_tables():
    y = np.repeat([0, 1], 50)
    small = default_cv("classification", y, 100, 0)
    assert isinstance(small, RepeatedStratifiedKFold)
    assert small.get_n_splits() == 25
    big = default_cv("regression", np.arange(800.0), 800, 0)
    assert isinstance(big, KFold) and big.get_n_splits() == 5
    with pytest.warns(UserWarning, match=r"\(1\) has 3 rows: 3-fold"):
        tiny_class = default_cv("classification", np.array([0] * 20 + [1] * 3), 23, 0)
    assert tiny_class.get_n_splits() == 3 * 5  # 3 folds: the smallest class has 3


def test_corrected_paired_t_test_against_the_formula():
    rng = np.random.default_rng(0)
    best = rng.uniform(0.8, 1.0, 25)
    worse = best - rng.normal(0.02, 0.03, 25)
    folds = pd.DataFrame([best, worse], index=["a", "b"])
    p = corrected_paired_pvalues(folds, "a", n_train=80, n_test=20)
    diff = best - worse
    t = diff.mean() / np.sqrt((1 / 25 + 20 / 80) * diff.var(ddof=1))
    assert p["b"] == pytest.approx(scipy.stats.t.sf(t, 24))
    assert np.isnan(p["a"])
    # the uncorrected paired t-test would call the same difference significant
    plain = scipy.stats.ttest_rel(best, worse, alternative="greater").pvalue
    assert plain < p["b"]
    # identical folds: a tie; a constant gap: significantly worse
    same = corrected_paired_pvalues(
        pd.DataFrame([best, best, best - 0.1], index=list("abc")), "a", 80, 20
    )
    assert same["b"] == 1.0 and same["c"] == 0.0


def test_ties_on_the_demo_data_go_to_the_balanced_blocks():
    mice = load_nutrimouse()
    comparison = compare_scalers(
        mice.data,
        mice.genotype,
        blocks=mice.blocks,
        estimator=KNeighborsClassifier(),
        random_state=0,
    )
    table = comparison.table
    best = table["cv_score_mean"].idxmax()
    assert comparison.recommended == "block_mfa"
    assert best in comparison.also_fine  # z-score scores best, yet only ties
    assert "keeps the blocks most balanced" in comparison.reason
    assert comparison.fold_scores.shape == (6, 25)  # 40 mice: 5 x 5 folds
    assert np.isnan(table.loc[best, "cv_p_value"])
    for name in comparison.also_fine:
        assert name == best or table.loc[name, "cv_p_value"] >= 0.05
    worse = [
        n
        for n in table.index
        if n not in comparison.also_fine and n != comparison.recommended
    ]
    for name in worse:  # significantly worse, or within noise but dominated
        assert table.loc[name, "cv_p_value"] < 0.05 or name in comparison.dominated
    assert comparison.verdict().startswith("Use block_mfa. Also fine: ")


def test_a_clear_winner_has_no_company(wine):
    comparison = compare_scalers(
        wine.data,
        wine.target,
        scalers={"none": None, "zscore": ZScoreScaler()},
        estimator=KNeighborsClassifier(),
        random_state=0,
    )
    assert comparison.recommended == "zscore"
    assert comparison.also_fine == []
    assert "significantly worse" in comparison.reason
    assert comparison.table.loc["none", "cv_p_value"] < 0.001


def test_regression_target_is_detected_and_scored_with_r2():
    diabetes = load_diabetes(as_frame=True, scaled=False)
    y = diabetes.target  # whole numbers such as 151.0, 214 distinct values
    assert detect_task(y) == "regression"
    comparison = compare_scalers(
        diabetes.data, y, estimator=KNeighborsRegressor(), random_state=0
    )
    assert comparison.task == "regression"
    assert comparison.metric == "R^2" and comparison.scoring == "r2"
    assert comparison.score_bounds == (-np.inf, 1.0)
    assert "purity" not in comparison.table
    assert comparison.table["cv_score_mean"].max() > 0.3
    assert "R^2" in comparison.reason


@pytest.mark.parametrize(
    "y, task",
    [
        (np.array([0, 1, 1, 0, 2] * 10), "classification"),
        (np.array(["a", "b"] * 25), "classification"),
        (np.array([True, False] * 25), "classification"),
        (np.arange(50.0), "regression"),
        (np.linspace(0, 1, 50), "regression"),
        (np.array([0.5, 1.0] * 25), "regression"),
        (pd.Series([1, 2, None, 3] * 10, dtype="Int64"), "classification"),
    ],
)
def test_detect_task(y, task):
    assert detect_task(y) == task


def test_scoring_and_task_are_validated(wine):
    y = wine.target
    comparison = compare_scalers(
        wine.data,
        y,
        scalers={"zscore": ZScoreScaler()},
        estimator=KNeighborsClassifier(),
        scoring="balanced_accuracy",
        cv=3,
    )
    assert comparison.metric == "balanced accuracy"
    with pytest.raises(ValueError, match="scoring='nope'; expected the name"):
        compare_scalers(wine.data, y, estimator=Ridge(), scoring="nope")
    with pytest.raises(ValueError, match="task='maybe'"):
        compare_scalers(wine.data, y, task="maybe")
    with pytest.raises(ValueError, match="fractional values"):
        compare_scalers(
            wine.data, wine.data["alcohol"], estimator=Ridge(), task="classification"
        )
    with pytest.raises(ValueError, match="non-numeric target"):
        compare_scalers(
            wine.data, np.array(["a", "b"] * 89), estimator=Ridge(), task="regression"
        )
    assert metric_name("neg_mean_absolute_error") == "negative mean absolute error"
    assert metric_name("f1_macro") == "f1 macro"
    assert score_bounds("f1_macro") == (0.0, 1.0)
    assert score_bounds("neg_log_loss") == (-np.inf, 0.0)


def test_missing_values_are_imputed_inside_each_fold(wine):
    X = wine.data.copy()
    rng = np.random.default_rng(0)
    X = X.mask(rng.random(X.shape) < 0.05)
    y = wine.target.astype(float).copy()
    y.iloc[[3, 50]] = np.nan
    comparison = compare_scalers(
        X, y, estimator=KNeighborsClassifier(), cv=3, random_state=0
    )
    assert not comparison.failed
    assert comparison.n_missing == int(X.iloc[y.notna().to_numpy()].isna().sum().sum())
    assert comparison.n_target_missing == 2 and comparison.n_samples == 176
    assert comparison.table["cv_score_mean"].min() > 0.6
    assert X.isna().any().any()  # the caller's table is untouched


def test_a_failing_candidate_is_one_line_and_the_others_run(wine):
    class Broken(ZScoreScaler):
        def transform(self, X, copy=None):
            raise RuntimeError("no luck\nsecond line")

    messages = []
    comparison = compare_scalers(
        wine.data,
        wine.target,
        scalers={"broken": Broken(), "zscore": ZScoreScaler(), "worse": Broken()},
        estimator=KNeighborsClassifier(),
        cv=3,
        progress=messages.append,
    )
    assert comparison.failed == {
        "broken": "RuntimeError: no luck",
        "worse": "RuntimeError: no luck",
    }
    assert list(comparison.table.index) == ["zscore"]
    assert "candidate 'broken' failed: RuntimeError: no luck" in messages
    assert comparison.summary().endswith(". Failed: broken, worse.")
    with pytest.raises(ValueError, match="Every candidate scaler failed"):
        compare_scalers(wine.data, scalers={"broken": Broken()})


def test_passthrough_and_none_are_no_scaling(wine):
    comparison = compare_scalers(
        wine.data, scalers={"a": "passthrough", "b": None, "c": ZScoreScaler()}
    )
    assert comparison.table.loc["a", "knn_overlap"] == 1.0
    assert comparison.table.loc["b", "pc1_top_feature"] == "proline"
    with pytest.raises(TypeError, match="expected a transformer"):
        compare_scalers(wine.data, scalers={"x": 3})


def test_blocks_add_block_mfa_and_share_columns():
    mice = load_nutrimouse()
    comparison = compare_scalers(mice.data, blocks=mice.blocks)
    table = comparison.table
    assert "block_mfa" in table.index
    assert table.loc["none", "pc1_share[lipid]"] > 0.95
    assert 0.35 <= table.loc["block_mfa", "pc1_share[gene]"] <= 0.65
    # no labels, no estimator: the most balanced candidate is recommended
    assert comparison.recommended == "block_mfa"
    assert "keeps the blocks most balanced" in comparison.reason
    assert np.isinf(table["condition_number"]).all()  # 141 features, 40 mice
    assert comparison.blocks["lipid"] == list(mice.blocks["lipid"])


def test_without_labels_or_blocks_the_spread_of_pc1_decides(wine):
    comparison = compare_scalers(wine.data)
    best = comparison.table["pc1_effective_features"].idxmax()
    assert comparison.recommended == best


def test_bad_arguments(wine):
    with pytest.raises(ValueError, match="at least one candidate"):
        compare_scalers(wine.data, scalers={})
    with pytest.raises(ValueError, match="An estimator needs y"):
        compare_scalers(wine.data, estimator=Ridge())
    with pytest.raises(ValueError, match="y has 3 entries"):
        compare_scalers(wine.data, [0, 1, 0])


def test_progress_names_the_step_and_the_time_left(wine):
    messages = []
    compare_scalers(
        wine.data,
        wine.target,
        scalers={"zscore": ZScoreScaler(), "minmax": MinMaxScaler()},
        estimator=KNeighborsClassifier(),
        cv=3,
        progress=messages.append,
    )
    assert messages[0] == "[1/2] 'zscore': scaling and diagnostics"
    assert messages[1] == "[1/2] 'zscore': cross-validating KNeighborsClassifier"
    assert messages[2].startswith("[2/2] 'minmax': scaling and diagnostics (about ")
    assert messages[2].endswith(" s left)")


def test_html_page_and_repr(wine, tmp_path):
    comparison = compare_scalers(
        wine.data, wine.target, estimator=KNeighborsClassifier(), random_state=0
    )
    assert "<table" in comparison._repr_html_()
    assert "ScalerComparison" in repr(comparison)
    path = tmp_path / "report.html"
    assert comparison.to_html(path, title="wine", notes=["A note at the top."]) is None
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport"' in page
    assert page.index('id="verdict"') < page.index("All candidates")
    assert page.index("A note at the top.") < page.index('id="verdict"')
    assert f"Use {comparison.recommended}." in page
    assert "accuracy (cross-validated)" in page
    assert "pc1_top_share" not in page  # plain headers
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_when_none_wins_there_is_no_before_and_after():
    rng = np.random.default_rng(0)
    # one informative feature with a large scale, noise features on small ones:
    # scaling lifts the noise to the same weight, so no scaling is best
    y = np.repeat([0, 1], 100)
    X = np.column_stack(
        [y * 100 + rng.normal(0, 20, 200)] + [rng.normal(0, 1, 200) for _ in range(6)]
    )
    comparison = compare_scalers(
        X,
        y,
        scalers={"none": None, "zscore": ZScoreScaler()},
        estimator=KNeighborsClassifier(),
        random_state=0,
    )
    assert comparison.recommended == "none"
    page = comparison.to_html()
    assert "No scaling is recommended" in page
    assert page.count("alt='Samples on PC1 and PC2") == 1  # unscaled picture only


def test_a_pipeline_is_a_candidate(wine):
    from sklearn.pipeline import make_pipeline as pipe

    from skscale.preprocessing import ParetoScaler

    comparison = compare_scalers(
        wine.data,
        wine.target,
        scalers={"log-ish": pipe(ZScoreScaler(), ParetoScaler()), "z": ZScoreScaler()},
        estimator=KNeighborsClassifier(),
        cv=3,
    )
    assert not comparison.failed
    expected = cross_val_score(
        make_pipeline(ZScoreScaler(), ParetoScaler(), KNeighborsClassifier()),
        wine.data,
        wine.target,
        cv=3,
    )
    assert_allclose(comparison.fold_scores.loc["log-ish"], expected)


def test_warnings_are_collected_and_said_once(wine):
    import warnings

    from sklearn.base import BaseEstimator, ClassifierMixin

    class Noisy(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            warnings.warn("did not converge\nsecond line", RuntimeWarning, stacklevel=2)
            self.classes_ = np.unique(y)
            return self

        def predict(self, X):
            return np.full(len(X), self.classes_[0])

    with pytest.warns(UserWarning, match="candidate 'z': RuntimeWarning: did not"):
        comparison = compare_scalers(
            wine.data,
            wine.target,
            scalers={"z": ZScoreScaler()},
            estimator=Noisy(),
            cv=3,
        )
    assert comparison.warnings == {"z": ["RuntimeWarning: did not converge (3 times)"]}
    assert "warned: RuntimeWarning: did not converge (3 times)" in comparison.to_html()


def test_a_warning_every_fold_and_candidate_repeats_is_said_once():
    # one empty row, normalised inside every fold of every candidate: its
    # index and the fold's size change from fit to fit (70 lines before)
    from sklearn.pipeline import make_pipeline

    from skscale.preprocessing import TotalSumNormalizer

    rng = np.random.default_rng(0)
    X = rng.poisson(3, (90, 6)).astype(float)
    X[5] = 0
    y = rng.integers(0, 2, 90)
    scalers = {
        "total": TotalSumNormalizer(),
        "z": make_pipeline(TotalSumNormalizer(), ZScoreScaler()),
        "m": make_pipeline(TotalSumNormalizer(), MinMaxScaler()),
    }
    said = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison = compare_scalers(
            X,
            y,
            scalers=scalers,
            estimator=KNeighborsClassifier(3),
            cv=3,
            progress=said.append,
        )
    lines = [str(w.message) for w in caught if "unchanged" in str(w.message)]
    assert len(lines) == 1
    assert lines[0].startswith("candidate 'total': UserWarning: TotalSumNormalizer")
    assert "with other numbers in other fits" in lines[0]
    told = [line for line in said if "warned" in line]
    assert told[0] == "candidate 'total' warned: " + lines[0].split(": ", 1)[1]
    assert told[1:] == ["candidates 'z', 'm' warned the same as 'total'"]
    # the result keeps each candidate's own lines; the page says them once
    assert set(comparison.warnings) == {"total", "z", "m"}
    html = comparison.to_html()
    assert html.count("TotalSumNormalizer leaves row") == 1
    assert "Candidates total, z, m warned: UserWarning: TotalSumNormalizer" in html


def test_columns_outside_the_blocks_form_a_block_of_their_own():
    mice = load_nutrimouse()
    with pytest.warns(UserWarning, match="21 column.* are in no block .* 'other'"):
        comparison = compare_scalers(mice.data, blocks={"gene": mice.blocks["gene"]})
    assert comparison.blocks["other"] == list(mice.blocks["lipid"])
    assert "pc1_share[other]" in comparison.table
    assert comparison.recommended == "block_mfa"


def test_classes_that_cannot_be_learnt_are_refused(wine):
    knn = KNeighborsClassifier()
    with pytest.raises(ValueError, match="one class"):
        compare_scalers(wine.data, np.ones(178, dtype=int), estimator=knn)
    with pytest.raises(ValueError, match="178 classes for 178 rows"):
        compare_scalers(wine.data, np.arange(178), task="classification", estimator=knn)
    # without an estimator nothing is cross-validated: purity is still computed
    assert "purity" in compare_scalers(wine.data, np.ones(178, dtype=int)).table
    with pytest.raises(ValueError, match="a regression metric, for a classification"):
        compare_scalers(wine.data, wine.target, estimator=Ridge(), scoring="r2")


def test_regression_ties_go_to_the_spread_of_pc1():
    diabetes = load_diabetes(as_frame=True, scaled=False)
    comparison = compare_scalers(
        diabetes.data, diabetes.target, estimator=KNeighborsRegressor(), random_state=0
    )
    table = comparison.table
    tied = [comparison.recommended, *comparison.also_fine]
    spread = table.loc[tied, "pc1_effective_features"]
    assert spread[comparison.recommended] >= spread.max() - 0.1 * spread.max()
    # min-max hands PC1 to the binary 'sex' column; it is not the pick
    assert table.loc["minmax", "pc1_top_feature"] == "sex"
    assert comparison.recommended != "minmax"


def test_constant_columns_are_named(wine):
    X = wine.data.assign(flat=3.0)
    comparison = compare_scalers(X, wine.target)
    assert comparison.constant_columns == ["flat"]
    assert "Constant columns (one value): flat." in comparison.to_html()
    assert np.isinf(comparison.table["condition_number"]).all()


def test_class_labels_stay_whole_numbers_after_missing_targets(wine):
    y = wine.target.astype(float)
    y.iloc[0] = np.nan
    comparison = compare_scalers(wine.data, y)
    assert comparison.y.dtype.kind == "i"


def _table(**columns):
    frame = pd.DataFrame(columns, index=["a", "b", "c"])
    frame.index.name = "scaler"
    return frame


@pytest.mark.parametrize(
    "extra, blocks, classes, chosen, words",
    [
        # blocks: the most balanced tied candidate, unless the gap is tiny
        (
            {"pc1_share[g]": [0.9, 0.5, 0.4], "pc1_share[m]": [0.1, 0.5, 0.6]},
            ["g", "m"],
            False,
            "b",
            "keeps the blocks most balanced",
        ),
        (
            {"pc1_share[g]": [0.505, 0.5, 0.4], "pc1_share[m]": [0.495, 0.5, 0.6]},
            ["g", "m"],
            False,
            "a",
            "keeps the blocks about as balanced as any of them: no block holds "
            "more than 50.5%",
        ),
        # classes: the best purity, unless it does not show
        ({"purity": [0.80, 0.90, 0.95]}, None, True, "b", "purity 0.90; 'a': 0.80"),
        ({"purity": [0.900, 0.903, 0.95]}, None, True, "a", "outweigh the best"),
        # regression: the widest spread of PC1, unless it is about the same
        ({"pc1_effective_features": [1.3, 8.5, 9.0]}, None, False, "b", "spreads"),
        ({"pc1_effective_features": [8.5, 8.6, 9.0]}, None, False, "a", "as many"),
    ],
)
def test_ties_are_broken_by_the_rule(extra, blocks, classes, chosen, words):
    from skscale.diagnostics._verdict import decide

    base = {
        "cv_score_mean": [0.95, 0.94, 0.70],
        "cv_score_std": [0.02, 0.03, 0.05],
        "pc1_effective_features": [5.0, 5.0, 5.0],
        "purity": [np.nan] * 3,
    }
    table = _table(**{**base, **extra})
    p_values = {"a": np.nan, "b": 0.4, "c": 0.001}  # b ties with a; c is worse
    verdict = decide(
        table, blocks=blocks, classes=classes, metric="R^2", p_values=p_values
    )
    recommended, also_fine, reason = (
        verdict.recommended,
        verdict.also_fine,
        verdict.reason,
    )
    assert recommended == chosen
    assert sorted([recommended, *also_fine]) == ["a", "b"]
    assert words in reason
    assert "'a' has the best cross-validated R^2: 0.950 +/- 0.020" in reason


@pytest.mark.parametrize("name", sorted(get_scorer_names()))
def test_regression_scorers_are_those_of_regression_metrics(name):
    """Against scikit-learn's own filing: a scorer measures a regression when
    its metric lives in sklearn.metrics' regression module."""
    from skscale.diagnostics._compare import is_regression_scorer

    metric = get_scorer(name)._score_func
    assert is_regression_scorer(name) == metric.__module__.endswith("_regression")


def test_the_summary_quotes_the_recommended_row_and_the_unscaled_one(wine_comparison):
    comparison = wine_comparison
    row = comparison.table.loc[comparison.recommended]
    raw = comparison.table.loc["none"]
    text = comparison.summary()
    assert text.startswith(comparison.verdict())
    assert f"PC1 explains {100 * row['pc1_evr']:.1f}% of the variance" in text
    top = f"{row['pc1_top_feature']!r}, holds {100 * row['pc1_top_share']:.1f}%"
    assert top in text
    assert f"about {row['pc1_effective_features']:.1f} features share it" in text
    assert f"{100 * row['knn_overlap']:.1f}% of each point's neighbours" in text
    assert (
        f"Unscaled, {raw['pc1_top_feature']!r} holds {100 * raw['pc1_top_share']:.1f}%"
        in text
    )
    assert "Failed" not in text and "  " not in text
    # ... and in full, written out from the table
    assert text == (
        f"{comparison.verdict()} {comparison.reason} With it, PC1 explains "
        f"{100 * row['pc1_evr']:.1f}% of the variance and its largest loading, "
        f"{row['pc1_top_feature']!r}, holds {100 * row['pc1_top_share']:.1f}% of PC1 "
        f"(about {row['pc1_effective_features']:.1f} features share it); "
        f"{100 * row['knn_overlap']:.1f}% of each point's neighbours are the same as "
        f"in the unscaled data. Unscaled, {raw['pc1_top_feature']!r} holds "
        f"{100 * raw['pc1_top_share']:.1f}% of PC1."
    )
    also = ", ".join(comparison.also_fine)
    assert comparison.verdict() == (
        f"Use {comparison.recommended}." + (f" Also fine: {also}." if also else "")
    )


def test_the_summary_when_no_scaling_wins():
    # every column on one scale, one informative: scaling has nothing to add
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 4))
    y = (X[:, 0] > 0).astype(int)
    comparison = compare_scalers(X, y, scalers={"none": "passthrough"})
    row = comparison.table.loc["none"]
    text = comparison.summary()
    assert comparison.recommended == "none"
    assert text == (
        f"Use none. {comparison.reason} Unscaled, PC1 explains "
        f"{100 * row['pc1_evr']:.1f}% of the variance and its largest loading, "
        f"{row['pc1_top_feature']!r}, holds {100 * row['pc1_top_share']:.1f}% of it."
    )


def test_first_line_of_a_failure():
    from skscale.diagnostics._compare import first_line

    assert first_line(ValueError("bad value\nmore detail")) == "ValueError: bad value"
    assert first_line(ValueError("")) == "ValueError"
    assert first_line(ValueError("TAX")) == "ValueError: TAX"  # only ": " stripped
    assert first_line(KeyError("k: ")) == "KeyError: 'k: '"


def test_is_regression_scorer_knows_max_error():
    from skscale.diagnostics._compare import is_regression_scorer

    assert is_regression_scorer("max_error")
    assert not is_regression_scorer("accuracy")


def test_verdict_lists_every_tied_candidate(wine_comparison):
    from copy import copy

    comparison = copy(wine_comparison)
    comparison.also_fine = ["minmax", "robust"]
    assert comparison.verdict() == (
        f"Use {comparison.recommended}. Also fine: minmax, robust."
    )


def test_rest_block_names_or_numbers_the_columns_left_out():
    import pandas as pd

    from skscale.diagnostics._compare import rest_block

    names = ["a", "b", "c", "d"]
    frame = pd.DataFrame(np.zeros((3, 4)), columns=names)
    assert rest_block({"x": ["a", "c"]}, frame, names) == ("other", ["b", "d"])
    assert rest_block({"x": [0, 2]}, None, names) == ("other", ["b", "d"])
    assert rest_block({"x": [0, 2]}, np.zeros((3, 4)), names) == ("other", [1, 3])
    assert rest_block({"other": [0], "_other": [1]}, frame, names) == (
        "__other",
        ["c", "d"],
    )
    assert rest_block({"x": [0, 1, 2, 3]}, frame, names) is None


def test_html_page_has_the_title_and_the_description(wine_comparison, tmp_path):
    import os
    import stat

    path = tmp_path / "page.html"
    wine_comparison.to_html(
        path, title="Wine, µ-scaled", description="Data: 178 wines."
    )
    text = path.read_text(encoding="utf-8")
    assert "Wine, µ-scaled" in text and "Data: 178 wines." in text
    # written through a temporary file that is gone, with a plain file's mode
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_a_candidate_that_selects_columns_is_compared_on_what_it_kept(wine):
    # a selection scales the columns it drops by 0: PC1 is shared among the
    # kept columns only, and the neighbours are those of the kept columns
    from sklearn.feature_selection import VarianceThreshold

    selecting = make_pipeline(VarianceThreshold(1.0), ZScoreScaler())
    comparison = compare_scalers(
        wine.data,
        wine.target,
        scalers={"zscore": ZScoreScaler(), "selected": selecting},
        estimator=KNeighborsClassifier(),
        cv=KFold(5, shuffle=True, random_state=0),
        random_state=0,
    )
    kept = list(selecting.fit(wine.data)[0].get_feature_names_out())
    assert 2 < len(kept) < wine.data.shape[1]
    row = comparison.table.loc["selected"]
    assert row["pc1_top_feature"] in kept
    assert np.isfinite(row["cv_score_mean"]) and np.isfinite(row["condition_number"])
    # the same as z-scoring the kept columns alone (the neighbours' overlap and
    # trustworthiness differ: they compare with all the columns unscaled)
    alone = compare_scalers(
        wine.data[kept],
        wine.target,
        scalers={"z": ZScoreScaler()},
        estimator=KNeighborsClassifier(),
        random_state=0,
    ).table.loc["z"]
    for column in (
        "pc1_evr",
        "pc1_top_share",
        "pc1_effective_features",
        "purity",
        "condition_number",
    ):
        assert_allclose(row[column], alone[column], rtol=1e-9, err_msg=column)
    # the score is the pipeline's, the selection fitted in each fold
    scores = cross_val_score(
        make_pipeline(selecting, KNeighborsClassifier()),
        wine.data,
        wine.target,
        cv=KFold(5, shuffle=True, random_state=0),
    )
    assert_allclose(row["cv_score_mean"], scores.mean(), rtol=1e-12)


def test_a_candidate_that_makes_new_columns_is_refused_by_name(wine):
    from sklearn.decomposition import PCA

    with pytest.raises(ValueError, match="or a selection of them"):
        compare_scalers(
            wine.data,
            scalers={"pca": make_pipeline(ZScoreScaler(), PCA(3))},
            random_state=0,
        )


def test_knn_columns_of_a_long_table_come_from_a_sample_of_rows(monkeypatch):
    import skscale.diagnostics._compare as compare

    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 4)) * [1.0, 10.0, 100.0, 1000.0]
    y = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
    monkeypatch.setattr(compare, "KNN_MAX_ROWS", 150)
    comparison = compare_scalers(
        X, y, scalers={"zscore": ZScoreScaler()}, random_state=0
    )
    knn = comparison.reports["zscore"][1]
    assert knn.sampling == (
        "neighbours searched among 150 of the 400 rows, sampled at random"
    )
    assert knn.metrics["n_samples"] == 150
    # the same numbers as knn_distortion on those rows, scaled on every row
    seed = np.random.RandomState(0).randint(2**31 - 1)
    rows, _ = compare._knn_sample(400, seed)
    scaled = StandardScaler().fit_transform(X)
    direct = knn_distortion(X[rows], scaled[rows], y=y[rows])
    for metric in ("overlap", "trustworthiness", "purity_after", "spearman"):
        assert_allclose(knn.metrics[metric], direct.metrics[metric], rtol=1e-12)
    # PCA keeps every row
    full = pca_dominance(X, scaled)
    assert_allclose(
        comparison.table.loc["zscore", "pc1_evr"],
        full.components["evr_after"].iloc[0],
        rtol=1e-12,
    )


def test_folds_are_said_when_a_candidate_is_slow(monkeypatch):
    import skscale.diagnostics._compare as compare

    clock = iter(np.arange(0.0, 1000.0, 7.0))  # 7 s between readings
    monkeypatch.setattr(compare.time, "perf_counter", lambda: next(clock))
    messages = []
    X, y = load_wine(return_X_y=True)
    compare_scalers(
        X,
        y,
        scalers={"zscore": ZScoreScaler()},
        estimator=KNeighborsClassifier(),
        cv=4,
        progress=messages.append,
    )
    steps = [m for m in messages if m.startswith("[1/1]")]
    # readings at 7, 14 (the two steps), 21 (fold 2: 7 s after the last
    # message, not said) and 28 s (fold 3, said: half the work in 28 s)
    assert steps[:2] == [
        "[1/1] 'zscore': scaling and diagnostics",
        "[1/1] 'zscore': cross-validating KNeighborsClassifier",
    ]
    assert steps[2:] == [
        "[1/1] 'zscore': cross-validating KNeighborsClassifier, fold 3 of 4 "
        "(about 28 s left)",
    ]


def test_a_long_cross_validation_is_estimated_before_it_starts(monkeypatch):
    import skscale.diagnostics._compare as compare

    monkeypatch.setattr(compare, "KNN_MAX_ROWS", 100)
    monkeypatch.setattr(compare, "_PROBE_ROWS", (40, 80))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))  # 500 rows or more: 5 folds, not repeated
    X[rng.random(X.shape) < 0.05] = np.nan  # the probe imputes as the folds do
    y = (rng.random(600) > 0.5).astype(int)
    scalers = {"zscore": ZScoreScaler(), "none": "passthrough"}
    for estimator, power in (
        (KNeighborsClassifier(algorithm="brute"), r"2\.0"),
        (RidgeClassifier(), r"[12]\.\d"),
    ):
        messages = []
        compare_scalers(
            X, y, scalers=scalers, estimator=estimator, progress=messages.append
        )
        name = type(estimator).__name__
        assert re.fullmatch(
            r"the cross-validation will take about \d+ s \(5 folds x 2 candidates; "
            rf"{name}'s time grows as the rows to the power {power}\)",
            messages[0],
        ), messages[0]
    # a table within the limit gets no estimate (its run is short)
    messages = []
    compare_scalers(
        X[:90],
        y[:90],
        scalers=scalers,
        estimator=RidgeClassifier(),
        progress=messages.append,
    )
    assert not any("will take" in m for m in messages)
