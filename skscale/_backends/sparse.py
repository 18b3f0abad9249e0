"""The sparse backend: statistics and scaling of CSR and CSC matrices,
never densified.

Implicit zeros count as values. Moments come from the (weighted) column sums
of the stored values and of their squares (one pass in the compiled kernel);
the columns where ``sum(w * x**2) - n * mean**2`` would cancel, or whose
squares underflow, and fits with NaN or a zero weight take the exact path,
which computes
what the dense backend computes: a column with no implicit zero is shifted by
its first value (a constant column has M2 exactly 0), the weight of the
implicit zeros is taken without cancelling, and huge or tiny deviations are
summed in a unit. Scaling divides the stored values only.
"""

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg

from skscale._backends import _compiled
from skscale._backends._parallel import run_blocks, workers
from skscale._backends._statistics import (
    _SAFE_SPREAD_HIGH,
    _SAFE_SPREAD_LOW,
    Moments,
    moments_unit,
    squares_unsafe,
)
from skscale._backends.dense import (
    _BLOCK_ELEMENTS,
    _SQUARES_TOO_SMALL,
    count_profile_of,
    dense_block_size,
)
from skscale.utils._validation import infinite_error

__all__ = ["check_finite", "sparse_block_size", "sparse_moments", "sparse_scale"]


def _stored_columns(X):
    """Column index of every stored value of a CSR or CSC matrix."""
    if X.format == "csr":
        return X.indices
    return np.repeat(np.arange(X.shape[1]), np.diff(X.indptr))


# Stored values mapped (or divided) at a time: a block of float64 stays in
# cache, and blocks run on every core.
_MAP_BLOCK = 1 << 16


def _per_stored(X, per_row):
    """``per_row`` (one value per row) repeated for each stored value."""
    if X.format == "csr":
        return np.repeat(per_row, np.diff(X.indptr))
    return per_row[X.indices]


def _stored_rows(X):
    if X.format == "csc":
        return X.indices
    return np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))


def _check_sparse_finite(X, feature_names, what):
    infinite = np.isinf(X.data)
    if infinite.any():
        columns = np.unique(_stored_columns(X)[infinite])
        raise infinite_error(columns, feature_names, what)


def _sparse_column_sums(X, *, squared, weights=None):
    """Per-column sums of the stored values (or their squares), each times its
    row's weight when ``weights`` are given, of a CSR or CSC matrix, in
    float64, by scipy's compiled sparse products a slice of about a million
    stored values at a time (no full-size temporary)."""
    if not squared and weights is None and X.dtype == np.float64:
        # scipy's own column sum, with no temporary: the read floor itself
        # (for float32 it accumulates in float32 whatever dtype it is given)
        return np.asarray(X.sum(axis=0)).reshape(-1)
    n_samples, n_features = X.shape
    major = X.indptr
    n_major = len(major) - 1
    sums = np.zeros(n_features)
    start = 0
    while start < n_major:
        # the next run of rows (CSR) or columns (CSC) holding ~16 blocks of values
        stop = int(np.searchsorted(major, major[start] + _BLOCK_ELEMENTS * 16, "right"))
        stop = min(max(stop - 1, start + 1), n_major)
        lo, hi = major[start], major[stop]
        values = X.data[lo:hi].astype(np.float64)
        if squared:
            np.multiply(values, values, out=values)
        part_indptr = major[start : stop + 1] - lo
        if X.format == "csr":
            part = sp.csr_matrix(
                (values, X.indices[lo:hi], part_indptr),
                shape=(stop - start, n_features),
            )
            rows = np.ones(stop - start) if weights is None else weights[start:stop]
            sums += part.T @ rows
        else:
            part = sp.csc_matrix(
                (values, X.indices[lo:hi], part_indptr), shape=(n_samples, stop - start)
            )
            rows = np.ones(n_samples) if weights is None else weights
            sums[start:stop] = part.T @ rows
        start = stop
    return sums


