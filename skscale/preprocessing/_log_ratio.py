"""The centred log-ratio transform of compositions (microbiome data): each
sample re-expressed relative to its own geometric mean.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted

from skscale._backends.array_api import refuse_array_api
from skscale._backends.dense import row_blocks
from skscale.preprocessing._row_normalizer import (
    _RowNormalizer,
)
from skscale.utils._sklearn_compat import (
    Interval,
    _fit_context,
    callback_task,
    validate_data,
)
from skscale.utils._validation import (
    describe_columns,
)

__all__ = ["CLRTransformer"]


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
