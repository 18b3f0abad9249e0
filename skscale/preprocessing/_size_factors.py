"""Size-factor normalisers: each sample divided by one factor, from its total
(library size), its median quotient to a reference spectrum (PQN) or its
median ratio to per-feature geometric means (DESeq2); the reference is
learnt in ``fit``. See :mod:`skscale.preprocessing._row_normalizer`.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skscale._backends import (
    column_blocks,
    columns_above_share,
    log_means,
    median_log_ratios,
    row_medians,
    row_totals,
)
from skscale._backends.dense import _weighted_percentiles
from skscale.preprocessing._row_normalizer import (
    _RowNormalizer,
    _weighted_median,
)
from skscale.utils._sklearn_compat import (
    Interval,
    StrOptions,
    _fit_context,
    callback_task,
)
from skscale.utils._validation import (
    check_sample_weight,
)

__all__ = ["MedianRatioNormalizer", "PQNormalizer", "TotalSumNormalizer"]


class TotalSumNormalizer(_RowNormalizer):
    """Divide each sample by its total and multiply by a common target.

    ``x_normalised = x * target_sum_ / sum(x)``, the total taken over the
    row's features (NaN skipped). The library-size normalisation of RNA-seq
    counts (``target_sum=1e6`` gives counts per million) and the
    total-intensity normalisation of spectra. With ``target_sum="median"``
    the target is learnt in ``fit``: the median total of the training rows
    (rows whose total is zero left out), as scanpy's ``normalize_total``
    does on all rows at once.

    With ``exclude_highly_expressed=True`` the totals leave out the features
    that make up more than ``max_fraction`` of some training row's total (a
    few very highly expressed genes otherwise set every cell's factor), as
    scanpy's ``normalize_total(exclude_highly_expressed=True)`` does; those
    features are learnt in ``fit`` (``highly_expressed_``) and left out of
    every row's total in ``transform``. On the training rows the result is
    scanpy's.

    Takes dense and sparse (CSR, CSC) input; values must be non-negative.
    A row whose total is zero is left as it is, with a warning.

    Parameters
    ----------
    target_sum : "median" or float > 0, default="median"
        The total every row has after ``transform``; ``"median"`` learns it.
    exclude_highly_expressed : bool, default=False
        Leave the highly expressed features out of the totals.
    max_fraction : float in (0, 1], default=0.05
        A feature is highly expressed if it exceeds this fraction of the total
        of at least one training row (``exclude_highly_expressed`` only).
    copy : bool, default=True
        Copy the input; ``False`` divides a float input in place.

    Attributes
    ----------
    target_sum_ : float
        The target total.
    highly_expressed_ : ndarray of shape (n_features,) of bool, or None
        The features left out of the totals; None unless
        ``exclude_highly_expressed``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    PQNormalizer : Robust to a few large features that change between samples.

    References
    ----------
    .. [1] Wolf, F. A., Angerer, P. and Theis, F. J. (2018). SCANPY: large-scale
       single-cell gene expression data analysis. Genome Biology, 19, 15.

    Examples
    --------
    >>> from skscale.preprocessing import TotalSumNormalizer
    >>> X = [[1.0, 3.0], [2.0, 2.0], [10.0, 30.0]]
    >>> TotalSumNormalizer(target_sum=100).fit_transform(X)
    array([[25., 75.],
           [50., 50.],
           [25., 75.]])
    """

    _parameter_constraints = {
        **_RowNormalizer._parameter_constraints,
        "target_sum": [
            StrOptions({"median"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "exclude_highly_expressed": ["boolean"],
        "max_fraction": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(
        self,
        target_sum="median",
        *,
        exclude_highly_expressed=False,
        max_fraction=0.05,
        copy=True,
    ):
        self.target_sum = target_sum
        self.exclude_highly_expressed = exclude_highly_expressed
        self.max_fraction = max_fraction
        self.copy = copy

    @_fit_context(prefer_skip_nested_validation=True)
    @callback_task
    def fit(self, X, y=None, sample_weight=None):
        """Learn the target total from the training rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the rows in the median total: weight 2 counts
            a row twice, and the median is numpy's median of the rows repeated
            by their weights (so weights summing to less than 2 give the
            smallest total).

        Returns
        -------
        self : object
            Fitted normaliser.
        """
        X, totals = self._validate(X, reset=True)
        weights = check_sample_weight(sample_weight, X.shape[0])
        self._learn_target(self._learn_excluded(X, totals, weights), weights)
        return self

    def _learn_excluded(self, X, totals, weights):
        """Learn ``highly_expressed_``; the training rows' totals without
        them."""
        self.highly_expressed_ = None
        if not self.exclude_highly_expressed:
            return totals
        if weights is not None:  # rows of weight 0 mark no feature
            totals = np.where(weights > 0, totals, np.inf)
        self.highly_expressed_ = columns_above_share(X, totals, self.max_fraction)
        if self.highly_expressed_.all():
            raise ValueError(
                "TotalSumNormalizer(exclude_highly_expressed=True): every feature "
                f"is above max_fraction={self.max_fraction:g} of some training "
                "row's total, so no feature is left to total; raise max_fraction "
                "(scanpy's 0.05 suits thousands of genes, not a few features)."
            )
        return row_totals(X, ~self.highly_expressed_)

    def _totals(self, X, totals):
        if self.highly_expressed_ is None:
            return totals
        return row_totals(X, ~self.highly_expressed_)

    def _learn_target(self, totals, weights):
        if self.target_sum != "median":
            self.target_sum_ = float(self.target_sum)
            return
        used = totals > 0 if weights is None else (totals > 0) & (weights > 0)
        if not used.any():
            raise ValueError(
                "TotalSumNormalizer learns the median total of the training rows, "
                "but every training row (of positive weight) sums to zero; "
                "expected at least one row with a positive total, or pass a "
                "number as target_sum."
            )
        self.target_sum_ = _weighted_median(
            totals[used], None if weights is None else weights[used]
        )

    @_fit_context(prefer_skip_nested_validation=True)
    @callback_task
    def fit_transform(self, X, y=None, sample_weight=None):
        """Learn the target total and normalise ``X``, reading it once less.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the rows in the median total: weight 2 counts
            a row twice, and the median is numpy's median of the rows repeated
            by their weights (so weights summing to less than 2 give the
            smallest total).

        Returns
        -------
        X_tr : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Each row summing to ``target_sum_``.
        """
        original = X
        X, totals = self._validate(X, reset=True)
        weights = check_sample_weight(sample_weight, X.shape[0])
        totals = self._learn_excluded(X, totals, weights)
        self._learn_target(totals, weights)
        return self._apply(X, original, totals, self.copy)

    def _apply(self, X, original, totals, copy):
        factors = totals / self.target_sum_
        return self._divide_rows(
            X, original, factors, copy, lacking="positive finite total"
        )

    def transform(self, X, copy=None):
        """Divide each row by its total and multiply by ``target_sum_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples to normalise.
        copy : bool, default=None
            Copy the input; ``None`` uses the ``copy`` parameter.

        Returns
        -------
        X_tr : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Each row summing to ``target_sum_`` (NaN skipped; without
            ``highly_expressed_``, when they are excluded).
        """
        check_is_fitted(self)
        original = X
        X, totals = self._validate(X, reset=False)
        totals = self._totals(X, totals)
        return self._apply(X, original, totals, self.copy if copy is None else copy)


class PQNormalizer(_RowNormalizer):
    """Probabilistic quotient normalisation (Dieterle et al. 2006).

    Corrects each sample for an overall dilution (of urine, of an extract)
    without letting the few features that change most between samples set the
    factor, as a total does. ``fit`` total-sum normalises the training rows
    (to their median total, ``target_sum_``) and takes the feature-wise median
    (or mean) of them as the reference spectrum ``reference_``. A sample's
    dilution factor is the median, over the features, of its quotients to the
    reference; ``transform`` divides the sample by it. Features that are zero
    or NaN in the reference or in the sample are left out of that median.

    This equals Dieterle's two steps (total-sum normalisation, then division by
    the median quotient): the total cancels, so a sample is divided by
    ``median_j(x_j / reference_j)`` directly, which :meth:`dilution_factors`
    returns.

    Takes dense and sparse (CSR, CSC) input (a sparse reference is computed a
    few columns at a time); values must be non-negative. A sample with no
    feature to compare is left as it is, with a warning.

    Parameters
    ----------
    reference : {"median", "mean"}, default="median"
        How the reference spectrum summarises the normalised training rows.
    copy : bool, default=True
        Copy the input; ``False`` divides a float input in place.

    Attributes
    ----------
    reference_ : ndarray of shape (n_features,)
        The reference spectrum (on the scale of ``target_sum_``).
    target_sum_ : float
        The median total of the training rows, to which they were normalised
        before the reference was taken.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    TotalSumNormalizer : Divide by the total.
    MedianRatioNormalizer : The same idea on counts, against geometric means.

    References
    ----------
    .. [1] Dieterle, F., Ross, A., Schlotterbeck, G. and Senn, H. (2006).
       Probabilistic quotient normalization as robust method to account for
       dilution of complex biological mixtures. Analytical Chemistry, 78(13),
       4281-4290.

    Examples
    --------
    >>> import numpy as np
    >>> from skscale.preprocessing import PQNormalizer
    >>> X = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 2.0, 30.0]])
    >>> pqn = PQNormalizer().fit(X)
    >>> pqn.reference_
    array([2., 4., 6.])
    >>> pqn.dilution_factors(X)  # the third row is the first, one feature up
    array([0.5, 1. , 0.5])
    """

    _parameter_constraints = {
        **_RowNormalizer._parameter_constraints,
        "reference": [StrOptions({"median", "mean"})],
    }

    def __init__(self, reference="median", *, copy=True):
        self.reference = reference
        self.copy = copy

    @_fit_context(prefer_skip_nested_validation=True)
    @callback_task
    def fit(self, X, y=None, sample_weight=None):
        """Learn the reference spectrum from the training rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the rows in the median total and the
            reference: weight 2 counts a row twice, and each median is numpy's
            median of the rows repeated by their weights.

        Returns
        -------
        self : object
            Fitted normaliser.
        """
        X, totals = self._validate(X, reset=True)
        weights = check_sample_weight(sample_weight, X.shape[0])
        used = totals > 0 if weights is None else (totals > 0) & (weights > 0)
        if not used.any():
            raise ValueError(
                "PQNormalizer builds its reference from the training rows, but "
                "every training row (of positive weight) sums to zero; expected "
                "at least one row with a positive total."
            )
        rows = np.flatnonzero(used)
        weights = None if weights is None else weights[rows]
        self.target_sum_ = _weighted_median(totals[rows], weights)
        factors = totals[rows] / self.target_sum_
        self.reference_ = np.empty(X.shape[1])
        source = X if used.all() else X[rows]
        # a few columns at a time: the float64 working copy stays bounded
        for cols, block in column_blocks(source, 1 << 22):
            normalised = block / factors[:, None]
            self.reference_[cols] = _column_summary(normalised, weights, self.reference)
        return self

    def dilution_factors(self, X):
        """The factor each sample is divided by: its median quotient.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        factors : ndarray of shape (n_samples,)
            ``median_j(x_j / reference_j)`` over the features positive in both
            (NaN where there is none). Proportional to the true dilution of a
            sample whose composition matches the reference's.
        """
        check_is_fitted(self)
        X, _ = self._validate(X, reset=False)
        return self._factors(X)

    def _factors(self, X):
        reference = self.reference_
        usable = np.isfinite(reference) & (reference > 0)
        return row_medians(
            X,
            lambda values, columns: values / reference[columns],
            lambda values, columns: (values > 0) & usable[columns],
        )

    def transform(self, X, copy=None):
        """Divide each sample by its dilution factor.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples to normalise.
        copy : bool, default=None
            Copy the input; ``None`` uses the ``copy`` parameter.

        Returns
        -------
        X_tr : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Normalised samples, on the scale of the reference.
        """
        check_is_fitted(self)
        original = X
        X, _ = self._validate(X, reset=False)
        copy = self.copy if copy is None else copy
        return self._divide_rows(
            X,
            original,
            self._factors(X),
            copy,
            lacking="positive feature shared with the reference",
        )


def _column_summary(values, weights, how):
    """Per-column median or mean of a float64 block, NaN skipped, weighted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        if how == "mean":
            if weights is None:
                return np.nanmean(values, axis=0)
            present = ~np.isnan(values)
            total = np.where(present, values, 0.0).T @ weights
            count = present.T.astype(np.float64) @ weights
            return np.divide(
                total, count, out=np.full_like(total, np.nan), where=count > 0
            )
        if weights is None:
            if not np.isnan(values).any():  # counts: no NaN, a faster median
                return np.median(values, axis=0)
            return np.nanmedian(values, axis=0)
    return _weighted_percentiles(values, weights, [50.0])[0]


