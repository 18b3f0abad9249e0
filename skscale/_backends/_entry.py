"""The entry to the backends: the input kind is decided here, once per call.

:func:`kind_of` is the one decision, in one order (a dask collection, then
array API input under dispatch, then a scipy sparse matrix, else dense), and
every function here takes it once: estimators validate ``X``
(:func:`validate_any`), call :func:`feature_statistics` once (moments,
minimum and maximum or percentiles, with the sample weights validated once),
apply their fitted map with :func:`map_rows` (lazily per chunk for dask), and
ask :func:`block_size` and :func:`check_finite`; which kernel runs (blocked
dense, sparse, a dask graph of per-chunk kernels, the array namespace's own
operations) follows from that one decision.
"""

import math
from dataclasses import replace
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from skscale._backends._statistics import Moments, power_of_two_below
from skscale._backends.array_api import (
    device_block_size,
    device_check_finite,
    device_statistics,
)
from skscale._backends.dask import (
    dask_block_size,
    dask_statistics,
    is_dask_collection,
    validate_dask,
)
from skscale._backends.dense import check_finite as dense_check_finite
from skscale._backends.dense import (
    dense_block_size,
    dense_min_max,
    dense_moments,
    dense_percentiles,
)
from skscale._backends.sparse import check_finite as sparse_check_finite
from skscale._backends.sparse import sparse_block_size, sparse_moments
from skscale.utils._sklearn_compat import array_namespace_of, to_host, validate_data
from skscale.utils._validation import check_sample_weight

DASK, ARRAY_API, SPARSE, DENSE = "dask", "array_api", "sparse", "dense"


class Kind(NamedTuple):
    """What :func:`kind_of` decides."""

    #: "dask", "array_api", "sparse" or "dense"
    name: str
    #: the array namespace (an ArrayNamespace) of array API input, else None
    space: object = None


def kind_of(X):
    """The backend that takes ``X``: the one decision of the input's kind.

    Dask first (a dask array may also offer the array API), then array API
    input under scikit-learn's ``array_api_dispatch`` (PyTorch, CuPy, ...:
    NumPy is never one), then CSR/CSC and other scipy sparse input, and
    anything else (ndarray, DataFrame, lists) is dense.
    """
    if is_dask_collection(X):
        return Kind(DASK)
    space = array_namespace_of(X)
    if space is not None:
        return Kind(ARRAY_API, space)
    if sp.issparse(X):
        return Kind(SPARSE)
    return Kind(DENSE)


def validate_any(estimator, X, *, reset, validate_in_memory, known_rows=True):
    """``X`` validated for ``estimator``: dask collections by the dask rules
    (lazy; with ``known_rows``, as a fit needs, the row count of every chunk
    made known), array API input under dispatch in its own namespace and on
    its device, anything else by ``validate_in_memory``."""
    kind = kind_of(X)
    if kind.name == DASK:
        return validate_dask(estimator, X, reset=reset, known_rows=known_rows)
    space = kind.space
    if kind.name == ARRAY_API:
        return validate_data(
            estimator,
            X,
            reset=reset,
            dtype=space.float_dtypes,
            ensure_all_finite=False,
            copy=False,
        )
    return validate_in_memory(X, reset=reset)


def refuse_dask(X, reason):
    """Raise a TypeError saying ``reason`` if ``X`` is a dask collection."""
    if kind_of(X).name == DASK:
        raise TypeError(reason)


def map_rows(estimator, X, in_memory, per_chunk, *args):
    """Apply a fitted map to ``X``: ``in_memory(X)`` for in-memory input, and
    for a dask input, lazily, ``per_chunk(chunk, *args)`` on each chunk of
    rows (one task per chunk, nothing computed here), with the input's
    column chunks given back."""
    if kind_of(X).name != DASK:
        return in_memory(X)
    chunks = getattr(X, "chunks", None)
    X = validate_dask(estimator, X, reset=False)
    out = X.map_blocks(per_chunk, *args, dtype=X.dtype)
    if chunks is not None and out.chunks != chunks:
        out = out.rechunk(chunks)
    return out


def check_finite(X, *, feature_names=None, what="X"):
    """Raise a ValueError naming the columns of ``X`` that hold +/-inf.

    In-memory data are read once here; a dask input is left to the kernels
    that compute on it (they raise the same error when they meet +/-inf).
    """
    kind = kind_of(X)
    if kind.name == DASK:
        return
    if kind.name == ARRAY_API:
        device_check_finite(X, kind.space, feature_names=feature_names, what=what)
    elif kind.name == SPARSE:
        sparse_check_finite(X, feature_names=feature_names, what=what)
    else:
        dense_check_finite(X, feature_names=feature_names, what=what)


def block_size(Z, weighting):
    """The size of a scaled block of columns for ``BlockScaler``'s
    ``weighting`` ("total_variance" or "mfa"): dense, sparse (never
    densified) or dask (reduced chunk by chunk)."""
    kind = kind_of(Z)
    if kind.name == DASK:
        return dask_block_size(Z, weighting)
    if kind.name == ARRAY_API:
        return device_block_size(Z, kind.space, weighting)
    if kind.name == SPARSE:
        return sparse_block_size(Z, weighting)
    return dense_block_size(np.asarray(Z, dtype=np.float64), weighting)


def _weights(X, sample_weight, all_zero):
    if sample_weight is None:
        return None
    n_samples = X.shape[0]
    if isinstance(n_samples, float) and math.isnan(n_samples):
        raise ValueError(
            "sample_weight with a dask input needs known chunk sizes; call "
            "X.compute_chunk_sizes() (or DataFrame.to_dask_array(lengths=True))."
        )
    if kind_of(sample_weight).name == DASK:
        sample_weight = sample_weight.compute()
    return check_sample_weight(
        to_host(sample_weight), int(n_samples), all_zero=all_zero
    )