def _sparse_moments_fast(X, sample_weight):
    """The common case from sums and sums of squares per column, weighted by
    the rows' weights when given (one pass in the compiled kernel, two
    through scipy's products).

    Returns None when a column sum is not finite (NaN or inf) or a weight is
    0 (the exact slow path decides both), and recomputes exactly (with the
    exact path's shift and
    unit) the columns where ``sum(x**2) - n * mean**2`` would cancel and
    those whose squares may have underflowed.
    """
    n_samples, n_features = X.shape
    weights = sample_weight
    if weights is None:
        fused = _compiled.sparse_column_sums(X)
        n = float(n_samples)
    else:
        if not weights.all():
            return None
        fused = _compiled.sparse_weighted_sums(X, weights)
        n = float(weights.sum())
    if fused is not None:
        total, squares = fused
    else:
        total = _sparse_column_sums(X, squared=False, weights=weights)
        squares = _sparse_column_sums(X, squared=True, weights=weights)
    if not (np.isfinite(total).all() and np.isfinite(squares).all()):
        return None
    mean = total / n
    offset = n * mean * mean
    m2 = np.maximum(squares - offset, 0.0)
    unsafe = offset > 0.5 * squares
    # squares below the rescue's bound: values near 1e-160 or below, whose
    # squares underflow; a column with no sum at all is all zeros unless its
    # values are tiny and cancel, which only its stored values can tell
    unsafe |= (squares < _SQUARES_TOO_SMALL * n) & (total != 0)
    blank = (squares == 0) & (total == 0)
    if blank.any():
        nonzero = X.data != 0
        stored = np.bincount(_stored_columns(X)[nonzero], minlength=n_features)
        unsafe |= blank & (stored > 0)
    unsafe = np.flatnonzero(unsafe)
    count = np.full(n_features, n)
    shift, unit = np.zeros(n_features), np.ones(n_features)
    # every row counts: its weight is positive
    values = np.full(n_features, float(n_samples))
    if unsafe.size:
        exact = _sparse_moments_exact(sp.csc_matrix(X[:, unsafe]), weights)
        count[unsafe] = exact.count
        m2[unsafe] = exact.m2
        mean[unsafe] = exact.dmean
        shift[unsafe] = exact.shift
        unit[unsafe] = exact.unit
    return Moments(count, shift, mean, m2, unit, values)


def _column_sums(columns, weights, n_features):
    """Per-column sums of ``weights``, float64 even when nothing is stored
    (``np.bincount`` of no values gives integers)."""
    return np.bincount(columns, weights=weights, minlength=n_features).astype(
        np.float64, copy=False
    )


def sparse_moments(
    X, sample_weight=None, *, init=None, feature_names=None, exact=False
):
    """Per-feature count, mean and M2 of a CSR or CSC matrix, NaN skipped.

    Implicit zeros count as values. M2 is the sum over stored values of
    ``w * (x - mean)**2`` plus ``mean**2`` times the weight of the implicit zeros.
    Without NaN, inf or zero weights, a faster path sums values and their
    squares (``exact=True`` skips it).
    """
    with np.errstate(all="ignore"):  # as in dense_moments
        return _sparse_moments(X, sample_weight, init, feature_names, exact)


def _sparse_moments(X, sample_weight, init, feature_names, exact):
    if not exact:
        moments = _sparse_moments_fast(X, sample_weight)
        if moments is not None:
            return moments if init is None else init.merge(moments)
    _check_sparse_finite(X, feature_names, "X")
    moments = _sparse_moments_exact(X, sample_weight)
    return moments if init is None else init.merge(moments)


