"""k-NN distortion: how scaling changed distances and neighbourhoods."""

from numbers import Integral

import numpy as np
import pandas as pd
import scipy.stats
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.multiclass import type_of_target

from skscale._backends import any_dask, computed
from skscale._backends.array_api import to_host
from skscale.diagnostics._common import (
    DASK_SAMPLE_ROWS,
    Report,
    block_of_features,
    block_table,
    dask_pair,
    feature_names_of,
    from_to,
    named_table,
    percent,
    prepare_pair,
    sample_dask_rows,
)

# Values per temporary block (distance rows, comparison masks, differences).
_BLOCK_ELEMENTS = 1 << 22
# Pairs of points for the rank correlation of distances: all of them up to
# this many samples, a random sample of _MAX_PAIRS pairs beyond.
_ALL_PAIRS_LIMIT = 2000
_MAX_PAIRS = 200_000


def _neighbours(distances, k):
    """Indices of the k nearest points of each row (any order)."""
    return np.argpartition(distances, k - 1, axis=1)[:, :k]


def _rank_penalty(distances, own, other):
    """Sum over the ``other`` neighbours that are not ``own`` neighbours of
    (their rank in ``distances`` - k), as trustworthiness defines it.

    A rank is 1 + the number of points strictly closer (the query itself is at
    inf). Per query, one pass keeps the distances below the largest value to
    rank, and only those few are compared with each value.
    """
    k = own.shape[1]
    new = ~(other[:, :, None] == own[:, None, :]).any(axis=2)
    values = np.take_along_axis(distances, other, axis=1)
    total = 0.0
    for row in np.flatnonzero(new.any(axis=1)):
        targets = values[row, new[row]]
        d = distances[row]
        closer = d[d < targets.max()]
        counts = np.count_nonzero(closer[None, :] < targets[:, None], axis=1)
        total += float(np.sum(counts + 1 - k))
    return total


def _sample_pairs(n_samples, rng):
    """``(first, second)`` rows of the pairs, or None for every pair."""
    if n_samples <= _ALL_PAIRS_LIMIT:
        return None
    first = rng.randint(n_samples, size=_MAX_PAIRS)
    second = rng.randint(n_samples - 1, size=_MAX_PAIRS)
    second += second >= first
    return first, second


def _class_labels(y, n_samples):
    if y is None:
        return None
    y = column_or_1d(to_host(y), warn=True)  # labels on a device come to the host
    if y.shape[0] != n_samples:
        raise ValueError(
            f"y has {y.shape[0]} entries but X_before has {n_samples} samples; "
            "expected one label per sample."
        )
    if type_of_target(y) not in ("binary", "multiclass"):
        return None  # purity needs class labels; a continuous y has none
    return y


