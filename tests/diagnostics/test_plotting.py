"""The pictures: panel functions, figure functions and the reports' plot()."""

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_wine

from skscale.datasets import load_nutrimouse
from skscale.diagnostics import knn_distortion, pca_dominance
from skscale.preprocessing import BlockScaler, ZScoreScaler

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.layout_engine import ConstrainedLayoutEngine  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from skscale.diagnostics._plotting import (  # noqa: E402
    comparison_columns,
    comparison_panel,
    knn_metrics_panel,
    knn_shares_panel,
    pca_evr_panel,
    pca_loadings_panel,
    plot_comparison,
    plot_knn_distortion,
    plot_pca_dominance,
    plot_scores,
    scores_panel,
)

BLUE, LIGHT_BLUE, GREY = "#1f77b4", "#9ecae1", "#9e9e9e"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def wine():
    return load_wine(as_frame=True)


@pytest.fixture(scope="module")
def wine_pca(wine):
    return pca_dominance(wine.data, ZScoreScaler().fit_transform(wine.data))


@pytest.fixture(scope="module")
def wine_knn(wine):
    scaled = ZScoreScaler().fit_transform(wine.data)
    return knn_distortion(wine.data, scaled, y=wine.target, random_state=0)


@pytest.fixture(scope="module")
def mice():
    return load_nutrimouse()


@pytest.fixture(scope="module")
def mice_pca(mice):
    scaled = BlockScaler(mice.blocks).fit_transform(mice.data)
    return pca_dominance(mice.data, scaled, blocks=mice.blocks)


@pytest.fixture(scope="module")
def mice_knn(mice):
    scaled = BlockScaler(mice.blocks).fit_transform(mice.data)
    return knn_distortion(mice.data, scaled, y=mice.diet, blocks=mice.blocks)


def one_axes():
    return Figure().subplots()


def two_axes():
    return Figure().subplots(1, 2)


def tick_labels(ax):
    return [label.get_text() for label in ax.get_yticklabels()]


def legend_texts(ax):
    legend = ax.get_legend()
    assert legend is not None, "no legend"
    return [text.get_text() for text in legend.get_texts()]


def bar_colours(ax):
    return [to_hex(patch.get_facecolor()) for patch in ax.patches]


def assert_readable(figure):
    for text in figure.findobj(Text):
        if text.get_visible() and text.get_text():
            assert text.get_fontsize() >= 9, (text.get_text(), text.get_fontsize())


# -------------------------------------------------------------- PCA panels


def test_loadings_panel_shows_the_top_features(wine_pca):
    ax = one_axes()
    assert pca_loadings_panel(wine_pca, ax, max_features=5) is None
    assert ax.get_title() == "PC1 squared loadings"
    assert "squared loading" in ax.get_xlabel()
    labels = tick_labels(ax)
    assert len(labels) == 5
    assert labels[0] == "proline"  # all of PC1 before scaling
    assert legend_texts(ax) == ["before", "after"]
    # paired bars, grey before and blue after, as long as the squared loadings
    assert bar_colours(ax) == [GREY] * 5 + [BLUE] * 5
    widths = [patch.get_width() for patch in ax.patches]
    loadings = wine_pca.features[["pc1_loading_before", "pc1_loading_after"]] ** 2
    top = loadings.max(axis=1).sort_values(ascending=False).index[:5]
    assert_allclose(widths[:5], loadings.loc[top, "pc1_loading_before"])
    # long names are shortened so that they cannot squeeze the bars out
    assert "od280/od315_of_diluted_wines" in top
    assert "od280/od315_of_dilute\u2026" in labels
    assert max(len(label) for label in labels) <= 22


