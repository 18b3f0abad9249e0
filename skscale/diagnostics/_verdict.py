"""The verdict of :func:`compare_scalers`: which candidate to use, and why.

Every sentence of the reason is a :class:`Claim` built from the numbers it
quotes, so that it cannot say what the table denies: a claim names its kind,
the candidate it is about and the candidates it compares with, and the tests
check each kind against the table. The decision, in order:

1. with cross-validated scores, the best candidate must beat a prediction
   that ignores the features (the training mean, or the most frequent
   class), on the same folds; when none does, the scores say nothing about
   scaling and the diagnostics alone decide;
2. a candidate that leaves one feature (or one block) with most of PC1 and
   of the variance is *dominated*: PCA and distances after it are mostly that
   feature. Among candidates within noise of each other, a dominated one gives
   way to one that is not; when every candidate is dominated, the verdict
   says so;
3. within the candidates left, the best score stands unless another keeps
   the blocks more balanced (with blocks), its neighbours more often of the
   same class (class targets), or PC1 spread over more features (regression)
   by a margin worth a word.
"""

from dataclasses import dataclass, field

import numpy as np

from skscale.diagnostics._common import percent

# One-sided level of the paired tests (candidates against the best, the best
# against the baseline).
ALPHA = 0.05
# Differences below these are not reasons to prefer one tied candidate: half
# a percentage point of purity, one point of a block's share of PC1, a tenth
# of the number of features sharing PC1.
PURITY_TOLERANCE = 0.005
BALANCE_TOLERANCE = 0.01
SPREAD_TOLERANCE = 0.1


@dataclass(frozen=True)
class Claim:
    """One sentence of the reason, and what it asserts.

    ``kind`` says what is claimed of ``subject`` against ``others``:
    ``"best_score"`` (the highest mean score), ``"others_worse"`` (each of
    ``others`` significantly below the best), ``"tied"`` (each of ``others``
    not significantly below the best), ``"baseline"`` (no candidate beats
    the baseline), ``"passed_over"`` (each of ``others`` is dominated and
    would otherwise compete with ``subject``, which is not: within noise of
    the best score, or ahead on the deciding column), ``"all_dominated"`` (every
    candidate in play is dominated), ``"balance"``, ``"purity"`` and
    ``"spread"`` (``subject`` is at least as good as each of ``others`` on
    that column, up to its tolerance).
    """

    kind: str
    text: str
    subject: str | None = None
    others: tuple = ()


@dataclass(frozen=True)
class Dominance:
    """One feature (or block) holding most of PC1 and of the variance."""

    candidate: str
    kind: str  # "feature" or "block"
    name: str
    pc1_share: float
    variance_share: float

    def sentence(self):
        return (
            f"'{self.candidate}' leaves {self.kind} {self.name!r} with "
            f"{percent(self.pc1_share)} of PC1 ({percent(self.variance_share)} of "
            "the variance)"
        )


@dataclass(frozen=True)
class Baseline:
    """The score of a prediction that ignores the features, on the same folds."""

    label: str  # "always predicting the training mean", ...
    score: float
    p_value: float  # one-sided: the best candidate is not above it
    beaten: bool
    best_score: float = -np.inf  # the best candidate's mean score

    def headline(self):
        """The first words of the verdict: "No candidate beats ..." (or
        "clearly beats", when the best scores above the baseline but not
        significantly)."""
        how = "clearly beats" if self.best_score > self.score else "beats"
        return f"No candidate {how} {self.label}"


@dataclass
class Verdict:
    recommended: str
    also_fine: list
    claims: list = field(default_factory=list)

    @property
    def reason(self):
        return " ".join(claim.text for claim in self.claims)


def most_of(fair):
    """The share above which one part whose fair share is ``fair`` holds
    "most" of a whole: half-way from its fair share to everything, and at
    least a half (with two features, 75%; with many, just over 50%)."""
    return max(0.5, fair + (1.0 - fair) / 2.0)


