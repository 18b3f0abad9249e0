"""compare_scalers: candidate scalers side by side, and which one to use."""

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.linalg
from sklearn.base import clone
from sklearn.model_selection import cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import RobustScaler
from sklearn.utils.multiclass import type_of_target

from skscale.diagnostics._common import centre_columns, percent
from skscale.diagnostics._knn import knn_distortion
from skscale.diagnostics._pca import pca_dominance
from skscale.preprocessing import BlockScaler, MinMaxScaler, ParetoScaler, ZScoreScaler


def default_scalers(blocks=None):
    """The default candidates: name -> unfitted scaler."""
    scalers = {
        "none": ZScoreScaler(with_std=False),  # centring only
        "zscore": ZScoreScaler(),
        "minmax": MinMaxScaler(),
        "robust": RobustScaler(),
        "pareto": ParetoScaler(),
    }
    if blocks is not None:
        scalers["block_mfa"] = BlockScaler(blocks, weighting="mfa")
    return scalers


def _covariance_spectrum(scaled):
    """Largest eigenvalue and condition number of the covariance of ``scaled``.

    The condition number is infinite when the covariance is singular (more
    features than samples, or a feature that is a combination of others).
    """
    centred = centre_columns(scaled)
    n_samples, n_features = centred.shape
    if n_features <= n_samples:
        values = scipy.linalg.eigvalsh(centred.T @ centred / n_samples)
    else:
        values = scipy.linalg.eigvalsh(centred @ centred.T / n_samples)
    largest = float(values[-1])
    smallest = float(values[0]) if n_features <= n_samples else 0.0
    singular = smallest <= largest * np.finfo(float).eps * max(centred.shape)
    return largest, (np.inf if singular else largest / smallest)


