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

from skscale._backends import dense as dense_backend
from skscale._backends import sparse as sparse_backend
from skscale._backends._statistics import Moments, power_of_two_below
from skscale._backends.array_api import (
    array_namespace_of,
    device_affine_map,
    device_block_size,
    device_check_finite,
    device_statistics,
    take_columns,
    to_host,
)
from skscale._backends.dask import (
    dask_block_size,
    dask_statistics,
    is_dask_collection,
    validate_dask,
)
from skscale._backends.dense import (
    affine_map,
    dense_block_size,
    dense_min_max,
    dense_moments,
    dense_percentiles,
)
from skscale._backends.dense import check_finite as dense_check_finite
from skscale._backends.sparse import check_finite as sparse_check_finite
from skscale._backends.sparse import sparse_block_size, sparse_moments, sparse_scale
from skscale.utils._sklearn_compat import validate_data
from skscale.utils._validation import check_sample_weight, output_array

DASK, ARRAY_API, SPARSE, DENSE = "dask", "array_api", "sparse", "dense"


class Kind(NamedTuple):
    """What :func:`kind_of` decides."""

    #: "dask", "array_api", "sparse" or "dense"
    name: str
    #: the array namespace (an ArrayNamespace) of array API input, else None
    space: object = None


# scverse's containers: a matrix with its annotations, not a matrix
_ANNOTATED = {("anndata", "AnnData"): "adata", ("mudata", "MuData"): "mdata"}


def annotated_kind(X):
    """``"AnnData"`` or ``"MuData"`` when ``X`` is one of scverse's
    containers, else None (told apart by class, without importing them)."""
    cls = type(X)
    key = (cls.__module__.partition(".")[0], cls.__name__)
    return key[1] if key in _ANNOTATED else None


def refuse_annotated(X):
    """Raise a TypeError naming :mod:`skscale.scverse` when ``X`` is an
    AnnData or MuData object (numpy would fail on it with "setting an array
    element with a sequence")."""
    kind = annotated_kind(X)
    if kind is None:
        return
    key = (kind.lower(), kind)
    name = _ANNOTATED[key]
    if key[1] == "MuData":
        use = (
            f"skscale.scverse.block_scaler({name}) (blocks = modalities), or "
            f"skscale.scverse.fit_transform({name}.mod['rna'], estimator)"
        )
    else:
        use = (
            f"skscale.scverse.fit_transform({name}, estimator, layer=...), which "
            "reads X or a layer and writes the result back"
        )
    article = "an" if key[1] == "AnnData" else "a"
    raise TypeError(
        f"got {article} {key[1]} object; skscale's estimators take its matrix "
        f"({name}.X or a layer), not the object: use {use}."
    )


def kind_of(X):
    """The backend that takes ``X``: the one decision of the input's kind.

    Dask first (a dask array may also offer the array API), then array API
    input under scikit-learn's ``array_api_dispatch`` (PyTorch, CuPy, ...:
    NumPy is never one), then CSR/CSC and other scipy sparse input, and
    anything else (ndarray, DataFrame, lists) is dense.
    """
    if is_dask_collection(X):
        return Kind(DASK)
    refuse_annotated(X)
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


def array_namespace(X):
    """The :class:`ArrayNamespace` of array API input under dispatch (where a
    fit stores its attributes), None for every other kind."""
    return kind_of(X).space


def any_dask(*values):
    """Whether any of ``values`` is a dask collection (a lazy input, which a
    diagnostic samples rather than reads whole)."""
    return any(kind_of(value).name == DASK for value in values)


def computed(values):
    """``values`` in memory: a dask collection computed, others as they are."""
    return values.compute() if kind_of(values).name == DASK else values


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


# ---------------------------------------------------------------------------
# The per-sample normalisers' operations: in-memory dense or sparse input
# (dask and array API input are refused by the normalisers before these).


