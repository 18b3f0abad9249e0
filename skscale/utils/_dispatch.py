"""One decision per input: the per-feature statistics of dense, sparse or dask
data, with the sample weights validated once.

Estimators validate ``X`` (:func:`validate_any`) and call
:func:`feature_statistics` once; which kernel runs (blocked dense, sparse, a
dask graph of per-chunk kernels) is decided here and nowhere else.
"""

import math

import scipy.sparse as sp

from skscale.utils._dask import dask_statistics, is_dask_collection, validate_dask
from skscale.utils._moments import dense_min_max, dense_moments, sparse_moments
from skscale.utils.validation import check_sample_weight


def validate_any(estimator, X, *, reset, validate_in_memory):
    """``X`` validated for a fit of ``estimator``: dask collections by the dask
    rules (lazy, with known row counts), anything else by
    ``validate_in_memory``."""
    if is_dask_collection(X):
        return validate_dask(estimator, X, reset=reset, known_rows=True)
    return validate_in_memory(X, reset=reset)


def _weights(X, sample_weight):
    if sample_weight is None:
        return None
    n_samples = X.shape[0]
    if isinstance(n_samples, float) and math.isnan(n_samples):
        raise ValueError(
            "sample_weight with a dask input needs known chunk sizes; call "
            "X.compute_chunk_sizes() (or DataFrame.to_dask_array(lengths=True))."
        )
    if is_dask_collection(sample_weight):
        sample_weight = sample_weight.compute()
    return check_sample_weight(sample_weight, int(n_samples))


def feature_statistics(
    X,
    sample_weight=None,
    *,
    init=None,
    feature_names=None,
    with_moments=True,
    with_range=False,
):
    """Per-feature moments (count, mean, M2) and/or minimum and maximum.

    Parameters
    ----------
    X : ndarray, CSR/CSC matrix or dask array of shape (n_samples, n_features)
        Validated data; NaN is skipped, +/-inf raises naming the column.
    sample_weight : array-like of shape (n_samples,), default=None
        Validated here, once, whatever the kind of ``X``.
    init : Moments, default=None
        Statistics of earlier batches to merge with (``partial_fit``).
    feature_names : list of str, default=None
        For error messages.
    with_moments, with_range : bool
        Which statistics to compute.

    Returns
    -------
    moments : Moments or None
    low, high : ndarray of shape (n_features,) or None
        Minimum and maximum over the rows of non-zero weight (NaN for a
        feature with no value).
    """
    weights = _weights(X, sample_weight)
    if is_dask_collection(X):
        return dask_statistics(
            X,
            weights,
            init=init,
            feature_names=feature_names,
            with_moments=with_moments,
            with_range=with_range,
        )
    moments = low = high = None
    if with_moments:
        kernel = sparse_moments if sp.issparse(X) else dense_moments
        moments = kernel(X, weights, init=init, feature_names=feature_names)
    if with_range:
        if sp.issparse(X):
            raise TypeError(
                "the minimum and maximum of a sparse matrix are not computed here; "
                "expected a dense array"
            )
        rows = X if weights is None else X[weights > 0]
        low, high = dense_min_max(rows, feature_names=feature_names)
    return moments, low, high
