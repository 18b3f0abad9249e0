"""The verdict of compare_scalers: every sentence agrees with the table it
quotes, no candidate is recommended for beating nothing, and a candidate that
leaves one feature with most of PC1 is flagged and weighed."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier

from skscale.datasets import load_nutrimouse
from skscale.diagnostics import compare_scalers
from skscale.diagnostics._verdict import (
    ALPHA,
    BALANCE_TOLERANCE,
    PURITY_TOLERANCE,
    SPREAD_TOLERANCE,
    Baseline,
    Dominance,
    decide,
    find_dominance,
    most_of,
)

# --- the checker: each kind of claim against the table ---------------------


def _largest_share(table, blocks):
    return table[[f"pc1_share[{b}]" for b in blocks]].max(axis=1)


def assert_claims_hold(table, verdict, *, p_values, dominated, baseline, blocks):
    """Each claim of ``verdict`` is true of ``table``, read here from the
    table itself and not from the code that wrote the claim."""
    kinds = [claim.kind for claim in verdict.claims]
    scores = table["cv_score_mean"] if "cv_score_mean" in table else None
    for claim in verdict.claims:
        s, others = claim.subject, claim.others
        if claim.kind not in ("tied", "others_worse"):  # those say "it"
            assert f"'{s}'" in claim.text, claim
        if claim.kind == "best_score":
            assert scores[s] == scores.max()
            assert f"{scores[s]:.3f}" in claim.text
        elif claim.kind == "others_worse":
            assert all(p_values.get(o, 0.0) < ALPHA for o in others)
        elif claim.kind == "tied":
            assert others and all(p_values[o] >= ALPHA for o in others)
            for o in others:
                assert f"'{o}' ({scores[o]:.3f})" in claim.text
        elif claim.kind == "baseline":
            assert baseline is not None and not baseline.beaten
            assert scores.max() <= baseline.score or baseline.p_value >= ALPHA
            assert f"{baseline.score:.3f}" in claim.text
        elif claim.kind == "passed_over":
            assert s not in dominated and others
            assert all(o in dominated for o in others)
        elif claim.kind == "all_dominated":
            assert s in dominated and all(o in dominated for o in others)
        elif claim.kind == "balance":
            largest = _largest_share(table, blocks)
            for o in others:
                assert largest[s] <= largest[o] + BALANCE_TOLERANCE, claim
            assert f"{100 * largest[s]:.1f}%" in claim.text
        elif claim.kind == "purity":
            for o in others:
                assert table.loc[s, "purity"] >= table.loc[o, "purity"] - (
                    PURITY_TOLERANCE
                ), claim
            assert f"purity {table.loc[s, 'purity']:.2f}" in claim.text
        elif claim.kind == "spread":
            spread = table["pc1_effective_features"]
            for o in others:
                allowed = SPREAD_TOLERANCE * max(spread[o], 1.0)
                assert spread[s] >= spread[o] - allowed, claim
            assert f"about {spread[s]:.1f}" in claim.text
        else:  # pragma: no cover
            raise AssertionError(f"unknown claim {claim.kind!r}")
    # what the verdict does follows from the claims
    fine = set(verdict.also_fine)
    assert verdict.recommended not in fine
    if "all_dominated" not in kinds:
        assert verdict.recommended not in dominated
        assert not fine & set(dominated)
    if scores is not None and scores.notna().any() and "baseline" not in kinds:
        best = scores.idxmax()
        assert all(n == best or p_values[n] >= ALPHA for n in fine)
        assert "best_score" in kinds
        chosen = verdict.recommended
        assert chosen == best or p_values[chosen] >= ALPHA
    else:
        assert not fine
    assert verdict.reason == " ".join(c.text for c in verdict.claims)


def assert_comparison_holds(comparison):
    assert_claims_hold(
        comparison.table,
        comparison,
        p_values=comparison.table.get("cv_p_value", pd.Series(dtype=float)).to_dict(),
        dominated=comparison.dominated,
        baseline=comparison.baseline,
        blocks=list(comparison.blocks or ()),
    )
    # the dominance flags, from the reports, by the rule written out here
    p = len(comparison.feature_names)
    for name, (pca, _) in comparison.reports.items():
        share = pca.features["pc1_loading_after"] ** 2
        top = int(np.argmax(share.to_numpy()))
        variance = pca.features["variance_share_after"].iloc[top]
        fair = 1 / p
        flagged = share.iloc[top] >= max(0.5, (1 + fair) / 2) and variance >= min(
            2 * fair, max(0.5, (1 + fair) / 2)
        )
        found = comparison.dominated.get(name)
        if flagged:
            assert found is not None and found.kind == "feature"
            assert found.name == str(pca.features.index[top])
        elif found is not None:
            assert found.kind == "block"


# --- property: any table, any p-values --------------------------------------

_NAMES = ["none", "zscore", "minmax", "robust", "pareto"]


@st.composite
def _tables(draw):
    n = draw(st.integers(2, 5))
    names = _NAMES[:n]
    unit = st.floats(0, 1, allow_nan=False)
    table = pd.DataFrame(
        {
            "cv_score_mean": draw(st.lists(unit, min_size=n, max_size=n)),
            "cv_score_std": [0.01] * n,
            "purity": draw(st.lists(unit, min_size=n, max_size=n)),
            "pc1_effective_features": draw(
                st.lists(st.floats(1, 30), min_size=n, max_size=n)
            ),
            "pc1_share[g]": draw(st.lists(unit, min_size=n, max_size=n)),
        },
        index=names,
    )
    table["pc1_share[m]"] = 1 - table["pc1_share[g]"]
    scored = draw(st.booleans())
    if not scored:
        table = table.drop(columns=["cv_score_mean", "cv_score_std"])
    best = table["cv_score_mean"].idxmax() if scored else None
    p_values = {
        name: draw(st.sampled_from([0.001, 0.04, ALPHA, 0.3]))
        for name in names
        if name != best
    }
    dominated = {
        name: Dominance(name, "feature", "f", 0.9, 0.9)
        for name in names
        if draw(st.booleans())
    }
    baseline = None
    if scored and draw(st.booleans()):
        beaten = draw(st.booleans())
        level = table["cv_score_mean"].max() + (-0.1 if beaten else 0.1)
        baseline = Baseline("always predicting the training mean", level, 0.5, beaten)
    blocks = ["g", "m"] if draw(st.booleans()) else None
    classes = draw(st.booleans())
    return table, p_values, dominated, baseline, blocks, classes


@settings(max_examples=300, deadline=None)
@given(_tables())
def test_property_every_claim_agrees_with_its_table(case):
    table, p_values, dominated, baseline, blocks, classes = case
    verdict = decide(
        table,
        blocks=blocks,
        classes=classes,
        metric="R^2",
        p_values=p_values,
        dominated=dominated,
        baseline=baseline,
    )
    assert verdict.recommended in table.index
    assert_claims_hold(
        table,
        verdict,
        p_values=p_values,
        dominated=dominated,
        baseline=baseline,
        blocks=blocks,
    )


# --- many tables, compared end to end ---------------------------------------


def _star98_like(rng, n=300):
    """star98's shape: PCTCHRT has an IQR of 0 (88% zeros) and large values,
    so robust scaling leaves it in raw units, where it holds PC1."""
    frame = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{i}" for i in range(6)])
    charter = np.where(rng.random(n) < 0.88, 0.0, rng.uniform(50, 900, n))
    frame["PCTCHRT"] = charter
    y = frame[["x0", "x1", "x2"]].sum(axis=1) + rng.normal(scale=0.5, size=n)
    return frame, pd.Series(y, name="NABOVE")


def _fair_like(rng, n=300):
    """fair's lesson: a target the features do not predict."""
    frame = pd.DataFrame(
        rng.normal(size=(n, 5)) * [1, 10, 100, 1000, 0.1],
        columns=["age", "yrs", "kids", "educ", "occ"],
    )
    return frame, pd.Series(rng.exponential(size=n), name="affairs")


