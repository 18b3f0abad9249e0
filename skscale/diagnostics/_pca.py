"""PCA dominance: how far a feature or a block owns the principal components."""

import numpy as np
import pandas as pd
import scipy.linalg

from skscale._backends import any_dask, centred_table
from skscale._backends.centred import top_eigenpairs
from skscale.diagnostics._common import (
    DASK_SAMPLE_ROWS,
    Report,
    block_of_features,
    block_table,
    dask_pair,
    feature_names_of,
    named_table,
    percent,
    prepare_pair,
    sample_dask_rows,
)
from skscale.utils._validation import warn_user


def principal_axes(table, n_components, variance=None):
    """Top eigenvalues of the covariance of a centred table (see
    :func:`~skscale._backends.centred_table`) and the matching unit loadings.

    Through the p x p covariance when samples outnumber features, through the
    n x n Gram matrix otherwise (a 200 x 50,000 omics table costs a 200 x 200
    eigenproblem); a sparse table with thousands of rows and of columns uses
    Lanczos on its implicitly centred covariance operator. Loadings of
    components with no variance are NaN; each loading vector's largest entry
    is made positive.

    Returns
    -------
    eigenvalues : ndarray of shape (k,)
        Variances along the components (divisor n).
    total : float
        Total variance (sum of all eigenvalues).
    loadings : ndarray of shape (k, n_features)
    method : {"covariance", "gram", "operator"}
    """
    n_samples, n_features = table.shape
    if variance is None:
        variance = table.variance()
    k = min(n_components, n_samples, n_features)
    values, loadings, method = top_eigenpairs(table, k)
    return _settled_axes(values, loadings, method, variance, n_samples)


def axes_from_matrix(matrix, method, n_components, variance, n_samples):
    """The top eigenpairs of a covariance matrix (p x p)."""
    size = matrix.shape[0]
    k = min(n_components, n_samples, size)
    values, vectors = scipy.linalg.eigh(matrix, subset_by_index=[size - k, size - 1])
    values, vectors = np.clip(values[::-1], 0.0, None), vectors[:, ::-1]
    return _settled_axes(values, vectors.T.copy(), method, variance, n_samples)


def _settled_axes(values, loadings, method, variance, n_samples):
    """NaN loadings for components without variance, signs made positive at
    each loading's largest entry; ``(values, total, loadings, method)``."""
    n_features = variance.shape[0]
    total = float(variance.sum())
    tolerance = np.finfo(float).eps * max(n_samples, n_features) * max(total, 0.0)
    usable = values > tolerance
    loadings[~usable] = np.nan
    for i in np.flatnonzero(usable):
        if loadings[i, np.argmax(np.abs(loadings[i]))] < 0:
            loadings[i] *= -1
    return values, total, loadings, method


def _component_table(values, total, loadings, names, suffix):
    with np.errstate(invalid="ignore", divide="ignore"):
        evr = values / total if total > 0 else np.full(values.shape, np.nan)
        squared = loadings**2
        has = ~np.isnan(loadings).any(axis=1)
        top = np.where(
            has, np.nanargmax(np.where(np.isnan(squared), -1, squared), axis=1), 0
        )
        effective = 1.0 / np.sum(squared**2, axis=1)
    return pd.DataFrame(
        {
            f"evr_{suffix}": evr,
            f"top_feature_{suffix}": [
                names[j] if ok else None for j, ok in zip(top, has, strict=True)
            ],
            f"top_share_{suffix}": np.where(
                has, squared[np.arange(len(top)), top], np.nan
            ),
            f"effective_features_{suffix}": effective,
        }
    )


