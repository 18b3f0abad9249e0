"""Pictures of the diagnostic reports (matplotlib, imported only when drawing).

Two levels, as in scikit-learn's Displays. A *panel* function draws one panel
into a matplotlib ``Axes`` it is given. A *figure* function (``plot_*``) lays
several panels out, either on a new pyplot figure (so that it shows in
Jupyter like any matplotlib plot) or on the caller's axes, and returns
``(figure, axes)``. The reports' ``plot`` methods call the figure functions.
"""

from numbers import Integral

import numpy as np
import pandas as pd

from skscale.diagnostics._common import covariate_of

_BEFORE, _AFTER, _ALSO_FINE = "#9e9e9e", "#1f77b4", "#9ecae1"
_SMALL = 9  # points: the smallest text drawn here
# A numeric target with at most this many distinct values is coloured as
# classes (one colour each, a legend); with more, along a colour map.
_MAX_CLASSES = 20
_WHEN = ("before", "after")


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "plot() needs matplotlib, which is skscale's optional 'plot' extra: "
            "pip install 'skscale[plot]'."
        ) from exc
    return plt


def _figure_and_axes(axes, n_panels, *, figsize, what, why=""):
    """The figure and a 1-D array of ``n_panels`` axes: new pyplot ones when
    ``axes`` is None, else the caller's (any sequence or array of Axes)."""
    if axes is None:
        figure, grid = _pyplot().subplots(
            1, n_panels, figsize=figsize, layout="constrained", squeeze=False
        )
        return figure, grid[0]
    if hasattr(axes, "ravel"):
        flat = list(axes.ravel())
    elif hasattr(axes, "__iter__"):
        flat = list(axes)
    else:
        flat = [axes]
    if len(flat) != n_panels:
        raise ValueError(
            f"{what} draws {n_panels} panels{why}, so axes must hold "
            f"{n_panels} matplotlib Axes; got {len(flat)}."
        )
    array = np.empty(n_panels, dtype=object)
    array[:] = flat
    return array[0].figure, array


def _check_max_features(max_features):
    if not (isinstance(max_features, Integral) and max_features >= 1):
        raise ValueError(
            f"max_features must be a positive integer; got {max_features!r}."
        )


# Longer bar labels are shortened (with an ellipsis) so that long column
# names cannot squeeze the plot area out of a panel.
_MAX_LABEL = 22


def _short(label):
    label = str(label)
    return label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "\u2026"


def _rows(ax, labels):
    """Horizontal bar positions 0, 1, ... read top to bottom."""
    positions = np.arange(len(labels))
    ax.set_yticks(positions, labels=[_short(label) for label in labels])
    # explicit limits, not invert_yaxis(): inverting axes that share y twice
    # would flip them back
    ax.set_ylim(len(labels) - 0.5, -0.5)
    return positions


def _paired_bars(ax, labels, before, after, *, title, xlabel):
    positions = _rows(ax, labels)
    height = 0.4
    ax.barh(positions - height / 2, before, height, color=_BEFORE, label="before")
    ax.barh(positions + height / 2, after, height, color=_AFTER, label="after")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    # beside the axes, never over a bar
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)


def _top_rows(table, before, after, max_rows):
    """The rows with the largest value before or after, largest first."""
    key = table[[before, after]].max(axis=1).sort_values(ascending=False)
    return table.loc[key.index[:max_rows]]


def _bar_rows_height(n_rows):
    return float(np.clip(1.6 + 0.32 * n_rows, 3.6, 8.0))


# ---------------------------------------------------------------- PCA panels


def pca_loadings_panel(report, ax, *, max_features=15):
    """PC1's share by block or, without blocks, the largest squared PC1
    loadings per feature, before (grey) and after (blue) scaling.

    Parameters
    ----------
    report : PCADominanceReport
    ax : matplotlib Axes
        Where to draw.
    max_features : int, default=15
        Without blocks, how many features to show: those with the largest
        squared PC1 loading before or after.
    """
    _check_max_features(max_features)
    if report.blocks is not None:
        shares = report.blocks
        _paired_bars(
            ax,
            shares.index,
            shares["pc1_share_before"],
            shares["pc1_share_after"],
            title="PC1 share by block",
            xlabel="sum of squared PC1 loadings",
        )
        return
    squared = report.features[["pc1_loading_before", "pc1_loading_after"]] ** 2
    top = _top_rows(squared, "pc1_loading_before", "pc1_loading_after", max_features)
    _paired_bars(
        ax,
        top.index,
        top["pc1_loading_before"],
        top["pc1_loading_after"],
        title="PC1 squared loadings",
        xlabel="squared loading (1: the feature is PC1)",
    )