def test_loadings_panel_shows_the_blocks(mice_pca):
    ax = one_axes()
    pca_loadings_panel(mice_pca, ax)
    assert ax.get_title() == "PC1 share by block"
    assert ax.get_xlabel() == "sum of squared PC1 loadings"
    assert tick_labels(ax) == ["gene", "lipid"]
    widths = [patch.get_width() for patch in ax.patches]
    blocks = mice_pca.blocks
    assert_allclose(widths, [*blocks["pc1_share_before"], *blocks["pc1_share_after"]])


def test_loadings_panel_refuses_a_bad_max_features(wine_pca):
    with pytest.raises(ValueError, match="max_features must be a positive integer"):
        pca_loadings_panel(wine_pca, one_axes(), max_features=0)


def test_evr_panel(wine_pca):
    ax = one_axes()
    pca_evr_panel(wine_pca, ax)
    assert ax.get_title() == "Explained variance ratio"
    assert tick_labels(ax) == list(wine_pca.components.index)
    widths = [patch.get_width() for patch in ax.patches]
    components = wine_pca.components
    assert_allclose(widths, [*components["evr_before"], *components["evr_after"]])


# ------------------------------------------------------------ score panels


@pytest.mark.parametrize("when", ["before", "after"])
def test_score_axes_give_the_share_of_variance(wine_pca, when):
    ax = one_axes()
    scores_panel(wine_pca, ax, when=when)
    pc1 = wine_pca.components.loc["PC1", f"evr_{when}"]
    pc2 = wine_pca.components.loc["PC2", f"evr_{when}"]
    assert ax.get_xlabel() == f"PC1 ({100 * pc1:.1f}% of variance)"
    assert ax.get_ylabel() == f"PC2 ({100 * pc2:.1f}% of variance)"
    assert ax.get_title() == f"{when.capitalize()} scaling"
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert_allclose(
        points.get_offsets(),
        wine_pca.scores[[f"pc1_{when}", f"pc2_{when}"]].to_numpy(),
    )
    assert ax.get_legend() is None


def test_score_labels_are_the_quoted_shares(wine_pca):
    ax = one_axes()
    scores_panel(wine_pca, ax, when="after")
    # the README quotes 36.2% for PC1 of z-scored wine
    assert ax.get_xlabel() == "PC1 (36.2% of variance)"


def test_class_labels_give_a_legend(wine, wine_pca):
    ax = one_axes()
    scores_panel(wine_pca, ax, when="after", y=wine.target, target_name="cultivar")
    assert legend_texts(ax) == ["0", "1", "2"]
    assert ax.get_legend().get_title().get_text() == "cultivar"
    assert len(ax.figure.axes) == 1  # no colorbar
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(p.get_offsets()) for p in points] == list(
        np.bincount(wine.target.to_numpy())
    )
    colours = {to_hex(p.get_facecolor()[0]) for p in points}
    assert len(colours) == 3


def test_string_labels_and_the_series_name(mice, mice_pca):
    ax = one_axes()
    scores_panel(mice_pca, ax, when="after", y=mice.diet)
    assert legend_texts(ax) == ["coc", "fish", "lin", "ref", "sun"]
    assert ax.get_legend().get_title().get_text() == "diet"


def test_a_categorical_keeps_its_order(mice, mice_pca):
    order = ["ref", "sun", "lin", "fish", "coc"]
    diet = mice.diet.astype(pd.CategoricalDtype(order, ordered=True))
    ax = one_axes()
    scores_panel(mice_pca, ax, when="before", y=diet, target_name="diet")
    assert legend_texts(ax) == order


def test_a_continuous_target_gets_a_colorbar(wine, wine_pca):
    figure = Figure()
    ax = figure.subplots()
    alcohol = wine.data["alcohol"]
    assert alcohol.nunique() > 20
    scores_panel(wine_pca, ax, when="after", y=alcohol.to_numpy(), target_name="%")
    assert ax.get_legend() is None
    assert len(figure.axes) == 2
    colorbar = figure.axes[1]
    assert colorbar.get_ylabel() == "%"
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert_allclose(points.get_array(), alcohol.to_numpy())