class ScalerComparison:
    """Candidate scalers side by side; see :func:`compare_scalers`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per candidate, indexed by name: ``pc1_evr``,
        ``pc1_top_feature``, ``pc1_top_share``, ``pc1_effective_features``,
        ``knn_overlap`` (neighbours kept from the unscaled data),
        ``trustworthiness``, ``purity`` (with class labels),
        ``condition_number`` and ``max_gd_step`` (2 / largest eigenvalue of the
        covariance: the largest stable gradient-descent step for least squares),
        ``cv_score_mean`` and ``cv_score_std`` (with an estimator), and one
        ``pc1_share[<block>]`` column per block.
    recommended : str
        The name of the recommended candidate.
    reason : str
        Why, in one sentence.
    reports : dict of str -> (PCADominanceReport, KNNDistortionReport)
        The full reports of each candidate, unscaled data as "before".
    """

    def __init__(self, table, recommended, reason, reports, context):
        self.table = table
        self.recommended = recommended
        self.reason = reason
        self.reports = reports
        self.context = context

    def summary(self):
        """A short plain-language reading of the comparison."""
        row = self.table.loc[self.recommended]
        text = [
            f"Recommended: {self.recommended!r}. {self.reason}",
            f"With it, PC1 explains {percent(row['pc1_evr'])} of the variance and its "
            f"largest loading, {row['pc1_top_feature']!r}, holds "
            f"{percent(row['pc1_top_share'])} of PC1 (about "
            f"{row['pc1_effective_features']:.1f} features share it);",
            f"{percent(row['knn_overlap'])} of each point's neighbours are the "
            "same as in the unscaled data.",
        ]
        shares = [c for c in self.table.columns if c.startswith("pc1_share[")]
        if shares:
            imbalance = self.table[shares].max(axis=1)
            balanced = imbalance.idxmin()
            split = ", ".join(
                f"{c[len('pc1_share[') : -1]} {percent(self.table.loc[balanced, c])}"
                for c in shares
            )
            text.append(f"Most balanced between blocks: {balanced!r} ({split} of PC1).")
        if "none" in self.table.index and self.recommended != "none":
            raw = self.table.loc["none"]
            text.append(
                f"Unscaled, {raw['pc1_top_feature']!r} holds "
                f"{percent(raw['pc1_top_share'])} of PC1."
            )
        return " ".join(text)

    def _repr_html_(self):
        table = self.table.to_html(float_format=lambda v: f"{v:.4g}", na_rep="-")
        return f"<div><p>{html.escape(self.summary())}</p>{table}</div>"

    def __repr__(self):
        return f"<ScalerComparison of {len(self.table)} scalers: {self.summary()}>"

    def plot(self):
        """Bar charts of the key columns, one bar per candidate.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from skscale.diagnostics._plotting import plot_comparison

        return plot_comparison(self)

    def to_html(self, path=None):
        """Write (or return) a self-contained HTML report of the comparison.

        The report holds the comparison table, a plain-language reading, and the
        PCA-dominance and k-NN pictures of the recommended scaler (as embedded
        PNG, when matplotlib is installed).

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write the file; ``None`` returns the HTML text instead.

        Returns
        -------
        str or None
        """
        page = _render_page(self)
        if path is None:
            return page
        Path(path).write_text(page, encoding="utf-8")
        return None


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _render_page(comparison):
    ctx = comparison.context
    pca, knn = comparison.reports[comparison.recommended]
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>skscale report: {esc(ctx.get('title', 'data'))}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;"
        "line-height:1.4}table{border-collapse:collapse;font-size:0.85em}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
        "img{max-width:100%}.note{color:#555}</style></head><body>",
        f"<h1>skscale report: {esc(ctx.get('title', 'data'))}</h1>",
        f"<p>{esc(ctx.get('description', ''))}</p>",
        "<h2>Reading</h2>",
        f"<p>{esc(comparison.summary())}</p>",
        f"<p>{esc(pca.summary())}</p>",
        f"<p>{esc(knn.summary())}</p>",
        "<h2>Candidates</h2>",
        comparison.table.to_html(float_format=lambda v: f"{v:.4g}", na_rep="-"),
    ]
    try:
        pictures = [
            ("Comparison", comparison.plot()),
            (f"PCA dominance, unscaled vs {comparison.recommended}", pca.plot()),
            (
                f"Distances and neighbours, unscaled vs {comparison.recommended}",
                knn.plot(),
            ),
        ]
    except ImportError as exc:
        parts.append(f"<p class='note'>No pictures: {esc(str(exc))}</p>")
    else:
        for title, figure in pictures:
            parts.append(f"<h2>{esc(title)}</h2>")
            parts.append(
                f"<img alt='{esc(title)}' src='data:image/png;base64,{_png(figure)}'>"
            )
    if pca.blocks is not None:
        parts.append("<h2>Blocks, unscaled vs recommended</h2>")
        parts.append(pca.blocks.to_html(float_format=lambda v: f"{v:.4g}"))
    for note in ctx.get("notes", []):
        parts.append(f"<p class='note'>{esc(note)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _recommend(table, blocks):
    """Pick a candidate, and say why."""
    if "cv_score_mean" in table and table["cv_score_mean"].notna().any():
        ranked = table.sort_values(
            ["cv_score_mean", "cv_score_std"], ascending=[False, True]
        )
        best = ranked.index[0]
        mean, std = table.loc[best, "cv_score_mean"], table.loc[best, "cv_score_std"]
        close = [
            name
            for name in ranked.index[1:]
            if table.loc[name, "cv_score_mean"] >= mean - std
        ]
        tie = (
            f" ({', '.join(repr(n) for n in close)} within one standard deviation)"
            if close
            else ""
        )
        return best, (
            f"It has the best cross-validated score ({mean:.3f} +/- {std:.3f}, the "
            f"scaler fitted inside each fold){tie}."
        )
    if "purity" in table and table["purity"].notna().any():
        best = table["purity"].idxmax()
        return best, (
            f"Its nearest neighbours most often share their class "
            f"(purity {table.loc[best, 'purity']:.2f})."
        )
    if blocks:
        share_columns = [f"pc1_share[{block}]" for block in blocks]
        imbalance = table[share_columns].max(axis=1)
        best = imbalance.idxmin()
        return best, (
            "It balances the blocks best: no block holds more than "
            f"{percent(imbalance[best])} of PC1."
        )
    best = table["pc1_effective_features"].idxmax()
    return best, (
        "It spreads PC1 over the most features (about "
        f"{table.loc[best, 'pc1_effective_features']:.1f})."
    )


def compare_scalers(
    X,
    y=None,
    *,
    scalers=None,
    blocks=None,
    estimator=None,
    cv=5,
    n_neighbors=10,
    random_state=None,
    progress=None,
    prefit=False,
):
    """Compare candidate scalers on one table, and recommend one.

    Each candidate is fitted on ``X`` and judged by what it does to PCA (how
    much of PC1 one feature or block holds), to nearest neighbours (how many
    are kept from the unscaled data, whether they share the class of ``y``),
    to the loss surface of least squares (the condition number of the
    covariance), and, with an ``estimator``, by the cross-validated score of
    ``Pipeline([scaler, estimator])``, the scaler fitted inside each fold.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Numeric data.
    y : array-like of shape (n_samples,), default=None
        Target: class labels give ``purity``; any target, with ``estimator``,
        gives the cross-validated score.
    scalers : dict of str -> transformer, default=None
        The candidates; ``None`` means ``"none"`` (centring only),
        ``"zscore"``, ``"minmax"``, ``"robust"`` (scikit-learn's
        RobustScaler), ``"pareto"``, and ``"block_mfa"`` when ``blocks`` are
        given.
    blocks : dict, default=None
        Block name -> columns, as for :class:`~skscale.preprocessing.BlockScaler`.
    estimator : estimator, default=None
        Cross-validated after each scaler (needs ``y``).
    cv : int or cross-validation generator, default=5
        As in :func:`sklearn.model_selection.cross_validate`.
    n_neighbors : int, default=10
        Neighbours for the k-NN columns.
    random_state : int or None, default=None
        Seed for the k-NN report's sampling on large data.
    progress : callable, default=None
        Called with a short message before each candidate (the ``skscale``
        command prints them).
    prefit : bool, default=False
        The candidates are already fitted (for example by ``partial_fit`` over
        a file too large for memory, ``X`` being a sample of it): they only
        transform ``X``. Cross-validation still fits fresh clones in each fold.

    Returns
    -------
    ScalerComparison

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
    if scalers is None:
        scalers = default_scalers(blocks)
    if not scalers:
        raise ValueError("compare_scalers needs at least one candidate scaler.")
    if estimator is not None and y is None:
        raise ValueError("An estimator needs y: cross-validation scores a prediction.")
    labels = None
    if y is not None:
        y = np.asarray(y)
        if type_of_target(y) in ("binary", "multiclass"):
            labels = y

    rows, reports = {}, {}
    for name, scaler in scalers.items():
        if progress is not None:
            progress(f"scaling with {name!r}")
        fitted = scaler if prefit else clone(scaler).fit(X)
        scaled = np.asarray(fitted.transform(X), dtype=np.float64)
        pca = pca_dominance(X, scaled, blocks=blocks, n_components=2)
        knn = knn_distortion(
            X,
            scaled,
            y=labels,
            n_neighbors=n_neighbors,
            blocks=blocks,
            random_state=random_state,
        )
        reports[name] = (pca, knn)
        pc1 = pca.components.iloc[0]
        largest, condition = _covariance_spectrum(scaled)
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
        if estimator is not None:
            if progress is not None:
                progress(f"cross-validating {type(estimator).__name__} after {name!r}")
            pipeline = Pipeline(
                [("scaler", clone(scaler)), ("estimator", clone(estimator))]
            )
            scores = cross_validate(pipeline, X, y, cv=cv)["test_score"]
            row["cv_score_mean"] = float(np.mean(scores))
            row["cv_score_std"] = float(np.std(scores))
        if pca.blocks is not None:
            for block, share in pca.blocks["pc1_share_after"].items():
                row[f"pc1_share[{block}]"] = share
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "scaler"
    if labels is None:
        table = table.drop(columns="purity")
    recommended, reason = _recommend(table, list(pca.blocks.index) if blocks else None)
    context = {"n_samples": len(table), "blocks": blocks}
    return ScalerComparison(table, recommended, reason, reports, context)