def _sparse_moments_exact(X, sample_weight):
    """The moments of a CSR or CSC matrix as the dense kernel computes them.

    A column with no implicit zero is shifted by its first counted value
    (so a constant column has M2 exactly 0, as in the dense kernel); a column
    with implicit zeros is taken around 0, which is one of its values. The
    weight of a column's implicit zeros is the total weight less that of its
    stored values; where that difference would lose the weight of a few
    implicit zeros to rounding, it is summed directly. Deviations beyond the
    range whose squares float64 holds are taken in a unit, as the dense rescue.
    Without NaN and zero weights (the common case) nothing is subset or
    counted twice.
    """
    n_samples, n_features = X.shape
    all_columns = _stored_columns(X)
    all_rows = _stored_rows(X)
    data = X.data.astype(np.float64)
    weighted = sample_weight is not None
    if not weighted:
        sample_weight = np.ones(n_samples)
    all_weights = sample_weight[all_rows] if weighted else None
    total_weight = float(sample_weight.sum())
    if X.format == "csc":
        stored = np.diff(X.indptr)
    else:
        stored = np.bincount(all_columns, minlength=n_features)
    implicit = n_samples - stored
    stored_weight = _column_sums(all_columns, all_weights, n_features)
    implicit_weight = total_weight - stored_weight
    implicit_weight[implicit == 0] = 0.0
    if weighted:
        # few implicit zeros of small weight: the difference above cancels
        cancels = implicit_weight < 0.5 * total_weight
        inexact = np.flatnonzero((implicit > 0) & cancels)
        if inexact.size:
            implicit_weight[inexact] = _implicit_weights(X, sample_weight, inexact)
    missing = np.isnan(data)
    zero_weight = weighted and not sample_weight.all()
    columns, rows, weights = all_columns, all_rows, all_weights
    if missing.any():
        present = ~missing
        columns, rows, data = all_columns[present], all_rows[present], data[present]
        weights = None if all_weights is None else all_weights[present]
        stored_weight = _column_sums(columns, weights, n_features)
    if zero_weight:
        implicit_positive = np.count_nonzero(sample_weight) - np.bincount(
            all_columns[all_weights > 0], minlength=n_features
        )
        kept = weights > 0
        values = implicit_positive + np.bincount(columns[kept], minlength=n_features)
    else:
        values = implicit + (
            stored
            if columns is all_columns
            else np.bincount(columns, minlength=n_features)
        )
    count = stored_weight + implicit_weight
    shift = np.zeros(n_features)
    full = np.flatnonzero(implicit == 0)
    if full.size:
        shift[full] = _first_stored(columns, rows, data, weights, full, n_features)
    deviations = data - shift[columns] if full.size else data.copy()
    unit = np.ones(n_features)
    magnitudes = np.abs(deviations)
    if squares_unsafe(magnitudes):
        largest = np.zeros(n_features)
        np.maximum.at(largest, columns, magnitudes)
        rescale = (largest > 0) & (
            (largest < _SAFE_SPREAD_LOW) | (largest > _SAFE_SPREAD_HIGH)
        )
        unit[rescale] = moments_unit(largest[rescale])
        deviations /= unit[columns]
    del magnitudes
    weighted_deviations = deviations if weights is None else weights * deviations
    total = _column_sums(columns, weighted_deviations, n_features)
    dmean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    deviations -= dmean[columns]
    squares = deviations * deviations
    if weights is not None:
        squares *= weights
    m2 = _column_sums(columns, squares, n_features)
    m2 += implicit_weight * dmean * dmean  # the implicit zeros, at -dmean
    return Moments(count, shift, dmean, m2, unit, values.astype(np.float64))


def _first_stored(columns, rows, data, weights, wanted, n_features):
    """For each column in ``wanted`` (columns with no implicit zero), its
    counted value (positive weight) in the lowest row, 0 if none; the
    stored values' ``columns``, ``rows``, ``data`` and ``weights`` have NaN
    left out already."""
    keep = np.zeros(n_features, dtype=bool)
    keep[wanted] = True
    keep = keep[columns]
    if weights is not None:
        keep &= weights > 0
    columns, rows, data = columns[keep], rows[keep], data[keep]
    first = np.full(n_features, np.iinfo(np.int64).max)
    np.minimum.at(first, columns, rows)
    key = np.flatnonzero(rows == first[columns])
    shift = np.zeros(n_features)
    shift[columns[key]] = data[key]
    return shift[wanted]


def _implicit_weights(X, sample_weight, columns):
    """The weight of the implicit zeros of each listed column, summed directly."""
    sub = sp.csc_matrix(X[:, columns])
    result = np.empty(len(columns))
    for j in range(len(columns)):
        keep = np.ones(X.shape[0], dtype=bool)
        keep[sub.indices[sub.indptr[j] : sub.indptr[j + 1]]] = False
        result[j] = sample_weight[keep].sum()
    return result


