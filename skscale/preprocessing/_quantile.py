"""Quantile normalisation of samples onto a reference distribution learnt in
``fit``.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skscale._backends._statistics import power_of_two_below
from skscale._backends.dense import row_blocks
from skscale.preprocessing._row_normalizer import (
    _RowNormalizer,
)
from skscale.utils._sklearn_compat import (
    _fit_context,
    callback_task,
)
from skscale.utils._validation import (
    check_sample_weight,
)

__all__ = ["QuantileNormalizer"]


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