def pca_evr_panel(report, ax):
    """The explained variance ratio of each component, before and after.

    Parameters
    ----------
    report : PCADominanceReport
    ax : matplotlib Axes
        Where to draw.
    """
    components = report.components
    _paired_bars(
        ax,
        components.index,
        components["evr_before"],
        components["evr_after"],
        title="Explained variance ratio",
        xlabel="share of total variance",
    )


def _axis_label(report, component, when):
    evr = float(report.components.loc[component, f"evr_{when}"])
    if not np.isfinite(evr):
        return component
    return f"{component} ({100 * evr:.1f}% of variance)"


def _as_target(y, n_samples):
    """``y`` as a Series of ``n_samples`` values in sample order."""
    values = y.to_numpy() if isinstance(y, pd.Series) else np.asarray(y)
    if values.ndim != 1 or len(values) != n_samples:
        raise ValueError(
            f"y must hold one value per sample of the scores ({n_samples}); got "
            f"shape {values.shape}."
        )
    dtype = y.dtype if isinstance(y, pd.Series) else None
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical(values, dtype=dtype))
    return pd.Series(values)


def _is_categorical(target):
    if isinstance(target.dtype, pd.CategoricalDtype):
        return True
    if pd.api.types.is_bool_dtype(target) or not pd.api.types.is_numeric_dtype(target):
        return True
    return target.nunique(dropna=True) <= _MAX_CLASSES


def _classes(target):
    """Classes in their natural order: a categorical's own order, else sorted
    (order of appearance when the values cannot be sorted)."""
    if isinstance(target.dtype, pd.CategoricalDtype):
        present = set(target.dropna())
        return [c for c in target.cat.categories if c in present]
    unique = list(pd.unique(target.dropna()))
    try:
        return sorted(unique)
    except TypeError:
        return unique


# With more classes than this, or a label longer than _BESIDE_LABEL, the
# legend goes under the plot, in columns, so that the plot keeps its width;
# a label longer than _WRAP is wrapped onto at most _WRAP_LINES lines.
_LEGEND_BESIDE = 8
_BESIDE_LABEL = 12
_WRAP = 24
_WRAP_LINES = 2


def _legend_label(value):
    import textwrap

    lines = textwrap.wrap(
        str(value), _WRAP, max_lines=_WRAP_LINES, placeholder="\u2026"
    )
    return "\n".join(lines) or str(value)