def _rows_backend(X, operation):
    """The dense or sparse implementation of the row ``operation`` for ``X``
    (``dense_<operation>`` or ``sparse_<operation>`` of its backend)."""
    kind = kind_of(X).name
    if kind == SPARSE:
        return getattr(sparse_backend, f"sparse_{operation}")
    if kind != DENSE:
        raise TypeError(
            f"expected an in-memory array or sparse matrix; got {type(X).__name__}"
        )
    return getattr(dense_backend, f"dense_{operation}")


def refuse_sparse(X, message, error=TypeError):
    """Raise ``error`` (a TypeError) saying ``message`` if ``X`` is a scipy
    sparse matrix."""
    if kind_of(X).name == SPARSE:
        raise error(message)


def scan_rows(X, checks, *, feature_names=None, what="X", totals=True):
    """Per-row totals of validated ``X`` (NaN skipped) in one read, refusing
    +/-inf (naming the column) and what ``checks`` refuses: NaN (unless
    ``checks._nan``) and values below its floor (``_below_floor`` and
    ``_check_floor``). Sparse input: over the stored values. With
    ``totals=False`` only the checks (None is returned; sparse input then
    skips the per-row pass)."""
    if kind_of(X).name == SPARSE:
        return sparse_backend.sparse_scan_rows(
            X, checks, feature_names, what, totals=totals
        )
    found = _rows_backend(X, "scan_rows")(X, checks, feature_names, what)
    return found if totals else None


def columns_where(X, mask):
    """The columns where ``mask`` holds: ``mask`` is over ``X`` (dense), or
    over its stored values (sparse)."""
    backend = _rows_backend(X, "columns_where")
    return backend(X, mask)


def divide_rows(X, original, factors, *, copy):
    """Each row of validated ``X`` divided by its (float64) factor, in X's
    dtype; ``original`` is what the caller passed (never written unless
    ``copy`` is False)."""
    backend = _rows_backend(X, "divide_rows")
    return backend(X, original, factors, copy)


def cell_beyond(X, factors, largest):
    """``(row, column)`` of a cell whose value divided by its row's factor
    exceeds ``largest`` in magnitude, or None. Two reductions bound every
    quotient first (the largest magnitude over the smallest factor); the
    cells are searched only when that bound is beyond ``largest``."""
    values = X.data if kind_of(X).name == SPARSE else X
    if values.size and factors.size:
        with np.errstate(over="ignore", invalid="ignore"):
            magnitude = max(
                abs(float(np.fmax.reduce(values, axis=None))),
                abs(float(np.fmin.reduce(values, axis=None))),
            )
            smallest = float(np.fmin.reduce(np.abs(factors)))
            if smallest > 0 and np.isfinite(magnitude / smallest):
                if not np.isnan(magnitude) and magnitude / smallest <= largest:
                    return None
    backend = _rows_backend(X, "cell_beyond")
    return backend(X, factors, largest)


def row_medians(X, per_value, keep):
    """Per-row median of ``per_value(values, columns)`` over the cells where
    ``keep(values, columns)`` holds (NaN where none does; sparse: the stored
    cells only)."""
    backend = _rows_backend(X, "row_medians")
    return backend(X, per_value, keep)


def median_log_ratios(X, log_means):
    """Per row, the median of ``log(x) - log_means`` over the features whose
    ``log_means`` is not NaN, zeros and NaN left out."""
    backend = _rows_backend(X, "median_log_ratios")
    return backend(X, log_means)


def log_means(X, weights, *, positive_only=False):
    """Per-feature weighted mean of ``log(x)`` (NaN skipped), NaN for a
    feature with a zero or no value (an implicit zero is a zero).

    ``positive_only``: DESeq2's ``poscounts`` mean instead, the sum of
    ``log(x)`` over the positive values divided by the weight of every value
    (a zero counts as ``log(1)``); NaN only for a feature with no positive
    value.
    """
    backend = _rows_backend(X, "log_means")
    return backend(X, weights, positive_only)