def _dominates(pc1_share, variance_share, fair):
    """Most of PC1 *and* at least twice its fair share of the variance (or
    "most" of it, where twice is out of reach): PC1 is that part because of
    its scale, not because it is uncorrelated with the rest."""
    return pc1_share >= most_of(fair) and variance_share >= min(
        2.0 * fair, most_of(fair)
    )


def find_dominance(reports, n_features):
    """Candidate -> :class:`Dominance`, for each candidate that leaves one
    feature (else one block) with most of PC1 and of the variance."""
    found = {}
    if n_features < 2:
        return found
    for name, (pca, _) in reports.items():
        features = pca.features
        loadings = features["pc1_loading_after"].to_numpy(dtype=np.float64) ** 2
        variance = features["variance_share_after"].to_numpy(dtype=np.float64)
        if not np.isfinite(loadings).all() or loadings.sum() <= 0:
            continue
        top = int(np.argmax(loadings))
        if _dominates(loadings[top], variance[top], 1.0 / n_features):
            found[name] = Dominance(
                name,
                "feature",
                str(features.index[top]),
                float(loadings[top]),
                float(variance[top]),
            )
            continue
        if pca.blocks is None or len(pca.blocks) < 2:
            continue
        for block, row in pca.blocks.iterrows():
            fair = float(row["n_features"]) / n_features
            if _dominates(row["pc1_share_after"], row["variance_share_after"], fair):
                found[name] = Dominance(
                    name,
                    "block",
                    str(block),
                    float(row["pc1_share_after"]),
                    float(row["variance_share_after"]),
                )
                break
    return found


def _them(names, one, several):
    return one if len(names) == 1 else several


def _others_text(values, subject, pool, shown):
    """What the others in ``pool`` have, for a sentence about ``subject``."""
    others = [n for n in pool if n != subject]
    if len(others) == 1:
        return f"'{others[0]}': {shown(values[others[0]])}"
    low, high = min(values[n] for n in others), max(values[n] for n in others)
    if shown(low) == shown(high):
        return f"the others: {shown(low)}"
    return f"the others: {shown(low)} to {shown(high)}"


def _largest_block_share(table, blocks):
    return table[[f"pc1_share[{block}]" for block in blocks]].max(axis=1)


def _criterion(table, pool, *, blocks, classes, purity_first=False):
    """(kind, values, higher_is_better, tolerance, shown) of the column that
    decides: block balance, else neighbour purity, else PC1's spread (purity
    before the blocks with ``purity_first``)."""
    group = table.loc[pool]
    balance = (
        "balance",
        _largest_block_share(group, blocks) if blocks else None,
        False,
        BALANCE_TOLERANCE,
        percent,
    )
    purity = None
    if classes and "purity" in group and group["purity"].notna().any():
        purity = ("purity", group["purity"], True, PURITY_TOLERANCE, "{:.2f}".format)
    order = [purity, balance] if purity_first else [balance, purity]
    for choice in order:
        if choice is not None and choice[1] is not None:
            return choice
    return (
        "spread",
        group["pc1_effective_features"],
        True,
        SPREAD_TOLERANCE,
        "{:.1f}".format,
    )


def _best_of(values, higher):
    return values.idxmax() if higher else values.idxmin()


def _margin(values, a, b, higher, tolerance, kind):
    """How far ``a`` is better than ``b`` on the column, as a share of the
    tolerance (>= 1: a difference worth a word)."""
    gain = values[a] - values[b] if higher else values[b] - values[a]
    if kind == "spread":
        tolerance = tolerance * max(values[b], 1.0)
    return gain / tolerance


def _standing(kind, value, compared="", *, as_any=False):
    """What a candidate does on the deciding column, with its value and,
    after a semicolon, what ``compared`` candidates have."""
    extra = f"; {compared}" if compared else ""
    if kind == "balance":
        how = "about as balanced as any of them" if as_any else "most balanced"
        return f"keeps the blocks {how}: no block holds more than {value} of PC1" + (
            f" ({compared})" if compared else ""
        )
    if kind == "purity":
        how = "about as often as any of them" if as_any else "most often"
        return (
            f"keeps neighbours of the same class together {how} (purity {value}{extra})"
        )
    how = "about as many features as any of them" if as_any else "the most features"
    return f"spreads PC1 over {how} (about {value}{extra})"


