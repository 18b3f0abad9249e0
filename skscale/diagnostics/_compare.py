"""compare_scalers: candidate scalers side by side, and which one to use."""

import re
import time
import warnings
from numbers import Integral
from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.stats
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    check_cv,
    cross_validate,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from skscale._backends import centred_table, count_profile, is_sparse, take_rows
from skscale._backends.array_api import to_host
from skscale._backends.centred import spectrum_ends
from skscale.diagnostics._common import (
    as_matrix,
    block_of_features,
    covariate_column,
    feature_names_of,
    percent,
)
from skscale.diagnostics._knn import KNNSide, knn_report
from skscale.diagnostics._pca import (
    _covariate_columns,
    covariate_table,
    pca_report,
    pca_space,
)
from skscale.diagnostics._verdict import ALPHA, Baseline, decide, find_dominance
from skscale.preprocessing import BatchScaler, candidate_scalers
from skscale.report._writing import write_atomically
from skscale.utils._text import duration
from skscale.utils._validation import warn_user

# Below this many rows, the default cross-validation repeats its folds.
REPEAT_BELOW = 500
N_REPEATS = 5
# A numeric target with more distinct values than this (or any fraction) is a
# regression target.
MAX_CLASSES = 20

_METRIC_NAMES = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "r2": "R^2",
    "roc_auc": "ROC AUC",
    "neg_mean_squared_error": "negative mean squared error",
    "neg_root_mean_squared_error": "negative RMSE",
    "neg_mean_absolute_error": "negative mean absolute error",
}


def detect_task(y):
    """``"classification"`` or ``"regression"`` for a target, by its values.

    A non-numeric or boolean target is a classification target; a numeric
    one is a regression target when it holds a fractional value or more than
    ``MAX_CLASSES`` (20) distinct values, a classification target otherwise.
    """
    y = pd.Series(np.asarray(y).ravel() if not isinstance(y, pd.Series) else y)
    y = y[y.notna()]
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return "classification"
    values = y.to_numpy(dtype=np.float64)
    if np.any(values != np.round(values)) or np.unique(values).size > MAX_CLASSES:
        return "regression"
    return "classification"


# A table is read as counts when it has at least this many columns, every
# value a whole number >= 0 and some above 1 (not a table of 0/1 flags).
COUNT_MIN_COLUMNS = 10


def count_summary(X):
    """What makes numeric ``X`` look like a count matrix (reads, UMIs, spectral
    counts), or None.

    Returns
    -------
    dict or None
        ``{"zeros": share of values that are 0, "largest": largest value}``
        when ``X`` (a DataFrame, an array or a sparse matrix) has at least
        ``COUNT_MIN_COLUMNS`` columns and every value (NaN skipped) is a whole
        number of at least 0, some above 1.
    """
    if X.shape[1] < COUNT_MIN_COLUMNS or X.shape[0] == 0:
        return None
    if hasattr(X, "to_numpy"):
        X = X.to_numpy(dtype=np.float64, na_value=np.nan)
    whole, zeros, largest = count_profile(X)
    if not whole or not largest > 1:
        return None
    return {"zeros": zeros / (X.shape[0] * X.shape[1]), "largest": largest}


def metric_name(scoring):
    """How a scorer name reads in a sentence: ``"r2"`` -> ``"R^2"``."""
    if scoring in _METRIC_NAMES:
        return _METRIC_NAMES[scoring]
    name = scoring.replace("_", " ")
    return "negative " + name[4:] if name.startswith("neg ") else name


def score_bounds(scoring):
    """The range a scorer's values can take, for plots and error bars."""
    if scoring.startswith("neg_"):
        return (-np.inf, 0.0)
    if scoring in ("r2", "explained_variance"):
        return (-np.inf, 1.0)
    unit = (
        "accuracy",
        "balanced_accuracy",
        "f1",
        "precision",
        "recall",
        "jaccard",
        "roc_auc",
        "average_precision",
        "top_k_accuracy",
    )
    if scoring.startswith(unit) or scoring.endswith("_score"):
        return (0.0, 1.0)
    return (-np.inf, np.inf)


def is_regression_scorer(scoring):
    """Whether a scorer name measures a regression (R^2, errors in the units of
    the target) rather than a classification."""
    if scoring in ("d2_log_loss_score", "d2_brier_score"):  # of class probabilities
        return False
    return scoring in ("r2", "explained_variance", "max_error") or scoring.startswith(
        ("neg_mean_", "neg_median_", "neg_root_mean_", "neg_max_error", "d2_")
    )


def _check_scoring(scoring, task):
    if scoring is None:
        return "accuracy" if task == "classification" else "r2"
    if not isinstance(scoring, str) or scoring not in get_scorer_names():
        raise ValueError(
            f"Got scoring={scoring!r}; expected the name of a scikit-learn scorer "
            "(sklearn.metrics.get_scorer_names()), such as 'accuracy', "
            "'balanced_accuracy', 'f1_macro', 'r2' or 'neg_mean_absolute_error'."
        )
    get_scorer(scoring)
    if is_regression_scorer(scoring) != (task == "regression"):
        kind = "regression" if is_regression_scorer(scoring) else "classification"
        other = "classification" if task == "regression" else "regression"
        raise ValueError(
            f"Got scoring={scoring!r}, a {kind} metric, for a {task} target; expected "
            f"a {task} metric (or task={other!r} if the target is one)."
        )
    return scoring


def _check_task(task, y):
    if task not in ("auto", "classification", "regression"):
        raise ValueError(
            f"Got task={task!r}; expected 'auto', 'classification' or 'regression'."
        )
    detected = detect_task(y)
    if task == "auto":
        return detected
    if task == "regression" and not pd.api.types.is_numeric_dtype(pd.Series(y)):
        raise ValueError(
            "Got task='regression' with a non-numeric target; a regression target "
            "must be numbers."
        )
    if task == "classification" and detected == "regression":
        values = pd.Series(y).to_numpy(dtype=np.float64)
        if np.any(values != np.round(values)):
            raise ValueError(
                "Got task='classification' with a target holding fractional "
                "values; class labels must be whole numbers or text."
            )
    return task


def _check_classes(y):
    """Refuse class targets that no classifier can learn from."""
    counts = pd.Series(y).value_counts()
    if len(counts) < 2:
        label = _plain(counts.index[0])
        raise ValueError(
            f"The target has one class ({label!r}): there is nothing to "
            "predict; expected at least two classes."
        )
    if len(counts) > len(y) / 2:
        raise ValueError(
            f"The target has {len(counts)} classes for {len(y)} rows, most of them "
            "with one or two rows: a classifier cannot learn them. If the target is "
            "a quantity, it is a regression target (task='regression')."
        )


def _plain(label):
    """A class label as Python shows it (7, not np.int64(7))."""
    return label.item() if isinstance(label, np.generic) else label