def sparse_scale(X, scale, *, copy, inverse, feature_names, what):
    """Divide (or, with ``inverse``, multiply) stored values by their column's scale."""
    if not sp.issparse(X) or X.format not in ("csr", "csc"):
        raise TypeError(f"Expected a CSR or CSC matrix; got {type(X).__name__}.")
    if scale is None:
        _check_sparse_finite(X, feature_names, what)
        return X.copy() if copy else X
    if copy:
        # the scaled values go straight into a new data array: the one pass a
        # copy makes
        data = np.empty_like(X.data)
    else:
        _check_sparse_finite(X, feature_names, what)  # before writing in place
        data = X.data
    # the compiled kernel checks for inf on the way
    found_inf = _compiled.sparse_scale(X, data, scale, inverse=inverse)
    if found_inf is None:
        # the NumPy path, over the stored values only (room after indptr[-1]
        # holds none)
        if copy:
            _check_sparse_finite(X, feature_names, what)
        nnz = X.indptr[-1]
        operation = np.multiply if inverse else np.divide
        factors = scale[_stored_columns(X)[:nnz]]
        operation(X.data[:nnz], factors, out=data[:nnz], casting="same_kind")
    elif found_inf:
        _check_sparse_finite(X, feature_names, what)  # raises, naming the column
    if not copy:
        return X
    nnz = X.indptr[-1]
    return type(X)((data[:nnz], X.indices[:nnz].copy(), X.indptr.copy()), shape=X.shape)


def sparse_block_size(Z, weighting):
    """As ``dense_block_size`` for a sparse block, centred implicitly."""
    Z = sp.csc_matrix(Z, dtype=np.float64, copy=True)
    Z.data[np.isnan(Z.data)] = 0.0
    n_samples = Z.shape[0]
    mean = np.asarray(Z.mean(axis=0)).ravel()
    if weighting == "total_variance":
        squares = np.asarray(Z.multiply(Z).sum(axis=0)).ravel() / n_samples
        return float(np.sqrt(max(np.sum(squares - mean**2), 0.0)))
    if min(Z.shape) <= 2:
        return dense_block_size(Z.toarray(), weighting)
    scale = 1.0 / np.sqrt(n_samples)
    operator = scipy.sparse.linalg.LinearOperator(
        Z.shape,
        matvec=lambda v: (Z @ v - mean @ v) * scale,
        rmatvec=lambda u: (Z.T @ u - mean * np.sum(u)) * scale,
        dtype=np.float64,
    )
    return float(
        scipy.sparse.linalg.svds(
            operator, k=1, return_singular_vectors=False, random_state=0
        )[0]
    )


def check_finite(X, *, feature_names=None, what="X"):
    """Raise a ValueError naming the columns of a CSR or CSC matrix whose
    stored values hold +/-inf (NaN is allowed)."""
    _check_sparse_finite(X, feature_names, what)


# ---------------------------------------------------------------------------
# Per-sample (row) operations of the normalisers, on the stored values: an
# implicit zero adds nothing to a total and is no value of a median.


def sparse_scan_rows(X, checks, feature_names, what, totals=True):
    """:func:`~skscale._backends.dense.dense_scan_rows` on the stored values:
    one blocked pass (on every core) sums each row and takes the smallest
    value; the sums are finite only without inf and NaN, so the elementwise
    checks run only where those say something is there. The row totals (NaN
    skipped) unless ``totals`` is False."""
    sums, low = _sums_and_low(X, per_row=totals)
    clean = bool(np.isfinite(sums).all())
    if not clean:  # an inf, a NaN, or a sum beyond float64
        _check_sparse_finite(X, feature_names, what)
        if not checks._nan:
            missing = np.isnan(X.data)
            if missing.any():
                checks._refuse_nan(X, missing, feature_names)
    if X.nnz and checks._below_floor(low):
        checks._check_floor(X, X.data, feature_names)
    if not totals:
        return None
    if not clean:
        data = np.where(np.isnan(X.data), 0.0, X.data)
        sums = np.bincount(_stored_rows(X), weights=data, minlength=X.shape[0])
    return sums