def columns_above_share(X, totals, fraction):
    """Boolean per column: whether some row's value exceeds ``fraction`` of
    that row's total (scanpy's highly expressed genes; NaN never does)."""
    backend = _rows_backend(X, "columns_above_share")
    return backend(X, totals, fraction)


def row_totals(X, columns):
    """Per-row totals over the columns where the boolean ``columns`` holds
    (NaN skipped), accumulated in float64."""
    backend = _rows_backend(X, "row_totals")
    return backend(X, columns)


def smallest_nonzero(X):
    """The smallest non-zero ``|x|`` of validated ``X`` (NaN skipped), or
    None where every value is zero or missing."""
    backend = _rows_backend(X, "smallest_nonzero")
    return backend(X)


def map_values(X, original, function, *, copy):
    """``function`` (float64 in, float64 out, elementwise) applied to every
    value of validated ``X``, written in X's dtype; sparse input: to the
    stored values only (the caller makes sure ``function(0) == 0``).
    ``original`` is what the caller passed: never written unless ``copy`` is
    False."""
    backend = _rows_backend(X, "map_values")
    return backend(X, original, function, copy)


def missing_columns(X):
    """Positions of the columns of validated in-memory ``X`` that hold NaN
    (of a sparse matrix, among its stored values: an implicit zero is a
    value)."""
    if kind_of(X).name == SPARSE:
        return columns_where(X, np.isnan(X.data))
    return np.flatnonzero(np.isnan(X).any(axis=0))


def is_sparse(X):
    """Whether ``X`` is a scipy sparse matrix (the sparse backend's kind)."""
    return kind_of(X).name == SPARSE


def centred_table(X):
    """Validated in-memory float64 ``X`` centred on its column means, for the
    diagnostics: a :class:`~skscale._backends.centred.DenseCentred` (centred
    outright) or, for a sparse matrix, a
    :class:`~skscale._backends.centred.SparseCentred` (centred implicitly,
    never densified). Both answer the same questions (variances, the
    covariance or Gram matrix, products, rows, pair differences)."""
    from skscale._backends.centred import DenseCentred, SparseCentred

    if kind_of(X).name == SPARSE:
        return SparseCentred(X)
    return DenseCentred(X)


