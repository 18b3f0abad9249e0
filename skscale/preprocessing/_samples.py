"""Per-sample normalisers: each row (a sample) rescaled or re-expressed by its
own content, against a reference learnt from the training rows only.

An omics table is normalised per sample before its features are scaled:
library size in RNA-seq, dilution in metabolomics, composition in microbiome
data. The functions analysts use today (scanpy's ``normalize_total``,
pydeseq2's size factors, scikit-bio's ``clr``, qnorm) learn nothing in
``fit``: a reference computed on all rows leaks into cross-validation. Here
``fit`` learns the reference (a target total, a reference spectrum, per-feature
geometric means, a reference distribution) from the training rows, and
``transform`` applies it to any rows, new samples included.

Rows are samples. Values are computed in float64 and written in the input's
floating dtype. NaN is skipped in every per-row statistic and stays NaN;
+/-inf is refused, naming the column. Dask collections are refused (compute
them first); which estimator takes sparse input is said in its docstring.
"""

import warnings
from contextlib import contextmanager
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted

from skscale._backends import check_finite as check_finite_values
from skscale._backends import refuse_dask
from skscale._backends._statistics import near_constant, power_of_two_below
from skscale._backends.array_api import refuse_array_api
from skscale._backends.dense import _weighted_percentiles, row_blocks
from skscale._backends.sparse import _stored_columns, _stored_rows
from skscale.utils._block_columns import resolve_blocks
from skscale.utils._sklearn_compat import (
    CallbackSupportMixin,
    Interval,
    StrOptions,
    _fit_context,
    callback_task,
    validate_data,
)
from skscale.utils._validation import (
    check_sample_weight,
    describe_columns,
    output_array,
    raise_for_infinite,
    reject_non_numeric_columns,
    warn_user,
)

__all__ = [
    "CLRTransformer",
    "MedianRatioNormalizer",
    "PQNormalizer",
    "QuantileNormalizer",
    "SampleStandardizer",
    "TotalSumNormalizer",
]