def _sums_and_low(X, per_row):
    """``(sums, smallest)``: the float64 sum of each row's stored values (of
    each block of them when not ``per_row``) and the smallest value (NaN
    skipped; inf when there is none), in one blocked pass."""
    data = X.data
    if X.format != "csr":
        with np.errstate(over="ignore", invalid="ignore"):
            sums = (
                np.bincount(
                    _stored_rows(X),
                    weights=data.astype(np.float64),
                    minlength=X.shape[0],
                )
                if per_row
                else np.add.reduce(data, dtype=np.float64, keepdims=True)
            )
        low = float(np.fmin.reduce(data)) if data.size else np.inf
        return sums, low
    if per_row and _compiled.takes_csr_rows(X):
        return _kernel_sums_and_low(X)
    ranges = _row_ranges(X)
    sums = np.zeros(X.shape[0] if per_row else len(ranges))
    lows = np.full(len(ranges), np.inf)
    indptr = X.indptr

    def block(i, rows):
        def task():
            start, stop = indptr[rows.start], indptr[rows.stop]
            if start == stop:
                return
            part = data[start:stop]
            lows[i] = np.fmin.reduce(part)
            with np.errstate(over="ignore", invalid="ignore"):
                if not per_row:
                    sums[i] = np.add.reduce(part, dtype=np.float64)
                    return
                starts = indptr[rows.start : rows.stop]
                filled = np.diff(indptr[rows.start : rows.stop + 1]) > 0
                into = sums[rows]
                into[filled] = np.add.reduceat(
                    part, starts[filled] - start, dtype=np.float64
                )

        return task

    run_blocks([block(i, rows) for i, rows in enumerate(ranges)], data.size)
    return sums, float(np.fmin.reduce(lows)) if lows.size else np.inf