def test_missing_target_values_are_grey(wine, wine_pca):
    y = wine.target.to_numpy(dtype=float, copy=True)
    y[:4] = np.nan
    ax = one_axes()
    scores_panel(wine_pca, ax, when="after", y=y)
    assert legend_texts(ax) == ["missing", "0.0", "1.0", "2.0"]
    continuous = wine.data["alcohol"].to_numpy().copy()
    continuous[:4] = np.nan
    ax = one_axes()
    scores_panel(wine_pca, ax, when="after", y=continuous)
    assert legend_texts(ax) == ["missing"]
    assert len(ax.figure.axes) == 2


def test_scores_panel_refusals(wine, wine_pca):
    with pytest.raises(ValueError, match="when must be 'before' or 'after'"):
        scores_panel(wine_pca, one_axes(), when="during")
    with pytest.raises(ValueError, match=r"one value per sample .*\(178\)"):
        scores_panel(wine_pca, one_axes(), when="after", y=wine.target[:10])


def test_no_scores_is_a_clear_error(wine):
    da = pytest.importorskip("dask.array")
    X = da.from_array(wine.data.to_numpy(), chunks=(60, 13))
    report = pca_dominance(X, X)
    assert report.scores is None
    with pytest.raises(ValueError, match="This report has no scores"):
        scores_panel(report, one_axes(), when="before")
    with pytest.raises(ValueError, match="no scores"):
        report.plot_scores()


def test_one_component_only():
    t = np.linspace(-1.0, 1.0, 30)
    X = np.column_stack([t, 2.0 * t])
    report = pca_dominance(X, X)
    assert report.scores["pc2_after"].isna().all()
    ax = one_axes()
    scores_panel(report, ax, when="after")
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "one component only: PC2 has no variance" in texts
    assert ax.get_xlabel() == "PC1 (100.0% of variance)"


def test_no_variance():
    X = np.ones((10, 3))
    report = pca_dominance(X, X)
    ax = one_axes()
    scores_panel(report, ax, when="before")
    assert "no variance" in " ".join(t.get_text() for t in ax.texts)
    assert ax.get_xlabel() == "PC1"


# ----------------------------------------------------------- k-NN panels


def test_knn_shares_panel(wine_knn, mice_knn):
    ax = one_axes()
    knn_shares_panel(wine_knn, ax, max_features=4)
    assert ax.get_title() == "Share of squared distances"
    assert len(tick_labels(ax)) == 4
    assert tick_labels(ax)[0] == "proline"
    ax = one_axes()
    knn_shares_panel(mice_knn, ax)
    assert tick_labels(ax) == ["gene", "lipid"]
    widths = [patch.get_width() for patch in ax.patches]
    assert_allclose(widths[2:], mice_knn.blocks["distance_share_after"])


def test_knn_metrics_panel(wine_knn):
    ax = one_axes()
    knn_metrics_panel(wine_knn, ax)
    assert "label purity 0.67 -> 0.92" in ax.get_title()
    assert tick_labels(ax)[0] == "overlap"
    widths = [patch.get_width() for patch in ax.patches]
    assert_allclose(widths[0], wine_knn.metrics["overlap"])
    assert ax.get_xlim()[1] == 1.0


def test_knn_metrics_panel_without_labels(wine):
    report = knn_distortion(wine.data, ZScoreScaler().fit_transform(wine.data))
    ax = one_axes()
    knn_metrics_panel(report, ax)
    assert ax.get_title() == "Neighbourhoods after vs before"


# ------------------------------------------------------- comparison panel


