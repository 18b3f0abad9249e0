"""The comparison's small decisions, each against values written out here:
the task, the scorer, the folds and how they are described, the paired test,
the covariance spectrum."""

import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import scipy.stats
from sklearn.model_selection import (
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
)

from skscale._backends import centred_table
from skscale.diagnostics import _compare as c


def test_said_once_joins_warnings_that_differ_only_in_numbers():
    caught = [
        _warning(UserWarning, "leaves row 5 unchanged (1 of 300): no total."),
        _warning(UserWarning, "leaves row 4 unchanged (1 of 240): no total."),
        _warning(UserWarning, "leaves row 5 unchanged (1 of 300): no total."),
        _warning(UserWarning, "leaves row 2 unchanged (1 of 60): no total!"),
        _warning(RuntimeWarning, "leaves row 5 unchanged (1 of 300): no total."),
    ]
    assert c._said_once(caught) == [
        "UserWarning: leaves row 5 unchanged (1 of 300): no total. "
        "(3 times, with other numbers in other fits)",
        "UserWarning: leaves row 2 unchanged (1 of 60): no total!",
        "RuntimeWarning: leaves row 5 unchanged (1 of 300): no total.",
    ]
    assert c.warning_template("x 1.5e-3 of -2 and 7.") == "x # of # and #"


@pytest.mark.parametrize(
    "y, task",
    [
        ([0, 1, 1, 0], "classification"),
        (["a", "b", "a"], "classification"),
        ([True, False, True], "classification"),
        ([0.5, 1.0, 2.0], "regression"),  # a fractional value
        (list(range(21)), "regression"),  # more than 20 distinct values
        (list(range(20)), "classification"),  # exactly 20
        ([1.0, np.nan, 2.0, 1.0], "classification"),  # NaN ignored
        (np.array([[1], [2], [1]]), "classification"),  # a column vector
    ],
)
def test_detect_task(y, task):
    assert c.detect_task(y) == task


def test_metric_names_read_as_words():
    assert c.metric_name("r2") == "R^2"
    assert c.metric_name("neg_root_mean_squared_error") == "negative RMSE"
    assert c.metric_name("f1_macro") == "f1 macro"
    assert c.metric_name("neg_log_loss") == "negative log loss"
    assert c.metric_name("neg_brier_score") == "negative brier score"


@pytest.mark.parametrize(
    "scoring, bounds",
    [
        ("neg_mean_absolute_error", (-np.inf, 0.0)),
        ("r2", (-np.inf, 1.0)),
        ("explained_variance", (-np.inf, 1.0)),
        ("accuracy", (0.0, 1.0)),
        ("f1_weighted", (0.0, 1.0)),
        ("roc_auc_ovr", (0.0, 1.0)),
        ("top_k_accuracy", (0.0, 1.0)),
        ("adjusted_rand_score", (0.0, 1.0)),
        ("max_error", (-np.inf, np.inf)),
        ("d2_absolute_error_score", (0.0, 1.0)),
    ],
)
def test_score_bounds(scoring, bounds):
    assert c.score_bounds(scoring) == bounds


def test_check_scoring_defaults_and_refusals():
    assert c._check_scoring(None, "classification") == "accuracy"
    assert c._check_scoring(None, "regression") == "r2"
    assert c._check_scoring("f1_macro", "classification") == "f1_macro"
    with pytest.raises(
        ValueError,
        match=r"^Got scoring='nope'; expected the name of a scikit-learn scorer "
        r"\(sklearn\.metrics\.get_scorer_names\(\)\), such as 'accuracy', "
        r"'balanced_accuracy', 'f1_macro', 'r2' or 'neg_mean_absolute_error'\.$",
    ):
        c._check_scoring("nope", "classification")
    with pytest.raises(ValueError, match=r"^Got scoring=3;"):
        c._check_scoring(3, "classification")
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Got scoring='r2', a regression metric, for a classification target; "
            "expected a classification metric (or task='regression' if the target "
            "is one)."
        ),
    ):
        c._check_scoring("r2", "classification")
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Got scoring='accuracy', a classification metric, for a regression "
            "target; expected a regression metric (or task='classification' if the "
            "target is one)."
        ),
    ):
        c._check_scoring("accuracy", "regression")


def test_check_task():
    assert c._check_task("auto", [0.5, 1.5]) == "regression"
    assert c._check_task("auto", [0, 1]) == "classification"
    assert c._check_task("regression", [0, 1, 0]) == "regression"
    assert c._check_task("classification", list(range(30))) == "classification"
    with pytest.raises(
        ValueError,
        match=r"^Got task='both'; expected 'auto', 'classification' or 'regression'\.$",
    ):
        c._check_task("both", [0, 1])
    with pytest.raises(
        ValueError,
        match=r"^Got task='regression' with a non-numeric target; a regression "
        r"target must be numbers\.$",
    ):
        c._check_task("regression", ["a", "b"])
    with pytest.raises(
        ValueError,
        match=r"^Got task='classification' with a target holding fractional "
        r"values; class labels must be whole numbers or text\.$",
    ):
        c._check_task("classification", [0.5, 1.0, 2.0])