def _kernel_ranges(X):
    """Row blocks for the compiled kernels: two per core (a call costs
    microseconds, so the blocks are large), at least ``_MAP_BLOCK`` values."""
    per_block = max(_MAP_BLOCK, -(-X.nnz // (2 * workers())))
    return _row_ranges(X, per_block)


def _kernel_sums_and_low(X):
    """:func:`_sums_and_low` per row through the compiled run kernel: one
    pass over the values that reads no index, on every core."""
    data, indptr = X.data, X.indptr
    ranges = _kernel_ranges(X)
    sums = np.empty(X.shape[0])
    lows = np.full(len(ranges), np.inf)

    def block(i, rows):
        def task():
            if not _compiled.csr_row_sums(X, rows, sums[rows]):
                raise RuntimeError("the row-sum kernel refused a block it took")
            start, stop = indptr[rows.start], indptr[rows.stop]
            if start < stop:
                lows[i] = np.fmin.reduce(data[start:stop])

        return task

    run_blocks([block(i, rows) for i, rows in enumerate(ranges)], data.size)
    return sums, float(np.fmin.reduce(lows)) if lows.size else np.inf


def _cannot_overflow(X, factors):
    """Whether dividing every stored value by its row's factor stays within
    the dtype's range (two reductions): the compiled division raises no
    floating-point flag for NumPy's overflow watch to see."""
    smallest = float(np.min(factors)) if factors.size else 1.0
    if smallest >= 1.0 or not X.nnz:
        return True
    with np.errstate(invalid="ignore"):
        high = max(float(np.fmax.reduce(X.data)), -float(np.fmin.reduce(X.data)))
    with np.errstate(over="ignore"):
        return bool(high / smallest <= np.finfo(X.dtype).max)


def sparse_columns_where(X, mask):
    """The columns of the stored values where ``mask`` (over ``X.data``) holds."""
    return np.unique(_stored_columns(X)[mask])


def sparse_divide_rows(X, original, factors, copy):
    """Each row's stored values divided by its factor; a new matrix if
    ``copy`` and ``X`` is the caller's."""
    new = copy and X is original
    if X.format != "csr":
        out = X.copy() if new else X
        out.data /= factors[_stored_rows(out)]
        return out
    source, indptr = X.data, X.indptr
    # a new matrix gets the quotients straight into its own values
    data = np.empty_like(source) if new else source
    if (
        _compiled.takes_csr_rows(X)
        and data.flags.writeable  # else NumPy's path says it is read-only
        and _cannot_overflow(X, factors)
    ):
        if not new:  # in place: no block is written before every run is checked
            _compiled.check_csr_runs(X)

        def divide(rows):
            def task():
                if not _compiled.csr_divide_rows(X, data, rows, factors[rows]):
                    raise RuntimeError("the division kernel refused a block it took")

            return task

        run_blocks([divide(rows) for rows in _kernel_ranges(X)], source.size)
        return _with_values(X, data) if new else X

    def block(rows):
        def task():
            values = slice(indptr[rows.start], indptr[rows.stop])
            counts = np.diff(indptr[rows.start : rows.stop + 1])
            divisor = np.repeat(factors[rows], counts)
            np.divide(source[values], divisor, out=data[values], casting="unsafe")

        return task

    run_blocks([block(rows) for rows in _row_ranges(X)], source.size)
    if not new:
        return X
    return _with_values(X, data)


def _row_ranges(X, per_block=_MAP_BLOCK):
    """Slices of the rows of a CSR matrix, about ``per_block`` stored values
    each."""
    n_rows = X.shape[0]
    step = max(1, n_rows * per_block // max(1, X.nnz))
    return [slice(r, min(r + step, n_rows)) for r in range(0, n_rows, step)]


def sparse_cell_beyond(X, factors, largest):
    """:func:`~skscale._backends.dense.dense_cell_beyond` over the stored
    values, never densified."""
    rows = _stored_rows(X)
    with np.errstate(over="ignore"):
        beyond = np.abs(X.data) / factors[rows] > largest
    if not beyond.any():
        return None
    k = np.flatnonzero(beyond)[0]
    return rows[k], _stored_columns(X)[k]


def sparse_row_medians(X, per_value, keep):
    """Per-row median of ``per_value(values, columns)`` over the stored cells
    where ``keep(values, columns)`` holds (NaN where none does)."""
    n_rows = X.shape[0]
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


def sparse_median_log_ratios(X, log_means):
    """:func:`~skscale._backends.dense.dense_median_log_ratios` over the
    stored values: the log is taken of the kept (positive) values only."""
    kept = ~np.isnan(log_means)
    return sparse_row_medians(
        X,
        lambda values, columns: np.log(values) - log_means[columns],
        lambda values, columns: (values > 0) & kept[columns],
    )


def sparse_log_means(X, weights, positive_only=False):
    """:func:`~skscale._backends.dense.dense_log_means` from the stored
    values: an implicit zero is a zero."""
    X = X.tocsr()
    n_rows, n_features = X.shape
    columns, rows = X.indices, _stored_rows(X)
    data = X.data.astype(np.float64)
    present = ~np.isnan(data)
    positive = present & (data > 0)
    if positive_only:  # every value counts, implicit zeros included
        zero = np.bincount(columns[positive], minlength=n_features) == 0
        missing = ~present
        count = np.full(n_features, float(np.sum(weights)))
        if missing.any():
            count -= np.bincount(
                columns[missing], weights=weights[rows[missing]], minlength=n_features
            )
    else:
        stored = np.bincount(columns, minlength=n_features)
        zero = (stored < n_rows) | (
            np.bincount(columns[data == 0], minlength=n_features) > 0
        )
        count = np.bincount(
            columns[present], weights=weights[rows[present]], minlength=n_features
        )
    logs = np.bincount(
        columns[positive],
        weights=weights[rows[positive]] * np.log(data[positive]),
        minlength=n_features,
    )
    means = np.full(n_features, np.nan)
    kept = ~zero & (count > 0)
    means[kept] = logs[kept] / count[kept]
    return means


def sparse_columns_above_share(X, totals, fraction):
    """:func:`~skscale._backends.columns_above_share` over the stored values
    (an implicit zero is never above a share of a non-negative total)."""
    threshold = totals * fraction
    hits = np.zeros(X.shape[1], dtype=bool)
    if X.format != "csr":
        hits[_stored_columns(X)[X.data > _per_stored(X, threshold)]] = True
        return hits
    # only the rows whose largest value is above their share hold a hit
    filled = np.diff(X.indptr) > 0
    largest = np.full(X.shape[0], -np.inf)
    if filled.any():
        largest[filled] = np.fmax.reduceat(X.data, X.indptr[:-1][filled])
    rows = np.flatnonzero(largest > threshold)
    if rows.size:
        some = X if rows.size == X.shape[0] else X[rows]
        above = some.data > np.repeat(threshold[rows], np.diff(some.indptr))
        hits[some.indices[above]] = True
    return hits


def sparse_row_totals(X, columns):
    """:func:`~skscale._backends.row_totals` over the stored values."""
    with np.errstate(over="ignore", invalid="ignore"):
        clean = np.isfinite(np.add.reduce(X.data, dtype=np.float64))
    if clean:  # no NaN: one sparse product (a kept column weighs 1, others 0)
        return np.asarray(X @ columns.astype(np.float64), dtype=np.float64)
    data = np.asarray(X.data, dtype=np.float64)
    kept = columns[_stored_columns(X)] & ~np.isnan(data)
    return np.bincount(
        _stored_rows(X)[kept], weights=data[kept], minlength=X.shape[0]
    ).astype(np.float64)


def sparse_smallest_nonzero(X):
    """:func:`~skscale._backends.smallest_nonzero` over the stored values."""
    values = np.abs(np.asarray(X.data, dtype=np.float64))
    values = values[values > 0]
    return float(values.min()) if values.size else None


def sparse_map_values(X, original, function, copy):
    """``function`` applied to the stored values (it maps 0 to 0, and each
    value on its own: blocks of them are mapped on every core); a new
    matrix if ``copy`` and ``X`` is the caller's."""
    new = copy and X is original
    source = X.data
    # a new matrix gets the mapped values straight into its own
    data = np.empty_like(source) if new else source

    def block(start):
        def task():
            part = slice(start, start + _MAP_BLOCK)
            mapped = function(np.asarray(source[part], dtype=np.float64))
            np.copyto(data[part], mapped, casting="same_kind")

        return task

    run_blocks([block(s) for s in range(0, source.size, _MAP_BLOCK)], source.size)
    if not new:
        return X
    return _with_values(X, data)


def _with_values(X, data):
    """A new matrix of ``X``'s format and pattern (its own copy of the
    indices) holding ``data``."""
    if X.format in ("csr", "csc"):
        return type(X)((data, X.indices.copy(), X.indptr.copy()), shape=X.shape)
    out = X.copy()
    out.data = data
    return out


def sparse_count_profile(X):
    """:func:`~skscale._backends.count_profile` of the stored values and the
    implicit zeros."""
    whole, zeros, largest = count_profile_of(np.asarray(X.data, dtype=np.float64))
    implicit = X.shape[0] * X.shape[1] - X.nnz
    if implicit:
        largest = float(np.fmax(largest, 0.0))
    return whole, zeros + implicit, largest


def sparse_column_maxima(X):
    """:func:`~skscale._backends.column_maxima`: of the stored values, and 0
    where a column has an implicit zero."""
    by_column = X.tocsc() if X.format != "csc" else X
    stored = np.diff(by_column.indptr)
    high = np.full(X.shape[1], np.nan)
    filled = stored > 0
    if filled.any():
        high[filled] = np.fmax.reduceat(by_column.data, by_column.indptr[:-1][filled])
    return np.where(stored < X.shape[0], np.fmax(high, 0.0), high)


def sparse_mapped_blocks(X, function):
    """Yield one matrix of ``X``'s structure holding ``function(data,
    columns)`` of its stored values, in float64:
    :func:`~skscale._backends.mapped_moments`."""
    source, columns = X.data, _stored_columns(X)
    data = np.empty(source.size)

    def block(start):
        def task():
            part = slice(start, start + _MAP_BLOCK)
            values = np.asarray(source[part], dtype=np.float64)
            data[part] = function(values, columns[part])

        return task

    run_blocks([block(s) for s in range(0, source.size, _MAP_BLOCK)], source.size)
    yield type(X)((data, X.indices, X.indptr), shape=X.shape)


def sparse_column_blocks(X, block_elements):
    """Yield ``(columns, dense float64 block)`` over the columns of ``X``, a
    bounded number of values densified at a time."""
    X = X.tocsc()
    step = max(1, block_elements // max(1, X.shape[0]))
    for start in range(0, X.shape[1], step):
        cols = slice(start, min(start + step, X.shape[1]))
        yield cols, X[:, cols].toarray().astype(np.float64, copy=False)