def make_comparison(**changes):
    """A stand-in with the attributes the comparison panels read."""
    table = pd.DataFrame(
        {
            "pc1_top_share": [1.0, 0.18, 0.2, 0.19],
            "knn_overlap": [1.0, 0.17, 0.2, 0.18],
            "cv_score_mean": [0.70, 0.97, 0.90, 0.95],
            "cv_score_std": [0.05, 0.04, 0.15, np.nan],
            "purity": [0.67, 0.95, 0.94, 0.93],
            "condition_number": [1e7, 50.0, np.inf, np.nan],
        },
        index=pd.Index(["none", "zscore", "minmax", "robust"], name="scaler"),
    )
    fields = {
        "table": table,
        "recommended": "zscore",
        "also_fine": ["minmax"],
        "score_bounds": (0.0, 1.0),
        "metric": "accuracy",
    }
    fields.update(changes)
    return SimpleNamespace(**fields)


def test_comparison_colours_the_recommendation():
    comparison = make_comparison()
    ax = one_axes()
    assert comparison_panel(comparison, ax, "pc1_top_share") is None
    assert tick_labels(ax) == ["none", "zscore", "minmax", "robust"]
    assert bar_colours(ax) == [GREY, BLUE, LIGHT_BLUE, GREY]
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["zscore"]
    assert ax.get_title() == "Largest share of PC1"
    ax = one_axes()
    comparison_panel(comparison, ax, "knn_overlap", title="kept")
    assert ax.get_title() == "kept"