def _cases():
    rng = np.random.default_rng(0)
    iris, wine, cancer = load_iris(as_frame=True), load_wine(as_frame=True), None
    cancer = load_breast_cancer(as_frame=True)
    diabetes = load_diabetes(as_frame=True)
    diabetes_x = diabetes.data * [1, 1000, 1, 1, 1, 1, 1, 1, 1, 1]
    mice = load_nutrimouse()
    star = _star98_like(rng)
    fair = _fair_like(rng)
    knn = KNeighborsClassifier()
    classes = StratifiedKFold(3, shuffle=True, random_state=0)
    plain = KFold(3, shuffle=True, random_state=0)
    return {
        "iris": (iris.data, iris.target, knn, classes, None),
        "wine": (
            wine.data,
            wine.target,
            LogisticRegression(max_iter=500),
            classes,
            None,
        ),
        "wine-no-estimator": (wine.data, wine.target, None, None, None),
        "cancer": (cancer.data, cancer.target, knn, classes, None),
        "diabetes": (diabetes_x, diabetes.target, Ridge(), plain, None),
        "nutrimouse": (mice.data, mice.genotype, knn, classes, mice.blocks),
        "nutrimouse-no-target": (mice.data, None, None, None, mice.blocks),
        "star98-like": (*star, Ridge(), plain, None),
        "fair-like": (*fair, Ridge(), plain, None),
    }