def take_rows(X, rows):
    """The rows ``rows`` (a boolean mask or positions) of a DataFrame, an
    array, a list of rows or a sparse matrix (CSR kept; other formats become
    CSR), each kept as it is."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if kind_of(X).name == SPARSE:
        return X.tocsr()[rows]
    return np.asarray(X)[rows]


def count_profile(X):
    """``(whole, zeros, largest)`` of validated in-memory ``X``, NaN skipped:
    whether every value is a whole number of at least 0, how many values are
    0 (a sparse matrix's implicit zeros included) and the largest value (NaN
    when there is none)."""
    return _rows_backend(X, "count_profile")(X)


def column_maxima(X):
    """The largest value of each column of validated in-memory ``X`` (a
    sparse matrix's implicit zeros count), NaN skipped; NaN for a column of
    no value."""
    if kind_of(X).name == SPARSE:
        return sparse_backend.sparse_column_maxima(X)
    return feature_statistics(X, with_moments=False, with_range=True).high


def largest_value(X):
    """The largest value of validated in-memory ``X`` (a sparse matrix's
    implicit zeros count), NaN skipped; NaN when there is no value. One
    reduction: no per-column pass."""
    if kind_of(X).name == SPARSE:
        high = float(np.fmax.reduce(X.data)) if X.nnz else np.nan
        if X.nnz < X.shape[0] * X.shape[1]:
            high = float(np.fmax(high, 0.0))
        return high
    return float(np.fmax.reduce(X, axis=None)) if X.size else np.nan


def mapped_moments(X, function, *, feature_names=None):
    """Per-feature :class:`~skscale._backends._statistics.Moments` of
    ``function(values, columns)`` over validated in-memory ``X``, in float64:
    ``values`` a float64 copy of some of X's values (dense: a block of rows;
    sparse: the stored values, so the caller makes sure ``function`` maps 0
    to 0) and ``columns`` the column of each (broadcastable to ``values``).
    The mapped values are never written into X's dtype, so a map that
    outgrows float32 or float16 loses nothing."""
    backend = _rows_backend(X, "mapped_blocks")
    moments = None
    for block in backend(X, function):
        moments = feature_statistics(
            block, init=moments, feature_names=feature_names
        ).moments
    return moments


def column_blocks(X, block_elements):
    """Yield ``(columns, float64 dense block)`` over the columns of ``X``,
    about ``block_elements`` values at a time."""
    backend = _rows_backend(X, "column_blocks")
    return backend(X, block_elements)


# ---------------------------------------------------------------------------
# The affine scalers' transform: one entry for every kind.


def affine_transform(
    estimator,
    X,
    center,
    scale,
    *,
    copy,
    inverse,
    clip,
    validate_in_memory,
    feature_names=None,
):
    """``(X - center) / scale`` (or, with ``inverse``, ``X * scale + center``),
    then clipped to ``clip`` (``(low, high)`` or None), for a fitted affine
    scaler: on the device for array API input (always a new array), lazily
    per chunk for dask, over the stored values of a CSR/CSC matrix (which
    cannot be centred), else by the blocked dense map.

    ``center`` and ``scale`` are float64 NumPy arrays (or None, to skip that
    step); ``validate_in_memory(X, reset=False)`` validates in-memory input;
    the caller's array is written only when ``copy`` is False.
    """
    what = "X passed to inverse_transform" if inverse else "X"
    kind = kind_of(X)
    if kind.name == ARRAY_API:
        X = validate_any(
            estimator, X, reset=False, validate_in_memory=validate_in_memory
        )
        return device_affine_map(
            X,
            center,
            scale,
            kind.space,
            inverse=inverse,
            clip=clip,
            feature_names=feature_names,
            what=what,
        )

    operands = (center, scale, inverse, clip, feature_names, what)
    if kind.name == DASK:
        return map_rows(estimator, X, None, _affine_chunk, *operands)
    original = X
    X = validate_in_memory(X, reset=False)
    if kind_of(X).name != SPARSE:  # validation may make a frame's columns sparse
        out = output_array(X, original, copy=copy, keep_values=False)
        return _dense_affine(X, out, *operands)
    if center is not None:
        raise ValueError(
            f"{type(estimator).__name__} cannot center a sparse matrix: that "
            "would make it dense. Pass with_mean=False, or a dense array."
        )
    out = sparse_scale(
        X,
        scale,
        # validation's own copy needs no other
        copy=copy and X is original,
        inverse=inverse,
        feature_names=feature_names,
        what=what,
    )
    if clip is not None:
        np.clip(out.data, *clip, out=out.data)
    return out


def _dense_affine(X, out, center, scale, inverse, clip, feature_names, what):
    affine_map(
        X,
        center,
        scale,
        out=out,
        inverse=inverse,
        feature_names=feature_names,
        what=what,
    )
    if clip is not None:
        np.clip(out, *clip, out=out)
    return out


def _affine_chunk(block, *operands):
    """The map of one in-memory chunk of a dask array, into a new array."""
    return _dense_affine(block, np.empty_like(block), *operands)


def gather_rows(parts, row_sets, n_rows):
    """One array of ``n_rows`` rows from ``parts``, the rows of part ``i``
    going to the positions ``row_sets[i]`` (integer indices or a boolean
    mask): a CSR matrix if any part is sparse, else a dense array whose rows
    are each written once, straight to their places."""
    if any(kind_of(part).name == SPARSE for part in parts):
        every = np.arange(n_rows)
        rows = np.concatenate([every[rows] for rows in row_sets])
        position = np.argsort(rows, kind="stable")
        return sp.vstack(parts, format="csr")[position]
    parts = [np.asarray(part) for part in parts]
    out = np.empty((n_rows, parts[0].shape[1]), dtype=np.result_type(*parts))
    for rows, part in zip(row_sets, parts, strict=True):
        out[rows] = part
    return out


# ---------------------------------------------------------------------------
# Arrays that may live on a device (a regressor's predictions, a target):
# the array API input's own operations, NumPy's for everything else.


def as_array(values):
    """``values`` as an array: array API input as it is, else a NumPy array."""
    return values if kind_of(values).space is not None else np.asarray(values)


def as_column(values):
    """A 1-D array as one column, in its own namespace (others as they are)."""
    if values.ndim != 1:
        return values
    space = kind_of(values).space
    if space is None:
        return np.asarray(values).reshape(-1, 1)
    return space.xp.reshape(values, (-1, 1))


def as_flat(values):
    """A one-column array as 1-D, in its own namespace."""
    space = kind_of(values).space
    if space is None:
        return np.asarray(values).ravel()
    return space.xp.reshape(values, (-1,))


def as_float64(values):
    """``values`` in float64 (an array API device's widest float), in its own
    namespace."""
    space = kind_of(values).space
    if space is None:
        return np.asarray(values, dtype=np.float64)
    return space.xp.astype(values, space.wide, copy=False)


def host_like(host, reference):
    """The NumPy array ``host`` in ``reference``'s namespace and on its device
    (as it is when ``reference`` is a NumPy array)."""
    space = kind_of(reference).space
    return host if space is None else space.from_numpy(host)


def finite_on_host(values):
    """``values`` as a NumPy array when some value is NaN or +/-inf (to say
    which), else None; array API input is checked on its device, so the host
    sees it only when it is bad."""
    space = kind_of(values).space
    if space is not None:
        if bool(space.xp.all(space.xp.isfinite(values))):
            return None
        values = space.to_numpy(values)
    values = np.asarray(values)
    return None if np.isfinite(values).all() else values


# ---------------------------------------------------------------------------
# Blocks of columns (BlockScaler): taken and put back in the input's kind.


def columns_of(X, columns):
    """The listed columns of in-memory ``X`` (a NumPy index array), in its
    own kind: an array, a sparse matrix, or an array on its device."""
    return take_columns(X, columns, kind_of(X).space)


def assemble_columns(X, blocks, passthrough, *, original, copy):
    """An array of ``X``'s kind, shape and dtype whose columns ``columns``
    are ``part`` for each ``(columns, part)`` of ``blocks`` (an iterable,
    consumed one block at a time) and whose ``passthrough`` columns are
    ``X``'s own.

    Dense input: each part written as it comes into ``output_array(X,
    original, copy=copy)`` (``X`` itself when that may be written), so one
    block's values are held at a time; a sparse matrix: the parts stacked as
    CSC, never densified, in ``X``'s format; array API input: a new array on
    its device.
    """
    kind = kind_of(X)
    if kind.name == DENSE:
        out = output_array(X, original, copy=copy, keep_values=True)
        for columns, part in blocks:
            out[:, columns] = np.asarray(part)
        return out
    column_sets, parts = [], []
    for columns, part in blocks:
        column_sets.append(columns)
        parts.append(part)
    if passthrough.size:
        parts.append(columns_of(X, passthrough))
        column_sets.append(passthrough)
    order = np.argsort(np.concatenate(column_sets))
    if kind.name == SPARSE:
        stacked = sp.hstack([sp.csc_matrix(part) for part in parts], format="csc")
        return stacked[:, order].asformat(X.format).astype(X.dtype)
    if kind.name != ARRAY_API:
        raise TypeError(f"expected an in-memory array; got {type(X).__name__}")
    xp = kind.space.xp
    stacked = xp.concat(
        [xp.astype(part, X.dtype, copy=False) for part in parts], axis=1
    )
    return take_columns(stacked, order, kind.space)