class KNNDistortionReport(Report):
    """How scaling changed k-nearest neighbours; see :func:`knn_distortion`.

    Plain data, made by :func:`knn_distortion` (keyword-only arguments, one per
    attribute below); :meth:`summary`, :meth:`plot` and the HTML view only
    read them.

    Attributes
    ----------
    metrics : pandas.Series
        ``overlap`` (mean share of each query's k neighbours kept), its
        standard error ``overlap_se`` (0 when every point is a query),
        ``jaccard``, ``trustworthiness`` (after relative to before) and
        ``continuity`` (before relative to after), ``spearman`` (rank
        correlation of pairwise distances), ``purity_before/after`` (share of
        neighbours with the query's class; NaN without class labels),
        ``n_queries``, ``n_neighbors``, ``n_samples`` and ``n_pairs``.
    features : pandas.DataFrame
        One row per feature: ``distance_share_before/after`` (share of squared
        Euclidean distance over all pairs), ``local_distance_share_before/after``
        (among neighbour pairs), and ``block`` with blocks.
    blocks : pandas.DataFrame or None
        The same shares summed per block, with ``n_features``.
    n_missing : int
        Missing values in the two tables, counted as their column's mean.
    sampling : str or None
        For dask input, which rows were read (a random sample of at most
        20,000, the same rows before and after). None for in-memory input.
    figure_, axes_ : matplotlib Figure and array of Axes
        Set by :meth:`plot`, as scikit-learn's Display objects do.
    """

    _tables = ("metrics", "blocks", "features")

    def __init__(self, *, metrics, features, blocks, n_missing, sampling=None):
        self.sampling = sampling
        self.metrics = metrics
        self.features = features
        self.blocks = blocks
        self.n_missing = n_missing

    def summary(self):
        """A short plain-language reading of the report.

        Returns
        -------
        str
            A few sentences, numbers included.
        """
        m = self.metrics
        n_queries, n_samples = int(m["n_queries"]), int(m["n_samples"])
        queries = (
            "every sample a query"
            if n_queries == n_samples
            else f"{n_queries:,} random query points"
        )
        text = [
            f"{int(m['n_neighbors'])}-nearest neighbours of {n_samples:,} samples "
            f"({queries}): {percent(m['overlap'])} of each point's neighbours are "
            f"the same before and after scaling (Jaccard {m['jaccard']:.2f}); "
            f"trustworthiness {m['trustworthiness']:.2f}, continuity "
            f"{m['continuity']:.2f}; rank correlation of distances "
            f"{m['spearman']:.2f}."
        ]
        for when, label in (("before", "Before scaling"), ("after", "After scaling")):
            shares = self.features[f"distance_share_{when}"]
            if shares.notna().any():
                top = shares.idxmax()
                local = self.features.loc[top, f"local_distance_share_{when}"]
                text.append(
                    f"{label}, {top!r} makes {percent(shares[top])} of all squared "
                    f"distances ({percent(local)} among neighbours)."
                )
        if np.isfinite(m["purity_before"]):
            shift = from_to(f"{m['purity_before']:.2f}", f"{m['purity_after']:.2f}")
            text.append(f"Neighbour label purity {shift}.")
        if self.sampling is not None:
            text.append(f"({self.sampling[0].upper()}{self.sampling[1:]}.)")
        return " ".join(text)

    def plot(self, *, axes=None, max_features=15):
        """Draw the shares of distances and the neighbourhood metrics.

        Two panels: each block's (or the top features') share of squared
        distances before and after scaling, and how far the neighbourhoods
        after scaling match those before (with the label purity when the
        report has labels). Needs matplotlib (the ``plot`` extra).

        Parameters
        ----------
        axes : sequence of 2 matplotlib Axes, default=None
            Where to draw. None makes a new pyplot figure, which shows in
            Jupyter like any matplotlib plot.
        max_features : int, default=15
            Without blocks, how many features to show: those with the largest
            share of distances before or after.

        Returns
        -------
        self : KNNDistortionReport
            The report, with ``figure_`` (the matplotlib Figure drawn on) and
            ``axes_`` (an array of its 2 Axes) set.
        """
        from skscale.diagnostics._plotting import plot_knn_distortion

        self.figure_, self.axes_ = plot_knn_distortion(
            self, axes=axes, max_features=max_features
        )
        return self