class PCADominanceReport(Report):
    """What PCA sees before and after scaling; see :func:`pca_dominance`.

    Plain data, made by :func:`pca_dominance` (keyword-only arguments, one per
    attribute below); :meth:`summary`, :meth:`plot` and the HTML view only
    read them.

    Attributes
    ----------
    components : pandas.DataFrame
        One row per component (``"PC1"``, ...): ``evr_before/after``
        (explained variance ratio), ``top_feature_before/after`` (largest
        absolute loading), ``top_share_before/after`` (its squared loading: 1
        means one feature is the component), ``effective_features_before/after``
        (``1 / sum(loading**4)``: how many features share the component).
    features : pandas.DataFrame
        One row per feature: ``variance_share_before/after``,
        ``pc1_loading_before/after``, ``pc2_loading_before/after`` and, with
        blocks, ``block``.
    blocks : pandas.DataFrame or None
        One row per block: ``n_features``, ``variance_share_before/after``,
        ``pc1_share_before/after``, ``pc2_share_before/after`` (the block's sum
        of squared loadings).
    n_samples, n_features : int
        The shape of the data.
    method : str
        How PCA was computed: ``"covariance"`` (p x p), ``"gram"`` (n x n),
        or ``"operator"`` (Lanczos on a large sparse table's implicitly
        centred covariance).
    n_missing : int
        Missing values in the two tables, counted as their column's mean.
    sampling : str or None
        For dask input, how the data were read: the covariance accumulated
        over all rows, or a sample of rows. None for in-memory input.
    covariates : pandas.DataFrame or None
        With covariates (batch, diet, age...): indexed by covariate and
        component, ``r2_before`` and ``r2_after``, the share of the
        component's variance that the covariate explains (the R^2 of the
        component's scores on it: one-hot for a categorical covariate, linear
        for a numeric one). None without covariates.
    scores : pandas.DataFrame or None
        One row per sample: ``pc1_before``, ``pc2_before``, ``pc1_after``,
        ``pc2_after``, the coordinates of each (centred) sample on the first
        two components, for score plots (NaN for a component that does not
        exist). For dask input, the rows of the sample PCA worked on, or None
        when it read the covariance of all rows.
    figure_, axes_ : matplotlib Figure and array of Axes
        Set by :meth:`plot`, as scikit-learn's Display objects do.
    """

    _tables = ("components", "blocks", "covariates", "features")

    def __init__(
        self,
        *,
        components,
        features,
        blocks,
        n_samples,
        n_features,
        method,
        n_missing,
        sampling=None,
        scores=None,
        covariates=None,
    ):
        self.sampling = sampling
        self.scores = scores
        self.covariates = covariates
        self.components = components
        self.features = features
        self.blocks = blocks
        self.n_samples = n_samples
        self.n_features = n_features
        self.method = method
        self.n_missing = n_missing

    def _dominant_block(self, when, component="pc1"):
        shares = self.blocks[f"{component}_share_{when}"]
        return shares.idxmax(), shares.max()

    def summary(self):
        """A short plain-language reading of the report.

        Returns
        -------
        str
            A few sentences, numbers included.
        """
        if self.components.empty:
            return "No principal component: the data have no variance."
        pc1 = self.components.iloc[0]
        sentences = []
        for when, label in (("before", "Before scaling"), ("after", "After scaling")):
            top = pc1[f"top_feature_{when}"]
            if top is None:
                sentences.append(f"{label}, the data have no variance.")
                continue
            sentence = (
                f"{label}, PC1 explains {percent(pc1[f'evr_{when}'])} of the variance "
                f"and its largest loading is {top!r}, with "
                f"{percent(pc1[f'top_share_{when}'])} of PC1's squared loadings "
                f"(about {pc1[f'effective_features_{when}']:.1f} of "
                f"{self.n_features} features share it)"
            )
            if self.blocks is not None:
                block, share = self._dominant_block(when)
                sentence += f"; block {block!r} holds {percent(share)} of PC1"
            sentences.append(sentence + ".")
        if self.covariates is not None:
            first = self.components.index[0]
            for name, r2 in self.covariates.xs(first, level="component").iterrows():
                sentences.append(
                    f"{name!r} explains {percent(r2['r2_before'])} of {first}'s "
                    f"variance before scaling and {percent(r2['r2_after'])} after."
                )
        if self.sampling is not None:
            sentences.append(f"({self.sampling[0].upper()}{self.sampling[1:]}.)")
        return " ".join(sentences)

    def plot(self, *, axes=None, max_features=15):
        """Draw PC1's shares and the explained variance, before and after.

        Two panels: each block's share of PC1 (the sum of its squared PC1
        loadings) or, without blocks, the largest squared PC1 loadings; and
        each component's explained variance ratio. Needs matplotlib (the
        ``plot`` extra).

        Parameters
        ----------
        axes : sequence of 2 matplotlib Axes, default=None
            Where to draw. None makes a new pyplot figure, which shows in
            Jupyter like any matplotlib plot.
        max_features : int, default=15
            Without blocks, how many features to show: those with the largest
            squared PC1 loading before or after.

        Returns
        -------
        self : PCADominanceReport
            The report, with ``figure_`` (the matplotlib Figure drawn on) and
            ``axes_`` (an array of its 2 Axes) set.

        See Also
        --------
        plot_scores : The samples on PC1 and PC2, before and after.
        """
        from skscale.diagnostics._plotting import plot_pca_dominance

        self.figure_, self.axes_ = plot_pca_dominance(
            self, axes=axes, max_features=max_features
        )
        return self

    def plot_covariates(self, *, axes=None):
        """Draw, for each covariate, the share of every component it explains.

        Paired bars before and after scaling: a batch effect that owned PC1
        before scaling shows as a long "before" bar and a short "after" one.
        Needs matplotlib (the ``plot`` extra) and a report made with
        ``covariates``.

        Parameters
        ----------
        axes : sequence of matplotlib Axes, default=None
            One per covariate; None makes a new pyplot figure.

        Returns
        -------
        self : PCADominanceReport
            The report, with ``figure_`` and ``axes_`` set.
        """
        from skscale.diagnostics._plotting import plot_covariates

        self.figure_, self.axes_ = plot_covariates(self, axes=axes)
        return self

    def plot_scores(self, *, y=None, target_name=None, axes=None):
        """Draw the samples on PC1 and PC2, before and after scaling.

        Two score plots, whose axis labels give each component's share of the
        variance. With ``y``, the samples are coloured by it: a non-numeric
        target, or a numeric one with at most 20 distinct values, as classes
        with a legend; a continuous one along a colour map with a colorbar.
        Needs matplotlib (the ``plot`` extra).

        Parameters
        ----------
        y : array-like of shape (n_samples,), default=None
            A target or grouping of the samples, in the order of the rows of
            ``scores``.
        target_name : str, default=None
            The title of the legend or the label of the colorbar; by default
            the name of ``y`` when it is a named Series.
        axes : sequence of 2 matplotlib Axes, default=None
            Where to draw. None makes a new pyplot figure, which shows in
            Jupyter like any matplotlib plot.

        Returns
        -------
        self : PCADominanceReport
            The report, with ``figure_`` (the matplotlib Figure drawn on) and
            ``axes_`` (an array of its 2 Axes) set.

        Raises
        ------
        ValueError
            When the report has no ``scores`` (a dask input whose PCA read the
            covariance of all rows) or ``y`` does not hold one value per row
            of ``scores``.
        """
        from skscale.diagnostics._plotting import plot_scores

        self.figure_, self.axes_ = plot_scores(
            self, y=y, target_name=target_name, axes=axes
        )
        return self