@pytest.fixture(scope="module")
def comparisons():
    done = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (X, y, estimator, cv, blocks) in _cases().items():
            done[name] = compare_scalers(
                X, y, estimator=estimator, cv=cv, blocks=blocks, random_state=0
            )
    return done


@pytest.mark.parametrize("name", list(_cases()))
def test_every_claim_agrees_with_the_table_on_real_tables(comparisons, name):
    comparison = comparisons[name]
    assert_comparison_holds(comparison)
    page = comparison.to_html()
    assert comparison.reason.split(".")[0].replace("'", "&#x27;") in page


def test_a_target_nothing_predicts_is_said_first(comparisons):
    # fair: every R^2 below 0, and "Use minmax" as if it mattered
    comparison = comparisons["fair-like"]
    assert comparison.table["cv_score_mean"].max() < 0.02
    assert not comparison.baseline.beaten
    assert comparison.verdict().startswith(
        "No candidate beats always predicting the training mean; by the "
        "diagnostics alone, use "
    )
    assert comparison.claims[0].kind == "baseline"
    assert comparison.also_fine == []
    page = comparison.to_html()
    assert (
        "<p class='use'>No candidate beats always predicting the training mean.</p>"
        in page
    )
    assert "Use " not in page.split("<p class='use'>")[1].split("</p>")[0]


def test_a_predictive_target_beats_the_baseline(comparisons):
    for name in ("iris", "wine", "cancer", "diabetes", "star98-like"):
        baseline = comparisons[name].baseline
        assert baseline.beaten, name
        assert comparisons[name].verdict().startswith("Use ")
    # the majority class of iris (50 of 150 in each training fold of 100)
    assert comparisons["iris"].baseline.score == pytest.approx(1 / 3, abs=0.02)


def test_a_baseline_scored_by_hand():
    from skscale.diagnostics._compare import _baseline

    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    splits = [(np.array([0, 1, 2]), np.array([3, 4, 5]))] * 2 + [
        (np.array([3, 4, 5]), np.array([0, 1, 2]))
    ]
    best = pd.Series([0.5, 0.5, 0.6])
    found = _baseline("regression", y, splits, "r2", best, 3.0, 3.0)
    # the training mean, 2 (or 5), against 4, 5, 6: R^2 = 1 - 29 / 2 = -13.5
    assert found.score == pytest.approx(-13.5)
    assert found.label == "always predicting the training mean"


def test_a_feature_left_in_raw_units_is_flagged_and_passed_over(comparisons):
    # star98: robust left PCTCHRT (IQR 0) in its units, holding 99.8% of PC1
    comparison = comparisons["star98-like"]
    found = comparison.dominated["robust"]
    assert (found.kind, found.name) == ("feature", "PCTCHRT")
    assert found.pc1_share > 0.99
    assert "none" in comparison.dominated
    assert "zscore" not in comparison.dominated
    assert comparison.recommended != "robust"
    assert "robust" not in comparison.also_fine
    assert comparison.recommended not in comparison.dominated
    page = comparison.to_html()
    assert "&#9888;" in page
    assert "PCTCHRT" in page


def test_a_dominated_best_score_gives_way_to_a_tied_clean_one():
    table = pd.DataFrame(
        {
            "cv_score_mean": {"robust": 0.61, "zscore": 0.60, "minmax": 0.40},
            "cv_score_std": 0.01,
            "pc1_effective_features": {"robust": 1.0, "zscore": 5.0, "minmax": 4.0},
        }
    )
    dominated = {"robust": Dominance("robust", "feature", "PCTCHRT", 0.998, 0.99)}
    verdict = decide(
        table,
        blocks=None,
        classes=False,
        metric="R^2",
        p_values={"zscore": 0.4, "minmax": 0.001},
        dominated=dominated,
    )
    assert (verdict.recommended, verdict.also_fine) == ("zscore", [])
    assert verdict.reason == (
        "'robust' has the best cross-validated R^2: 0.610 +/- 0.010. 'zscore' "
        "(0.600) is within noise of it (not significantly worse in a corrected "
        "paired t-test on the same folds, one-sided 5%). 'robust' leaves feature "
        "'PCTCHRT' with 99.8% of PC1 (99.0% of the variance): PCA and distances "
        "after it are mostly that one feature, so it gives way to 'zscore'."
    )
    # alone at the top, it stays, with a warning naming the clean runner-up
    alone = decide(
        table,
        blocks=None,
        classes=False,
        metric="R^2",
        p_values={"zscore": 0.01, "minmax": 0.001},
        dominated=dominated,
    )
    assert alone.recommended == "robust"
    assert alone.reason.endswith(
        "Beware: 'robust' leaves feature 'PCTCHRT' with 99.8% of PC1 (99.0% of "
        "the variance); 'zscore', which does not, scores 0.600."
    )


