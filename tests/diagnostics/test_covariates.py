"""pca_dominance's covariates: the share of each component's variance a batch,
a diet or an age explains, before and after, against formulas written out."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skscale.diagnostics import compare_scalers, pca_dominance
from skscale.preprocessing import BatchScaler, MinMaxScaler, ZScoreScaler


def _table(seed=0):
    rng = np.random.default_rng(seed)
    batch = np.repeat(["p1", "p2", "p3"], 30)
    age = rng.uniform(20, 80, size=90)
    X = rng.normal(size=(90, 6))
    X[:, :3] += np.where(batch == "p2", 4.0, 0.0)[:, None]  # a batch effect
    X[:, 3] += 0.05 * age  # a numeric covariate
    X[:, 0] *= 30
    frame = pd.DataFrame(X, columns=list("uvwxyz"))
    return frame, pd.DataFrame({"batch": batch, "age": age})


def _between_share(score, groups):
    centred = score - score.mean()
    means = pd.Series(centred).groupby(np.asarray(groups)).transform("mean")
    return float((means**2).sum() / (centred**2).sum())


def test_r2_is_the_between_group_share_and_the_squared_correlation():
    X, covariates = _table()
    report = pca_dominance(X, ZScoreScaler().fit_transform(X), covariates=covariates)
    for when in ("before", "after"):
        pc1 = report.scores[f"pc1_{when}"].to_numpy()
        table = report.covariates
        assert_allclose(
            table.loc[("batch", "PC1"), f"r2_{when}"],
            _between_share(pc1, covariates["batch"]),
            rtol=1e-10,
        )
        assert_allclose(
            table.loc[("age", "PC1"), f"r2_{when}"],
            np.corrcoef(pc1, covariates["age"])[0, 1] ** 2,
            rtol=1e-10,
        )
    assert list(table.columns) == ["r2_before", "r2_after"]
    assert table.index.names == ["covariate", "component"]
    assert len(table) == 2 * len(report.components)


def test_batch_scaling_takes_the_batch_out_of_the_first_component():
    X, covariates = _table()
    frame = X.assign(batch=covariates["batch"])
    after = BatchScaler("batch").fit_transform(frame)
    report = pca_dominance(X, after, covariates=covariates[["batch"]])
    r2 = report.covariates.loc[("batch", "PC1")]
    assert r2["r2_before"] > 0.5 and r2["r2_after"] < 0.01
    assert "'batch' explains" in report.summary()
    assert f"{r2['r2_before']:.1%}" in report.summary()


def test_missing_covariate_values_leave_their_rows_out():
    X, covariates = _table()
    age = covariates["age"].copy()
    age[::4] = np.nan
    report = pca_dominance(X, X, covariates={"age": age})
    pc1 = report.scores["pc1_before"].to_numpy()
    kept = ~np.isnan(age.to_numpy())
    expected = np.corrcoef(pc1[kept], age[kept])[0, 1] ** 2
    assert_allclose(report.covariates.loc[("age", "PC1"), "r2_before"], expected)


@pytest.mark.parametrize(
    ("covariates", "name"),
    [
        (pd.Series(np.repeat([0, 1], 45), name="sex"), "sex"),
        (np.repeat(["a", "b", "c"], 30), "covariate 0"),
        ({"group": np.tile([True, False], 45)}, "group"),
    ],
)
def test_covariates_in_any_shape_are_named(covariates, name):
    X, _ = _table()
    report = pca_dominance(X, X, covariates=covariates)
    assert set(report.covariates.index.get_level_values("covariate")) == {name}


def test_a_covariate_of_the_wrong_length_is_refused():
    X, covariates = _table()
    with pytest.raises(ValueError, match=r"'batch' has 89 values; expected one per"):
        pca_dominance(X, X, covariates=covariates.iloc[1:])


def test_covariates_with_dask_input_are_refused():
    da = pytest.importorskip("dask.array")
    X, covariates = _table()
    lazy = da.from_array(X.to_numpy(), chunks=30)
    with pytest.raises(TypeError, match="compute the data first"):
        pca_dominance(lazy, lazy, covariates=covariates)


def test_the_covariates_picture():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    X, covariates = _table()
    report = pca_dominance(X, ZScoreScaler().fit_transform(X), covariates=covariates)
    report.plot_covariates()
    assert len(report.axes_) == 2
    titles = [ax.get_title() for ax in report.axes_]
    assert titles == ["Explained by batch", "Explained by age"]
    bars = report.axes_[0].patches
    assert len(bars) == 2 * len(report.components)
    with pytest.raises(ValueError, match="no covariates"):
        pca_dominance(X, X).plot_covariates()


def test_compare_scalers_reports_each_covariate_for_every_candidate():
    X, covariates = _table()
    y = np.arange(len(X)) % 2
    comparison = compare_scalers(X, y, covariates=covariates, random_state=0)
    for column in ("pc1_r2[batch]", "pc1_r2[age]"):
        assert column in comparison.table
    for name, (pca, _) in comparison.reports.items():
        assert (
            comparison.table.loc[name, "pc1_r2[batch]"]
            == pca.covariates.loc[("batch", "PC1"), "r2_after"]
        )
    unscaled = pca_dominance(X, X, covariates=covariates).covariates
    assert_allclose(
        comparison.table.loc["none", "pc1_r2[batch]"],
        unscaled.loc[("batch", "PC1"), "r2_before"],
        rtol=1e-9,
    )
    assert "PC1 from batch" in comparison.to_html()


def test_the_comparisons_covariate_pictures():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    X, covariates = _table()
    y = np.arange(len(X)) % 2
    comparison = compare_scalers(X, y, covariates=covariates, random_state=0)
    comparison.plot()
    # one panel per covariate after the others, a bar per candidate at its
    # table value, on the R-squared scale
    assert [ax.get_title() for ax in comparison.axes_[-2:]] == [
        "PC1 from batch",
        "PC1 from age",
    ]
    for ax, column in zip(
        comparison.axes_[-2:], ["pc1_r2[batch]", "pc1_r2[age]"], strict=True
    ):
        widths = [bar.get_width() for bar in ax.patches]
        assert_allclose(widths, comparison.table[column].to_numpy())
        assert ax.get_xlim() == (0.0, 1.0)
    # the page: a comparison panel per covariate, and the recommended
    # scaler's before-and-after panel of each (none when it is "none")
    scaled = compare_scalers(
        X,
        y,
        scalers={"zscore": ZScoreScaler(), "minmax": MinMaxScaler()},
        covariates=covariates,
        random_state=0,
    )
    alone = compare_scalers(
        X, y, scalers={"none": None}, covariates=covariates, random_state=0
    )
    for each in (comparison, alone, scaled):
        page = each.to_html()
        for covariate in ("batch", "age"):
            assert (
                f"alt='Share of PC1&#x27;s variance explained by {covariate} after "
                "each candidate" in page
            )
            assert (
                f"alt='Share of each component&#x27;s variance explained by "
                f"{covariate}, unscaled (grey) and {each.recommended} (blue)'" in page
            ) == (each.recommended != "none")
    assert alone.recommended == "none" and scaled.recommended != "none"
    without = compare_scalers(X, y, random_state=0).to_html()
    assert "explained by batch" not in without


def test_compare_scalers_drops_the_covariates_of_rows_without_a_target():
    from skscale.diagnostics import compare_scalers

    X, covariates = _table()
    y = pd.Series(np.arange(len(X)) % 2, dtype=float)
    y[::3] = np.nan
    kept = y.notna().to_numpy()
    comparison = compare_scalers(
        X, y, scalers={"zscore": ZScoreScaler()}, covariates=covariates, random_state=0
    )
    expected = pca_dominance(
        X[kept], ZScoreScaler().fit_transform(X[kept]), covariates=covariates[kept]
    ).covariates.loc[("batch", "PC1"), "r2_after"]
    assert_allclose(comparison.table.loc["zscore", "pc1_r2[batch]"], expected)


def test_a_pipeline_candidate_is_fitted_inside_each_fold():
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from skscale.diagnostics import compare_scalers

    class Counting(TransformerMixin, BaseEstimator):
        fits = []

        def fit(self, X, y=None):
            Counting.fits.append(len(X))
            return self

        def transform(self, X):
            return np.asarray(X, dtype=float)

    X, _ = _table()
    y = np.arange(len(X)) % 2
    compare_scalers(
        X,
        y,
        scalers={"counted": make_pipeline(Counting(), ZScoreScaler())},
        estimator=LogisticRegression(),
        cv=3,
        random_state=0,
    )
    # once on all rows for the diagnostics, then once per fold on its training rows
    assert Counting.fits == [90, 60, 60, 60]


def test_compare_scalers_scales_every_candidate_per_batch():
    from sklearn.linear_model import LogisticRegression

    from skscale.datasets import make_multiomics
    from skscale.diagnostics import compare_scalers

    table = make_multiomics(random_state=2, n_batches=3, batch_effect=1.5)
    batch = pd.Series(table.batch, name="run")
    kwargs = {
        "scalers": {"none": None, "zscore": ZScoreScaler()},
        "estimator": LogisticRegression(max_iter=2000),
        "random_state": 0,
    }
    plain = compare_scalers(table.data, table.target, covariates=batch, **kwargs)
    batched = compare_scalers(table.data, table.target, batch=batch, **kwargs)
    # the batch leaves PC1, and the score rises
    assert plain.table.loc["zscore", "pc1_r2[run]"] > 0.02
    assert batched.table.loc["zscore", "pc1_r2[run]"] < 1e-6
    assert batched.table.loc["zscore", "cv_score_mean"] > (
        plain.table.loc["zscore", "cv_score_mean"] + 0.03
    )
    # "none" stays the unscaled data either way
    assert_allclose(
        batched.table.loc["none", "pc1_r2[run]"], plain.table.loc["none", "pc1_r2[run]"]
    )
    # the diagnostics are those of the per-batch z-score
    expected = BatchScaler("run").fit_transform(table.data.assign(run=table.batch))
    report = pca_dominance(table.data, expected, covariates=batch)
    assert_allclose(
        batched.reports["zscore"][0].components["evr_after"].iloc[0],
        report.components["evr_after"].iloc[0],
        rtol=1e-10,
    )


def test_batch_and_prefit_are_refused_together():
    from skscale.diagnostics import compare_scalers

    X, covariates = _table()
    with pytest.raises(ValueError, match="batch and prefit cannot go together"):
        compare_scalers(
            X,
            scalers={"z": ZScoreScaler().fit(X)},
            batch=covariates["batch"],
            prefit=True,
        )


def test_a_batch_coded_as_numbers_is_a_batch_of_groups():
    from skscale.diagnostics import compare_scalers

    X, covariates = _table()
    codes = covariates["batch"].map({"p1": 1, "p2": 2, "p3": 3})
    kwargs = {"scalers": {"none": None}, "random_state": 0}
    by_text = compare_scalers(X, batch=covariates["batch"].rename("plate"), **kwargs)
    by_number = compare_scalers(X, batch=codes.rename("plate"), **kwargs)
    assert_allclose(
        by_number.table.loc["none", "pc1_r2[plate]"],
        by_text.table.loc["none", "pc1_r2[plate]"],
    )
    # and a categorical covariate of numbers is groups in pca_dominance too
    report = pca_dominance(X, X, covariates={"plate": codes.astype("category")})
    assert_allclose(
        report.covariates.loc[("plate", "PC1"), "r2_before"],
        by_text.table.loc["none", "pc1_r2[plate]"],
    )


def test_per_batch_scaling_of_a_table_with_integer_column_names():
    from skscale.diagnostics import compare_scalers

    X, covariates = _table()
    numbered = pd.DataFrame(X.to_numpy(), columns=range(X.shape[1]))
    comparison = compare_scalers(
        numbered, scalers={"zscore": ZScoreScaler()}, batch=covariates["batch"]
    )
    assert not comparison.failed
    assert comparison.table.loc["zscore", "pc1_r2[batch]"] < 1e-6


def test_a_missing_batch_label_is_named():
    from skscale.diagnostics import compare_scalers

    X, covariates = _table()
    batch = covariates["batch"].copy()
    batch[4] = None
    with pytest.raises(
        ValueError, match=r"The batch 'batch' is missing in 1 row \(positions \[4\]\)"
    ):
        compare_scalers(X, batch=batch)


def test_a_covariate_with_a_value_per_row_is_left_out_with_a_warning():
    X, _ = _table()
    dates = pd.Series(pd.date_range("2024-01-01", periods=len(X)).astype(str))
    with pytest.warns(UserWarning, match=r"'date' takes 90 different values on 90"):
        report = pca_dominance(X, X, covariates={"date": dates})
    assert report.covariates["r2_before"].isna().all()


def test_per_batch_comparison_of_an_array_is_that_of_its_frame():
    X, covariates = _table()
    y = np.arange(len(X)) % 2
    kwargs = {"scalers": {"zscore": ZScoreScaler()}, "random_state": 0}
    from_frame = compare_scalers(X, y, batch=covariates["batch"], **kwargs)
    from_array = compare_scalers(X.to_numpy(), y, batch=covariates["batch"], **kwargs)
    assert_allclose(
        from_array.table.drop(columns="pc1_top_feature", errors="ignore")
        .select_dtypes("number")
        .to_numpy(),
        from_frame.table.drop(columns="pc1_top_feature", errors="ignore")
        .select_dtypes("number")
        .to_numpy(),
        rtol=1e-12,
    )


def test_numbers_held_as_objects_are_a_numeric_covariate():
    # a column of numbers read as objects (a CSV column with a stray text
    # value removed, say) is numeric: a line fitted, not a group per value
    X, covariates = _table()
    Z = ZScoreScaler().fit_transform(X)
    numeric = pca_dominance(X, Z, covariates={"age": covariates["age"].to_numpy()})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        as_objects = pca_dominance(
            X, Z, covariates={"age": covariates["age"].to_numpy().astype(object)}
        )
    assert_allclose(
        as_objects.covariates.to_numpy(), numeric.covariates.to_numpy(), rtol=1e-14
    )


def test_the_covariates_summary_line_and_given_axes():
    X, covariates = _table()
    report = pca_dominance(X, ZScoreScaler().fit_transform(X), covariates=covariates)
    r2 = report.covariates.xs("PC1", level="component")
    lines = report.summary().splitlines()
    for name in ("batch", "age"):
        before, after = r2.loc[name, "r2_before"], r2.loc[name, "r2_after"]
        assert (
            f"{name!r} explains {before:.1%} of PC1's variance before scaling and "
            f"{after:.1%} after." in " ".join(lines)
        )
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    axes = Figure().subplots(1, 2)
    report.plot_covariates(axes=axes)
    assert report.axes_[0] is axes[0] and report.axes_[1] is axes[1]
    assert axes[1].get_title() == "Explained by age"


@pytest.mark.parametrize(("n_groups", "kept"), [(5, True), (6, False)])
def test_groups_up_to_half_the_rows_are_kept(n_groups, kept):
    # 10 rows: 5 groups are groups; 6 are (nearly) a group per row, which
    # would explain anything
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3)) * [10.0, 1.0, 0.1]
    labels = np.array([f"g{i % n_groups}" for i in range(10)])
    if kept:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            report = pca_dominance(X, X, covariates={"g": labels})
        pc1 = report.scores["pc1_before"].to_numpy()
        assert_allclose(
            report.covariates.loc[("g", "PC1"), "r2_before"],
            _between_share(pc1, labels),
            rtol=1e-12,
        )
    else:
        with pytest.warns(UserWarning, match="takes 6 different values on 10 rows"):
            report = pca_dominance(X, X, covariates={"g": labels})
        assert report.covariates.isna().all().all()


def test_covariate_edges_rows_constants_and_rounding():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4)) * [5.0, 2.0, 1.0, 0.5]
    one_row = np.full(30, np.nan)
    one_row[3] = 1.0
    two_rows = np.full(30, np.nan)
    two_rows[[3, 8]] = [1.0, 2.0]
    report = pca_dominance(
        X,
        X,
        covariates={"one": one_row, "two": two_rows, "flat": np.full(30, 7.0)},
    )
    table = report.covariates
    assert table.loc["one"].isna().all().all()  # one row: nothing to explain
    assert_allclose(table.loc["two"].to_numpy(), 1.0)  # a line through two points
    assert_array_equal(table.loc["flat"].to_numpy(), 0.0)  # explains nothing
    # covariates orthogonal to the components, up to rounding: never below 0
    scores = report.scores["pc1_before"].to_numpy()
    for seed in range(40):
        noise = np.random.default_rng(seed).normal(size=30)
        orthogonal = noise - scores * (scores @ noise) / (scores @ scores)
        r2 = pca_dominance(X, X, covariates={"o": orthogonal}).covariates
        assert (r2["r2_before"].to_numpy() >= 0.0).all()
        assert r2.loc[("o", "PC1"), "r2_before"] < 1e-20


@pytest.mark.parametrize(
    ("covariates", "names"),
    [
        (pd.Series(np.repeat([0, 1], 45)), ["covariate"]),
        (np.column_stack([np.arange(90.0), np.repeat([1.0, 2.0], 45)]), None),
        (np.arange(90.0), ["covariate 0"]),
    ],
)
def test_unnamed_covariates_get_names(covariates, names):
    X, _ = _table()
    report = pca_dominance(X, X, covariates=covariates)
    got = list(dict.fromkeys(report.covariates.index.get_level_values("covariate")))
    assert got == (names or ["covariate 0", "covariate 1"])
    if names is None:  # each column its own covariate, in order
        single = pca_dominance(X, X, covariates={"c": covariates[:, 1]}).covariates
        assert_allclose(
            report.covariates.loc["covariate 1"].to_numpy(), single.loc["c"].to_numpy()
        )