def test_check_classes():
    c._check_classes([0, 1, 0, 1])
    c._check_classes([0, 1, 2, 0, 1, 2])  # 3 classes for 6 rows: half, allowed
    with pytest.raises(
        ValueError,
        match=r"^The target has one class \(7\): there is nothing to predict; "
        r"expected at least two classes\.$",
    ):
        c._check_classes([7, 7, 7])
    with pytest.raises(ValueError, match=r"one class \('x'\)"):
        c._check_classes(np.array(["x", "x"]))
    with pytest.raises(ValueError, match=r"^The target has 4 classes for 7 rows"):
        c._check_classes([0, 1, 2, 3, 0, 1, 2])


@pytest.mark.parametrize(
    "task, y, n_samples, kind, n_splits",
    [
        ("classification", [0] * 300 + [1] * 300, 600, StratifiedKFold, 5),
        ("classification", [0] * 100 + [1] * 100, 200, RepeatedStratifiedKFold, 5),
        ("classification", [0] * 97 + [1] * 3, 100, RepeatedStratifiedKFold, 3),
        ("classification", [0] * 98 + [1] * 2, 100, RepeatedStratifiedKFold, 2),
        ("classification", [0] * 99 + [1], 100, RepeatedKFold, 5),  # too small
        ("regression", np.arange(600.0), 600, KFold, 5),
        ("regression", np.arange(499.0), 499, RepeatedKFold, 5),
        ("regression", np.arange(500.0), 500, KFold, 5),  # 500 rows: not repeated
    ],
)
def test_default_cv(task, y, n_samples, kind, n_splits):
    counts = np.unique(y, return_counts=True)[1]
    if task == "classification" and counts.min() < 5:  # said, with the reason
        said = "a single row" if counts.min() == 1 else f"{n_splits}-fold cross-val"
        with pytest.warns(UserWarning, match=said):
            cv = c.default_cv(task, y, n_samples, random_state=7)
    else:
        cv = c.default_cv(task, y, n_samples, random_state=7)
    assert type(cv) is kind
    assert cv.get_n_splits() == n_splits * (
        c.N_REPEATS if "Repeated" in kind.__name__ else 1
    )
    if "Repeated" in kind.__name__:
        assert cv.n_repeats == c.N_REPEATS and cv.random_state == 7
    else:
        assert cv.n_splits == n_splits and cv.shuffle and cv.random_state == 7


def test_describe_cv():
    assert c._describe_cv(KFold(4), 4) == "4-fold cross-validation"
    assert c._describe_cv(RepeatedKFold(n_splits=3, n_repeats=2), 6) == (
        "3-fold cross-validation repeated 2 times (6 fits per candidate)"
    )
    splits = [(np.arange(5), np.arange(5, 10))] * 3
    assert c._describe_cv(splits, 3) == "3 cross-validation splits"


def test_corrected_paired_pvalues_against_the_formula():
    scores = pd.DataFrame(
        {
            "fold0": [0.90, 0.85, 0.90],
            "fold1": [0.92, 0.88, 0.80],
            "fold2": [0.88, 0.86, 0.88],
            "fold3": [0.91, 0.84, 0.91],
        },
        index=["best", "worse", "same"],
    )
    p = c.corrected_paired_pvalues(scores, "best", n_train=80, n_test=20)
    assert np.isnan(p["best"])
    diff = scores.loc["best"] - scores.loc["worse"]
    t = diff.mean() / np.sqrt((1 / 4 + 20 / 80) * diff.var(ddof=1))
    assert p["worse"] == pytest.approx(scipy.stats.t.sf(t, df=3), rel=1e-12)
    diff = scores.loc["best"] - scores.loc["same"]
    t = diff.mean() / np.sqrt((1 / 4 + 20 / 80) * diff.var(ddof=1))
    assert p["same"] == pytest.approx(scipy.stats.t.sf(t, df=3), rel=1e-12)
    assert p.name == "cv_p_value"
    # differences without spread: certain either way
    flat = pd.DataFrame(
        {"a": [1.0, 0.5, 1.0], "b": [1.0, 0.5, 1.0]}, index=["best", "lower", "tied"]
    )
    p = c.corrected_paired_pvalues(flat, "best", n_train=10, n_test=5)
    assert p["lower"] == 0.0 and p["tied"] == 1.0