# Up to this many features, PCA of a dask input uses the exact covariance,
# accumulated chunk by chunk; beyond, it works on a sample of rows.
_DASK_COVARIANCE_LIMIT = 2000


def _dask_spaces(X_before, X_after, n_components):
    """PCA of dask inputs: blockwise covariance when features are few, a
    sample of rows otherwise. Returns what the in-memory path computes."""
    import dask
    import dask.array as da

    before, after, names = dask_pair(X_before, X_after)
    n_samples, n_features = before.shape
    n_missing = int(dask.compute(da.isnan(before).sum() + da.isnan(after).sum())[0])
    if n_features > _DASK_COVARIANCE_LIMIT:
        (before, after), _, note = sample_dask_rows([before, after], DASK_SAMPLE_ROWS)
        spaces = {}
        for when, data in (("before", before), ("after", after)):
            spaces[when] = pca_space(centred_table(data), n_components)
        return spaces, names, n_missing, before.shape[0], f"PCA on {note}"
    covariances = []
    for X in (before, after):
        centred = da.nan_to_num(X - da.nanmean(X, axis=0))
        covariances.append(centred.T @ centred / n_samples)
    covariances = dask.compute(*covariances)
    spaces = {}
    for when, covariance in zip(("before", "after"), covariances, strict=True):
        variance = np.diag(covariance).copy()
        spaces[when] = (
            *axes_from_matrix(
                covariance, "covariance", n_components, variance, n_samples
            ),
            variance,
        )
    note = (
        f"covariance accumulated chunk by chunk over all {n_samples:,} rows of the "
        "dask input"
    )
    return spaces, names, n_missing, n_samples, note