def _describe_rows(rows, limit=5):
    shown = ", ".join(str(int(i)) for i in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def _weighted_median(values, weights):
    """The median of ``values`` with frequency weights (None: unweighted):
    numpy's median of the rows repeated by their weights."""
    if weights is None:
        return float(np.median(values))
    return float(_weighted_percentiles(values[:, None], weights, [50.0])[0][0])


def _sparse_row_totals(X):
    """Per-row sums of a sparse matrix in float64, NaN skipped (dense rows are
    summed by :meth:`_RowNormalizer._scan` while they are checked)."""
    data = np.where(np.isnan(X.data), 0.0, X.data.astype(np.float64))
    return np.bincount(_stored_rows(X), weights=data, minlength=X.shape[0])


def _row_medians(X, per_value, keep):
    """Per-row median of ``per_value(values, columns)`` over the cells where
    ``keep(values, columns)`` holds (NaN where no cell does). For a sparse
    matrix, only stored values are considered."""
    n_rows = X.shape[0]
    if sp.issparse(X):
        X = X.tocsr()
        columns = X.indices
        values = X.data.astype(np.float64)
        rows = _stored_rows(X)
        kept = keep(values, columns)
        rows, quotients = rows[kept], per_value(values[kept], columns[kept])
        order = np.lexsort((quotients, rows))
        rows, quotients = rows[order], quotients[order]
        counts = np.bincount(rows, minlength=n_rows)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        medians = np.full(n_rows, np.nan)
        has = counts > 0
        lower = quotients[starts[has] + (counts[has] - 1) // 2]
        upper = quotients[starts[has] + counts[has] // 2]
        medians[has] = 0.5 * (lower + upper)
        return medians
    medians = np.empty(n_rows)
    columns = np.arange(X.shape[1])
    for rows in row_blocks(*X.shape):
        values = np.array(X[rows], dtype=np.float64)
        quotients = np.full_like(values, np.nan)
        kept = keep(values, columns)
        # only the kept cells: no division by a zero reference, no warning
        quotients[kept] = per_value(
            values[kept], np.broadcast_to(columns, values.shape)[kept]
        )
        medians[rows] = _nan_row_medians(quotients)
    return medians


def _nan_row_medians(values):
    """``np.nanmedian(values, axis=1)`` by one sort of the rows (NaN sort
    last): twice as fast on wide rows, and quiet on rows of NaN only."""
    count = (~np.isnan(values)).sum(axis=1)
    ordered = np.sort(values, axis=1)
    # positions of the middle values among the count that are not NaN
    # (count // 2 < count <= the width, so both are in range)
    low = np.take_along_axis(ordered, np.maximum((count - 1) // 2, 0)[:, None], 1)
    high = np.take_along_axis(ordered, (count // 2)[:, None], 1)
    medians = 0.5 * (low[:, 0] + high[:, 0])
    medians[count == 0] = np.nan
    return medians


class _RowNormalizer(
    CallbackSupportMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Validation and row scaling shared by the per-sample normalisers."""

    # each row is normalised by its own values (the tests' registry reads it)
    _per_sample = True

    _parameter_constraints = {"copy": ["boolean"]}
    # the input kinds and values each normaliser takes
    _sparse = ("csr", "csc")
    _nan = True
    _non_negative = True
    # values must be positive for another reason (CLR's logarithm)
    _positive = False

    def _feature_names(self):
        names = getattr(self, "feature_names_in_", None)
        return None if names is None else list(names)

    def _sparse_refusal(self):
        return f"{type(self).__name__} does not take sparse input."

    def _validate(self, X, *, reset, what="X"):
        name = type(self).__name__
        refuse_array_api(self, X)
        refuse_dask(
            X,
            f"{name} does not take dask collections; compute the rows first "
            "(X.compute()), or fit it on a sample that fits in memory.",
        )
        reject_non_numeric_columns(X, name)
        if sp.issparse(X) and not self._sparse:
            raise TypeError(self._sparse_refusal())
        X = validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=self._sparse or False,
            dtype=FLOAT_DTYPES,
            ensure_all_finite=False,
            copy=False,
        )
        names = self._feature_names()
        if sp.issparse(X):
            check_finite_values(X, feature_names=names, what=what)
            if not self._nan and np.isnan(X.data).any():
                self._refuse_nan(X, np.isnan(X.data), names)
            self._check_floor(X, X.data, names)
            return X, _sparse_row_totals(X)
        return X, self._scan(X, names, what)

    def _scan(self, X, names, what):
        """One blocked read of dense ``X``: the row totals (NaN skipped), with
        +/-inf, NaN (where refused) and values below the floor refused on the
        way, each block checked while it is in cache."""
        n_rows, n_cols = X.shape
        totals = np.empty(n_rows)
        everything = np.arange(n_cols)
        for rows in row_blocks(n_rows, n_cols):
            block = X[rows]
            with np.errstate(over="ignore", invalid="ignore"):
                sums = block.sum(axis=1, dtype=np.float64)
            bad = ~np.isfinite(sums)
            if bad.any():
                sub = block[bad]
                raise_for_infinite(sub, everything, names, what)
                if not self._nan and np.isnan(sub).any():
                    self._refuse_nan(sub, np.isnan(sub), names)
                with np.errstate(over="ignore"):
                    sums[bad] = np.nansum(sub, axis=1, dtype=np.float64)
            if self._below_floor(np.fmin.reduce(block, axis=None)):
                self._check_floor(block, block, names)
            totals[rows] = sums
        return totals

    def _refuse_nan(self, X, mask, names):
        columns = self._columns_where(X, mask)
        raise ValueError(
            f"{type(self).__name__} needs every value, but found NaN in "
            f"{describe_columns(columns, names)}; impute the missing values "
            "first (for example with sklearn.impute.SimpleImputer)."
        )

    def _below_floor(self, low):
        """Whether a block whose smallest value is ``low`` needs
        :meth:`_check_floor` to look at it."""
        return self._non_negative and low < 0

    @staticmethod
    def _columns_where(X, mask):
        if sp.issparse(X):
            return np.unique(_stored_columns(X)[mask])
        return np.flatnonzero(mask.any(axis=0))

    def _check_floor(self, X, values, names):
        if self._non_negative:
            negative = values < 0
            if negative.any():
                columns = self._columns_where(X, negative)
                raise ValueError(
                    f"Negative values in data passed to {type(self).__name__}, in "
                    f"{describe_columns(columns, names)}; expected non-negative "
                    "quantities (counts, intensities, concentrations)."
                )

    def _divide_rows(self, X, original, factors, copy, *, lacking):
        """Divide each row of ``X`` by its factor; rows whose factor is not a
        positive finite number (they lack what it is computed from) are left
        as they are, with a warning."""
        bad = np.flatnonzero(~(np.isfinite(factors) & (factors > 0)))
        if bad.size:
            warn_user(
                f"{type(self).__name__} leaves {_describe_rows(bad)} unchanged "
                f"({bad.size} of {len(factors)}): no {lacking}."
            )
            factors = factors.copy()
            factors[bad] = 1.0
        if not copy:  # the caller's data may be written: refuse first
            self._refuse_overflow(X, factors)
        if sp.issparse(X):
            out = X.copy() if copy and X is original else X
            with _overflow_watch() as overflowed:
                out.data /= factors[_stored_rows(out)]
        else:
            out = output_array(X, original, copy=copy, keep_values=False)
            with _overflow_watch() as overflowed:
                np.divide(X, factors[:, None], out=out, casting="same_kind")
        if overflowed:  # a new array, or validation's own copy: not the caller's
            self._refuse_overflow(X, factors)
        return out

    def _refuse_overflow(self, X, factors):
        """Raise a ValueError naming the cells of ``X`` that dividing by their
        row's factor would take beyond the largest value of X's dtype."""
        largest = np.finfo(X.dtype).max
        if not (factors < 1).any():
            return
        cell = None
        with np.errstate(over="ignore"):
            if sp.issparse(X):  # the stored values, never densified
                beyond = np.abs(X.data) / factors[_stored_rows(X)] > largest
                if beyond.any():
                    k = np.flatnonzero(beyond)[0]
                    cell = _stored_rows(X)[k], _stored_columns(X)[k]
            else:  # a block of rows at a time: a bounded temporary
                for rows in row_blocks(*X.shape):
                    part = np.abs(np.asarray(X[rows], dtype=np.float64))
                    beyond = part / factors[rows, None] > largest
                    if beyond.any():
                        row, column = np.argwhere(beyond)[0]
                        cell = rows.start + row, column
                        break
        if cell is None:
            return
        row, column = int(cell[0]), int(cell[1])
        names = self._feature_names()
        raise ValueError(
            f"{type(self).__name__}: sample {row} divided by its factor "
            f"{factors[row]:.6g} takes {describe_columns([column], names)} "
            f"beyond the largest {X.dtype} value ({largest:.4g}); expected data "
            "whose normalised values are finite: divide the table by a power of "
            "ten (say 1e10) before normalising it."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._nan
        tags.input_tags.sparse = bool(self._sparse)
        tags.input_tags.positive_only = self._non_negative or self._positive
        tags.transformer_tags.preserves_dtype = ["float64", "float32", "float16"]
        return tags


class TotalSumNormalizer(_RowNormalizer):
    """Divide each sample by its total and multiply by a common target.

    ``x_normalised = x * target_sum_ / sum(x)``, the total taken over the
    row's features (NaN skipped). The library-size normalisation of RNA-seq
    counts (``target_sum=1e6`` gives counts per million) and the
    total-intensity normalisation of spectra. With ``target_sum="median"``
    the target is learnt in ``fit``: the median total of the training rows
    (rows whose total is zero left out), as scanpy's ``normalize_total``
    does on all rows at once.

    Takes dense and sparse (CSR, CSC) input; values must be non-negative.
    A row whose total is zero is left as it is, with a warning.

    Parameters
    ----------
    target_sum : "median" or float > 0, default="median"
        The total every row has after ``transform``; ``"median"`` learns it.
    copy : bool, default=True
        Copy the input; ``False`` divides a float input in place.

    Attributes
    ----------
    target_sum_ : float
        The target total.
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
    }

    def __init__(self, target_sum="median", *, copy=True):
        self.target_sum = target_sum
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
        self._learn_target(totals, check_sample_weight(sample_weight, X.shape[0]))
        return self

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
        self._learn_target(totals, check_sample_weight(sample_weight, X.shape[0]))
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
            Each row summing to ``target_sum_`` (NaN skipped).
        """
        check_is_fitted(self)
        original = X
        X, totals = self._validate(X, reset=False)
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
        source = source.tocsc() if sp.issparse(source) else source
        # a few columns at a time: the float64 working copy stays bounded
        for cols in row_blocks(X.shape[1], len(rows), 1 << 22):
            block = source[:, cols]
            block = block.toarray() if sp.issparse(block) else block
            normalised = np.asarray(block, dtype=np.float64) / factors[:, None]
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
        return _row_medians(
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

    Takes dense and sparse (CSR, CSC) input; counts must be non-negative.
    NaN is skipped. A sample with no positive count among the kept features
    is left as it is, with a warning.

    Parameters
    ----------
    copy : bool, default=True
        Copy the input; ``False`` divides a float input in place.

    Attributes
    ----------
    log_geo_means_ : ndarray of shape (n_features,)
        Mean of ``log(count)`` over the training rows; NaN for the features
        left out.
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

    def __init__(self, *, copy=True):
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
        means = (_sparse_log_means if sp.issparse(X) else _dense_log_means)(
            X, np.ones(X.shape[0]) if weights is None else weights
        )
        if np.isnan(means).all():
            raise ValueError(
                "MedianRatioNormalizer needs at least one feature that is positive "
                "in every training row (its geometric mean is taken over them), "
                "but every feature has a zero (or no value) in some training row; "
                "add a pseudocount, or use PQNormalizer or TotalSumNormalizer."
            )
        self.log_geo_means_ = means
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
            ``exp(median_j(log(x_j) - log_geo_means_j))`` over the kept features
            with a positive count (NaN where there is none).
        """
        check_is_fitted(self)
        X, _ = self._validate(X, reset=False)
        return self._factors(X)

    def _factors(self, X):
        means = self.log_geo_means_
        kept = ~np.isnan(means)
        if sp.issparse(X):
            # the log is taken of the kept (positive) values only
            return np.exp(
                _row_medians(
                    X,
                    lambda values, columns: np.log(values) - means[columns],
                    lambda values, columns: (values > 0) & kept[columns],
                )
            )
        columns = np.flatnonzero(kept)
        factors = np.empty(X.shape[0])
        for rows in row_blocks(X.shape[0], columns.size):
            values = np.asarray(X[rows][:, columns], dtype=np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = np.log(values)
            ratios -= means[columns]
            # a zero count (-inf) or NaN is left out of its row's median
            usable = np.isfinite(ratios)
            whole = usable.all(axis=1)
            medians = np.empty(values.shape[0])
            medians[whole] = np.median(ratios[whole], axis=1)
            if not whole.all():
                partial = np.where(usable[~whole], ratios[~whole], np.nan)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # no value
                    medians[~whole] = np.nanmedian(partial, axis=1)
            factors[rows] = np.exp(medians)
        return factors

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


def _dense_log_means(X, weights):
    """Per-feature weighted mean of ``log(x)``, NaN skipped; NaN for features
    with a zero (or no value)."""
    n_rows, n_features = X.shape
    means = np.empty(n_features)
    for cols in row_blocks(n_features, n_rows, 1 << 22):
        values = np.array(X[:, cols], dtype=np.float64)
        present = ~np.isnan(values)
        zero = (values == 0).any(axis=0) | ~present.any(axis=0)
        logs = np.log(np.where(present & (values > 0), values, 1.0))
        count = present.T.astype(np.float64) @ weights
        block = np.full(values.shape[1], np.nan)
        kept = ~zero
        block[kept] = (logs[:, kept].T @ weights) / count[kept]
        means[cols] = block
    return means


def _sparse_log_means(X, weights):
    """:func:`_dense_log_means` of a sparse matrix, from its stored values:
    an implicit zero is a zero."""
    X = X.tocsr()
    n_rows, n_features = X.shape
    columns, rows = X.indices, _stored_rows(X)
    data = X.data.astype(np.float64)
    present = ~np.isnan(data)
    stored = np.bincount(columns, minlength=n_features)
    zero = (stored < n_rows) | (
        np.bincount(columns[data == 0], minlength=n_features) > 0
    )
    count = np.bincount(
        columns[present], weights=weights[rows[present]], minlength=n_features
    )
    positive = present & (data > 0)
    logs = np.bincount(
        columns[positive],
        weights=weights[rows[positive]] * np.log(data[positive]),
        minlength=n_features,
    )
    means = np.full(n_features, np.nan)
    kept = ~zero & (count > 0)
    means[kept] = logs[kept] / count[kept]
    return means


class CLRTransformer(_RowNormalizer):
    """Centred log-ratio transform of compositions.

    ``clr(x) = log(x + pseudocount) - mean(log(x + pseudocount))`` per row
    (Aitchison 1986), the mean taken over the row's features (NaN skipped).
    Moves compositional data (relative abundances, whose totals carry no
    information) into ordinary Euclidean space, where PCA and distances mean
    something. The same as scikit-bio's ``clr`` applied to ``X +
    pseudocount``. Stateless: ``fit`` only validates.

    Every value plus ``pseudocount`` must be positive: a zero with
    ``pseudocount=0`` is refused, naming the column. Sparse input is refused
    (every implicit zero would get a value).

    Parameters
    ----------
    pseudocount : float >= 0, default=0.0
        Added to every value before the logarithm (1 for counts, or half the
        smallest positive value, are common choices).

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    TotalSumNormalizer : Closure to a common total, without the logarithm.

    References
    ----------
    .. [1] Aitchison, J. (1986). The Statistical Analysis of Compositional Data.
       Chapman and Hall.

    Examples
    --------
    >>> from skscale.preprocessing import CLRTransformer
    >>> CLRTransformer().fit_transform([[1.0, 1.0, 4.0]]).round(3)
    array([[-0.462, -0.462,  0.924]])
    """

    _sparse = False
    _non_negative = False  # refused through the pseudocount, below
    _positive = True
    _parameter_constraints = {"pseudocount": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, pseudocount=0.0):
        self.pseudocount = pseudocount

    def _sparse_refusal(self):
        return (
            "CLRTransformer gives every implicit zero of a sparse matrix a value "
            "(its log-ratio), so its output is dense; pass X.toarray() (with a "
            "pseudocount for the zeros)."
        )

    def _below_floor(self, low):
        return low < 0 or low + self.pseudocount <= 0

    def _check_floor(self, X, values, names):
        if (values < 0).any():  # compositions are never negative
            raise ValueError(
                "Negative values in data passed to CLRTransformer, in "
                f"{describe_columns(self._columns_where(X, values < 0), names)}; "
                "expected compositions (proportions, abundances, counts)."
            )
        # with no negative value, only a zero without a pseudocount is left
        zeros = values + self.pseudocount == 0
        if zeros.any():
            columns = self._columns_where(X, zeros)
            raise ValueError(
                "CLRTransformer takes log(X + pseudocount), but found zeros in "
                f"{describe_columns(columns, names)} and pseudocount=0; set "
                "pseudocount above zero (1 for counts, or half the smallest "
                "positive value)."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    @callback_task
    def fit(self, X, y=None):
        """Validate ``X`` (the transform is stateless).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Compositions, one per row.
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer.
        """
        self._validate(X, reset=True)
        return self

    def transform(self, X):
        """Take the centred log-ratio of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Compositions, one per row.

        Returns
        -------
        X_tr : ndarray of shape (n_samples, n_features)
            Log-ratios; each row sums to zero (NaN skipped).
        """
        check_is_fitted(self)
        X, _ = self._validate(X, reset=False)
        out = np.empty_like(X)
        pseudocount = self.pseudocount
        for rows in row_blocks(*X.shape):
            values = np.asarray(X[rows], dtype=np.float64)
            # log(x + c) = log(c) + log1p(x / c), and log(c) cancels in the
            # centring: exact even where x is far below c
            logs = np.log1p(values / pseudocount) if pseudocount else np.log(values)
            centre = logs.mean(axis=1, keepdims=True)
            missing = np.isnan(centre[:, 0])
            if missing.any():  # rows with NaN: their mean skips it
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN
                    centre[missing] = np.nanmean(logs[missing], axis=1, keepdims=True)
            np.subtract(logs, centre, out=out[rows], casting="same_kind")
        return out

    def inverse_transform(self, X):
        """Map log-ratios back to the closed composition.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Centred log-ratios.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            ``exp(X)`` closed to sum to one per row: the composition of
            ``X + pseudocount``, as proportions.
        """
        check_is_fitted(self)
        refuse_array_api(self, X)
        X = validate_data(
            self, X, reset=False, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan"
        )
        out = np.empty_like(X)
        for rows in row_blocks(*X.shape):
            values = np.asarray(X[rows], dtype=np.float64)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
                values = np.exp(values - np.nanmax(values, axis=1, keepdims=True))
                total = np.nansum(values, axis=1, keepdims=True)
            np.divide(values, total, out=out[rows], casting="same_kind")
        return out


class QuantileNormalizer(_RowNormalizer):
    """Quantile normalisation of samples onto a reference distribution.

    ``fit`` learns the reference distribution ``reference_``: the mean, over
    the training rows, of each row's sorted values. ``transform`` gives each
    value of a row the reference value at its rank in the row; tied values
    share the mean of the reference values at their ranks. On the training
    rows this is classic quantile normalisation (Bolstad et al. 2003; qnorm's
    ``quantile_normalize`` of the transposed table); new rows are mapped onto
    the learnt reference, so a test sample never shapes the distribution the
    training samples were given.

    Needs every value (NaN is refused) and dense input. Values may be
    negative (log intensities).

    Attributes
    ----------
    reference_ : ndarray of shape (n_features,)
        The reference distribution, in increasing order.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    sklearn.preprocessing.QuantileTransformer : Per-feature quantiles, onto a
        uniform or normal distribution.

    References
    ----------
    .. [1] Bolstad, B. M., Irizarry, R. A., Astrand, M. and Speed, T. P. (2003).
       A comparison of normalization methods for high density oligonucleotide
       array data based on variance and bias. Bioinformatics, 19(2), 185-193.

    Examples
    --------
    >>> from skscale.preprocessing import QuantileNormalizer
    >>> X = [[1.0, 5.0, 3.0], [2.0, 7.0, 6.0], [9.0, 3.0, 0.0]]
    >>> qn = QuantileNormalizer().fit(X)
    >>> qn.reference_
    array([1., 4., 7.])
    >>> qn.transform(X)
    array([[1., 7., 4.],
           [1., 7., 4.],
           [7., 4., 1.]])
    >>> qn.transform([[2.0, 2.0, 5.0]])  # a tie shares its reference values
    array([[2.5, 2.5, 7. ]])
    """

    _sparse = False
    _nan = False
    _non_negative = False
    _parameter_constraints = {}

    def __init__(self):
        pass

    def _sparse_refusal(self):
        return (
            "QuantileNormalizer does not take sparse input: it gives every value "
            "of a row, zeros included, a reference value, so its output is "
            "dense; pass X.toarray()."
        )

    @_fit_context(prefer_skip_nested_validation=True)
    @callback_task
    def fit(self, X, y=None, sample_weight=None):
        """Learn the reference distribution.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the rows in the mean of the sorted rows.

        Returns
        -------
        self : object
            Fitted normaliser.
        """
        X, _ = self._validate(X, reset=True)
        self._learn_reference(X, sample_weight)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @callback_task
    def fit_transform(self, X, y=None, sample_weight=None):
        """Learn the reference distribution and map ``X`` onto it.

        The same result as ``fit(X).transform(X)``, validating ``X`` once and
        sorting each block of rows in the output's own memory.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the rows in the mean of the sorted rows.

        Returns
        -------
        X_tr : ndarray of shape (n_samples, n_features)
            Each row a permutation of the reference (ties averaged).
        """
        X, _ = self._validate(X, reset=True)
        out = np.empty_like(X)
        self._learn_reference(X, sample_weight, scratch=out)
        return self._map(X, out)

    def _learn_reference(self, X, sample_weight, scratch=None):
        """``reference_``: the (weighted) mean of the sorted rows. Each block
        is sorted in ``scratch`` (of X's shape and dtype) when given."""
        weights = check_sample_weight(sample_weight, X.shape[0])
        if weights is not None:  # only their ratios matter: near 1, exactly
            weights = weights / power_of_two_below(weights.max())
        with np.errstate(over="ignore", invalid="ignore"):
            total = self._sorted_sums(X, weights, scratch, 1.0)
        unit = 1.0
        if not np.isfinite(total).all():
            # values near 1.8e308 whose sums overflow: summed again in a unit
            # (the mean is scaled back: it is no larger than the values)
            unit = _summing_unit(X)
            total = self._sorted_sums(X, weights, scratch, unit)
        rows = X.shape[0] if weights is None else weights.sum()
        self.reference_ = total / rows * unit

    @staticmethod
    def _sorted_sums(X, weights, scratch, unit):
        """The (weighted) column sums of X's rows sorted, divided by ``unit``."""
        total = np.zeros(X.shape[1])
        for rows in row_blocks(*X.shape):
            if scratch is None:
                ordered = np.sort(np.asarray(X[rows]), axis=1)
            else:
                ordered = scratch[rows]
                ordered[...] = X[rows]
                ordered.sort(axis=1)
            if unit != 1.0:
                ordered = np.asarray(ordered, dtype=np.float64) / unit
            if weights is None:
                total += ordered.sum(axis=0, dtype=np.float64)
            else:
                total += weights[rows] @ np.asarray(ordered, dtype=np.float64)
        return total

    def transform(self, X):
        """Give each value the reference value at its rank in its row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to normalise.

        Returns
        -------
        X_tr : ndarray of shape (n_samples, n_features)
            Each row a permutation of the reference (ties averaged).
        """
        check_is_fitted(self)
        X, _ = self._validate(X, reset=False)
        return self._map(X)

    def _map(self, X, out=None):
        """Each row's values replaced by the reference at their ranks, in
        ``out``: a new array of X's shape and dtype when None, else one whose
        rows already hold X's rows sorted (``fit_transform``'s scratch)."""
        # in a unit where the reference's running sum cannot overflow
        unit = _summing_unit(self.reference_[None, :])
        cumulative = np.concatenate([[0.0], np.cumsum(self.reference_ / unit)])
        presorted = out is not None
        if out is None:
            out = np.empty_like(X)
        for rows in row_blocks(*X.shape):
            values = np.asarray(X[rows])
            order = np.argsort(values, axis=1)
            if presorted:
                ordered = out[rows]
            else:
                # row by row: a gather within one row's contiguous memory is
                # twice as fast as take_along_axis over the block
                ordered = np.empty_like(values)
                for row, order_row, ordered_row in zip(
                    values, order, ordered, strict=True
                ):
                    np.take(row, order_row, out=ordered_row)
            # a new array (or the reference itself): ``ordered`` may be
            # overwritten below
            mapped = _tied_reference(ordered, self.reference_, cumulative, unit)
            # straight into the output's rows, rounded once to its dtype (and
            # row by row, as the gather)
            for out_row, order_row, mapped_row in zip(
                out[rows], order, mapped, strict=True
            ):
                out_row[order_row] = mapped_row
        return out


@contextmanager
def _overflow_watch():
    """A list that is non-empty after the block if a floating-point overflow
    happened in it (numpy's error flag: no pass over the result)."""
    seen = []
    with np.errstate(over="call", call=lambda *_: seen.append(True)):
        yield seen


def _summing_unit(X):
    """A power of two to divide the rows of ``X`` by before summing them over
    its columns or rows, so that no sum overflows: 1 unless ``X`` holds values
    beyond 1e300."""
    if not X.size:
        return 1.0
    # fmax/fmin skip NaN and make no temporary
    high, low = np.fmax.reduce(X, axis=None), np.fmin.reduce(X, axis=None)
    largest = float(max(abs(high), abs(low)))
    if not (largest > 1e300 and np.isfinite(largest)):
        return 1.0
    return float(power_of_two_below(largest))


def _tied_reference(ordered, reference, cumulative, unit=1.0):
    """The reference value of each position of rows sorted in increasing
    order; a run of equal values gets the mean of the reference over the run
    (``cumulative``: 0 then the cumulative sums of ``reference / unit``)."""
    n_rows, n_cols = ordered.shape
    starts_run = np.ones(ordered.shape, dtype=bool)
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts_run[:, 1:])
    if starts_run.all():  # no tie anywhere: the reference itself
        return np.broadcast_to(reference, ordered.shape)
    # runs never cross rows (each row starts one): number them over the
    # flattened block, and give each the mean of the reference over its span
    starts = np.flatnonzero(starts_run)
    lengths = np.diff(starts, append=starts_run.size)
    first = starts % n_cols
    means = (cumulative[first + lengths] - cumulative[first]) / lengths * unit
    return np.repeat(means, lengths).reshape(n_rows, n_cols)


class SampleStandardizer(_RowNormalizer):
    """Standardise each sample over its features, or within blocks of them.

    Layer-norm style without ``blocks``, group-norm style with them:
    ``(x - mean(x)) / std(x)`` with the mean and the (population) standard
    deviation of the row, NaN skipped; with ``blocks``, of the row's values in
    each block separately, and columns in no block are left as they are. A
    row (or block) whose spread is within rounding of its mean is only
    centred. Stateless: ``fit`` only validates and resolves the blocks.

    A block that mixes high- and low-variance features is dominated by the
    high-variance ones: the low-variance features are crushed towards the
    row's mean. Group features of like variance in a block, or scale the
    features first.

    Dense input only; values may be negative.

    Parameters
    ----------
    blocks : dict of str -> columns, default=None
        Blocks of features, as in :class:`~skscale.preprocessing.BlockScaler`
        (names, indices, a mask, a slice or a selector per block).
    with_mean : bool, default=True
        Subtract each row's (or block's) mean.
    with_std : bool, default=True
        Divide by each row's (or block's) standard deviation.

    Attributes
    ----------
    blocks_ : dict of str -> ndarray of int
        Column indices of each block (one block of every column without
        ``blocks``).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    BlockScaler : Per-feature scaling with block weights.

    References
    ----------
    .. [1] Ba, J. L., Kiros, J. R. and Hinton, G. E. (2016). Layer
       normalization. arXiv:1607.06450.
    .. [2] Wu, Y. and He, K. (2018). Group normalization. ECCV 2018.

    Examples
    --------
    >>> from skscale.preprocessing import SampleStandardizer
    >>> SampleStandardizer().fit_transform([[1.0, 2.0, 3.0], [10.0, 10.0, 40.0]])
    array([[-1.22474487,  0.        ,  1.22474487],
           [-0.70710678, -0.70710678,  1.41421356]])
    """

    _sparse = False
    _non_negative = False
    _parameter_constraints = {
        "blocks": [dict, None],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, blocks=None, with_mean=True, with_std=True):
        self.blocks = blocks
        self.with_mean = with_mean
        self.with_std = with_std

    def _sparse_refusal(self):
        return (
            "SampleStandardizer centres each row, which would give every implicit "
            "zero of a sparse matrix a value; pass X.toarray()."
        )

    @_fit_context(prefer_skip_nested_validation=True)
    @callback_task
    def fit(self, X, y=None):
        """Validate ``X`` and resolve the blocks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer.
        """
        original = X
        X, _ = self._validate(X, reset=True)
        if self.blocks is None:
            self.blocks_ = {"all": np.arange(X.shape[1])}
        else:
            self.blocks_ = resolve_blocks(
                self.blocks, original, self._feature_names(), X.shape[1]
            )
        return self

    def _standardise(self, values):
        """The rows of a float64 block, standardised: with plain means where
        the rows are ordinary, and, for rows with NaN or a spread near the
        ends of float64, NaN skipped in units of a power of two near each
        row's largest value (no square overflows or underflows)."""
        n_rows, n_cols = values.shape
        with np.errstate(all="ignore"):
            mean = values.mean(axis=1, keepdims=True)
            deviations = values - mean
            squares = np.einsum("ij,ij->i", deviations, deviations)  # no temporary
            std = np.sqrt(squares / n_cols)[:, None]
        ordinary = (np.isfinite(std) & (std > 1e-150) & (std < 1e150))[:, 0]
        count = np.full((n_rows, 1), n_cols)
        if ordinary.all():  # the common case: no copy of the rows
            return self._finish(values, mean, deviations, std, count, 1.0)
        result = np.empty_like(values)
        result[ordinary] = self._finish(
            values[ordinary],
            mean[ordinary],
            deviations[ordinary],
            std[ordinary],
            count[ordinary],
            1.0,
        )
        if not ordinary.all():
            sub = values[~ordinary]
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
                largest = np.nanmax(np.abs(sub), axis=1, keepdims=True)
                # the largest power of two not above it (2**1024 would be inf)
                unit = np.ldexp(0.5, np.frexp(np.nan_to_num(largest))[1])
                unit[largest == 0] = 1.0
                scaled = sub / unit
                sub_mean = np.nanmean(scaled, axis=1, keepdims=True)
                sub_std = np.nanstd(scaled, axis=1, keepdims=True)
            result[~ordinary] = self._finish(
                scaled,
                sub_mean,
                scaled - sub_mean,
                sub_std,
                (~np.isnan(sub)).sum(axis=1, keepdims=True),
                unit,
            )
        return result

    def _finish(self, values, mean, deviations, std, count, unit):
        """Standardised rows from their statistics, all in ``unit``: a
        constant row is only centred."""
        if self.with_std:
            constant = near_constant(std, mean, count)
            divisor = np.where(constant, 1.0 / unit, std)
        else:
            divisor = 1.0 / unit
        with np.errstate(over="ignore"):
            if self.with_mean:  # the deviations are this call's own: divided in place
                return np.divide(deviations, divisor, out=deviations)
            return values / divisor

    def transform(self, X):
        """Standardise each row (within each block).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        X_tr : ndarray of shape (n_samples, n_features)
            Standardised samples.
        """
        check_is_fitted(self)
        X, _ = self._validate(X, reset=False)
        covered = sum(columns.size for columns in self.blocks_.values())
        # columns in no block keep their values
        out = np.empty_like(X) if covered == X.shape[1] else np.array(X, copy=True)
        for columns in self.blocks_.values():
            if columns.size == 0:
                continue
            everything = columns.size == X.shape[1]
            for rows in row_blocks(X.shape[0], columns.size):
                block = X[rows] if everything else X[rows][:, columns]
                values = np.asarray(block, dtype=np.float64)
                standardised = self._standardise(values)
                if everything:
                    np.copyto(out[rows], standardised, casting="same_kind")
                else:
                    out[rows, columns] = standardised
        return out
