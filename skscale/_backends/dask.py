"""dask support: recognise dask collections, validate them lazily, reduce statistics.

dask is optional (the ``dask`` extra). Nothing here imports it until a dask
collection is actually passed, so every other path works without it.
"""

import itertools
import os

import numpy as np
import scipy.linalg

from skscale._backends import dense
from skscale._backends._statistics import Moments
from skscale._backends.dense import dense_min_max, dense_moments
from skscale.utils._validation import reject_non_numeric_columns

__all__ = [
    "dask_block_size",
    "dask_statistics",
    "is_dask_collection",
    "require_dask",
    "validate_dask",
]


def is_dask_collection(X):
    """Whether ``X`` is a dask array or DataFrame (without importing dask)."""
    module = type(X).__module__
    return module == "dask" or module.startswith(("dask.", "dask_expr"))


def require_dask():
    """Import and return ``dask.array``, or explain which extra provides it."""
    try:
        import dask.array as da
    except ImportError as exc:  # dask without its array dependencies
        raise ImportError(
            "dask input needs skscale's 'dask' extra: pip install 'skscale[dask]'."
        ) from exc
    return da


def validate_dask(estimator, X, *, reset, known_rows=False):
    """Check a dask array or DataFrame as ``validate_data`` checks arrays, lazily.

    Returns a 2-D float16, float32 or float64 dask array with one chunk along
    the columns. Sets (``reset=True``) or checks ``n_features_in_`` and
    ``feature_names_in_``. Values are not looked at: +/-inf raises when the
    statistics or the transform are computed. With ``known_rows`` (a fit),
    the row count of each chunk is made known (a dask DataFrame does not know
    it): counts, weights and block sizes need it, while ``transform`` stays
    lazy without it.
    """
    da = require_dask()
    name = type(estimator).__name__
    names = None
    if hasattr(X, "columns"):
        reject_non_numeric_columns(X, name)
        columns = list(X.columns)
        if all(isinstance(c, str) for c in columns):
            names = np.asarray(columns, dtype=object)
        X = X.to_dask_array(lengths=True if known_rows else None)
    if not isinstance(X, da.Array):
        raise TypeError(
            f"{name} accepts dask arrays and DataFrames; got {type(X).__name__}."
        )
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D dask array; got {X.ndim}-D with shape {X.shape}. "
            "Reshape 1-D data with X.reshape(-1, 1) for one feature."
        )
    if np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"Complex data not supported by {name}; got dtype {X.dtype}.")
    if known_rows and any(np.isnan(size) for size in X.chunks[0]):
        X = X.copy()
        X.compute_chunk_sizes()
    if X.dtype not in (np.float16, np.float32, np.float64):
        if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
            raise ValueError(
                f"{name} needs numeric data; got a dask array of {X.dtype}."
            )
        X = X.astype(np.float64)
    n_samples, n_features = X.shape
    if n_features == 0 or n_samples == 0:
        raise ValueError(
            f"Found a dask array with shape {X.shape}, while a minimum of 1 sample "
            f"and 1 feature is required by {name}."
        )
    if reset:
        estimator.n_features_in_ = n_features
        if names is not None:
            estimator.feature_names_in_ = names
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    else:
        if n_features != estimator.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {name} is expecting "
                f"{estimator.n_features_in_} features as input."
            )
        fitted = getattr(estimator, "feature_names_in_", None)
        if names is not None and fitted is not None and list(names) != list(fitted):
            raise ValueError(
                "The feature names should match those that were passed during fit."
            )
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def _chunk_statistics(block, weights, feature_names, with_moments, with_range):
    moments = low = high = None
    if with_moments:
        moments = dense_moments(block, weights, feature_names=feature_names)
    if with_range:
        rows = block if weights is None else block[weights > 0]
        low, high = dense_min_max(rows, feature_names=feature_names)
    return moments, low, high