def pca_dominance(
    X_before,
    X_after,
    *,
    blocks=None,
    n_components=5,
    covariates=None,
    feature_names=None,
):
    """Report how far single features or blocks dominate PCA, before and after.

    When features live on different scales, the largest one becomes PC1 by
    itself. This report puts numbers on it: each component's explained
    variance, its top feature and that feature's squared loading (1 means the
    component *is* the feature), the effective number of features sharing it,
    and, with blocks, each block's share of the variance and of PC1 and PC2.

    Parameters
    ----------
    X_before : array-like or DataFrame of shape (n_samples, n_features)
        The data before scaling (centred here; not modified).
    X_after : array-like or DataFrame of shape (n_samples, n_features)
        The same data after scaling.
    blocks : dict, default=None
        Block name -> columns, as for :class:`~skscale.preprocessing.BlockScaler`.
    n_components : int, default=5
        Number of components to report.
    covariates : DataFrame, Series or dict of name -> array, default=None
        Per-sample variables (batch, diet, age...), one value per row of X.
        For each, the share of every component's variance it explains, before
        and after (``report.covariates``): "PC1 is 60% batch before scaling,
        2% after". Text, categorical and boolean columns are groups (one-hot);
        numbers are taken as linear (pass a batch coded 1, 2, 3 as a category).
        Rows with a missing covariate are left out of its R^2.
    feature_names : list of str, default=None
        Names of the columns when neither table has any (arrays, sparse
        matrices: a single-cell matrix's genes), for the tables and the
        picture; ``blocks`` may then list columns by these names.

    Returns
    -------
    PCADominanceReport
        The components, features and blocks tables, before and after.

    Notes
    -----
    Missing values count as their column's mean. PCA goes through the
    n x n Gram matrix when features outnumber samples, so wide omics tables
    are cheap.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from skscale.diagnostics import pca_dominance
    >>> from skscale.preprocessing import ZScoreScaler
    >>> X = load_wine(as_frame=True).data
    >>> report = pca_dominance(X, ZScoreScaler().fit_transform(X))
    >>> pc1 = report.components.loc["PC1"]
    >>> pc1["top_feature_before"], round(float(pc1["top_share_before"]), 3)
    ('proline', 1.0)
    >>> pc1["top_feature_after"], round(float(pc1["top_share_after"]), 3)
    ('flavanoids', 0.179)
    """
    if not (isinstance(n_components, int | np.integer) and n_components >= 1):
        raise ValueError(
            f"n_components must be a positive integer; got {n_components!r}."
        )
    sampling = None
    if any_dask(X_before, X_after):
        if covariates is not None:
            raise TypeError(
                "covariates need the component scores of every row, which a dask "
                "input does not give; compute the data first (X.compute())."
            )
        spaces, names, n_missing, n_samples, sampling = _dask_spaces(
            X_before, X_after, n_components
        )
        if feature_names is not None:
            names = feature_names_of(
                named_table(X_before, X_after), len(names), feature_names
            )
        return pca_report(
            spaces, names, n_samples, n_missing, blocks, X_before, sampling
        )
    before, after, names, n_missing = prepare_pair(X_before, X_after, feature_names)
    spaces = {
        "before": pca_space(before, n_components),
        "after": pca_space(after, n_components),
    }
    report = pca_report(spaces, names, before.shape[0], n_missing, blocks, X_before)
    if covariates is not None:
        report.covariates = covariate_table(
            covariates, spaces, before.shape[0], report.components.index
        )
    return report


def pca_space(table, n_components):
    """What the report needs of one centred table: ``(eigenvalues, total,
    loadings, method, variance, scores)``, scores on every component (at
    least two columns, NaN for a component that does not exist)."""
    variance = table.variance()
    values, total, loadings, method = principal_axes(table, n_components, variance)
    scores = np.full((table.shape[0], max(2, len(loadings))), np.nan)
    for pc in range(len(loadings)):
        if not np.isnan(loadings[pc]).any():
            scores[:, pc] = table.times(loadings[pc])
    return values, total, loadings, method, variance, scores


def _as_series(values):
    column = values if isinstance(values, pd.Series) else pd.Series(values)
    return column.infer_objects() if column.dtype == object else column


def _covariate_columns(covariates, n_samples):
    """``{name: pandas Series}`` of the covariates, each of ``n_samples`` values."""
    if isinstance(covariates, pd.Series):
        covariates = covariates.to_frame(
            name="covariate" if covariates.name is None else covariates.name
        )
    if isinstance(covariates, pd.DataFrame):
        columns = {name: covariates[name] for name in covariates.columns}
    elif isinstance(covariates, dict):
        # pd.Series keeps a categorical's dtype (groups, even of numbers)
        columns = {name: _as_series(v) for name, v in covariates.items()}
    else:
        values = np.asarray(covariates)
        values = values.reshape(-1, 1) if values.ndim == 1 else values
        columns = {
            f"covariate {j}": pd.Series(values[:, j]) for j in range(values.shape[1])
        }
    for name, column in columns.items():
        if len(column) != n_samples:
            raise ValueError(
                f"Covariate {name!r} has {len(column)} values; expected one per "
                f"row of X ({n_samples})."
            )
    return {name: column.reset_index(drop=True) for name, column in columns.items()}


def _is_grouped(column):
    """Whether a covariate is read as groups (text, categories, booleans)
    rather than as a number."""
    return not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(
        column
    )


