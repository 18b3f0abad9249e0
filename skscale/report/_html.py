"""The HTML page of a scaler comparison: reads a ScalerComparison, writes HTML.

The comparison is plain data; this module only renders it, from the page
template below. Pictures are drawn one panel per image, at the size they are
shown (the page lays them out in a grid that wraps on a phone), as PNG
embedded in the page, so the file is self-contained.
"""

import base64
import html
import io
import math
from string import Template

import numpy as np

from skscale.diagnostics._common import covariate_of, from_to, percent
from skscale.utils._text import visible

# Each picture: one panel of this size in CSS pixels, drawn at _DPI_SCALE
# times the pixels for sharp text on high-density screens.
_PANEL_WIDTH, _PANEL_HEIGHT = 440, 330
_SWIPE = (
    "<p class='note swipe'>The table scrolls sideways: more columns to the right.</p>"
)
_LEGEND_ROW = 19  # pixels per line of a legend under a plot
_DPI_SCALE = 1.5
_FONT_PT = 10.5

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>skscale report: $title</title>
<style>
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
color:#1d2330;background:#fff;line-height:1.45;font-size:16px}
main{max-width:1180px;margin:0 auto;padding:16px 14px 40px}
h1{font-size:1.5em;margin:.2em 0 .3em;overflow-wrap:anywhere}
h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid #e3e6ec;
padding-bottom:.2em}
p,li{overflow-wrap:anywhere}
.lead{color:#4a5263;margin:.2em 0 .8em}
.facts{margin:.4em 0 1em;padding-left:1.2em;color:#333a48;font-size:.95em}
.facts li{margin:.15em 0}
.facts .warn,td .warn,#verdict .warn{color:#8a4b00}
#verdict{border:2px solid #1f6fb4;background:#eef5fc;border-radius:8px;
padding:12px 16px;margin:12px 0 8px}
#verdict .use{font-size:1.35em;font-weight:700;margin:0 0 .2em}
#verdict p{margin:.3em 0}
.changes li{margin:.3em 0}
.grid{display:flex;flex-wrap:wrap;gap:12px 18px;align-items:flex-start}
figure{margin:0;max-width:100%}
figure img{display:block;max-width:100%;height:auto}
figcaption{font-size:.85em;color:#4a5263;max-width:${panel_width}px}
.scroll{overflow-x:auto;max-width:100%;border:1px solid #e3e6ec;border-radius:6px;
background:linear-gradient(to right,#fff 30%,rgba(255,255,255,0)) left/40px 100%,
linear-gradient(to left,#fff 30%,rgba(255,255,255,0)) right/40px 100%,
radial-gradient(farthest-side at 0 50%,rgba(0,0,0,.18),transparent) left/14px 100%,
radial-gradient(farthest-side at 100% 50%,rgba(0,0,0,.18),transparent) right/14px 100%;
background-repeat:no-repeat;background-attachment:local,local,scroll,scroll}
table{border-collapse:collapse;font-size:.9em;font-variant-numeric:tabular-nums}
th,td{padding:5px 9px;text-align:right;white-space:nowrap;
border-bottom:1px solid #eef0f4}
th{background:#f5f7fa;font-weight:600;vertical-align:bottom;white-space:normal;
min-width:6em;max-width:9.5em}
th:first-child,td:first-child{text-align:left;position:sticky;left:0;
background:#fff}
th:first-child{background:#f5f7fa}
tr.recommended td{background:#e4f0fb;font-weight:600}
tr.recommended td:first-child{background:#e4f0fb}
tr.fine td{background:#f3f8fd}
tr.fine td:first-child{background:#f3f8fd}
dl.legend{display:grid;grid-template-columns:minmax(8em,max-content) 1fr;
gap:.2em 1em;font-size:.9em;margin:.8em 0}
dl.legend dt{font-weight:600}
dl.legend dd{margin:0;color:#333a48}
.note{color:#4a5263;font-size:.92em}
.failed{color:#8a1f11}
footer{margin-top:2em;font-size:.85em;color:#6a7283}
@media (max-width:600px){dl.legend{grid-template-columns:1fr}
dl.legend dd{margin-bottom:.4em}}
.wide{position:relative}
@media (min-width:1240px){.scroll.wide{width:max-content;min-width:100%;
max-width:min(100vw - 64px,1600px);left:50%;transform:translateX(-50%)}}
.swipe{display:none}
@media (max-width:1000px){.swipe{display:block;margin:.2em 0 0}}
</style>
</head>
<body>
<main>
<h1>Which scaler for $title?</h1>
$description
$facts
<section id="verdict" aria-label="verdict">
$verdict
</section>
$changes
<h2>All candidates</h2>
<div class="scroll wide">
$table
</div>
$swipe
$legend
$comparison_pictures
$details
<footer>Made by skscale $version. Every figure on this page is computed from the
data above; the scalers are fitted on the rows compared (or streamed over every
row, where a note says so).</footer>
</main>
</body>
</html>
"""
)


def _e(text):
    # a bidirectional override in a column name would display the rest of
    # its sentence reversed: such characters are shown as their escapes
    return html.escape(visible(text, keep="\n\t"), quote=True)


def _number(value, digits=3):
    """Three significant figures; powers of ten for very large or small."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    value = float(value)
    if math.isinf(value):
        return "&infin;" if value > 0 else "&minus;&infin;"
    if value == 0:
        return "0"
    value = float(f"{value:.{digits}g}")  # 0.99996 -> 1.0, then 1.00
    exponent = math.floor(math.log10(abs(value)))
    if -3 <= exponent < 6:
        decimals = max(0, digits - 1 - exponent)
        text = f"{value:,.{decimals}f}"
        return text.replace("-", "&minus;")
    mantissa = value / 10**exponent
    sign = "&minus;" if mantissa < 0 else ""
    return f"{sign}{abs(mantissa):.{digits - 1}f}&times;10<sup>{exponent}</sup>"


def _plain_number(value):
    """Three significant figures as plain text (for sentences), written as the
    table writes them."""
    if not np.isfinite(value):
        return "infinite (singular)"
    return html.unescape(_number(value)).replace("<sup>", "^").replace("</sup>", "")


def _percent(value):
    if value is None or not np.isfinite(value):
        return "&ndash;"
    return f"{100 * value:.1f}%" if value < 0.9995 else f"{100 * value:.0f}%"


def _score(mean, std):
    """Mean and standard deviation to the same decimals (3 for scores near 1)."""
    if abs(mean) < 10 and abs(std) < 10:
        return f"{mean:.3f} &plusmn; {std:.3f}".replace("-", "&minus;")
    return f"{_number(mean)} &plusmn; {_number(std)}"


def _columns(comparison):
    """(header, legend, formatter) per shown column, in order."""
    table = comparison.table
    columns = []
    if "cv_score_mean" in table:
        columns.append(
            (
                f"{comparison.metric} (cross-validated)",
                f"Mean {comparison.metric} over {comparison.cv_description}, the "
                "scaler fitted inside each fold, &plusmn; its standard deviation "
                "over folds. Higher is better.",
                lambda row: _score(row["cv_score_mean"], row["cv_score_std"]),
            )
        )
        columns.append(
            (
                "p (worse than best)",
                "One-sided p-value that the candidate scores lower than the best "
                "(corrected paired t-test on the same folds). Below 0.05: "
                "significantly worse; above: a tie within noise.",
                lambda row: _number(row["cv_p_value"], 2),
            )
        )
    if "purity" in table:
        columns.append(
            (
                "Same-class neighbours",
                f"Share of each sample's {_n_neighbors(comparison)} nearest "
                "neighbours that have its class. Higher is better.",
                lambda row: _percent(row["purity"]),
            )
        )
    for block in comparison.blocks or {}:
        columns.append(
            (
                f"PC1 from {block}",
                f"Share of PC1 (sum of squared loadings) held by the {block} "
                "block. Balanced blocks share PC1 rather than one owning it.",
                lambda row, b=block: (
                    _percent(row[f"pc1_share[{b}]"])
                    + _dominance_mark(comparison, row.name, "block", b)
                ),
            )
        )
    for column in table.columns:
        covariate = covariate_of(column)
        if covariate is not None:
            columns.append(
                (
                    f"PC1 from {covariate}",
                    f"Share of PC1's variance explained by the covariate {covariate} "
                    "(R&sup2; of the PC1 scores on it; the 'none' row is the "
                    "unscaled data). A batch should explain little.",
                    lambda row, c=column: _percent(row[c]),
                )
            )
    columns += [
        (
            "Top feature of PC1",
            "The feature with the largest loading on the first principal component.",
            lambda row: _e(row["pc1_top_feature"]),
        ),
        (
            "Its share of PC1",
            "That feature's squared loading: 100% means one feature is PC1 by "
            "itself. Lower means PC1 is shared. &#9888; marks a feature (or "
            "block) that holds most of PC1 and at least twice its fair share of "
            "the variance: PCA and distances after that candidate are mostly it.",
            lambda row: (
                _percent(row["pc1_top_share"])
                + _dominance_mark(comparison, row.name, "feature")
            ),
        ),
        (
            "Features sharing PC1",
            "Effective number of features in PC1, 1 / sum(loading^4). Higher "
            "means more features contribute.",
            lambda row: _number(row["pc1_effective_features"]),
        ),
        (
            "PC1 variance",
            "Share of the total variance that PC1 explains.",
            lambda row: _percent(row["pc1_evr"]),
        ),
        (
            "Neighbours kept",
            "Share of each sample's nearest neighbours that are the same as in "
            "the unscaled data. Neither good nor bad by itself: low means the "
            "scaling changed who is close to whom.",
            lambda row: _percent(row["knn_overlap"]),
        ),
        (
            "Condition number",
            "Largest over smallest eigenvalue of the covariance: how far the "
            "least-squares loss surface is from round (&infin;: singular, when "
            "features outnumber samples or a column is constant). Lower is "
            "better for gradient training.",
            lambda row: _number(row["condition_number"]),
        ),
    ]
    return columns


def _dominance_mark(comparison, name, kind, block=None):
    """&#9888; on the cell of the feature (or block) that dominates PC1
    after the candidate ``name``, with the sentence as its tooltip."""
    found = comparison.dominated.get(name)
    if found is None or found.kind != kind or (block and found.name != block):
        return ""
    return f" <span class='warn' title='{_e(found.sentence())}'>&#9888;</span>"


def _n_neighbors(comparison):
    _, knn = next(iter(comparison.reports.values()))
    return int(knn.metrics["n_neighbors"])


def _table(comparison, columns):
    head = "".join(f"<th scope='col'>{_e(header)}</th>" for header, _, _ in columns)
    rows = []
    for name, row in comparison.table.iterrows():
        if name == comparison.recommended:
            css, label = "recommended", f"{_e(name)} &#9733;"
        elif name in comparison.also_fine:
            css, label = "fine", f"{_e(name)} (also fine)"
        else:
            css, label = "", _e(name)
        cells = "".join(f"<td>{formatter(row)}</td>" for _, _, formatter in columns)
        rows.append(f"<tr class='{css}'><td>{label}</td>{cells}</tr>")
    return (
        "<table><thead><tr><th scope='col'>Scaler</th>"
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _legend(columns):
    items = "".join(
        f"<dt>{_e(header)}</dt><dd>{text}</dd>" for header, text, _ in columns
    )
    return (
        "<dl class='legend'><dt>&#9733;</dt><dd>The recommended scaler; "
        "&ldquo;also fine&rdquo; marks a tie within noise.</dd>"
        f"{items}</dl>"
    )


def _verdict(comparison):
    baseline = comparison.baseline
    if baseline is not None and not baseline.beaten:
        parts = [
            f"<p class='use'>{_e(baseline.headline())}.</p>",
            f"<p>By the diagnostics alone: {_e(comparison.recommended)}.</p>",
        ]
    else:
        parts = [f"<p class='use'>Use {_e(comparison.recommended)}.</p>"]
    if comparison.also_fine:
        parts.append(f"<p><b>Also fine:</b> {_e(', '.join(comparison.also_fine))}.</p>")
    parts.append(f"<p><b>Why:</b> {_e(comparison.reason)}</p>")
    flagged = [
        found.sentence()
        for name, found in comparison.dominated.items()
        if name != "none" and found.sentence() not in comparison.reason
    ]
    if flagged:
        parts.append(
            "<p class='warn'>&#9888; "
            + _e("; ".join(flagged))
            + ": PCA and distances after "
            + ("it are" if len(flagged) == 1 else "them are")
            + " mostly that one feature or block.</p>"
        )
    if comparison.metric:
        parts.append(
            f"<p class='note'>Metric: {_e(comparison.metric)} "
            f"({_e(comparison.task)}; scikit-learn scorer "
            f"<code>{_e(comparison.scoring)}</code>).</p>"
        )
    return "\n".join(parts)


def _facts(comparison, notes):
    items = [f"<li>{_e(note)}</li>" for note in notes]
    if comparison.n_missing:
        cells = comparison.n_samples * len(comparison.feature_names)
        items.append(
            f"<li>{comparison.n_missing:,} of {cells:,} cells are missing "
            f"({percent(comparison.n_missing / cells)}): the scalers skip them, the "
            "cross-validation fills them with the column mean inside each fold "
            "(after the scaler), and the diagnostics count them as the column "
            "mean.</li>"
        )
    if comparison.n_target_missing:
        items.append(
            f"<li>{comparison.n_target_missing:,} rows with a missing target were "
            "left out.</li>"
        )
    if comparison.constant_columns:
        shown = ", ".join(comparison.constant_columns[:10])
        more = len(comparison.constant_columns) - 10
        items.append(
            f"<li>Constant columns (one value): {_e(shown)}"
            + (f" and {more} more" if more > 0 else "")
            + ". No scaler changes them, and they make the covariance singular.</li>"
        )
    for name, why in comparison.failed.items():
        items.append(f"<li class='failed'>Candidate {_e(name)} failed: {_e(why)}</li>")
    for line, names in _warnings_once(comparison.warnings):
        who = "Candidate" if len(names) == 1 else "Candidates"
        items.append(
            f"<li class='warn'>{who} {_e(', '.join(names))} warned: {_e(line)}</li>"
        )
    if not items:
        return ""
    return f"<ul class='facts'>{''.join(items)}</ul>"


def _warnings_once(warnings_by_candidate):
    """(line, candidates) for each warning, said once for every candidate that
    raised it (the first candidate's text, with its count)."""
    from skscale.diagnostics._compare import _COUNTED, warning_template

    grouped = {}
    for name, lines in warnings_by_candidate.items():
        for line in lines:
            key = warning_template(_COUNTED.sub("", line))
            grouped.setdefault(key, (line, []))[1].append(name)
    return list(grouped.values())


def _changes(comparison):
    """What the recommended scaler changed, as a few short lines."""
    pca, knn = comparison.reports[comparison.recommended]
    pc1 = pca.components.iloc[0]
    name = comparison.recommended
    items = []
    if name == "none":
        items.append(
            "No scaling is recommended: the unscaled data do at least as well as "
            "every scaling tried, so there is no before and after to show."
        )
        items.append(
            f"Unscaled, PC1 explains {percent(pc1['evr_before'])} of the variance; "
            f"its largest loading, {pc1['top_feature_before']!r}, holds "
            f"{percent(pc1['top_share_before'])} of it."
        )
    else:
        items.append(
            f"PC1: unscaled, {pc1['top_feature_before']!r} holds "
            f"{percent(pc1['top_share_before'])} of it (about "
            f"{pc1['effective_features_before']:.1f} features share it); with "
            f"{name}, {pc1['top_feature_after']!r} holds "
            f"{percent(pc1['top_share_after'])} and about "
            f"{pc1['effective_features_after']:.1f} features share it."
        )
        if pca.blocks is not None:
            shares = pca.blocks
            before = ", ".join(
                f"{b} {percent(v)}" for b, v in shares["pc1_share_before"].items()
            )
            after = ", ".join(
                f"{b} {percent(v)}" for b, v in shares["pc1_share_after"].items()
            )
            items.append(
                f"Blocks' share of PC1: unscaled {before}; with {name}, {after}."
            )
        m = knn.metrics
        line = (
            f"Neighbours: {percent(m['overlap'])} of each sample's "
            f"{int(m['n_neighbors'])} nearest neighbours are the same as unscaled"
        )
        if np.isfinite(m["purity_before"]):
            shift = from_to(
                percent(m["purity_before"]), percent(m["purity_after"]), plural=True
            )
            line += f"; neighbours sharing the class {shift}"
        items.append(line + ".")
        table = comparison.table
        if "none" in table.index:
            before_cond = table.loc["none", "condition_number"]
            after_cond = table.loc[name, "condition_number"]
            if np.isfinite(before_cond) or np.isfinite(after_cond):
                before_text = _plain_number(before_cond)
                after_text = _plain_number(after_cond)
                shift = (
                    f"stays at {after_text}"
                    if before_text == after_text
                    else f"goes from {before_text} unscaled to {after_text}"
                )
                items.append(
                    f"Loss surface: the condition number of the covariance {shift}."
                )
    lines = "".join(f"<li>{_e(item)}</li>" for item in items)
    pictures = _change_pictures(comparison)
    heading = "The unscaled data" if name == "none" else f"What {_e(name)} changed"
    return f"<h2>{heading}</h2><ul class='changes'>{lines}</ul>{pictures}"


# --- pictures ---------------------------------------------------------------


def _panel(draw, caption, *, show_caption=True, height=_PANEL_HEIGHT):
    """Draw one panel with ``draw(ax)`` into a figure of the shown size;
    returns the ``<figure>`` element (``caption`` as its alternative text, and
    under it unless the panel's title says it already), or None without
    matplotlib."""
    try:
        from matplotlib import rc_context
        from matplotlib.figure import Figure
    except ImportError:
        return None
    dpi = 100 * _DPI_SCALE
    with rc_context({"font.size": _FONT_PT, "axes.titlesize": _FONT_PT + 1}):
        figure = Figure(
            figsize=(_PANEL_WIDTH / 100, height / 100),
            dpi=dpi,
            layout="constrained",
        )
        ax = figure.subplots()
        draw(ax)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"<figure><img width='{_PANEL_WIDTH}' height='{height}' "
        f"alt='{_e(caption)}' src='data:image/png;base64,{data}'>"
        + (f"<figcaption>{_e(caption)}</figcaption>" if show_caption else "")
        + "</figure>"
    )


def _grid(figures):
    shown = [figure for figure in figures if figure is not None]
    if not shown:
        return (
            "<p class='note'>No pictures: matplotlib is not installed "
            "(pip install 'skscale[plot]').</p>"
        )
    return f"<div class='grid'>{''.join(shown)}</div>"


def score_panel_height(y):
    """Pixels of a score panel: taller by the legend under it, for many or
    long classes."""
    from skscale.diagnostics._plotting import legend_lines

    lines = 0 if y is None else legend_lines(y)
    return _PANEL_HEIGHT + (_LEGEND_ROW * lines + 10 if lines else 0)


def _change_pictures(comparison):
    from skscale.diagnostics import _plotting as plots

    name = comparison.recommended
    pca, knn = comparison.reports[name]
    y, target = comparison.y, comparison.target_name or "target"
    whens = ("before",) if name == "none" else ("before", "after")
    # a legend of many classes goes under the plot: the panel grows for it
    height = score_panel_height(y)
    figures = []
    for when in whens:
        label = "unscaled" if when == "before" else name
        figures.append(
            _panel(
                lambda ax, w=when: plots.scores_panel(
                    pca, ax, when=w, y=y, target_name=target
                ),
                f"Samples on PC1 and PC2, {label}"
                + (f", coloured by {target}" if y is not None else ""),
                height=height,
            )
        )
    if name != "none":
        what = "block" if pca.blocks is not None else "feature"
        figures.append(
            _panel(
                lambda ax: plots.pca_loadings_panel(pca, ax),
                f"Share of PC1 by {what}, unscaled (grey) and {name} (blue)",
            )
        )
        figures.append(
            _panel(
                lambda ax: plots.knn_shares_panel(knn, ax),
                f"Share of squared distances by {what}, unscaled and {name}",
            )
        )
    if name != "none" and pca.covariates is not None:
        covariates = pca.covariates.index.get_level_values("covariate")
        for covariate in dict.fromkeys(covariates):
            figures.append(
                _panel(
                    lambda ax, c=covariate: plots.covariates_panel(pca, ax, c),
                    f"Share of each component's variance explained by {covariate}, "
                    f"unscaled (grey) and {name} (blue)",
                )
            )
    return _grid(figures)


def _comparison_pictures(comparison):
    from skscale.diagnostics import _plotting as plots

    table = comparison.table
    panels = []
    if "cv_score_mean" in table:
        panels.append(("cv_score_mean", f"Cross-validated {comparison.metric}"))
    elif "purity" in table:
        panels.append(("purity", "Neighbours sharing the class"))
    panels.append(("pc1_top_share", "Largest single feature's share of PC1"))
    panels.append(("knn_overlap", "Neighbours kept from the unscaled data"))
    figures = [
        _panel(
            lambda ax, c=column, t=title: plots.comparison_panel(
                comparison, ax, c, title=t
            ),
            title,
            show_caption=False,
        )
        for column, title in panels
    ]
    note = ""
    condition = table["condition_number"].to_numpy(dtype=float)
    if np.isfinite(condition).any():
        figures.append(
            _panel(
                lambda ax: plots.comparison_panel(
                    comparison, ax, "condition_number", title="Condition number"
                ),
                "Condition number of the covariance (log scale; lower is rounder)",
                show_caption=False,
            )
        )
    else:
        n_features = len(comparison.feature_names)
        if n_features >= comparison.n_samples:
            why = (
                f"features ({n_features:,}) outnumber samples "
                f"({comparison.n_samples:,})"
            )
        elif comparison.constant_columns:
            why = (
                f"{len(comparison.constant_columns):,} constant column(s), named "
                "at the top"
            )
        else:
            why = "a column is a combination of others"
        note = (
            "<p class='note'>No condition-number picture: the covariance is "
            f"singular for every candidate ({why}), so the number is infinite.</p>"
        )
    for column in table:
        covariate = covariate_of(column)
        if covariate is not None:
            figures.append(
                _panel(
                    lambda ax, c=column: plots.comparison_panel(comparison, ax, c),
                    f"Share of PC1's variance explained by {covariate} after each "
                    "candidate (lower: PC1 is less about it)",
                    show_caption=False,
                )
            )
    key = (
        "<p class='note'>Dark blue: the recommended scaler; light blue: also fine "
        "(a tie within noise); grey: the others.</p>"
    )
    return f"<h2>Candidates side by side</h2>{key}{_grid(figures)}{note}"


def _details(comparison):
    parts = ["<h2>How the recommendation is made</h2>"]
    if comparison.fold_scores is not None:
        parts.append(
            "<p>Every candidate is scored on the same folds "
            f"({_e(comparison.cv_description)}), with the scaler fitted inside "
            "each fold. The per-fold differences to the best candidate go through "
            "the corrected resampled t-test of Nadeau and Bengio (2003), which "
            "allows for the overlap of the training sets; a candidate that is not "
            "significantly worse (one-sided, 5%) is &ldquo;also fine&rdquo;, and "
            "the best must itself beat a prediction that ignores the features "
            "(the training mean, or the most frequent class) on the same folds, "
            "else the scores cannot choose and the diagnostics alone do. A "
            "candidate that leaves one feature (or block) with most of PC1 and at "
            "least twice its fair share of the variance gives way to a tied one "
            "that does not. Among the tied candidates, the one that keeps the "
            "blocks most balanced "
            "(with blocks), else whose neighbours most often share their class "
            "(class targets), else that spreads PC1 over the most features "
            "(regression), is recommended; a difference too small to show leaves "
            "the best score.</p>"
        )
    else:
        parts.append(
            "<p>Without a target to cross-validate, the candidate whose neighbours "
            "most often share their class is recommended (class targets); else "
            "the one that balances the blocks best; else the one that spreads PC1 "
            "over the most features; a candidate that leaves one feature (or "
            "block) with most of PC1 and at least twice its fair share of the "
            "variance is chosen only when every candidate does.</p>"
        )
    pca, _ = comparison.reports[comparison.recommended]
    if pca.blocks is not None:
        rows = "".join(
            f"<tr><td>{_e(block)}</td><td>{int(r['n_features'])}</td>"
            f"<td>{_percent(r['variance_share_before'])}</td>"
            f"<td>{_percent(r['variance_share_after'])}</td>"
            f"<td>{_percent(r['pc1_share_before'])}</td>"
            f"<td>{_percent(r['pc1_share_after'])}</td></tr>"
            for block, r in pca.blocks.iterrows()
        )
        parts.append(
            f"<h2>Blocks, unscaled and {_e(comparison.recommended)}</h2>"
            "<div class='scroll'><table><thead><tr><th>Block</th><th>Features</th>"
            "<th>Variance unscaled</th><th>Variance scaled</th>"
            "<th>PC1 unscaled</th><th>PC1 scaled</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )
    return "".join(parts)


def comparison_fragment(comparison):
    """The verdict, the table and its legend, for a notebook."""
    columns = _columns(comparison)
    return (
        f"<div><div style='margin:.4em 0'>{_verdict(comparison)}</div>"
        f"<div style='overflow-x:auto'>{_table(comparison, columns)}</div>"
        f"{_legend(columns)}</div>"
    )


def render_comparison(comparison, *, title=None, description=None, notes=()):
    """The whole self-contained HTML page of a :class:`ScalerComparison`."""
    from skscale import __version__

    columns = _columns(comparison)
    title = title or "your data"
    return _PAGE.substitute(
        title=_e(title),
        panel_width=_PANEL_WIDTH,
        description=f"<p class='lead'>{_e(description)}</p>" if description else "",
        facts=_facts(comparison, notes),
        verdict=_verdict(comparison),
        changes=_changes(comparison),
        table=_table(comparison, columns),
        swipe=_SWIPE,
        legend=_legend(columns),
        comparison_pictures=_comparison_pictures(comparison),
        details=_details(comparison),
        version=_e(__version__),
    )


def render_notice(*, title, message, notes=()):
    """A short page that says why there is nothing to compare."""
    from skscale import __version__

    facts = "".join(f"<li>{_e(note)}</li>" for note in notes)
    return _PAGE.substitute(
        title=_e(title),
        panel_width=_PANEL_WIDTH,
        description="",
        facts=f"<ul class='facts'>{facts}</ul>" if facts else "",
        verdict=f"<p class='use'>Nothing to compare.</p><p>{_e(message)}</p>",
        changes="",
        table="<p class='note'>No candidates were compared.</p>",
        swipe="",
        legend="",
        comparison_pictures="",
        details="",
        version=_e(__version__),
    )