def knn_distortion(
    X_before,
    X_after,
    *,
    y=None,
    n_neighbors=10,
    blocks=None,
    max_samples=5000,
    random_state=None,
    feature_names=None,
):
    """Report how scaling changed distances and k-nearest-neighbour sets.

    k-NN, SVMs and clustering see the data only through distances, and when
    features live on different scales one feature owns them. This report
    compares the neighbourhoods before and after scaling (overlap, Jaccard,
    trustworthiness and continuity, rank correlation of distances), says which
    features make the distances, globally and among neighbours, and, with class
    labels, whether neighbours agree on the class more often.

    Parameters
    ----------
    X_before : array-like or DataFrame of shape (n_samples, n_features)
        The data before scaling (not modified).
    X_after : array-like or DataFrame of shape (n_samples, n_features)
        The same data after scaling.
    y : array-like of shape (n_samples,), default=None
        Class labels, for the neighbour label purity (ignored when continuous).
    n_neighbors : int, default=10
        Neighbours per point (at most ``n_samples - 1``).
    blocks : dict, default=None
        Block name -> columns, as for :class:`~skscale.preprocessing.BlockScaler`.
    max_samples : int, default=5000
        At most this many query points, drawn at random; their neighbours are
        found exactly among all points. ``overlap_se`` in the report is the
        standard error this sampling leaves.
    random_state : int, RandomState instance or None, default=None
        Seed for the sample of queries and of pairs.
    feature_names : list of str, default=None
        Names of the columns when neither table has any (arrays, sparse
        matrices: a single-cell matrix's genes); ``blocks`` may then list
        columns by these names.

    Returns
    -------
    KNNDistortionReport
        The neighbourhood metrics and the features' and blocks' shares of
        distances, before and after.

    Notes
    -----
    Trustworthiness and continuity follow :func:`sklearn.manifold.trustworthiness`
    (Venna and Kaski 2001): with every point a query they equal
    ``trustworthiness(X_before, X_after)`` and ``trustworthiness(X_after,
    X_before)``; with a sample of queries they estimate them. They need
    ``n_neighbors < n_samples / 2`` and are NaN otherwise. Missing values count
    as their column's mean.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from skscale.diagnostics import knn_distortion
    >>> from skscale.preprocessing import ZScoreScaler
    >>> wine = load_wine(as_frame=True)
    >>> scaled = ZScoreScaler().fit_transform(wine.data)
    >>> report = knn_distortion(wine.data, scaled, y=wine.target)
    >>> report.metrics[["purity_before", "purity_after"]].round(2).tolist()
    [0.67, 0.92]
    >>> report.features["distance_share_before"].idxmax()
    'proline'
    """
    for name, value in (("n_neighbors", n_neighbors), ("max_samples", max_samples)):
        if not (isinstance(value, Integral) and value >= 1):
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    sampling = None
    if any_dask(X_before, X_after):
        # neighbours need the candidate points in memory: a sample of rows
        lazy_before, lazy_after, lazy_names = dask_pair(X_before, X_after)
        if feature_names is not None:
            lazy_names = feature_names_of(
                named_table(X_before, X_after), len(lazy_names), feature_names
            )
            feature_names = None  # the sample below carries them as columns
        (sample_before, sample_after), rows, note = sample_dask_rows(
            [lazy_before, lazy_after],
            DASK_SAMPLE_ROWS,
            random_state=check_random_state(random_state).randint(2**31 - 1),
        )
        if y is not None:
            y = np.asarray(computed(y))[rows]
        X_before = pd.DataFrame(sample_before, columns=lazy_names)
        X_after = pd.DataFrame(sample_after, columns=lazy_names)
        sampling = f"neighbours searched among {note}"
    before, after, names, n_missing = prepare_pair(X_before, X_after, feature_names)
    n_samples, n_features = before.shape
    if n_samples < 2:
        raise ValueError(
            "knn_distortion needs at least 2 samples to have neighbours; got 1 sample."
        )
    labels = _class_labels(y, n_samples)
    resolved, block_labels = block_of_features(blocks, X_before, names, n_features)
    side = KNNSide(before, n_neighbors, max_samples, random_state, labels)
    return knn_report(side, after, names, n_missing, resolved, block_labels, sampling)


class KNNSide:
    """The unscaled side of a k-NN comparison, computed once: the queries, the
    sampled pairs, and each query's neighbours, purity and local squares.

    :func:`knn_report` compares any number of scaled tables against it; the
    same queries and pairs are then used for every one of them.
    """

    def __init__(self, table, n_neighbors, max_samples, random_state, labels):
        n_samples, n_features = table.shape
        self.X = table
        self.labels = labels
        self.k = min(n_neighbors, n_samples - 1)
        rng = check_random_state(random_state)
        if n_samples > max_samples:
            queries = np.sort(rng.choice(n_samples, size=max_samples, replace=False))
        else:
            queries = np.arange(n_samples)
        self.queries = queries
        self.pairs = _sample_pairs(n_samples, rng)
        self.norms = table.row_norms()
        self.step = max(
            1,
            min(
                _BLOCK_ELEMENTS // n_samples,
                _BLOCK_ELEMENTS // (self.k * max(1, n_features)),
            ),
        )
        self.neighbours = np.empty((queries.size, self.k), dtype=np.intp)
        self.local = np.zeros(n_features)
        self.purity = 0.0
        for start in range(0, queries.size, self.step):
            chunk = queries[start : start + self.step]
            d = self.distances(chunk)
            found = _neighbours(d, self.k)
            self.neighbours[start : start + self.step] = found
            self.local += table.pair_squares(chunk, found)
            if labels is not None:
                same = labels[found] == labels[chunk][:, None]
                self.purity += float(same.mean(axis=1).sum())
        self.pair_distances = self.distances_of_pairs(table)

    def distances_of_pairs(self, table):
        """The distances of the sampled pairs (or of every pair) in ``table``."""
        if self.pairs is None:
            return table.all_pair_distances()
        return table.pair_distances(*self.pairs)

    def distances(self, chunk):
        """Ranking distances from the ``chunk`` queries to every point, a
        query's own distance set to inf."""
        return ranking_distances(self.X, chunk, self.norms)


