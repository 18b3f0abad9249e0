"""Per-sample standardisation: each sample centred and scaled by its own
values, over all features or within blocks of them.
"""

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skscale._backends._statistics import near_constant
from skscale._backends.dense import row_blocks
from skscale.preprocessing._row_normalizer import (
    _RowNormalizer,
)
from skscale.utils._block_columns import resolve_blocks
from skscale.utils._sklearn_compat import (
    _fit_context,
    callback_task,
)

__all__ = ["SampleStandardizer"]


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