def dask_statistics(
    X,
    sample_weight=None,
    *,
    feature_names=None,
    with_moments=True,
    with_range=False,
    on_chunk=None,
):
    """Per-feature moments (and min/max) of a dask array, exact in float64.

    One task per chunk of rows computes that chunk's count, mean and M2 (and
    minimum and maximum) with the in-memory kernels; the client merges the
    small per-chunk results in row order with the same pairwise update as
    ``partial_fit``. The data never leave the workers.

    With ``on_chunk`` (a progress report, called once per chunk in row
    order), the chunks are computed in waves of a few per core, so that the
    reports come as the work is done, whichever scheduler runs it.

    Returns
    -------
    moments : Moments or None
    low, high : ndarray or None
    """
    import dask

    n_features = X.shape[1]
    blocks = X.to_delayed().ravel()
    if sample_weight is None:
        weight_blocks = [None] * len(blocks)
    else:
        if any(np.isnan(c) for c in X.chunks[0]):
            raise ValueError(
                "sample_weight with a dask input needs known chunk sizes; call "
                "X.compute_chunk_sizes() (or DataFrame.to_dask_array(lengths=True))."
            )
        # validated once by the caller (skscale._backends)
        weights = np.asarray(sample_weight, dtype=np.float64)
        bounds = np.cumsum((0, *X.chunks[0]))
        weight_blocks = [weights[a:b] for a, b in itertools.pairwise(bounds)]
    tasks = [
        dask.delayed(_chunk_statistics)(
            block, w, feature_names, with_moments, with_range
        )
        for block, w in zip(blocks, weight_blocks, strict=True)
    ]
    if on_chunk is None:
        results = dask.compute(*tasks)
    else:
        results = []
        wave = 4 * (os.cpu_count() or 1)
        for start in range(0, len(tasks), wave):
            results.extend(dask.compute(*tasks[start : start + wave]))
            for _ in range(min(wave, len(tasks) - start)):
                on_chunk()
    moments = Moments.empty(n_features) if with_moments else None
    low = np.full(n_features, np.nan) if with_range else None
    high = np.full(n_features, np.nan) if with_range else None
    for chunk_moments, chunk_low, chunk_high in results:
        if with_moments:
            moments = moments.merge(chunk_moments)
        if with_range:
            low, high = np.fmin(low, chunk_low), np.fmax(high, chunk_high)
    return moments, low, high


def dask_block_size(Z, weighting, max_iter=200, tol=1e-10):
    """As :func:`~skscale._backends.dense.dense_block_size`, chunk by chunk.

    ``mfa`` forms the covariance blockwise when the block has at most a few
    thousand columns, and runs power iterations (one pass over the data
    each) otherwise.
    """
    import dask
    import dask.array as da

    n_samples = Z.shape[0]
    filled = da.nan_to_num(Z.astype(np.float64))
    mean, squares = dask.compute(filled.mean(axis=0), (filled * filled).mean(axis=0))
    if weighting == "total_variance":
        return float(np.sqrt(max(np.sum(squares - mean**2), 0.0)))
    centred = filled - mean
    if Z.shape[1] <= dense._DENSE_EIGEN_LIMIT:
        covariance = (centred.T @ centred).compute() / n_samples
        top = scipy.linalg.eigvalsh(
            covariance, subset_by_index=[len(covariance) - 1] * 2
        )
        return float(np.sqrt(max(top[0], 0.0)))
    vector = np.random.default_rng(0).normal(size=Z.shape[1])
    vector /= np.linalg.norm(vector)
    value = 0.0
    for _ in range(max_iter):
        product = (centred.T @ (centred @ vector)).compute() / n_samples
        new_value = float(np.linalg.norm(product))
        if new_value == 0.0:
            return 0.0
        vector = product / new_value
        if abs(new_value - value) <= tol * new_value:
            break
        value = new_value
    return float(np.sqrt(new_value))