def _tie_break(table, pool, anchor, *, blocks, classes):
    """The candidate of ``pool`` to use, ``anchor`` (the best score) unless
    another is better on the tie-breaking column by a margin worth a word,
    and the claim that says so."""
    kind, values, higher, tolerance, shown = _criterion(
        table, pool, blocks=blocks, classes=classes
    )
    chosen = _best_of(values, higher)
    if _margin(values, chosen, anchor, higher, tolerance, kind) < 1:
        chosen = anchor
    others = tuple(n for n in pool if n != chosen)
    value = shown(values[chosen])
    if chosen != anchor:
        compared = f"'{anchor}': {shown(values[anchor])}"
        text = f"Among these, '{chosen}' {_standing(kind, value, compared)}."
    else:
        rest = _others_text(values, chosen, pool, shown)
        if values[anchor] == values[_best_of(values, higher)]:
            text = f"'{anchor}' also {_standing(kind, value, rest)}."
        else:
            text = f"'{anchor}' {_standing(kind, value, rest, as_any=True)}."
            text += " The difference is too small to outweigh the best score."
    return chosen, Claim(kind, text, chosen, others)


def _passed_over(dominated, skipped, winner):
    sentences = "; ".join(dominated[n].sentence() for n in skipped)
    noun = "block" if all(dominated[n].kind == "block" for n in skipped) else "feature"
    return Claim(
        "passed_over",
        f"{sentences[0].upper()}{sentences[1:]}: PCA and distances after "
        f"{_them(skipped, 'it', 'them')} are mostly that one {noun}, so "
        f"{_them(skipped, 'it gives', 'they give')} way to '{winner}'.",
        winner,
        tuple(skipped),
    )


def _all_dominated(dominated, chosen, table, pool):
    """The warning when ``chosen`` and every other candidate of ``pool`` is
    dominated."""
    clean = [n for n in table.index if n not in dominated]
    text = f"Beware: {dominated[chosen].sentence()}"
    if len(pool) == len(table) and len(pool) > 1:
        text += ", and every candidate leaves one feature or block with most of PC1"
    elif len(pool) > 1:
        text += ", and every candidate within noise of it does the same"
    if clean and "cv_score_mean" in table:
        scores = table["cv_score_mean"]
        other = max(clean, key=lambda n: scores[n])
        text += f"; '{other}', which does not, scores {scores[other]:.3f}"
    others = tuple(n for n in pool if n != chosen)
    return Claim("all_dominated", text + ".", chosen, others)


def _by_scores(table, *, blocks, classes, metric, p_values, dominated):
    scores = table["cv_score_mean"]
    best = scores.idxmax()
    tied = [best] + [
        name
        for name in table.index
        if name != best and p_values.get(name, 0.0) >= ALPHA
    ]
    claims = [
        Claim(
            "best_score",
            f"'{best}' has the best cross-validated {metric}: {scores[best]:.3f} "
            f"+/- {table.loc[best, 'cv_score_std']:.3f}.",
            best,
            tuple(n for n in table.index if n != best),
        )
    ]
    worse = tuple(n for n in table.index if n not in tied)
    if len(tied) == 1:
        claims.append(
            Claim(
                "others_worse",
                "Every other candidate is significantly worse (corrected paired "
                "t-test on the same folds, one-sided 5%)."
                if worse
                else "It is the only candidate.",
                best,
                worse,
            )
        )
    else:
        ranked = sorted((n for n in tied if n != best), key=lambda n: -scores[n])
        listed = ", ".join(f"'{n}' ({scores[n]:.3f})" for n in ranked)
        claims.append(
            Claim(
                "tied",
                f"{listed} {'is' if len(ranked) == 1 else 'are'} within noise of it "
                "(not significantly worse in a corrected paired t-test on the same "
                "folds, one-sided 5%).",
                best,
                tuple(ranked),
            )
        )
    clean = [n for n in tied if n not in dominated]
    pool = clean or tied
    anchor = max(pool, key=lambda n: scores[n])
    chosen, tie_claim = anchor, None
    if len(pool) > 1:
        chosen, tie_claim = _tie_break(
            table, pool, anchor, blocks=blocks, classes=classes
        )
    if clean and len(clean) < len(tied):
        skipped = sorted((n for n in tied if n in dominated), key=lambda n: -scores[n])
        claims.append(_passed_over(dominated, skipped, chosen))
    if tie_claim is not None:
        claims.append(tie_claim)
    if not clean and chosen in dominated:
        claims.append(_all_dominated(dominated, chosen, table, tied))
    return Verdict(chosen, [n for n in pool if n != chosen], claims)