def _r2(scores, column):
    """R^2 of each column of ``scores`` on one covariate: between-group share
    for groups, squared correlation for a number; NaN for a component with
    fewer than two rows or no variance."""
    present = ~column.isna().to_numpy()
    values = column[present]
    scores = scores[present]
    if _is_grouped(column):
        codes = pd.factorize(values)[0]
        fitted_from = lambda s: (  # noqa: E731
            np.bincount(codes, weights=s) / np.bincount(codes)
        )[codes]
    else:
        x = values.to_numpy(dtype=np.float64)
        x = x - x.mean()
        # a constant covariate explains nothing
        fitted_from = lambda s: x * ((x @ s) / (x @ x) if x @ x > 0 else 0.0)  # noqa: E731
    r2 = np.full(scores.shape[1], np.nan)
    for pc in range(scores.shape[1]):
        s = scores[:, pc]
        if np.isnan(s).any() or s.size < 2:
            continue
        s = s - s.mean()
        total = s @ s
        if total > 0:
            residual = s - fitted_from(s)
            r2[pc] = 1.0 - (residual @ residual) / total
    # a covariate orthogonal to a component can round to just below zero
    return np.maximum(r2, 0.0)


def covariate_table(covariates, spaces, n_samples, components):
    """``report.covariates``: the R^2 of each component's scores on each
    covariate, before and after (NaN, with a warning, for groups that number
    more than half the rows: a group per row explains anything)."""
    columns = _covariate_columns(covariates, n_samples)
    rows = {}
    for name, column in columns.items():
        present = column.dropna()
        if _is_grouped(column) and present.nunique() > len(present) / 2:
            warn_user(
                f"Covariate {name!r} takes {present.nunique()} different values "
                f"on {len(present)} rows: as groups it would explain any "
                "component, so its R^2 is left out (NaN). Pass a numeric column "
                "(a date as a number of days, say) to read it as a trend."
            )
            r2 = dict.fromkeys(("before", "after"), np.full(len(components), np.nan))
        else:
            r2 = {when: _r2(spaces[when][5], column) for when in ("before", "after")}
        for i, component in enumerate(components):
            rows[(name, component)] = {
                "r2_before": r2["before"][i],
                "r2_after": r2["after"][i],
            }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(
        table.index, names=["covariate", "component"]
    )
    return table


def pca_report(spaces, names, n_samples, n_missing, blocks, X_before, sampling=None):
    """Assemble a :class:`PCADominanceReport` from the two spaces (as
    :func:`pca_space` returns them; dask spaces carry no scores)."""
    n_features = len(names)
    resolved, labels = block_of_features(blocks, X_before, names, n_features)

    tables, features = [], {}
    method = None
    for when in ("before", "after"):
        values, total, loadings, method, variance = spaces[when][:5]
        tables.append(_component_table(values, total, loadings, names, when))
        with np.errstate(invalid="ignore", divide="ignore"):
            features[f"variance_share_{when}"] = variance / variance.sum()
        for pc in (0, 1):
            features[f"pc{pc + 1}_loading_{when}"] = (
                loadings[pc] if pc < len(loadings) else np.full(n_features, np.nan)
            )

    components = pd.concat(tables, axis=1)
    components = components[
        [
            f"{field}_{when}"
            for field in ("evr", "top_feature", "top_share", "effective_features")
            for when in ("before", "after")
        ]
    ]
    components.index = [f"PC{i + 1}" for i in range(len(components))]
    feature_table = pd.DataFrame(features, index=pd.Index(names, name="feature"))
    scores = None
    if all(len(space) > 5 for space in spaces.values()):
        scores = pd.DataFrame(
            {
                f"pc{pc + 1}_{when}": spaces[when][5][:, pc]
                for when in ("before", "after")
                for pc in (0, 1)
            }
        )
    blocks_summary = None
    if resolved is not None:
        feature_table["block"] = labels
        per_feature = {
            f"variance_share_{when}": feature_table[f"variance_share_{when}"]
            for when in ("before", "after")
        }
        for pc in (1, 2):
            for when in ("before", "after"):
                loading = feature_table[f"pc{pc}_loading_{when}"]
                per_feature[f"pc{pc}_share_{when}"] = loading**2
        blocks_summary = block_table(resolved, per_feature)
    return PCADominanceReport(
        components=components,
        features=feature_table,
        blocks=blocks_summary,
        n_samples=n_samples,
        n_features=n_features,
        method=method,
        n_missing=n_missing,
        sampling=sampling,
        scores=scores,
    )