def test_dominance_thresholds():
    assert most_of(1 / 2) == 0.75 and most_of(1 / 100) == 0.505
    # a feature that is PC1 because the others are uncorrelated with it, at
    # its fair share of the variance (z-scored), is not dominating
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 4))
    X[:, 1] = X[:, 0] * 0.3 + rng.normal(size=400)
    X[:, 0] *= 100
    comparison = compare_scalers(X, random_state=0)
    assert "none" in comparison.dominated
    assert "zscore" not in comparison.dominated
    found = find_dominance({"zscore": comparison.reports["zscore"]}, 1)
    assert found == {}  # one feature: nothing to dominate


def test_a_dominating_block_is_flagged():
    mice = load_nutrimouse()
    comparison = compare_scalers(mice.data, blocks=mice.blocks, random_state=0)
    # unscaled, the lipids (21 of 141 columns) hold 96% of PC1
    found = comparison.dominated["none"]
    assert found.kind in ("feature", "block")
    assert "block_mfa" not in comparison.dominated
    assert comparison.recommended == "block_mfa"


def test_the_decision_is_exact_on_each_branch():
    table = pd.DataFrame(
        {
            "cv_score_mean": {"a": 0.9, "b": 0.8, "c": 0.7},
            "cv_score_std": 0.01,
            "pc1_effective_features": {"a": 2.0, "b": 9.0, "c": 1.0},
            "purity": {"a": 0.9, "b": 0.902, "c": 0.5},
        }
    )
    one = decide(
        table, blocks=None, classes=False, metric="accuracy", p_values={"b": 0.01}
    )
    assert (one.recommended, one.also_fine) == ("a", [])
    assert one.reason == (
        "'a' has the best cross-validated accuracy: 0.900 +/- 0.010. Every other "
        "candidate is significantly worse (corrected paired t-test on the same "
        "folds, one-sided 5%)."
    )
    spread = decide(
        table, blocks=None, classes=False, metric="r2", p_values={"b": 0.3, "c": 0.3}
    )
    assert (spread.recommended, spread.also_fine) == ("b", ["a", "c"])
    assert spread.reason.endswith(
        "Among these, 'b' spreads PC1 over the most features (about 9.0; 'a': 2.0)."
    )
    # purity within its tolerance: the best score stands, said as it is
    purity = decide(
        table, blocks=None, classes=True, metric="r2", p_values={"b": 0.3, "c": 0.3}
    )
    assert purity.recommended == "a"
    assert purity.reason.endswith(
        "'a' keeps neighbours of the same class together about as often as any "
        "of them (purity 0.90; the others: 0.50 to 0.90). The difference is too "
        "small to outweigh the best score."
    )
    # the best score is also the widest spread: said so, not "as many"
    wide = table.assign(pc1_effective_features={"a": 10.6, "b": 1.3, "c": 1.2})
    best = decide(
        wide, blocks=None, classes=False, metric="r2", p_values={"b": 0.3, "c": 0.3}
    )
    assert best.recommended == "a"
    assert best.reason.endswith(
        "'a' also spreads PC1 over the most features (about 10.6; the others: 1.2 "
        "to 1.3)."
    )
    # without scores: purity, else blocks, else spread, among the clean
    plain = table.drop(columns=["cv_score_mean", "cv_score_std"])
    plain["pc1_share[g]"] = {"a": 0.6, "b": 0.9, "c": 0.55}
    assert decide(
        plain, blocks=None, classes=True, metric=None, p_values={}
    ).reason == (
        "'b' keeps neighbours of the same class together most often (purity 0.90)."
    )
    assert decide(
        plain, blocks=["g"], classes=False, metric=None, p_values={}
    ).reason == (
        "'c' keeps the blocks most balanced: no block holds more than 55.0% of PC1."
    )
    skipped = decide(
        plain,
        blocks=None,
        classes=False,
        metric=None,
        p_values={},
        dominated={"b": Dominance("b", "feature", "x", 0.9, 0.8)},
    )
    assert skipped.recommended == "a"
    assert skipped.reason == (
        "'b' leaves feature 'x' with 90.0% of PC1 (80.0% of the variance): PCA and "
        "distances after it are mostly that one feature, so it gives way to 'a'. "
        "'a' spreads PC1 over the most features (about 2.0)."
    )
