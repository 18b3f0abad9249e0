"""Pictures of the diagnostic reports (matplotlib, imported only when drawing)."""

import numpy as np

_BEFORE, _AFTER = "#9e9e9e", "#1f77b4"


def _figure(ncols):
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "plot() needs matplotlib, which is skscale's optional 'plot' extra: "
            "pip install 'skscale[plot]'."
        ) from exc
    figure = Figure(figsize=(5.0 * ncols, 4.2), layout="constrained")
    return figure, figure.subplots(1, ncols, squeeze=False)[0]


def _paired_bars(ax, labels, before, after, *, title, xlabel):
    positions = np.arange(len(labels))
    height = 0.4
    ax.barh(positions - height / 2, before, height, color=_BEFORE, label="before")
    ax.barh(positions + height / 2, after, height, color=_AFTER, label="after")
    ax.set_yticks(positions, labels=[str(label) for label in labels])
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.legend(loc="lower right", frameon=False)


def _top_rows(table, before, after, max_rows):
    """The rows with the largest value before or after, largest first."""
    key = table[[before, after]].max(axis=1).sort_values(ascending=False)
    return table.loc[key.index[:max_rows]]


def plot_pca_dominance(report, *, max_features=15):
    figure, (left, right) = _figure(2)
    if report.blocks is not None:
        shares = report.blocks
        _paired_bars(
            left,
            shares.index,
            shares["pc1_share_before"],
            shares["pc1_share_after"],
            title="Share of PC1 by block",
            xlabel="sum of squared PC1 loadings",
        )
    else:
        squared = report.features[["pc1_loading_before", "pc1_loading_after"]] ** 2
        top = _top_rows(
            squared, "pc1_loading_before", "pc1_loading_after", max_features
        )
        _paired_bars(
            left,
            top.index,
            top["pc1_loading_before"],
            top["pc1_loading_after"],
            title="PC1 squared loadings",
            xlabel="squared loading (1: the feature is PC1)",
        )
    components = report.components
    _paired_bars(
        right,
        components.index,
        components["evr_before"],
        components["evr_after"],
        title="Explained variance ratio",
        xlabel="share of total variance",
    )
    return figure


def plot_knn_distortion(report, *, max_features=15):
    figure, (left, right) = _figure(2)
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
        left,
        shares.index,
        shares["distance_share_before"],
        shares["distance_share_after"],
        title="Share of squared distances",
        xlabel="share over all pairs of points",
    )
    metrics = report.metrics[
        ["overlap", "jaccard", "trustworthiness", "continuity", "spearman"]
    ]
    right.barh(np.arange(len(metrics)), metrics.to_numpy(), color=_AFTER)
    right.set_yticks(np.arange(len(metrics)), labels=list(metrics.index))
    right.invert_yaxis()
    right.set_xlim(min(0.0, float(np.nanmin(metrics.to_numpy()))), 1.0)
    title = "Neighbourhoods after vs before"
    if np.isfinite(report.metrics["purity_before"]):
        title += (
            f"\n(label purity {report.metrics['purity_before']:.2f} -> "
            f"{report.metrics['purity_after']:.2f})"
        )
    right.set_title(title)
    right.set_xlabel("1: unchanged")
    return figure


def plot_comparison(comparison):
    table = comparison.table
    panels = [
        ("pc1_top_share", "Largest share of PC1\n(1: one feature is PC1)"),
        ("knn_overlap", "Neighbours kept from unscaled"),
    ]
    if "cv_score_mean" in table:
        panels.append(("cv_score_mean", "Cross-validated score"))
    elif "purity" in table:
        panels.append(("purity", "Neighbour label purity"))
    panels.append(
        ("condition_number", "Condition number of the\ncovariance (log scale)")
    )
    figure, axes = _figure(len(panels))
    positions = np.arange(len(table))
    colours = [
        _AFTER if name == comparison.recommended else _BEFORE for name in table.index
    ]
    for ax, (column, title) in zip(axes, panels, strict=True):
        values = table[column].to_numpy(dtype=float)
        finite = np.where(np.isfinite(values), values, np.nan)
        ax.barh(positions, finite, color=colours)
        ax.set_yticks(positions, labels=list(table.index))
        ax.invert_yaxis()
        ax.set_title(title)
        if column == "condition_number":
            if np.isfinite(finite).any():
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
        if column == "cv_score_mean":
            ax.errorbar(
                finite,
                positions,
                xerr=table["cv_score_std"],
                fmt="none",
                ecolor="black",
            )
    figure.suptitle(f"Candidates (recommended: {comparison.recommended})")
    return figure