def _by_diagnostics(table, *, blocks, classes, dominated):
    names = list(table.index)
    clean = [n for n in names if n not in dominated]
    pool = clean or names
    kind, values, higher, _, shown = _criterion(
        table, names, blocks=blocks, classes=classes, purity_first=True
    )
    chosen = _best_of(values[pool], higher)
    claims = []
    better = [
        n
        for n in names
        if n in dominated
        and (values[n] > values[chosen] if higher else values[n] < values[chosen])
    ]
    if clean and better:
        claims.append(_passed_over(dominated, better, chosen))
    others = tuple(n for n in pool if n != chosen)
    standing = _standing(kind, shown(values[chosen]))
    claims.append(Claim(kind, f"'{chosen}' {standing}.", chosen, others))
    if not clean:
        claims.append(_all_dominated(dominated, chosen, table, names))
    return Verdict(chosen, [], claims)


def _baseline_claim(table, baseline, metric):
    scores = table["cv_score_mean"]
    best = scores.idxmax()
    if scores[best] <= baseline.score:
        compared = f"is below the {baseline.score:.3f} of {baseline.label}"
    else:
        compared = (
            f"is not significantly above the {baseline.score:.3f} of "
            f"{baseline.label} (corrected paired t-test, one-sided 5%, p = "
            f"{baseline.p_value:.2f})"
        )
    return Claim(
        "baseline",
        f"{baseline.headline()}: the best cross-validated {metric}, "
        f"'{best}' with {scores[best]:.3f}, {compared}. However scaled, these "
        "features do not help the estimator predict the target, so the scores "
        "cannot choose a scaler: the diagnostics alone do.",
        best,
        tuple(table.index),
    )


def decide(table, *, blocks, classes, metric, p_values, dominated=None, baseline=None):
    """The :class:`Verdict` on a comparison's table.

    With cross-validated scores that beat ``baseline`` (or no baseline): the
    best mean score and every candidate not significantly worse (one-sided
    corrected paired t-test at 5%, ``p_values``) form the tied group; a
    dominated candidate in it gives way to one that is not; among the rest,
    the candidate that keeps the blocks most balanced (with blocks), else
    whose neighbours most often share their class (class targets), else that
    spreads PC1 over the most features is recommended, unless the difference
    is too small to show (half a point of purity, one point of a block's
    share, a tenth of the spread), which leaves the best score. Without
    scores, or when none beats the baseline: among the candidates that are
    not dominated, the neighbour purity, else the block balance, else the
    spread of PC1 decides.
    """
    dominated = dominated or {}
    scored = "cv_score_mean" in table and table["cv_score_mean"].notna().any()
    if scored and (baseline is None or baseline.beaten):
        return _by_scores(
            table,
            blocks=blocks,
            classes=classes,
            metric=metric,
            p_values=p_values,
            dominated=dominated,
        )
    verdict = _by_diagnostics(
        table, blocks=blocks, classes=classes, dominated=dominated
    )
    if scored:
        verdict.claims.insert(0, _baseline_claim(table, baseline, metric))
    return verdict