class MedianRatioNormalizer(_RowNormalizer):
    """DESeq2's median-of-ratios normalisation of counts.

    ``fit`` learns the log geometric mean of each feature over the training
    rows (``log_geo_means_``); features with a zero in any training row have
    none and are left out. A sample's size factor is the exponential of the
    median, over the kept features it has a positive count for, of
    ``log(count) - log_geo_mean``; ``transform`` divides the sample by it. On
    the training rows these are DESeq2's (and pydeseq2's) size factors; new
    samples are compared with the training rows' geometric means, so nothing
    of them leaks into the reference.

    Single-cell and metagenomic counts have a zero in every feature, so the
    ratio method has no feature to use. ``method="poscounts"`` is DESeq2's
    answer (``estimateSizeFactors(type="poscounts")``): a feature's log
    geometric mean is the sum of the logs of its positive counts divided by
    the number of training rows (a zero counts as ``log(1)``), so only
    features with no positive count are left out; the factors are then divided
    by their geometric mean over the training rows (``log_centre_``), which
    ``transform`` applies to new samples too. This is R's DESeq2; pydeseq2
    (0.5) also leaves out features whose log mean is 0 or less (those whose
    positive counts are all 1), and so differs from R where such features
    exist.

    Takes dense and sparse (CSR, CSC) input; counts must be non-negative.
    NaN is skipped. A sample with no positive count among the kept features
    is left as it is, with a warning.

    Parameters
    ----------
    method : {"ratio", "poscounts"}, default="ratio"
        DESeq2's size factor type: the median of ratios over the features
        positive in every training row, or over every feature with a positive
        count (``poscounts``, for counts with zeros everywhere).
    copy : bool, default=True
        Copy the input; ``False`` divides a float input in place.

    Attributes
    ----------
    log_geo_means_ : ndarray of shape (n_features,)
        Mean of ``log(count)`` over the training rows (``poscounts``: zeros
        count as ``log(1)``); NaN for the features left out.
    log_centre_ : float
        Mean log size factor of the training rows, subtracted from every
        sample's (``poscounts``); 0 for ``method="ratio"``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    PQNormalizer : The same idea against a median reference spectrum.

    References
    ----------
    .. [1] Anders, S. and Huber, W. (2010). Differential expression analysis
       for sequence count data. Genome Biology, 11, R106.
    .. [2] Love, M. I., Huber, W. and Anders, S. (2014). Moderated estimation of
       fold change and dispersion for RNA-seq data with DESeq2. Genome Biology,
       15, 550.

    Examples
    --------
    >>> from skscale.preprocessing import MedianRatioNormalizer
    >>> X = [[10, 20, 30], [20, 40, 60], [10, 40, 30]]
    >>> MedianRatioNormalizer().fit(X).size_factors(X).round(3)
    array([0.794, 1.587, 0.794])
    """

    _parameter_constraints = {
        **_RowNormalizer._parameter_constraints,
        "method": [StrOptions({"ratio", "poscounts"})],
    }

    def __init__(self, *, method="ratio", copy=True):
        self.method = method
        self.copy = copy

    @_fit_context(prefer_skip_nested_validation=True)
    @callback_task
    def fit(self, X, y=None, sample_weight=None):
        """Learn the log geometric mean of every feature.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training counts.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the rows in the geometric means; rows of
            weight 0 are left out.

        Returns
        -------
        self : object
            Fitted normaliser.
        """
        X, _ = self._validate(X, reset=True)
        weights = check_sample_weight(sample_weight, X.shape[0])
        if weights is not None:
            rows = np.flatnonzero(weights > 0)
            X, weights = X[rows], weights[rows]
        poscounts = self.method == "poscounts"
        means = log_means(
            X,
            np.ones(X.shape[0]) if weights is None else weights,
            positive_only=poscounts,
        )
        if np.isnan(means).all():
            if poscounts:
                raise ValueError(
                    "MedianRatioNormalizer(method='poscounts') needs at least one "
                    "feature with a positive count in the training rows, but "
                    "every feature is zero (or missing) in all of them."
                )
            raise ValueError(
                "MedianRatioNormalizer needs at least one feature that is positive "
                "in every training row (its geometric mean is taken over them), "
                "but every feature has a zero (or no value) in some training row; "
                "use method='poscounts' (DESeq2's size factors for counts with "
                "zeros everywhere, such as single cells), add a pseudocount, or "
                "use PQNormalizer or TotalSumNormalizer."
            )
        self.log_geo_means_ = means
        self.log_centre_ = 0.0
        if poscounts:  # R's sf / exp(mean(log(sf))) over the training rows
            logs = median_log_ratios(X, means)
            kept = np.isfinite(logs)
            if not kept.any():
                raise ValueError(
                    "MedianRatioNormalizer(method='poscounts'): no training row "
                    "has a positive count in a kept feature."
                )
            w = None if weights is None else weights[kept]
            self.log_centre_ = float(np.average(logs[kept], weights=w))
        return self

    def size_factors(self, X):
        """Each sample's size factor against the training rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Counts.

        Returns
        -------
        size_factors : ndarray of shape (n_samples,)
            ``exp(median_j(log(x_j) - log_geo_means_j) - log_centre_)`` over the
            kept features with a positive count (NaN where there is none).
        """
        check_is_fitted(self)
        X, _ = self._validate(X, reset=False)
        return self._factors(X)

    def _factors(self, X):
        return np.exp(median_log_ratios(X, self.log_geo_means_) - self.log_centre_)

    def transform(self, X, copy=None):
        """Divide each sample by its size factor.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Counts to normalise.
        copy : bool, default=None
            Copy the input; ``None`` uses the ``copy`` parameter.

        Returns
        -------
        X_tr : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Normalised counts.
        """
        check_is_fitted(self)
        original = X
        X, _ = self._validate(X, reset=False)
        copy = self.copy if copy is None else copy
        return self._divide_rows(
            X,
            original,
            self._factors(X),
            copy,
            lacking="positive count among the features kept in fit",
        )