class Statistics(NamedTuple):
    """What :func:`feature_statistics` returns."""

    #: per-feature count, mean and M2, or None when not asked for
    moments: Moments | None
    #: per-feature minimum and maximum (or percentiles), or None
    low: np.ndarray | None
    high: np.ndarray | None
    #: rows seen: their number, or the sum of their weights
    rows: float
    #: rows of positive weight: what bounds the rounding noise of a statistic
    counted: float = None


def feature_statistics(
    X,
    sample_weight=None,
    *,
    init=None,
    feature_names=None,
    with_moments=True,
    with_range=False,
    percentiles=None,
    on_chunk=None,
    batch=False,
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
    percentiles : tuple (low, high) or None, default=None
        With ``with_range``, the two percentiles to compute instead of the
        minimum and maximum; exact, so dense in-memory data only.
    on_chunk : callable, default=None
        Called once per chunk of rows of a dask input, as it is done (the
        fit's progress, :func:`~skscale.utils._sklearn_compat.chunk_progress`).
    batch : bool, default=False
        Whether ``X`` is one batch of ``partial_fit``, whose weights may all be
        zero (it then adds nothing); a whole fit needs some positive weight.

    Returns
    -------
    Statistics
        ``moments`` (or None), ``low`` and ``high`` (or None; over the rows of
        non-zero weight, NaN for a feature with no value), ``rows`` (their
        number or total weight) and ``counted`` (the rows of positive weight,
        which the near-constant bound counts). The moments are in the weights'
        unit (:attr:`~skscale._backends._statistics.Moments.weight_unit`), and
        merged with ``init`` here, whatever the backend.
    """
    weights = _weights(X, sample_weight, all_zero=batch)
    scaled, weight_unit = _in_weight_unit(weights)
    if weights is None:
        rows = counted = float(X.shape[0])
    else:
        with np.errstate(over="ignore"):
            rows = float(scaled.sum()) * weight_unit
        counted = float(np.count_nonzero(weights))
    statistics = _kernel_statistics(
        X,
        weights,
        scaled,
        feature_names=feature_names,
        with_moments=with_moments,
        with_range=with_range,
        percentiles=percentiles,
        on_chunk=on_chunk,
    )
    moments, low, high = statistics
    if moments is not None:
        moments = replace(moments, weight_unit=weight_unit)
        if init is not None:
            moments = init.merge(moments)
    return Statistics(moments, low, high, rows, counted)


def _in_weight_unit(weights):
    """``(weights / unit, unit)``, ``unit`` the power of two not above the
    largest weight: the moments are computed from weights near 1, so that no
    weighted sum overflows or underflows whatever the weights' magnitude
    (exact: dividing by a power of two rounds nothing, save weights below
    2**-1074 of the largest, which become 0)."""
    if weights is None or not weights.any():
        return weights, 1.0
    unit = float(power_of_two_below(weights.max()))
    if unit == 1.0:
        return weights, unit
    with np.errstate(under="ignore"):
        return weights / unit, unit


def _kernel_statistics(
    X,
    weights,
    scaled,
    *,
    feature_names,
    with_moments,
    with_range,
    percentiles,
    on_chunk,
):
    """``(moments, low, high)`` of one batch, from the backend of ``X``'s kind;
    the moments from the ``scaled`` weights, the range and percentiles from
    the weights as given."""
    kind = kind_of(X)
    if kind.name == DASK:
        if percentiles is not None:
            raise ValueError(
                f"Got quantile_range={percentiles!r} (percentiles) with a dask "
                "input: exact percentiles need the whole column in memory, and "
                "skscale does not silently approximate them. Compute the "
                "percentiles yourself (for example with dask.array.percentile) "
                "or use the minimum and maximum."
            )
        # the chunks' weights only decide the range's rows (weight > 0),
        # which dividing by a power of two keeps (save weights below 2**-1074
        # of the largest)
        return dask_statistics(
            X,
            scaled,
            feature_names=feature_names,
            with_moments=with_moments,
            with_range=with_range,
            on_chunk=on_chunk,
        )
    if kind.name == ARRAY_API:
        moments, low, high = device_statistics(
            X,
            kind.space,
            scaled,
            feature_names=feature_names,
            with_moments=with_moments,
            with_range=False,
        )
        if with_range:
            _, low, high = device_statistics(
                X,
                kind.space,
                weights,
                feature_names=feature_names,
                with_moments=False,
                with_range=True,
                percentiles=percentiles,
            )
        return moments, low, high
    moments = low = high = None
    if with_moments:
        # data whose differences overflow float64 give inf or NaN statistics,
        # which the estimators refuse with one clear error (the kernels emit
        # no RuntimeWarning of numpy's)
        kernel = sparse_moments if kind.name == SPARSE else dense_moments
        moments = kernel(X, scaled, feature_names=feature_names)
    if with_range:
        if kind.name == SPARSE:
            raise TypeError(
                "the minimum and maximum of a sparse matrix are not computed here; "
                "expected a dense array"
            )
        if percentiles is not None:
            low, high = dense_percentiles(
                X, list(percentiles), weights, feature_names=feature_names
            )
        else:
            kept = X
            if weights is not None and (weights == 0).any():
                # rows of weight 0 are left out of the range, but +/-inf in
                # them is refused as the moments refuse it (and scikit-learn)
                dense_min_max(X[weights == 0], feature_names=feature_names)
                kept = X[weights > 0]
            low, high = dense_min_max(kept, feature_names=feature_names)
    return moments, low, high