@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_covariance_spectrum_tall_and_wide(kind):
    def spectrum(values):
        table = values if kind == "dense" else scipy.sparse.csr_matrix(values)
        return c._covariance_spectrum(centred_table(table))

    rng = np.random.default_rng(0)
    tall = rng.normal(size=(50, 3)) * [1.0, 2.0, 3.0]
    tall -= tall.mean(axis=0)
    values = np.linalg.eigvalsh(np.cov(tall.T, ddof=0))
    largest, condition = spectrum(tall)
    assert largest == pytest.approx(values[-1], rel=1e-12)
    assert condition == pytest.approx(values[-1] / values[0], rel=1e-10)
    wide = rng.normal(size=(5, 8))
    wide -= wide.mean(axis=0)
    largest, condition = spectrum(wide)
    assert largest == pytest.approx(np.linalg.eigvalsh(np.cov(wide.T, ddof=0))[-1])
    assert condition == np.inf  # more features than samples
    singular = np.column_stack([tall[:, 0], tall[:, 0] * 2.0, tall[:, 1]])
    assert spectrum(singular)[1] == np.inf


def _warning(category, message):
    import warnings

    return warnings.WarningMessage(message, category, "f.py", 1)


def test_said_once_counts_repeats():
    caught = [
        _warning(UserWarning, "first line\nmore"),
        _warning(UserWarning, "first line\nother"),
        _warning(RuntimeWarning, "overflow"),
        _warning(UserWarning, ""),
    ]
    assert c._said_once(caught) == [
        "UserWarning: first line (2 times)",
        "RuntimeWarning: overflow",
        "UserWarning: ",
    ]


@pytest.mark.parametrize(
    "n_left, shown",
    [(5, "c1, c2, c3, c4, c5"), (6, "c1, c2, c3, c4, c5, ...")],
)
def test_complete_blocks_warns_with_the_columns_left_out(n_left, shown):
    names = ["c0"] + [f"c{j}" for j in range(1, n_left + 1)]
    frame = pd.DataFrame(np.zeros((2, len(names))), columns=names)
    with pytest.warns(UserWarning) as caught:
        blocks = c.complete_blocks({"first": ["c0"]}, frame, names)
    assert str(caught[0].message) == (
        f"{n_left} column(s) are in no block ({shown}); they form the block "
        "'other', so that they are balanced with the others rather than left "
        "unscaled."
    )
    assert blocks == {"first": ["c0"], "other": names[1:]}
    # unnamed columns are numbered
    with pytest.warns(UserWarning, match=r"\(1, 2"):
        blocks = c.complete_blocks({"first": [0]}, frame.to_numpy(), names)
    assert blocks["other"] == list(range(1, n_left + 1))


def test_compare_scalers_checks_its_arguments_in_full():
    from sklearn.neighbors import KNeighborsClassifier

    from skscale.diagnostics import compare_scalers

    X = np.random.default_rng(0).normal(size=(30, 3))
    y = np.arange(30) % 2
    with pytest.raises(
        ValueError,
        match=r"^An estimator needs y: cross-validation scores a prediction\.$",
    ):
        compare_scalers(X, estimator=KNeighborsClassifier())
    for bad in (0, 2.5, -1):
        with pytest.raises(
            ValueError,
            match=rf"^n_neighbors must be a positive integer; got {bad!r}\.$",
        ):
            compare_scalers(X, y, n_neighbors=bad)
    one = compare_scalers(X, y, n_neighbors=1, scalers={"none": "passthrough"})
    assert one.table.loc["none", "knn_overlap"] == 1.0
    frame = pd.DataFrame(X, columns=list("abc"))
    frame.loc[4, "b"] = np.inf
    with pytest.raises(ValueError, match=r"^Input X contains infinity in column 'b'"):
        compare_scalers(frame, y)


def test_compare_scalers_missing_targets_names_and_seeds():
    from skscale.diagnostics import compare_scalers

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(60, 3)) * [1, 10, 100], columns=list("abc"))
    y = pd.Series((X["a"] > 0).astype(float), name="label")
    y[[3, 7]] = np.nan
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier()
    first = compare_scalers(X, y, estimator=knn, random_state=3)
    assert first.n_target_missing == 2
    assert first.target_name == "label"
    assert (
        compare_scalers(X.to_numpy(), y.to_numpy(), random_state=3).target_name is None
    )
    again = compare_scalers(X, y, estimator=knn, random_state=3)
    pd.testing.assert_frame_equal(first.table, again.table)
    other = compare_scalers(X, y, estimator=knn, random_state=4)
    assert not first.table["cv_score_mean"].equals(other.table["cv_score_mean"])
    complete = compare_scalers(X, (X["a"] > 0).astype(int), random_state=3)
    assert complete.n_target_missing == 0


def test_a_figure_that_does_not_move_stays_at_it():
    from skscale.diagnostics._common import from_to

    assert from_to("72.2%", "72.2%") == "stays at 72.2%"
    assert from_to("70.2%", "72.8%") == "goes from 70.2% to 72.8%"
    assert from_to("0.70", "0.70", plural=True) == "stay at 0.70"
    assert from_to("0.70", "0.73", plural=True) == "go from 0.70 to 0.73"