def ranking_distances(table, chunk, norms):
    """Squared Euclidean distances from the ``chunk`` rows of a centred table
    to every row, up to a constant per query (its own squared norm, which
    changes no ranking within a row): ``|x|^2 - 2 q.x``, one matrix product
    and one pass. A query's distance to itself is inf (a point is not its own
    neighbour)."""
    distances = table.rows_times(-2.0 * table.rows(chunk))
    distances += norms[None, :]
    distances[np.arange(chunk.size), chunk] = np.inf
    return distances


def knn_report(
    side, after, names, n_missing, resolved=None, block_labels=None, sampling=None
):
    """Compare the centred scaled table ``after`` with the unscaled ``side``
    (a :class:`KNNSide`) and assemble the :class:`KNNDistortionReport`."""
    before, labels, k, queries = side.X, side.labels, side.k, side.queries
    n_samples, n_features = before.shape
    n_queries = queries.size
    after_norms = after.row_norms()
    overlap = np.empty(n_queries)
    jaccard = np.empty(n_queries)
    penalty = {"trustworthiness": 0.0, "continuity": 0.0}
    purity = {"before": side.purity, "after": 0.0}
    local = {"before": side.local, "after": np.zeros(n_features)}
    step = side.step
    for start in range(0, n_queries, step):
        chunk = queries[start : start + step]
        distances = {"before": side.distances(chunk)}
        neighbours = {"before": side.neighbours[start : start + step]}
        d = ranking_distances(after, chunk, after_norms)
        distances["after"], neighbours["after"] = d, _neighbours(d, k)
        local["after"] += after.pair_squares(chunk, neighbours["after"])
        if labels is not None:
            same = labels[neighbours["after"]] == labels[chunk][:, None]
            purity["after"] += float(same.mean(axis=1).sum())
        shared = (
            (neighbours["before"][:, :, None] == neighbours["after"][:, None, :])
            .any(axis=2)
            .sum(axis=1)
        )
        overlap[start : start + step] = shared / k
        jaccard[start : start + step] = shared / (2 * k - shared)
        penalty["trustworthiness"] += _rank_penalty(
            distances["before"], neighbours["before"], neighbours["after"]
        )
        penalty["continuity"] += _rank_penalty(
            distances["after"], neighbours["after"], neighbours["before"]
        )

    denominator = n_queries * k * (2.0 * n_samples - 3.0 * k - 1.0)
    usable = k < n_samples / 2 and denominator > 0
    trust = {
        name: (1.0 - 2.0 * value / denominator) if usable else np.nan
        for name, value in penalty.items()
    }
    spearman = scipy.stats.spearmanr(
        side.pair_distances, side.distances_of_pairs(after)
    ).statistic
    finite_population = 1.0 - n_queries / n_samples
    overlap_se = (
        float(np.std(overlap, ddof=1) / np.sqrt(n_queries) * np.sqrt(finite_population))
        if n_queries > 1
        else np.nan
    )
    metrics = pd.Series(
        {
            "overlap": float(overlap.mean()),
            "overlap_se": overlap_se,
            "jaccard": float(jaccard.mean()),
            "trustworthiness": trust["trustworthiness"],
            "continuity": trust["continuity"],
            "spearman": float(spearman),
            "purity_before": purity["before"] / n_queries
            if labels is not None
            else np.nan,
            "purity_after": purity["after"] / n_queries
            if labels is not None
            else np.nan,
            "n_queries": n_queries,
            "n_neighbors": k,
            "n_samples": n_samples,
            "n_pairs": side.pair_distances.size,
        },
        dtype=np.float64,
        name="value",
    )

    features = {}
    shares = {}
    for when, X in (("before", before), ("after", after)):
        variance = X.variance()
        with np.errstate(invalid="ignore", divide="ignore"):
            shares[when] = (variance / variance.sum(), local[when] / local[when].sum())
        features[f"distance_share_{when}"] = shares[when][0]
    for when in ("before", "after"):
        features[f"local_distance_share_{when}"] = shares[when][1]
    feature_table = pd.DataFrame(features, index=pd.Index(names, name="feature"))
    blocks_summary = None
    if resolved is not None:
        per_feature = {column: feature_table[column] for column in feature_table}
        feature_table["block"] = block_labels
        blocks_summary = block_table(resolved, per_feature)
    return KNNDistortionReport(
        metrics=metrics,
        features=feature_table,
        blocks=blocks_summary,
        n_missing=n_missing,
        sampling=sampling,
    )