def default_cv(task, y, n_samples, random_state):
    """Shuffled (stratified) 5-fold cross-validation, repeated 5 times below
    500 rows; fewer folds when the smallest class is smaller than 5."""
    n_splits = 5
    stratify = task == "classification"
    if stratify:
        counts = pd.Series(y).value_counts()
        smallest = int(counts.min())
        stratify = smallest >= 2
        if stratify:
            n_splits = max(2, min(5, smallest))
        if smallest == 1:
            alone = [_plain(label) for label in counts.index[counts == 1]]
            shown = ", ".join(map(repr, alone[:5])) + (" ..." if len(alone) > 5 else "")
            warn_user(
                f"{len(alone)} of the target's classes have a single row ({shown}): "
                "such a row is tested once and never trained on, so no classifier "
                "can predict it, and the folds cannot be stratified (plain shuffled "
                "folds are used). Merge or drop those classes to score the others."
            )
        elif smallest < 5:
            label = _plain(counts.index[counts == smallest][0])
            warn_user(
                f"the smallest class of the target ({label!r}) has {smallest} rows: "
                f"{n_splits}-fold cross-validation, so that every fold holds one."
            )
    if n_samples < REPEAT_BELOW:
        kind = RepeatedStratifiedKFold if stratify else RepeatedKFold
        return kind(n_splits=n_splits, n_repeats=N_REPEATS, random_state=random_state)
    kind = StratifiedKFold if stratify else KFold
    return kind(n_splits=n_splits, shuffle=True, random_state=random_state)


def grouped_cv(task, n_groups, random_state):
    """Shuffled 5-fold cross-validation by group (stratified for classes),
    fewer folds with fewer groups: no group is both trained and tested on."""
    if n_groups < 2:
        raise ValueError(
            f"The groups hold {n_groups} distinct value; grouped cross-validation "
            "needs at least 2 groups (a patient, a country: rows that belong "
            "together)."
        )
    n_splits = min(5, n_groups)
    kind = StratifiedGroupKFold if task == "classification" else GroupKFold
    return kind(n_splits=n_splits, shuffle=True, random_state=random_state)


def _describe_cv(cv, n_fits):
    n_splits = getattr(cv, "n_splits", None) or getattr(cv, "cvargs", {}).get(
        "n_splits"
    )
    if isinstance(cv, TimeSeriesSplit):
        return (
            f"time-ordered cross-validation ({n_fits} splits, each trained on the "
            "rows before its test rows, in their order)"
        )
    if isinstance(cv, (GroupKFold, StratifiedGroupKFold)):
        return (
            f"{n_splits}-fold cross-validation by group (no group is both trained "
            "and tested on)"
        )
    repeats = getattr(cv, "n_repeats", None)
    if repeats and n_splits:
        return (
            f"{n_splits}-fold cross-validation repeated {repeats} times "
            f"({n_fits} fits per candidate)"
        )
    if n_splits:
        return f"{n_splits}-fold cross-validation"
    return f"{n_fits} cross-validation splits"


def corrected_paired_pvalues(fold_scores, best, n_train, n_test):
    """One-sided p-values that each candidate is worse than ``best``.

    The corrected resampled t-test of Nadeau and Bengio (2003): the
    per-fold differences to the best, whose variance is inflated by
    ``1/k + n_test/n_train`` because the training sets of the folds overlap
    (a plain paired t-test would call noise significant). ``fold_scores``
    has one row per candidate and one column per fold, the same folds for
    every candidate.
    """
    k = fold_scores.shape[1]
    correction = 1.0 / k + n_test / n_train
    pvalues = {}
    for name in fold_scores.index:
        if name == best:
            pvalues[name] = np.nan
            continue
        diff = fold_scores.loc[best].to_numpy() - fold_scores.loc[name].to_numpy()
        mean = float(np.mean(diff))
        variance = float(np.var(diff, ddof=1)) if k > 1 else 0.0
        if variance <= 0.0:
            pvalues[name] = 0.0 if mean > 0 else 1.0
            continue
        t = mean / np.sqrt(correction * variance)
        pvalues[name] = float(scipy.stats.t.sf(t, df=k - 1))
    return pd.Series(pvalues, name="cv_p_value")


def _kept_columns(fitted, names, shape, scaled_shape):
    """The positions, among ``names``, of the columns a candidate that selects
    columns (``HighlyVariableGenes`` in a pipeline, say) kept, from its
    ``get_feature_names_out``; a ValueError when it did something else."""
    problem = (
        f"it turned {shape[1]} columns into {scaled_shape[1]}; expected one "
        "output column per input column, or a selection of them"
    )
    if scaled_shape[0] != shape[0] or not hasattr(fitted, "get_feature_names_out"):
        raise ValueError(problem)
    try:
        out = fitted.get_feature_names_out(names)
    except (ValueError, TypeError, AttributeError):
        try:
            out = fitted.get_feature_names_out()
        except (ValueError, TypeError, AttributeError):
            raise ValueError(problem) from None
    position = {name: j for j, name in enumerate(names)}
    if len(out) != scaled_shape[1] or any(name not in position for name in out):
        raise ValueError(problem)
    return np.array([position[name] for name in out], dtype=np.intp)


def _covariance_spectrum(table):
    """Largest eigenvalue and condition number of the covariance of a
    centred table; the condition number is infinite when the covariance is
    singular (more features than samples, a constant column, or a feature that
    is a combination of others)."""
    largest, smallest = spectrum_ends(table)
    singular = smallest <= largest * np.finfo(float).eps * max(table.shape)
    return largest, (np.inf if singular else largest / smallest)


def rest_block(blocks, X, names):
    """The columns ``blocks`` leave out, as ``(name, columns)`` of one more
    block, ``"other"`` (underscores prefixed if that name is taken), or None
    when every column is in a block. Columns are given by name when ``X`` has
    column names (or is None: ``names`` are then the columns), else by index."""
    from skscale.utils._block_columns import resolve_blocks

    resolved = resolve_blocks(blocks, X, names, len(names))
    covered = np.zeros(len(names), dtype=bool)
    for columns in resolved.values():
        covered[columns] = True
    if covered.all():
        return None
    name = "other"
    while name in blocks:
        name = f"_{name}"
    by_name = X is None or hasattr(X, "columns")
    rest = np.flatnonzero(~covered)
    return name, [names[j] if by_name else int(j) for j in rest]


def complete_blocks(blocks, X, names):
    """``blocks`` with the columns they leave out gathered in one more block,
    ``"other"`` (with a warning): block scaling balances blocks, and columns
    in no block would escape it. ``None`` stays ``None``."""
    if blocks is None:
        return None
    rest = rest_block(blocks, X, names)
    if rest is None:
        return blocks
    name, columns = rest
    shown = ", ".join(str(c) for c in columns[:5]) + (
        ", ..." if len(columns) > 5 else ""
    )
    warn_user(
        f"{len(columns)} column(s) are in no block ({shown}); they form the block "
        f"{name!r}, so that they are balanced with the others rather than left "
        "unscaled.",
    )
    return {**blocks, name: columns}