def errorbar_segments(ax):
    (container,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    (segments,) = container.lines[2]
    return np.array([s[:, 0] for s in segments.get_segments()])


def test_score_error_bars_stay_within_the_bounds():
    comparison = make_comparison()
    ax = one_axes()
    comparison_panel(comparison, ax, "cv_score_mean")
    assert ax.get_xlabel().startswith("accuracy")
    ends = errorbar_segments(ax)
    # robust has no standard deviation: three bars; zscore and minmax reach 1
    assert_allclose(ends, [[0.65, 0.75], [0.93, 1.0], [0.75, 1.0]])


def test_score_error_bars_for_r2_are_open_below():
    table = make_comparison().table.assign(
        cv_score_mean=[-0.5, 0.98, 0.90, 0.95], cv_score_std=[2.0, 0.05, 0.2, 0.01]
    )
    comparison = make_comparison(table=table, score_bounds=(-np.inf, 1.0), metric="R^2")
    ax = one_axes()
    comparison_panel(comparison, ax, "cv_score_mean")
    assert ax.get_xlabel().startswith("R^2")
    ends = errorbar_segments(ax)
    assert_allclose(ends, [[-2.5, 1.0], [0.93, 1.0], [0.7, 1.0], [0.94, 0.96]])


def test_condition_numbers_on_a_log_axis():
    comparison = make_comparison()
    ax = one_axes()
    comparison_panel(comparison, ax, "condition_number")
    assert ax.get_xscale() == "log"
    assert sorted(t.get_text() for t in ax.texts) == ["inf", "n/a"]
    widths = [patch.get_width() for patch in ax.patches]
    assert widths[:2] == [1e7, 50.0]
    assert np.isnan(widths[2:]).all()


def test_comparison_panel_all_singular():
    table = make_comparison().table.assign(condition_number=np.inf)
    ax = one_axes()
    comparison_panel(make_comparison(table=table), ax, "condition_number")
    assert any("singular for every candidate" in t.get_text() for t in ax.texts)


def test_plot_comparison_panels():
    comparison = make_comparison()
    figure, axes = plot_comparison(comparison)
    assert len(axes) == 4
    assert [ax.get_title() for ax in axes] == [
        "Largest share of PC1",
        "Neighbours kept",
        "Cross-validated score",
        "Condition number",
    ]
    assert legend_texts(axes[0]) == ["recommended", "also fine", "other"]
    assert "zscore" in figure.get_suptitle()
    assert_readable(figure)


def test_plot_comparison_without_scores_or_condition_numbers():
    table = (
        make_comparison()
        .table.drop(columns=["cv_score_mean", "cv_score_std"])
        .assign(condition_number=np.inf)
    )
    comparison = make_comparison(table=table, also_fine=[])
    assert comparison_columns(comparison) == ["pc1_top_share", "knn_overlap", "purity"]
    figure, axes = plot_comparison(comparison, axes=Figure().subplots(1, 3))
    assert [ax.get_title() for ax in axes] == [
        "Largest share of PC1",
        "Neighbours kept",
        "Neighbour label purity",
    ]
    assert legend_texts(axes[0]) == ["recommended", "other"]
    assert figure.get_suptitle() == ""  # the caller's figure is left alone
    with pytest.raises(ValueError, match=r"no condition-number panel.*got 4"):
        plot_comparison(comparison, axes=Figure().subplots(2, 2))


# ------------------------------------------------------- figure functions


def test_figure_functions_make_a_pyplot_figure(wine, wine_pca, wine_knn, mice_pca):
    for figure, axes in (
        plot_pca_dominance(wine_pca),
        plot_pca_dominance(mice_pca),
        plot_knn_distortion(wine_knn),
        plot_scores(wine_pca, y=wine.target, target_name="cultivar"),
    ):
        assert figure.number in plt.get_fignums()  # shown like any pyplot figure
        assert isinstance(figure.get_layout_engine(), ConstrainedLayoutEngine)
        assert isinstance(axes, np.ndarray)
        assert axes.shape == (2,)
        assert all(ax.figure is figure for ax in axes)
        assert_readable(figure)


def test_figure_functions_draw_into_the_callers_axes(wine, wine_pca, wine_knn):
    for function, report, kwargs in (
        (plot_pca_dominance, wine_pca, {"max_features": 3}),
        (plot_knn_distortion, wine_knn, {}),
        (plot_scores, wine_pca, {"y": wine.target}),
    ):
        figure = Figure()
        given = figure.subplots(1, 2)
        got_figure, axes = function(report, axes=list(given), **kwargs)
        assert got_figure is figure
        assert list(axes) == list(given)
        assert all(ax.has_data() for ax in given)
        assert plt.get_fignums() == []
    assert "% of variance" in given[1].get_xlabel()


@pytest.mark.parametrize(
    "function", [plot_pca_dominance, plot_knn_distortion, plot_scores]
)
def test_the_wrong_number_of_axes(function, wine_pca, wine_knn):
    report = wine_knn if function is plot_knn_distortion else wine_pca
    with pytest.raises(ValueError, match="axes must hold 2 matplotlib Axes; got 3"):
        function(report, axes=Figure().subplots(1, 3))
    with pytest.raises(ValueError, match="got 1"):
        function(report, axes=one_axes())


def test_bad_max_features_in_figure_functions(wine_pca, wine_knn):
    with pytest.raises(ValueError, match="max_features"):
        plot_pca_dominance(wine_pca, max_features=2.5)
    with pytest.raises(ValueError, match="max_features"):
        plot_knn_distortion(wine_knn, max_features=-1)
    with pytest.raises(ValueError, match="max_features"):
        knn_shares_panel(wine_knn, one_axes(), max_features=0)


# ------------------------------------------------ the reports, Display-style


def test_report_plot_returns_the_report(wine, wine_pca, wine_knn):
    assert wine_pca.plot(max_features=4) is wine_pca
    assert isinstance(wine_pca.figure_, Figure)
    assert wine_pca.axes_.shape == (2,)
    assert len(tick_labels(wine_pca.axes_[0])) == 4
    assert wine_pca.plot_scores(y=wine.target) is wine_pca
    assert wine_pca.axes_[0].get_title() == "Before scaling"
    assert wine_knn.plot() is wine_knn
    assert wine_knn.axes_[1].get_title().startswith("Neighbourhoods")
    given = Figure().subplots(1, 2)
    assert wine_knn.plot(axes=given) is wine_knn
    assert wine_knn.figure_ is given[0].figure
    assert list(wine_knn.axes_) == list(given)


def test_labels_that_cannot_be_sorted_keep_their_order(wine_pca):
    y = np.array(["b", 2, "a"] * 59 + ["b"], dtype=object)
    ax = one_axes()
    scores_panel(wine_pca, ax, when="after", y=y)
    assert legend_texts(ax) == ["b", "2", "a"]


def test_a_report_with_one_component():
    X = np.random.default_rng(0).normal(size=(20, 4))
    report = pca_dominance(X, X, n_components=1)
    ax = one_axes()
    scores_panel(report, ax, when="after")
    assert ax.get_ylabel() == "(no PC2)"
    assert "the report has PC1 alone" in ax.texts[0].get_text()


def test_no_error_bars_without_standard_deviations():
    table = make_comparison().table.assign(cv_score_std=np.nan)
    ax = one_axes()
    comparison_panel(make_comparison(table=table), ax, "cv_score_mean")
    assert not [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    table = table.drop(columns=["cv_score_mean", "cv_score_std", "purity"])
    assert comparison_columns(make_comparison(table=table))[-1] == "condition_number"


def test_pca_report_methods_pass_every_argument_on(wine, mice, mice_pca):
    # plot: the caller's axes, and 15 features by default
    wide = pd.DataFrame(
        np.random.default_rng(0).normal(size=(30, 20)),
        columns=[f"f{i}" for i in range(20)],
    )
    report = pca_dominance(wide, wide)
    given = Figure().subplots(1, 2)
    assert report.plot(axes=given) is report
    assert list(report.axes_) == list(given)
    assert len(tick_labels(given[0])) == 15
    # plot_scores: y, the legend's title and the caller's axes
    given = Figure().subplots(1, 2)
    mice_pca.plot_scores(y=mice.diet, target_name="what they ate", axes=given)
    assert list(mice_pca.axes_) == list(given)
    legend = given[1].get_legend()
    assert legend.get_title().get_text() == "what they ate"
    assert sorted(legend_texts(given[1])) == sorted(mice.diet.unique())


def _html_score_panel(y):
    """The score panel as the page draws it, its figure laid out."""
    from skscale.report._html import _PANEL_WIDTH, score_panel_height

    rng = np.random.default_rng(0)
    X = rng.normal(size=(len(y), 4)) * [1, 10, 100, 1000]
    report = pca_dominance(X, ZScoreScaler().fit_transform(X))
    height = score_panel_height(y)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = Figure(
        figsize=(_PANEL_WIDTH / 100, height / 100), dpi=150, layout="constrained"
    )
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    scores_panel(report, ax, when="after", y=y, target_name="labs")
    figure.canvas.draw()
    return figure, ax


@pytest.mark.parametrize(
    "labels",
    [
        # NCI60: 14 classes, "RENAL" was cut and "UNKNOWN" missing
        (
            "CNS RENAL BREAST NSCLC UNKNOWN OVARIAN MELANOMA PROSTATE LEUKEMIA "
            "K562B-repro K562A-repro COLON MCF7A-repro MCF7D-repro"
        ).split(),
        # long labels squeezed the plot to about 70 px
        [f"a rather long class label number {i} that runs on" for i in range(4)],
    ],
)
def test_a_legend_of_many_or_long_classes_fits_and_leaves_the_plot_wide(labels):
    y = pd.Series(np.resize(labels, 140))
    figure, ax = _html_score_panel(y)
    renderer = figure.canvas.get_renderer()
    whole = figure.bbox
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.x0 >= whole.x0 - 1 and legend.x1 <= whole.x1 + 1
    assert legend.y0 >= whole.y0 - 1 and legend.y1 <= whole.y1 + 1
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(set(texts)) == len(labels)  # every class, told apart
    # the plot keeps most of the panel's width
    assert ax.get_window_extent(renderer).width >= 0.6 * whole.width
    # and no two x tick labels overlap
    ticks = [
        t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()
    ]
    for left, right in itertools.pairwise(ticks):
        assert left.x1 <= right.x0