def _legend_layout(labels):
    """(labels as drawn, placement keywords or None for beside the plot,
    text lines the legend takes under the plot)."""
    shown = [_legend_label(label) for label in labels]
    if len(labels) <= _LEGEND_BESIDE and all(
        len(str(label)) <= _BESIDE_LABEL for label in labels
    ):
        return [str(label) for label in labels], None, 0
    longest = max(len(line) for label in shown for line in label.split("\n"))
    columns = (
        4 if longest <= 8 else 3 if longest <= 14 else 2 if longest <= _WRAP else 1
    )
    rows = -(-len(shown) // columns)
    lines = rows * max(label.count("\n") + 1 for label in shown)
    place = {
        "loc": "upper center",
        "bbox_to_anchor": (0.5, -0.2),
        "ncol": columns,
        "frameon": False,
        "fontsize": _SMALL,
        "columnspacing": 1.0,
        "handletextpad": 0.3,
    }
    return shown, place, lines


def _legend_entries(target):
    """The score plot's legend entries for ``target``, in order, or None for
    a colour bar (a continuous target)."""
    if not _is_categorical(target):
        return None
    return (["missing"] if target.isna().any() else []) + [
        str(value) for value in _classes(target)
    ]


def legend_lines(y):
    """Text lines the score plot's legend takes under the plot for ``y``
    (0 when it sits beside the plot, or is a colour bar)."""
    entries = _legend_entries(_as_target(y, len(y)))
    return 0 if entries is None else _legend_layout(entries)[2]


def _scatter_by_target(ax, x, y, target, target_name):
    import matplotlib

    missing = target.isna().to_numpy()
    # smaller, lighter markers as the points get many
    size, alpha = (
        (25, 1.0) if len(x) <= 500 else (8, 0.7) if len(x) <= 5000 else (3, 0.5)
    )
    outside = {"loc": "upper left", "bbox_to_anchor": (1.0, 1.0), "frameon": False}
    if missing.any():
        ax.scatter(
            x[missing],
            y[missing],
            s=size,
            alpha=alpha,
            color="#d0d0d0",
            label="missing",
        )
    if _is_categorical(target):
        classes = _classes(target)
        labels, place, _ = _legend_layout(_legend_entries(target))
        labels = labels[1:] if missing.any() else labels
        colours = matplotlib.colormaps["tab10" if len(classes) <= 10 else "tab20"]
        for i, (value, label) in enumerate(zip(classes, labels, strict=True)):
            keep = (target == value).to_numpy() & ~missing
            ax.scatter(
                x[keep], y[keep], s=size, alpha=alpha, color=colours(i), label=label
            )
        # beside the axes, never over the points; many classes or long
        # labels go under them, in columns, so that the plot keeps its width
        legend = ax.legend(
            title=None if target_name is None else _short(target_name),
            markerscale=max(1.0, 25 / size),
            **(outside if place is None else place),
        )
        for handle in legend.legend_handles:
            handle.set_alpha(1.0)
        return
    keep = ~missing
    points = ax.scatter(
        x[keep],
        y[keep],
        s=size,
        alpha=alpha,
        c=target[keep].to_numpy(dtype=float),
        cmap="viridis",
    )
    ax.figure.colorbar(points, ax=ax, label=target_name)
    if missing.any():
        ax.legend(loc="best", frameon=False)


def scores_panel(report, ax, *, when, y=None, target_name=None):
    """The samples' scores on PC1 and PC2, before or after scaling.

    Axis labels give each component's share of the variance. Coloured by
    ``y`` when given: a non-numeric target, or a numeric one with at most 20
    distinct values, as classes (a legend); a continuous one along a colour
    map (a colorbar).

    Parameters
    ----------
    report : PCADominanceReport
    ax : matplotlib Axes
        Where to draw.
    when : {"before", "after"}
        Which side of the scaling to draw.
    y : array-like of shape (n_samples,), default=None
        A target or grouping to colour the samples by, in sample order.
    target_name : str, default=None
        The legend's title or the colorbar's label; by default the name of
        ``y`` when it is a named Series.

    Raises
    ------
    ValueError
        When ``when`` is not ``"before"`` or ``"after"``, ``y`` does not hold
        one value per sample, or the report has no scores.
    """
    if when not in _WHEN:
        raise ValueError(f"when must be 'before' or 'after'; got {when!r}.")
    if report.scores is None:
        raise ValueError(
            "This report has no scores: for a dask input whose PCA accumulated "
            "the covariance over all rows, the samples' coordinates are not "
            "computed. Compute the report on an in-memory sample of rows to draw "
            "score plots."
        )
    x = report.scores[f"pc1_{when}"].to_numpy(dtype=float)
    y_scores = report.scores[f"pc2_{when}"].to_numpy(dtype=float)
    ax.set_title(f"{when.capitalize()} scaling")
    ax.set_xlabel(_axis_label(report, "PC1", when))
    if np.isnan(x).all():
        ax.text(
            0.5,
            0.5,
            "no principal component:\nthe data have no variance",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        return
    one_component = np.isnan(y_scores).all()
    if one_component:
        y_scores = np.zeros_like(x)
        ax.set_ylabel("(no PC2)")
        ax.set_yticks([])
        why = (
            "PC2 has no variance"
            if "PC2" in report.components.index
            else "the report has PC1 alone"
        )
        ax.text(
            0.5,
            0.95,
            f"one component only: {why}",
            ha="center",
            va="top",
            transform=ax.transAxes,
        )
    else:
        ax.set_ylabel(_axis_label(report, "PC2", when))
    ax.axhline(0.0, color="#e0e0e0", linewidth=0.8, zorder=0)
    ax.axvline(0.0, color="#e0e0e0", linewidth=0.8, zorder=0)
    # few ticks: wide numbers ("-2000") must not run together
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    if y is None:
        ax.scatter(x, y_scores, s=25, color=_AFTER if when == "after" else _BEFORE)
        return
    if target_name is None and isinstance(y, pd.Series) and y.name is not None:
        target_name = str(y.name)
    _scatter_by_target(ax, x, y_scores, _as_target(y, len(x)), target_name)


# ---------------------------------------------------------------- k-NN panels


def knn_shares_panel(report, ax, *, max_features=15):
    """Each block's (or the top features') share of squared distances,
    before and after scaling.

    Parameters
    ----------
    report : KNNDistortionReport
    ax : matplotlib Axes
        Where to draw.
    max_features : int, default=15
        Without blocks, how many features to show: those with the largest
        share before or after.
    """
    _check_max_features(max_features)
    if report.blocks is not None:
        shares = report.blocks
    else:
        shares = _top_rows(
            report.features,
            "distance_share_before",
            "distance_share_after",
            max_features,
        )
    _paired_bars(
        ax,
        shares.index,
        shares["distance_share_before"],
        shares["distance_share_after"],
        title="Share of squared distances",
        xlabel="share over all pairs of points",
    )


def knn_metrics_panel(report, ax):
    """How far the neighbourhoods after scaling match those before (1:
    unchanged), and the label purity before and after when there are labels.

    Parameters
    ----------
    report : KNNDistortionReport
    ax : matplotlib Axes
        Where to draw.
    """
    metrics = report.metrics[
        ["overlap", "jaccard", "trustworthiness", "continuity", "spearman"]
    ].to_numpy(dtype=float)
    names = ["overlap", "jaccard", "trustworthiness", "continuity", "spearman"]
    positions = _rows(ax, names)
    ax.barh(positions, metrics, color=_AFTER)
    finite = metrics[np.isfinite(metrics)]
    ax.set_xlim(min(0.0, float(finite.min())) if finite.size else 0.0, 1.0)
    title = "Neighbourhoods after vs before"
    if np.isfinite(report.metrics["purity_before"]):
        title += (
            f"\nlabel purity {report.metrics['purity_before']:.2f} -> "
            f"{report.metrics['purity_after']:.2f}"
        )
    ax.set_title(title)
    ax.set_xlabel("1: unchanged")


# ---------------------------------------------------------- comparison panel

_COMPARISON_TITLES = {
    "pc1_top_share": ("Largest share of PC1", "1: one feature is PC1"),
    "knn_overlap": ("Neighbours kept", "share of the unscaled neighbours"),
    "cv_score_mean": ("Cross-validated score", None),
    "purity": ("Neighbour label purity", "share of neighbours of the same class"),
    "condition_number": ("Condition number", "of the covariance (log scale)"),
}


def _candidate_colours(comparison):
    also_fine = set(comparison.also_fine)
    return [
        _AFTER
        if name == comparison.recommended
        else _ALSO_FINE
        if name in also_fine
        else _BEFORE
        for name in comparison.table.index
    ]


def _score_errors(means, stds, bounds):
    """Lower and upper error-bar lengths: one standard deviation each way,
    clipped to the range the score can take."""
    low, high = bounds
    lower = means - np.maximum(means - stds, low)
    upper = np.minimum(means + stds, high) - means
    return np.vstack([np.maximum(lower, 0.0), np.maximum(upper, 0.0)])


def comparison_panel(comparison, ax, column, *, title=None):
    """One horizontal bar per candidate scaler for one column of the table.

    The recommended candidate is blue, those also fine light blue, the
    others grey. Cross-validated scores get error bars of one standard
    deviation, clipped to the range of the score; condition numbers a log
    axis. Non-finite values are drawn as missing and marked ``inf`` or
    ``n/a``.

    Parameters
    ----------
    comparison : ScalerComparison
        Reads ``table`` (one row per candidate), ``recommended``,
        ``also_fine``, ``score_bounds`` and ``metric``.
    ax : matplotlib Axes
        Where to draw.
    column : str
        The column of ``comparison.table`` to draw.
    title : str, default=None
        The panel's title; by default a short description of ``column``.
    """
    table = comparison.table
    default_title, xlabel = _COMPARISON_TITLES.get(column, (column, column))
    covariate = covariate_of(column)
    if covariate is not None:
        default_title = f"PC1 from {_short(covariate)}"
        xlabel = "share of PC1's variance it explains (R\u00b2)"
    values = table[column].to_numpy(dtype=float)
    finite = np.isfinite(values)
    drawn = np.where(finite, values, np.nan)
    positions = _rows(ax, table.index)
    ax.barh(positions, drawn, color=_candidate_colours(comparison))
    for tick, name in zip(ax.get_yticklabels(), table.index, strict=True):
        if name == comparison.recommended:
            tick.set_fontweight("bold")
    if column == "cv_score_mean":
        xlabel = f"{comparison.metric} (mean and sd over folds)"
        stds = table["cv_score_std"].to_numpy(dtype=float)
        shown = finite & np.isfinite(stds)
        if shown.any():
            ax.errorbar(
                values[shown],
                positions[shown],
                xerr=_score_errors(values[shown], stds[shown], comparison.score_bounds),
                fmt="none",
                ecolor="black",
                capsize=3,
            )
    if column == "condition_number":
        if (drawn > 0).any():
            ax.set_xscale("log")
        else:
            ax.text(
                0.5,
                0.5,
                "singular for every candidate\n(more features than samples?)",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
    for position, value in zip(positions[~finite], values[~finite], strict=True):
        ax.text(
            0.02,
            position,
            "n/a" if np.isnan(value) else str(value),
            va="center",
            fontsize=_SMALL,
            color="#555555",
            transform=ax.get_yaxis_transform(),
        )
    if covariate is not None:
        ax.set_xlim(0, 1)
    ax.set_title(default_title if title is None else title)
    ax.set_xlabel(xlabel)


# ---------------------------------------------------------- figure functions


def _n_bar_rows(report, max_features):
    """Bars a per-block or per-feature panel of ``report`` will draw."""
    _check_max_features(max_features)
    if report.blocks is not None:
        return len(report.blocks)
    return min(max_features, len(report.features))


def plot_pca_dominance(report, *, axes=None, max_features=15):
    """Draw :func:`pca_loadings_panel` and :func:`pca_evr_panel` side by side.

    Parameters
    ----------
    report : PCADominanceReport
    axes : sequence of 2 matplotlib Axes, default=None
        Where to draw; None makes a new pyplot figure.
    max_features : int, default=15
        Without blocks, how many features the loadings panel shows.

    Returns
    -------
    figure : matplotlib Figure
    axes : ndarray of 2 matplotlib Axes
    """
    n_rows = _n_bar_rows(report, max_features)
    figure, axes = _figure_and_axes(
        axes,
        2,
        figsize=(11.0, _bar_rows_height(max(n_rows, len(report.components)))),
        what="plot_pca_dominance",
    )
    pca_loadings_panel(report, axes[0], max_features=max_features)
    pca_evr_panel(report, axes[1])
    return figure, axes


def covariates_panel(report, ax, covariate):
    """The share of each component's variance that one covariate explains,
    before and after scaling (paired bars, one row per component)."""
    table = report.covariates.xs(covariate, level="covariate")
    _paired_bars(
        ax,
        list(table.index),
        table["r2_before"],
        table["r2_after"],
        title=f"Explained by {_short(covariate)!s}",
        xlabel="share of the component's variance (R\u00b2)",
    )
    ax.set_xlim(0, 1)


def plot_covariates(report, *, axes=None):
    """Draw :func:`covariates_panel` for each covariate, side by side.

    Parameters
    ----------
    report : PCADominanceReport
        A report made with ``covariates``.
    axes : sequence of matplotlib Axes, default=None
        One per covariate; None makes a new pyplot figure.

    Returns
    -------
    figure : matplotlib Figure
    axes : ndarray of matplotlib Axes
    """
    if report.covariates is None:
        raise ValueError(
            "This report has no covariates; pass covariates= to pca_dominance."
        )
    names = list(dict.fromkeys(report.covariates.index.get_level_values("covariate")))
    figure, axes = _figure_and_axes(
        axes,
        len(names),
        figsize=(5.5 * len(names), _bar_rows_height(len(report.components))),
        what="plot_covariates",
        why=" (one per covariate)",
    )
    for ax, name in zip(axes, names, strict=True):
        covariates_panel(report, ax, name)
    return figure, axes


def plot_scores(report, *, y=None, target_name=None, axes=None):
    """Draw :func:`scores_panel` before and after scaling, side by side.

    Parameters
    ----------
    report : PCADominanceReport
    y : array-like of shape (n_samples,), default=None
        A target or grouping to colour the samples by, in sample order.
    target_name : str, default=None
        The legend's title or the colorbar's label.
    axes : sequence of 2 matplotlib Axes, default=None
        Where to draw; None makes a new pyplot figure.

    Returns
    -------
    figure : matplotlib Figure
    axes : ndarray of 2 matplotlib Axes
    """
    figure, axes = _figure_and_axes(axes, 2, figsize=(11.0, 4.8), what="plot_scores")
    for ax, when in zip(axes, _WHEN, strict=True):
        scores_panel(report, ax, when=when, y=y, target_name=target_name)
    return figure, axes


def plot_knn_distortion(report, *, axes=None, max_features=15):
    """Draw :func:`knn_shares_panel` and :func:`knn_metrics_panel` side by
    side.

    Parameters
    ----------
    report : KNNDistortionReport
    axes : sequence of 2 matplotlib Axes, default=None
        Where to draw; None makes a new pyplot figure.
    max_features : int, default=15
        Without blocks, how many features the shares panel shows.

    Returns
    -------
    figure : matplotlib Figure
    axes : ndarray of 2 matplotlib Axes
    """
    n_rows = _n_bar_rows(report, max_features)
    figure, axes = _figure_and_axes(
        axes,
        2,
        figsize=(11.0, _bar_rows_height(max(n_rows, 5))),
        what="plot_knn_distortion",
    )
    knn_shares_panel(report, axes[0], max_features=max_features)
    knn_metrics_panel(report, axes[1])
    return figure, axes


def comparison_columns(comparison):
    """The columns :func:`plot_comparison` draws, one panel each:
    ``pc1_top_share``, ``knn_overlap``, then ``cv_score_mean`` or else
    ``purity`` when present, then ``condition_number`` when at least one
    candidate has a finite one, then each ``pc1_r2[<covariate>]`` column
    (with ``covariates``)."""
    table = comparison.table
    columns = ["pc1_top_share", "knn_overlap"]
    if "cv_score_mean" in table:
        columns.append("cv_score_mean")
    elif "purity" in table:
        columns.append("purity")
    if (
        "condition_number" in table
        and np.isfinite(table["condition_number"].to_numpy(dtype=float)).any()
    ):
        columns.append("condition_number")
    columns += [column for column in table if covariate_of(column) is not None]
    return columns


def plot_comparison(comparison, *, axes=None):
    """Draw :func:`comparison_panel` for each column of
    :func:`comparison_columns`, side by side; the first panel's legend
    explains the colours.

    Parameters
    ----------
    comparison : ScalerComparison
    axes : sequence of matplotlib Axes, default=None
        Where to draw, one per panel (3 or 4, and one more per covariate; see
        :func:`comparison_columns`); None makes a new pyplot figure.

    Returns
    -------
    figure : matplotlib Figure
    axes : ndarray of matplotlib Axes
    """
    columns = comparison_columns(comparison)
    why = (
        " (no condition-number panel: no candidate has a finite one)"
        if "condition_number" not in columns
        else ""
    )
    created = axes is None
    figure, axes = _figure_and_axes(
        axes,
        len(columns),
        figsize=(
            3.8 * len(columns),
            float(np.clip(1.8 + 0.4 * len(comparison.table), 3.6, 8.0)),
        ),
        what="plot_comparison",
        why=why,
    )
    for ax, column in zip(axes, columns, strict=True):
        comparison_panel(comparison, ax, column)
    from matplotlib.patches import Patch

    colours = set(_candidate_colours(comparison))
    handles = [
        Patch(color=colour, label=label)
        for colour, label in (
            (_AFTER, "recommended"),
            (_ALSO_FINE, "also fine"),
            (_BEFORE, "other"),
        )
        if colour in colours
    ]
    axes[0].legend(handles=handles, loc="best", frameon=False)
    if created:
        figure.suptitle(f"Candidate scalers (recommended: {comparison.recommended})")
    return figure, axes