# numbers in a warning's text (row indices, counts, sizes): warnings that
# differ only in them are one warning raised in several folds
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


# the count _said_once appends to a line
_COUNTED = re.compile(r" \(\d+ times(, with other numbers in other fits)?\)$")


def warning_template(line):
    """``line`` with its numbers blanked: the key under which warnings that
    differ only in their numbers are said once."""
    return _NUMBER.sub("#", line)


def _said_once(caught):
    """Each distinct warning as one line, with how often it was raised.

    Warnings that differ only in their numbers (the same row warned of in each
    fold, under its index in that fold) are one line: the first one's text,
    with the count of them all.
    """
    first, counts, varied = {}, {}, set()
    for record in caught:
        text = str(record.message).strip().splitlines()
        line = f"{record.category.__name__}: {text[0] if text else ''}"
        key = warning_template(line)
        if key not in first:
            first[key] = line
        elif first[key] != line:
            varied.add(key)
        counts[key] = counts.get(key, 0) + 1
    said = []
    for key, line in first.items():
        n = counts[key]
        if n == 1:
            said.append(line)
        elif key in varied:
            said.append(f"{line} ({n} times, with other numbers in other fits)")
        else:
            said.append(f"{line} ({n} times)")
    return said


def first_line(exc):
    """An exception as one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


class ScalerComparison:
    """Candidate scalers side by side; see :func:`compare_scalers`.

    Plain data: every field is set by :func:`compare_scalers`, and the HTML
    page (:meth:`to_html`) and the picture (:meth:`plot`) only read them.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per candidate that ran, indexed by name (index name
        ``"scaler"``): ``pc1_evr`` (PC1's share of the variance),
        ``pc1_top_feature`` and ``pc1_top_share`` (the feature with PC1's
        largest squared loading, and that loading: 1 means one feature is
        PC1), ``pc1_effective_features`` (``1 / sum(loading**4)``),
        ``knn_overlap`` (share of each point's neighbours kept from the
        unscaled data), ``trustworthiness``, ``purity`` (share of neighbours
        with the point's class; class targets only), ``condition_number`` of
        the covariance and ``max_gd_step`` (2 / its largest eigenvalue: the
        largest stable gradient-descent step for least squares), with an
        estimator ``cv_score_mean``, ``cv_score_std`` (over folds) and
        ``cv_p_value`` (one-sided corrected paired t-test against the best),
        one ``pc1_share[<block>]`` column per block, and with covariates one
        ``pc1_r2[<covariate>]`` column each (the share of PC1's variance the
        covariate explains after the candidate; the "none" row is the unscaled
        data).
    recommended : str
        The candidate to use.
    also_fine : list of str
        Candidates whose cross-validated score is not significantly below the
        best (empty without an estimator).
    reason : str
        Why, in a few plain sentences.
    reports : dict of str -> (PCADominanceReport, KNNDistortionReport)
        The full reports of each candidate, the unscaled data as "before".
    failed : dict of str -> str
        Candidates that failed, with the first line of their error.
    task : {"classification", "regression"} or None
        The kind of target (None without ``y``).
    scoring : str or None
        The scikit-learn scorer name of the cross-validated score.
    metric : str or None
        Its name in a sentence (``"accuracy"``, ``"R^2"``, ...).
    score_bounds : tuple of float
        The range the metric can take (``(0, 1)`` for accuracy, ``(-inf, 1)``
        for R^2).
    fold_scores : pandas.DataFrame or None
        Candidates x folds: each fold's score (the same folds for all).
    cv_description : str or None
        The cross-validation, in words.
    y : ndarray or None
        The target of the rows compared (rows with a missing target removed).
    target_name : str or None
        The target's name, when it had one.
    feature_names : list of str
        The columns compared.
    n_samples : int
        Rows compared.
    n_missing : int
        Missing cells in ``X`` (imputed inside each fold by the
        cross-validation, counted as their column's mean by the diagnostics).
    n_target_missing : int
        Rows left out because their target was missing.
    blocks : dict of str -> list of str, or None
        The blocks, as column names (with ``"other"`` for columns the given
        blocks left out).
    constant_columns : list of str
        Columns with one value (or none): no scaler changes them, and they
        make the covariance singular.
    warnings : dict of str -> list of str
        Warnings raised while each candidate was fitted or cross-validated,
        each said once with its count.
    claims : list of Claim
        The sentences of ``reason``, each with what it asserts (its kind,
        the candidate it is about and those it compares it with).
    dominated : dict of str -> Dominance
        The candidates that leave one feature (else one block) with most of
        PC1 and at least twice its fair share of the variance: PCA and
        distances after them are mostly that feature. Weighed in the
        recommendation.
    baseline : Baseline or None
        With an estimator: the cross-validated score of a prediction that
        ignores the features (the training mean, or the most frequent class)
        on the same folds, and whether the best candidate beats it
        (``baseline.beaten``). When it does not, the scores cannot choose a
        scaler, and the diagnostics alone decide.
    """

    def __init__(
        self,
        *,
        table,
        recommended,
        also_fine,
        reason,
        reports,
        failed,
        task,
        scoring,
        metric,
        score_bounds,
        fold_scores,
        cv_description,
        y,
        target_name,
        feature_names,
        n_samples,
        n_missing,
        n_target_missing,
        blocks,
        constant_columns=(),
        warnings=None,
        claims=(),
        dominated=None,
        baseline=None,
    ):
        self.table = table
        self.recommended = recommended
        self.also_fine = also_fine
        self.reason = reason
        self.reports = reports
        self.failed = failed
        self.task = task
        self.scoring = scoring
        self.metric = metric
        self.score_bounds = score_bounds
        self.fold_scores = fold_scores
        self.cv_description = cv_description
        self.y = y
        self.target_name = target_name
        self.feature_names = feature_names
        self.n_samples = n_samples
        self.n_missing = n_missing
        self.n_target_missing = n_target_missing
        self.blocks = blocks
        self.constant_columns = list(constant_columns)
        self.warnings = {} if warnings is None else warnings
        self.claims = list(claims)
        self.dominated = {} if dominated is None else dominated
        self.baseline = baseline

    def verdict(self):
        """The recommendation in one line.

        Returns
        -------
        str
            ``"Use X."``, followed by ``" Also fine: Y, Z."`` when candidates
            tie with X within noise; ``"No candidate beats ...; by the
            diagnostics alone, use X."`` when no cross-validated score beats
            the baseline.
        """
        if self.baseline is not None and not self.baseline.beaten:
            return (
                f"{self.baseline.headline()}; by the diagnostics alone, use "
                f"{self.recommended}."
            )
        text = f"Use {self.recommended}."
        if self.also_fine:
            text += f" Also fine: {', '.join(self.also_fine)}."
        return text

    def summary(self):
        """A short plain-language reading of the comparison.

        Returns
        -------
        str
            The verdict, its reason, and what the recommended scaler does to
            PC1 and to the neighbours.
        """
        row = self.table.loc[self.recommended]
        text = [f"{self.verdict()} {self.reason}"]
        if self.recommended == "none":
            text.append(
                f"Unscaled, PC1 explains {percent(row['pc1_evr'])} of the variance "
                f"and its largest loading, {row['pc1_top_feature']!r}, holds "
                f"{percent(row['pc1_top_share'])} of it."
            )
        else:
            text.append(
                f"With it, PC1 explains {percent(row['pc1_evr'])} of the variance "
                f"and its largest loading, {row['pc1_top_feature']!r}, holds "
                f"{percent(row['pc1_top_share'])} of PC1 (about "
                f"{row['pc1_effective_features']:.1f} features share it); "
                f"{percent(row['knn_overlap'])} of each point's neighbours are the "
                "same as in the unscaled data."
            )
        if "none" in self.table.index and self.recommended != "none":
            raw = self.table.loc["none"]
            text.append(
                f"Unscaled, {raw['pc1_top_feature']!r} holds "
                f"{percent(raw['pc1_top_share'])} of PC1."
            )
        if self.failed:
            text.append(f"Failed: {', '.join(self.failed)}.")
        return " ".join(text)

    def _repr_html_(self):
        from skscale.report._html import comparison_fragment

        return comparison_fragment(self)

    def __repr__(self):
        return f"<ScalerComparison of {len(self.table)} scalers: {self.verdict()}>"

    def plot(self, *, axes=None):
        """Bar charts of the key columns, one bar per candidate.

        Needs matplotlib (the ``plot`` extra). Like scikit-learn's Display
        objects, it draws into ``axes`` when given, else into a new figure
        (shown in Jupyter like any matplotlib plot).

        Parameters
        ----------
        axes : sequence of matplotlib Axes, default=None
            One per panel; ``None`` makes a new figure.

        Returns
        -------
        self : ScalerComparison
            With ``figure_`` and ``axes_`` set.
        """
        from skscale.diagnostics._plotting import plot_comparison

        self.figure_, self.axes_ = plot_comparison(self, axes=axes)
        return self

    def to_html(self, path=None, *, title=None, description=None, notes=()):
        """Write (or return) a self-contained HTML page of the comparison.

        The page opens with the verdict, then the readable table with a
        legend, the pictures (when matplotlib is installed) and the details.
        The file is written to a temporary name and renamed, so an interrupted
        run never leaves half a page.

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write the page; ``None`` returns the HTML text instead.
        title : str, default=None
            The page title (for example the file name).
        description : str, default=None
            A sentence on the data, shown under the title.
        notes : sequence of str, default=()
            Facts the reader must know first (sampling, left-out columns),
            shown at the top.

        Returns
        -------
        str or None
            The page, when ``path`` is None.
        """
        from skscale.report._html import render_comparison

        page = render_comparison(
            self, title=title, description=description, notes=list(notes)
        )
        if path is None:
            return page
        write_atomically(path, page)
        return None


def _baseline(task, y, splits, scorer, best_scores, n_train, n_test):
    """The :class:`Baseline`: a prediction that ignores the features (the
    training mean; the most frequent class, with the class frequencies as
    probabilities), scored on the same folds as the candidates, and whether
    the best candidate's fold scores are significantly above it. None when
    the scorer cannot score it."""
    if task == "classification":
        dummy = DummyClassifier(strategy="prior")
        label = "always predicting the most frequent class"
    else:
        dummy = DummyRegressor(strategy="mean")
        label = "always predicting the training mean"
    score = get_scorer(scorer)
    try:
        scores = []
        for train, test in splits:
            model = clone(dummy).fit(np.zeros((len(train), 1)), y[train])
            scores.append(score(model, np.zeros((len(test), 1)), y[test]))
    except Exception:  # a scorer a constant prediction cannot feed
        return None
    scores = np.asarray(scores, dtype=np.float64)
    folds = pd.DataFrame({"best": best_scores.to_numpy(), "baseline": scores}).T
    p_value = float(
        corrected_paired_pvalues(folds, "best", n_train, n_test)["baseline"]
    )
    mean, best = float(np.mean(scores)), float(best_scores.mean())
    # above it on average, and significantly so, or on every one of at least
    # 5 folds (a sign test at 1/32): folds of unequal difficulty (time-ordered
    # ones) widen the t-test's variance without making the win doubtful
    wins = bool(len(scores) >= 5 and np.all(best_scores.to_numpy() > scores))
    beaten = best > mean and (p_value < ALPHA or wins)
    return Baseline(label, mean, p_value, beaten, best)


def _refuse_missing(labels, name, expected):
    """A ValueError naming the first rows whose label is missing."""
    if not labels.isna().any():
        return
    rows = np.flatnonzero(labels.isna().to_numpy())
    more = f" and {rows.size - 5} more" if rows.size > 5 else ""
    raise ValueError(
        f"{name} is missing in {rows.size} row{'s' if rows.size > 1 else ''} "
        f"(positions {rows[:5].tolist()}{more}); expected {expected} for every row."
    )


def _cross_validated(scaler, steps, X, y, splits, scorer, batch_of_rows, on_fold):
    """The test scores of ``scaler`` then ``steps`` (the imputer, the
    estimator) on each split, fitted on its training rows; ``on_fold(i)`` is
    called before split ``i`` is fitted. With each row's batch, the scaler is
    a :class:`BatchScaler` given the batches of the rows it sees, in fit and
    in transform (training and test rows alike)."""
    if batch_of_rows is None:
        pipeline = Pipeline([("scale", scaler), *steps])
        scores = []
        for i, split in enumerate(splits):  # one split at a time: progress
            on_fold(i)
            scores.extend(
                cross_validate(
                    pipeline, X, y, cv=[split], scoring=scorer, error_score="raise"
                )["test_score"]
            )
        return np.array(scores, dtype=np.float64)
    scorer = get_scorer(scorer)
    scores = []
    for i, (train, test) in enumerate(splits):
        on_fold(i)
        X_train, X_test = take_rows(X, train), take_rows(X, test)
        if scaler is not None:
            batched = BatchScaler(scaler=clone(scaler))
            X_train = batched.fit_transform(X_train, batch_labels=batch_of_rows[train])
            X_test = batched.transform(X_test, batch_labels=batch_of_rows[test])
        model = clone(Pipeline(steps)).fit(X_train, y[train])
        scores.append(scorer(model, X_test, y[test]))
    return np.array(scores, dtype=np.float64)


# above this many rows, the k-NN columns are measured on a random sample,
# and the time of the cross-validation is estimated before it starts
KNN_MAX_ROWS = 50_000
# the training rows of the two fits that estimate it (smaller fits are
# dominated by fixed costs and understate how the time grows)
_PROBE_ROWS = (20_000, 40_000)


def _cross_validation_time(scaler, steps, X, y, splits, scorer, seed):
    """Seconds a candidate's cross-validation will take, about: ``scaler``
    then ``steps`` fitted and scored on 20,000 and 40,000 training rows of
    the first split (a quarter as many test rows). How the time grows with
    the rows is measured (a linear model's with their number), except for
    neighbours searched by brute force, whose time grows with their square
    by construction (the small fits say less). Returns the seconds and that
    power."""
    rng = np.random.default_rng(seed)
    train, test = splits[0]
    scorer = get_scorer(scorer)
    seconds = []
    for m in _PROBE_ROWS:
        fit_rows = rng.choice(train, size=min(m, train.size), replace=False)
        score_rows = rng.choice(test, size=min(m // 4, test.size), replace=False)
        start = time.perf_counter()
        model = Pipeline([("scale", None if scaler is None else clone(scaler)), *steps])
        model = clone(model).fit(take_rows(X, fit_rows), y[fit_rows])
        scorer(model, take_rows(X, score_rows), y[score_rows])
        seconds.append(time.perf_counter() - start)
    power = float(np.clip(np.log2(seconds[1] / max(seconds[0], 1e-9)), 1.0, 2.0))
    if getattr(model[-1], "_fit_method", None) == "brute":
        power = 2.0  # every test row against every training row
    per_fold = np.mean(
        [seconds[1] * (tr.size / _PROBE_ROWS[1]) ** power for tr, _ in splits]
    )
    return per_fold * len(splits), power


def _knn_sample(n_samples, seed):
    """The rows the k-NN diagnostics use (None: every row) and the sentence
    that says so in their report."""
    if n_samples <= KNN_MAX_ROWS:
        return None, None
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n_samples, size=KNN_MAX_ROWS, replace=False))
    return rows, (
        f"neighbours searched among {KNN_MAX_ROWS:,} of the {n_samples:,} rows, "
        "sampled at random"
    )


def _check_candidates(scalers):
    """The user's candidates checked (None, the defaults, stays None: they
    are built once the blocks are known)."""
    if scalers is None:
        return None
    if not isinstance(scalers, dict) or not scalers:
        raise ValueError(
            "compare_scalers needs at least one candidate scaler: a dict of "
            f"name -> transformer; got {scalers!r}."
        )
    checked = {}
    for name, scaler in scalers.items():
        if scaler is None or (isinstance(scaler, str) and scaler == "passthrough"):
            checked[str(name)] = "passthrough"
        elif hasattr(scaler, "fit") and hasattr(scaler, "transform"):
            checked[str(name)] = scaler
        else:
            raise TypeError(
                f"Candidate {name!r} is {scaler!r}; expected a transformer (with "
                "fit and transform), 'passthrough' or None."
            )
    return checked


class _Progress:
    """Messages with the step, the candidate and an estimate of the time left."""

    def __init__(self, callback, n_candidates):
        self.callback = callback
        self.total = n_candidates
        self.started = self.last = time.perf_counter()

    def __call__(self, index, name, step, done=0.0):
        """Say ``step`` of candidate ``index``, ``done`` (a fraction) of
        whose work is behind it. A step within a candidate (``done`` > 0) is
        said only when the last message is 10 s old: a long run shows it is
        moving, a short one is not flooded."""
        if self.callback is None:
            return
        now = time.perf_counter()
        if done > 0 and now - self.last < 10:
            return
        self.last = now
        message = f"[{index + 1}/{self.total}] {name!r}: {step}"
        behind = index + done
        if behind > 0:
            left = (now - self.started) / behind * (self.total - behind)
            message += f" ({duration(left)} left)"
        self.callback(message)


def compare_scalers(
    X,
    y=None,
    *,
    scalers=None,
    blocks=None,
    estimator=None,
    task="auto",
    scoring=None,
    cv=None,
    n_neighbors=10,
    random_state=None,
    progress=None,
    prefit=False,
    covariates=None,
    batch=None,
    feature_names=None,
    groups=None,
):
    """Compare candidate scalers on one table, and recommend one.

    Each candidate is fitted on ``X`` and judged by what it does to PCA (how
    much of PC1 one feature or block holds), to nearest neighbours (how many
    are kept from the unscaled data, whether they share the class of ``y``),
    to the loss surface of least squares (the condition number of the
    covariance), and, with an ``estimator``, by the cross-validated score of
    ``Pipeline([scaler, estimator])``, the scaler fitted inside each fold.

    **How the recommendation is made.** All candidates are scored on the same
    folds, so they are compared *paired*: for each candidate, the per-fold
    differences to the best mean score go through the corrected resampled
    t-test of Nadeau and Bengio (2003), which widens the variance by
    ``1/k + n_test/n_train`` because overlapping training sets make folds
    agree more than independent samples would. Candidates not significantly
    worse than the best (one-sided, 5%) are "also fine": a tie within noise.
    Among the tied candidates, the one that keeps the blocks most balanced
    (smallest largest share of PC1, with ``blocks``) is recommended; else, with
    class labels, the one whose neighbours most often share their class; else
    (regression) the one that spreads PC1 over the most features, so that no
    single feature drives it. A difference too small to show leaves the best
    score. Without an estimator, neighbour purity (class labels), then block
    balance, then the spread of PC1 decide. Two checks come first: the best
    score must beat a prediction that ignores the features (the training
    mean, or the most frequent class) on the same folds, else the scores
    cannot choose and the diagnostics alone decide (``baseline``); and a
    candidate that leaves one feature (or block) with most of PC1 and of the
    variance (``dominated``) gives way to one within noise that does not.
    Every sentence of ``reason`` is a claim built from the numbers it quotes
    (``claims``).

    Columns that ``blocks`` leaves out form one more block, ``"other"``, with
    a warning: otherwise they would escape the balance that block scaling is
    for. Warnings raised while a candidate is fitted or cross-validated (a
    solver that did not converge, say) are collected, each said once, in
    ``warnings`` of the result.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Numeric data; NaN allowed (imputed inside each fold after the scaler
        by the cross-validation, counted as the column mean by the
        diagnostics). Array API input (torch, CuPy) is copied to the host:
        the comparison runs on NumPy. A sparse matrix is never densified:
        the diagnostics centre it implicitly, and the default candidates are
        those that keep it sparse (``candidate_scalers(blocks, sparse=True)``).
    y : array-like of shape (n_samples,), default=None
        Target. Rows whose target is missing are left out (and counted in
        ``n_target_missing``). Class labels give ``purity``.
    scalers : dict of str -> transformer, "passthrough" or None, default=None
        The candidates; ``None`` means
        :func:`~skscale.preprocessing.candidate_scalers` ``(blocks)`` (with
        ``sparse=True`` for a sparse ``X``). A
        candidate may be a :class:`~sklearn.pipeline.Pipeline`.
    blocks : dict, default=None
        Block name -> columns, as for :class:`~skscale.preprocessing.BlockScaler`.
    estimator : estimator, default=None
        Cross-validated after each scaler (needs ``y``).
    task : {"auto", "classification", "regression"}, default="auto"
        The kind of target. ``"auto"``: text, booleans and numbers with at
        most 20 distinct whole values are classes; other numbers are a
        regression target. With an estimator, a class target needs at least
        two classes, and fewer classes than half the rows.
    scoring : str, default=None
        A scikit-learn scorer name; ``None`` means ``"accuracy"`` for
        classification and ``"r2"`` for regression.
    cv : int, cross-validation generator or iterable, default=None
        ``None``: shuffled 5-fold cross-validation (stratified for classes),
        repeated 5 times below 500 rows; with ``groups``, shuffled 5-fold
        cross-validation by group (``StratifiedGroupKFold`` for classes, else
        ``GroupKFold``). Otherwise as in
        :func:`sklearn.model_selection.cross_validate`: for rows ordered in
        time, ``TimeSeriesSplit()`` trains each fold on the rows before it
        (shuffled folds would train on the future).
    n_neighbors : int, default=10
        Neighbours for the k-NN columns.
    random_state : int, RandomState instance or None, default=None
        Seed for the folds and for the k-NN report's sampling on large data.
    progress : callable, default=None
        Called with a short message before each step of each candidate, with
        an estimate of the time left (the ``skscale`` command prints them).
    prefit : bool, default=False
        The candidates are already fitted (for example by ``partial_fit`` over
        a file too large for memory, ``X`` being a sample of it): they only
        transform ``X``. Cross-validation still fits fresh clones in each fold.
    covariates : DataFrame, Series or dict of name -> array, default=None
        Per-sample variables (a batch, a diet), one value per row of ``X``:
        how much of PC1's variance each explains after every candidate
        (``pc1_r2[<name>]`` columns, and each report's ``covariates``), as in
        :func:`~skscale.diagnostics.pca_dominance`. They inform; the
        recommendation does not use them.
    batch : array-like of shape (n_samples,), default=None
        Each row's batch. Every candidate then scales each batch with its
        own statistics (:class:`~skscale.preprocessing.BatchScaler` around it,
        fitted inside each fold; "none" stays unscaled), and the batch is
        reported as a covariate (named after the Series, else "batch"). Not
        with ``prefit``.
    feature_names : list of str, default=None
        Names of the columns of an ``X`` that has none (a sparse matrix's
        genes, say), for the tables and the page; blocks may then name them
        for the diagnostics, but candidates see ``X`` itself, so give their
        blocks as positions.

    groups : array-like of shape (n_samples,), default=None
        Each row's group (a patient, a country seen in several years): rows
        of one group are kept together, in the training rows or in the test
        rows of each fold, so that the score is that of new groups. Passed to
        the split of a given ``cv``.

    Returns
    -------
    ScalerComparison
        The table, the verdict (``recommended``, ``also_fine``, ``reason``) and
        every candidate's reports.

    References
    ----------
    C. Nadeau and Y. Bengio (2003). Inference for the generalization error.
    Machine Learning 52, 239-281.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from skscale.diagnostics import compare_scalers
    >>> wine = load_wine(as_frame=True)
    >>> comparison = compare_scalers(wine.data, wine.target)
    >>> comparison.table.loc[["none", "zscore"], ["pc1_top_feature", "purity"]].round(2)
           pc1_top_feature  purity
    scaler
    none           proline    0.67
    zscore      flavanoids    0.92
    >>> best = comparison.recommended
    >>> best, round(float(comparison.table.loc[best, "purity"]), 3)
    ('minmax', 0.926)
    """
    scalers = _check_candidates(scalers)
    X, y = to_host(X), to_host(y)  # the comparison runs on NumPy
    if estimator is not None and y is None:
        raise ValueError("An estimator needs y: cross-validation scores a prediction.")
    if not (isinstance(n_neighbors, Integral) and n_neighbors >= 1):
        raise ValueError(
            f"n_neighbors must be a positive integer; got {n_neighbors!r}."
        )
    seed = int(check_random_state(random_state).randint(2**31 - 1))
    matrix = as_matrix(X, "X")
    names = feature_names_of(X, matrix.shape[1], feature_names)
    rows = _row_labels(covariates, batch, groups, matrix.shape[0], prefit, estimator)
    target = _prepare_target(y, matrix.shape[0], task, estimator, scoring)
    if target.keep is not None:  # rows whose target is missing are left out
        matrix, X, rows = (
            matrix[target.keep],
            take_rows(X, target.keep),
            rows.take(target.keep),
        )
    n_samples = matrix.shape[0]
    if n_samples < 3:
        raise ValueError(f"compare_scalers needs at least 3 rows; got {n_samples}.")
    blocks = complete_blocks(blocks, X, names)
    if scalers is None:
        scalers = candidate_scalers(blocks, sparse=is_sparse(matrix))
    bench = _Bench(
        X, matrix, names, blocks, target, rows, estimator, cv, n_neighbors, seed, prefit
    )
    outcome = _evaluate_all(bench, scalers, progress)
    table = pd.DataFrame.from_dict(outcome.rows, orient="index")
    table.index.name = "scaler"
    if target.labels is None:
        table = table.drop(columns="purity")
    fold_scores = baseline = None
    p_values = {}
    if outcome.folds:
        fold_scores = pd.DataFrame.from_dict(outcome.folds, orient="index")
        fold_scores.columns = [f"fold{i}" for i in range(fold_scores.shape[1])]
        fold_scores.index.name = "scaler"
        best = table["cv_score_mean"].idxmax()
        p_values = corrected_paired_pvalues(
            fold_scores, best, bench.n_train, bench.n_test
        )
        table["cv_p_value"] = p_values
        baseline = _baseline(
            target.task,
            target.y,
            bench.splits,
            target.scorer,
            fold_scores.loc[best],
            bench.n_train,
            bench.n_test,
        )
    dominated = find_dominance(outcome.reports, len(names))
    verdict = decide(
        table,
        blocks=list(bench.resolved) if bench.resolved is not None else None,
        classes=target.labels is not None,
        metric=target.metric,
        p_values=dict(p_values),
        dominated=dominated,
        baseline=baseline,
    )
    return ScalerComparison(
        table=table,
        recommended=verdict.recommended,
        also_fine=verdict.also_fine,
        reason=verdict.reason,
        reports=outcome.reports,
        failed=outcome.failed,
        task=target.task,
        scoring=target.scorer,
        metric=target.metric,
        score_bounds=target.bounds,
        fold_scores=fold_scores,
        cv_description=bench.cv_description,
        y=target.y,
        target_name=target.name,
        feature_names=names,
        n_samples=n_samples,
        n_missing=bench.n_missing,
        n_target_missing=target.n_missing,
        blocks=None
        if bench.resolved is None
        else {
            block: [names[j] for j in columns]
            for block, columns in bench.resolved.items()
        },
        constant_columns=bench.constant,
        warnings=outcome.raised,
        claims=verdict.claims,
        dominated=dominated,
        baseline=baseline,
    )


class _RowLabels(NamedTuple):
    """Per-row labels beside ``X``: the covariates (a DataFrame, the batch
    among them), the batch (categorical Series) and the groups (array)."""

    covariates: pd.DataFrame | None
    batch: pd.Series | None
    groups: np.ndarray | None

    def take(self, keep):
        """The labels of the rows ``keep`` (a boolean mask)."""
        return _RowLabels(
            None
            if self.covariates is None
            else self.covariates[keep].reset_index(drop=True),
            None if self.batch is None else self.batch[keep].reset_index(drop=True),
            None if self.groups is None else self.groups[keep],
        )


def _row_labels(covariates, batch, groups, n_rows, prefit, estimator):
    """Check and read ``compare_scalers``' per-row labels (:class:`_RowLabels`):
    one value per row, no batch or group missing."""
    covariate_columns = None
    if covariates is not None:
        covariate_columns = pd.DataFrame(_covariate_columns(covariates, n_rows))
    batch_labels = None
    if batch is not None:
        if prefit:
            raise ValueError(
                "batch and prefit cannot go together: per-batch scaling fits each "
                "candidate on the rows of each batch."
            )
        batch_name = "batch" if getattr(batch, "name", None) is None else batch.name
        batch_labels = _covariate_columns({batch_name: batch}, n_rows)[batch_name]
        _refuse_missing(batch_labels, f"The batch {batch_name!r}", "a batch label")
        # batches are groups, whatever their labels (plates 1, 2, 3 too)
        batch_labels = batch_labels.astype("category")
        if covariate_columns is None:
            covariate_columns = pd.DataFrame({batch_name: batch_labels})
        elif batch_name not in covariate_columns:
            covariate_columns[batch_name] = batch_labels
    group_labels = None
    if groups is not None:
        if estimator is None:
            raise ValueError(
                "groups need an estimator: they shape the cross-validation folds."
            )
        # read as the batch is: one value per row, none missing
        named = getattr(groups, "name", None)
        group_name = "groups" if named is None else named
        column = _covariate_columns({group_name: groups}, n_rows)[group_name]
        _refuse_missing(column, f"The groups {group_name!r}", "a label")
        # mixed text and numbers must still sort into groups
        group_labels = (
            column.astype(str) if column.dtype == object else column
        ).to_numpy()
    return _RowLabels(covariate_columns, batch_labels, group_labels)


class _Target(NamedTuple):
    """The target as the comparison uses it, and how it is scored."""

    y: np.ndarray | None  # the rows with a target
    keep: np.ndarray | None  # those rows (a mask); None: every row
    n_missing: int
    name: str | None
    task: str | None  # "classification", "regression" or None (no target)
    labels: np.ndarray | None  # y, when it holds classes
    scorer: object = None
    metric: str | None = None
    bounds: tuple = (-np.inf, np.inf)


def _prepare_target(y, n_rows, task, estimator, scoring):
    """The :class:`_Target` of ``y`` (None: no target): missing values left
    out and counted, its task detected or checked, whole-number classes as
    integers, the classes and the scorer checked when an estimator will be
    cross-validated."""
    named = getattr(y, "name", None)
    name = None if named is None else str(named)
    if y is None:
        return _Target(None, None, 0, name, None, None)
    values = pd.Series(np.asarray(y).ravel() if not hasattr(y, "iloc") else y)
    if values.shape[0] != n_rows:
        raise ValueError(
            f"y has {values.shape[0]} entries but X has {n_rows} rows; "
            "expected one target value per row."
        )
    keep = values.notna().to_numpy()
    n_missing = int((~keep).sum())
    if not keep.any():
        raise ValueError("Every value of the target y is missing.")
    y = values[keep].to_numpy()
    whole = y.dtype.kind == "f" and np.all(y == np.round(y))
    if whole and detect_task(y) == "classification":
        y = y.astype(np.int64)  # class 1, not 1.0, once missing values are gone
    task = _check_task(task, y)
    labels = None
    if task == "classification":
        if estimator is not None:
            _check_classes(y)  # classes a classifier cannot be scored on
        labels = y
    scored = {}
    if estimator is not None:
        scorer = _check_scoring(scoring, task)
        scored = {
            "scorer": scorer,
            "metric": metric_name(scorer),
            "bounds": score_bounds(scorer),
        }
    return _Target(
        y, keep if n_missing else None, n_missing, name, task, labels, **scored
    )


class _Bench:
    """What every candidate is measured against, computed once: the
    unscaled table's PCA and neighbours, the blocks, and the folds; and
    :meth:`evaluate`, which measures one candidate."""

    def __init__(
        self,
        X,
        matrix,
        names,
        blocks,
        target,
        rows,
        estimator,
        cv,
        n_neighbors,
        seed,
        prefit,
    ):
        self.X, self.matrix, self.names, self.blocks = X, matrix, names, blocks
        self.target, self.rows, self.estimator = target, rows, estimator
        self.seed, self.prefit = seed, prefit
        n_samples = matrix.shape[0]
        self.before = before = centred_table(matrix)
        self.n_missing = before.n_missing
        self.resolved, self.block_labels = block_of_features(
            blocks, X, names, len(names)
        )
        self.constant = [names[j] for j in np.flatnonzero(before.constant)]
        self.before_space = pca_space(before, 2)
        # neighbours among a sample of rows on a long table: every row's
        # distance to 5,000 queries grows with the rows (15 min a candidate
        # at 9,000,000 rows), while the sample's neighbourhoods tell the same
        self.knn_rows, self.knn_sampling = _knn_sample(n_samples, seed)
        labels = target.labels
        self.side = KNNSide(
            before if self.knn_rows is None else centred_table(matrix[self.knn_rows]),
            n_neighbors,
            5000,
            seed,
            labels
            if labels is None or self.knn_rows is None
            else labels[self.knn_rows],
        )
        self.splits = self.cv_description = None
        self.n_train = self.n_test = None
        if estimator is not None:
            y, task = target.y, target.task
            if cv is None and rows.groups is not None:
                cv = grouped_cv(task, len(np.unique(rows.groups)), seed)
            elif cv is None:
                cv = default_cv(task, y, n_samples, seed)
            else:
                cv = check_cv(cv, y, classifier=task == "classification")
            self.splits = list(cv.split(matrix, y, rows.groups))
            self.cv_description = _describe_cv(cv, len(self.splits))
            self.n_train = float(np.mean([len(train) for train, _ in self.splits]))
            self.n_test = float(np.mean([len(test) for _, test in self.splits]))
        self.batch_of_rows = None if rows.batch is None else np.asarray(rows.batch)

    def steps(self):
        """The steps after the scaler in each fold: the imputer when a value
        is missing, then the estimator."""
        steps = [("estimator", clone(self.estimator))]
        if self.n_missing:
            steps.insert(0, ("impute", SimpleImputer(keep_empty_features=True)))
        return steps

    def estimate(self, scalers, progress):
        """Say how long the cross-validation will take, on a long table."""
        if self.splits is None or self.matrix.shape[0] <= KNN_MAX_ROWS:
            return
        probe = next((s for s in scalers.values() if s != "passthrough"), None)
        seconds, power = _cross_validation_time(
            probe,
            self.steps(),
            self.X,
            self.target.y,
            self.splits,
            self.target.scorer,
            self.seed,
        )
        progress(
            f"the cross-validation will take {duration(seconds * len(scalers))} "
            f"({len(self.splits)} folds x {len(scalers)} candidates; "
            f"{type(self.estimator).__name__}'s time grows as the rows to the "
            f"power {power:.1f})"
        )

    def scaled(self, scaler):
        """``X`` after the candidate, as a matrix, and the fitted scaler."""
        if scaler == "passthrough":
            return self.matrix, None
        if self.batch_of_rows is not None:  # each batch with its own statistics
            fitted = BatchScaler(scaler=clone(scaler))
            scaled = fitted.fit_transform(self.X, batch_labels=self.batch_of_rows)
            return as_matrix(scaled, "the scaled data"), fitted
        fitted = scaler if self.prefit else clone(scaler).fit(self.X)
        return as_matrix(fitted.transform(self.X), "the scaled data"), fitted

    def evaluate(self, scaler, on_fold):
        """The candidate's ``(pca, knn)`` reports, its table row and its fold
        scores (None without an estimator); ``on_fold(i, n)`` is called
        before fold ``i`` of ``n`` is fitted."""
        matrix, names, n_samples = self.matrix, self.names, self.matrix.shape[0]
        scaled, fitted = self.scaled(scaler)
        kept = None
        if scaled.shape != matrix.shape:
            kept = _kept_columns(fitted, names, matrix.shape, scaled.shape)
        after = centred_table(scaled)
        # what the estimator sees: the kept columns only
        largest, condition = _covariance_spectrum(after)
        if kept is not None:  # a dropped column is one scaled by 0
            after = after.in_place_of(kept, matrix.shape[1])
        with np.errstate(over="ignore", under="ignore"):
            largest = largest * after.unit * after.unit  # in the data's units
        n_cells = self.n_missing + after.n_missing
        spaces = {"before": self.before_space, "after": pca_space(after, 2)}
        pca = pca_report(spaces, names, n_samples, n_cells, self.blocks, self.X)
        covariates = self.rows.covariates
        if covariates is not None:
            pca.covariates = covariate_table(
                covariates, spaces, n_samples, pca.components.index
            )
        if self.knn_rows is not None:
            after = centred_table(scaled[self.knn_rows])
            if kept is not None:
                after = after.in_place_of(kept, matrix.shape[1])
        knn = knn_report(
            self.side,
            after,
            names,
            n_cells,
            self.resolved,
            self.block_labels,
            self.knn_sampling,
        )
        # the cross-validation copies rows of X fold by fold: free these first
        del scaled, after
        pc1 = pca.components.iloc[0]
        row = {
            "pc1_evr": pc1["evr_after"],
            "pc1_top_feature": pc1["top_feature_after"],
            "pc1_top_share": pc1["top_share_after"],
            "pc1_effective_features": pc1["effective_features_after"],
            "knn_overlap": knn.metrics["overlap"],
            "trustworthiness": knn.metrics["trustworthiness"],
            "purity": knn.metrics["purity_after"],
            "condition_number": condition,
            "max_gd_step": 2.0 / largest if largest > 0 else np.inf,
        }
        scores = None
        if self.estimator is not None:
            scores = _cross_validated(
                None if scaler == "passthrough" else scaler,
                self.steps(),
                self.X,
                self.target.y,
                self.splits,
                self.target.scorer,
                self.batch_of_rows,
                lambda i: on_fold(i, len(self.splits)),
            )
            row["cv_score_mean"] = float(np.mean(scores))
            row["cv_score_std"] = float(np.std(scores))
        if pca.blocks is not None:
            for block, share in pca.blocks["pc1_share_after"].items():
                row[f"pc1_share[{block}]"] = share
        if pca.covariates is not None:
            first = pca.components.index[0]
            for covariate in covariates.columns:
                row[covariate_column(covariate)] = pca.covariates.loc[
                    (covariate, first), "r2_after"
                ]
        return (pca, knn), row, scores


class _Outcome(NamedTuple):
    """Every candidate's results: table rows, reports, fold scores, the
    failures (name -> first line) and the warnings each raised."""

    rows: dict
    reports: dict
    folds: dict
    failed: dict
    raised: dict


def _evaluate_all(bench, scalers, progress):
    """Evaluate each candidate on ``bench``: one that fails is reported and
    left out, never stopping the others; each warning is said once, with the
    candidates that repeat it. Raises when every candidate failed."""
    say = _Progress(progress, len(scalers))
    if progress is not None:
        bench.estimate(scalers, progress)
    what = (
        None
        if bench.estimator is None
        else f"cross-validating {type(bench.estimator).__name__}"
    )
    outcome = _Outcome({}, {}, {}, {}, {})
    told = {}  # warning template -> the candidates that raised it
    for index, (name, scaler) in enumerate(scalers.items()):
        say(index, name, "scaling and diagnostics")

        def on_fold(i, n, index=index, name=name):
            if i == 0:
                say(index, name, what)
            else:  # said when the run is slow
                say(index, name, f"{what}, fold {i + 1} of {n}", done=i / n)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = bench.evaluate(scaler, on_fold)
            except Exception as exc:  # one failing candidate never stops the others
                result = exc
        said = _said_once(caught)
        if said:
            outcome.raised[name] = said
        for line in said:  # a warning every candidate repeats is said once
            key = warning_template(_COUNTED.sub("", line))
            if key in told:
                told[key].append(name)
                continue
            told[key] = [name]
            warn_user(f"candidate {name!r}: {line}")
            if progress is not None:
                progress(f"candidate {name!r} warned: {line}")
        if isinstance(result, Exception):
            outcome.failed[name] = first_line(result)
            if progress is not None:
                progress(f"candidate {name!r} failed: {outcome.failed[name]}")
            continue
        outcome.reports[name], outcome.rows[name], scores = result
        if scores is not None:
            outcome.folds[name] = scores
    if progress is not None:
        for names in told.values():
            if len(names) > 1:
                others = ", ".join(repr(n) for n in names[1:])
                who = "candidate" if len(names) == 2 else "candidates"
                progress(f"{who} {others} warned the same as {names[0]!r}")
    if not outcome.rows:
        reasons = set(outcome.failed.values())
        if len(reasons) == 1:
            raise ValueError(
                f"Every candidate scaler failed with the same error: {reasons.pop()}"
            )
        details = "; ".join(f"{name!r}: {why}" for name, why in outcome.failed.items())
        raise ValueError(f"Every candidate scaler failed: {details}")
    return outcome
