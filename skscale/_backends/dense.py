"""The dense backend: per-feature statistics and maps of in-memory arrays,
blocked over rows.

Every kernel walks the rows in blocks of about ``_BLOCK_ELEMENTS`` values, so the
temporaries it makes are a few hundred KiB whatever the size of the input and
stay in cache: no full-size copy of the data is ever made. Statistics accumulate
in float64 whatever the input dtype, as :class:`~skscale._backends._statistics.Moments`.

Means and second moments are exact at large offsets: each block is shifted by a
per-feature reference (the running mean, or a value near the block's middle)
before it is summed, so the sum carries only the spread of the data, not its
offset. Blocks are combined with the pairwise update of Chan, Golub and LeVeque
(1979), the same merge that ``partial_fit`` uses across calls, so any chunking
of the rows gives the same moments up to float64 rounding. Columns whose
squared deviations would overflow or underflow (data near 1e300 or 1e-300)
are summed again in a power-of-two unit.

The sums of a dense block are taken in one pass by the compiled kernels
(:mod:`skscale._backends._compiled`) where they are built, else with NumPy in
a few passes; the arithmetic is the same.

Missing values (NaN) are skipped; +/-inf raises a ValueError that names the
column. The fast path costs nothing for that check: a block whose column sums
are finite has no NaN and no inf, and only a non-finite sum sends the block down
the slower path that looks at individual values.

The maps ``(x - center) / scale`` and back (the scalers' ``transform`` and
``inverse_transform``) go a block of rows at a time too, in float64 arithmetic
rounded once into the output's dtype (float32 has a faster path as exact at
any offset); and the size of a block of columns for ``BlockScaler``.
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from skscale._backends import _compiled
from skscale._backends._parallel import run_blocks
from skscale._backends._statistics import Moments, moments_unit
from skscale.utils._validation import output_array, raise_for_infinite

__all__ = [
    "affine_map",
    "check_finite",
    "dense_block_size",
    "dense_min_max",
    "dense_moments",
    "dense_percentiles",
    "float32_steps",
    "row_blocks",
]


# 2**17 float64 values = 1 MiB per temporary block: a few of them fit in L2,
# and blocks are large enough that the per-block bookkeeping stays negligible.
_BLOCK_ELEMENTS = 1 << 17


# The moments' blocks: their float64 deviations (2 MiB) still sit in cache
# for the squares, and the per-block bookkeeping (a merge) is paid half as often.
_MOMENT_BLOCK_ELEMENTS = 1 << 18
# The compiled kernel's blocks: it makes no temporary, so they can be larger,
# and the per-block bookkeeping (a merge) is paid a quarter as often.
_FUSED_MOMENT_BLOCK_ELEMENTS = 1 << 20


def row_blocks(n_rows, n_cols, block_elements=None):
    """Yield slices of consecutive rows holding about ``block_elements`` values
    (default ``_BLOCK_ELEMENTS``), at least one row each."""
    if block_elements is None:
        block_elements = _BLOCK_ELEMENTS
    step = rows_per_block(n_cols, block_elements)
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def rows_per_block(n_cols, block_elements):
    """Rows in a block of about ``block_elements`` values: at least one."""
    return max(1, block_elements // max(1, n_cols))


# Mean squared deviations outside this range are rescued with a unit.
_SQUARES_TOO_SMALL = 1e-280


def _unit_moments(block, weights, shift):
    """Exact moments of a few columns whose squared deviations would overflow
    or underflow: deviations are divided by a power of two near their size."""
    if weights is not None:
        # only the rows that count: a huge value in a row of weight 0 would
        # set the unit and make the counted deviations underflow to 0
        counted = weights > 0
        block, weights = block[counted], weights[counted]
    deviations = np.subtract(block, shift, dtype=np.float64)
    missing = np.isnan(deviations)
    deviations[missing] = 0.0
    largest = np.abs(deviations).max(axis=0, initial=0.0)
    unit = np.ones_like(largest)
    usable = (largest > 0) & np.isfinite(largest)
    # the largest power of two not above the largest deviation: finite even
    # for deviations near 1.8e308 (rounding log2 up would give 2**1024 = inf)
    unit[usable] = moments_unit(largest[usable])
    deviations /= unit
    present = (~missing).astype(np.float64)
    count = _weighted_sum(present, weights)
    total = _weighted_sum(deviations, weights)
    centre = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    deviations -= centre
    deviations[missing] = 0.0
    np.multiply(deviations, deviations, out=deviations)
    m2 = _weighted_sum(deviations, weights)
    values = present.sum(axis=0).astype(np.float64)
    shift = np.asarray(shift, dtype=np.float64)
    return Moments(count, shift, centre, m2, unit, values)


def _rescue_extremes(block, weights, shift, moments, squares):
    """Redo, with units, the columns whose squared deviations overflowed or
    may have underflowed; constant columns (all deviations 0) are left alone."""
    n = moments.count
    suspect = ~np.isfinite(squares) | ~np.isfinite(moments.m2)
    suspect |= squares < _SQUARES_TOO_SMALL * np.maximum(n, 1)
    suspect = np.flatnonzero(suspect)
    if suspect.size:
        sub = block[:, suspect]
        varying = ((sub != shift[suspect]) & ~np.isnan(sub)).any(axis=0)
        suspect = suspect[varying]
    if not suspect.size:
        return moments
    fixed = _unit_moments(block[:, suspect], weights, shift[suspect])
    fields = {"weight_unit": moments.weight_unit}
    for name in ("count", "shift", "dmean", "m2", "unit", "values"):
        values = getattr(moments, name).copy()
        values[suspect] = getattr(fixed, name)
        fields[name] = values
    return Moments(**fields)


# Rows looked at for a fresh column's shift.
_SHIFT_ROWS = 16


def _first_finite(block, columns, weights=None):
    """For each listed column, a counted value (finite, in a row of positive
    weight) near the middle of its first ones: the median of the counted
    values among the first ``_SHIFT_ROWS`` rows (the lower middle one), else
    the first counted value further down, else 0.

    A data value, so a constant column's deviations are exactly 0; and near
    the middle of the data, so that the first block's deviations are rarely
    so far off centre that their sums must be taken again (the first value
    alone is more than one standard deviation from the mean a third of the
    time). Ordinary data cost a few rows, not a copy of the block.
    """
    columns = np.asarray(columns)
    head = min(_SHIFT_ROWS, block.shape[0])
    sub = np.array(block[:head][:, columns], dtype=np.float64)
    counted = np.isfinite(sub)
    if weights is not None:
        counted &= (weights[:head] > 0)[:, None]
    sub[~counted] = np.inf  # sorted last
    sub.sort(axis=0)
    n_counted = counted.sum(axis=0)
    values = np.zeros(len(columns))
    found = n_counted > 0
    middle = (n_counted[found] - 1) // 2
    values[found] = sub[middle, np.flatnonzero(found)]
    todo = np.flatnonzero(~found)
    if todo.size and block.shape[0] > head:
        rest = block[head:][:, columns[todo]]
        finite = np.isfinite(rest)
        if weights is not None:
            finite &= (weights[head:] > 0)[:, None]
        later = finite.any(axis=0)
        rows = finite.argmax(axis=0)
        values[todo[later]] = rest[rows[later], np.flatnonzero(later)]
    return values


def _shift_for(block, running, weights):
    """Reference values to subtract before summing a block: the running mean,
    or, for features with nothing seen yet, a counted value near the middle
    of the block's first rows (:func:`_first_finite`)."""
    shift = running.shift + running.dmean * running.unit
    fresh = np.flatnonzero(running.count == 0)
    if fresh.size:
        shift[fresh] = _first_finite(block, fresh, weights)
    return shift


def _weighted_sum(values, weights):
    """Column sums of a 2-D block, accumulated in float64: the compiled
    kernel's, in the same order as its fused pass (so a block with missing
    values gets the same mean as without them), else a BLAS matrix-vector
    product."""
    fused = _compiled.shifted_sums(values, weights, np.zeros(values.shape[1]))
    if fused is not None:
        return fused[0]
    if weights is None:
        weights = np.ones(values.shape[0])
    return weights @ values


# Values per row of the widened views below: long enough for the vectorised
# inner loop, short enough that the tiled operands and partial results stay small.
_WIDE_ROW = 1024


def _widened(n_rows, n_features):
    """``(k, usable)``: view ``k`` consecutive rows of a C-ordered block as one
    row of ``k * n_features`` values, so that an elementwise loop over a short
    row runs long; the first ``usable`` rows fill whole wide rows, the rest
    (fewer than ``k``) are left to the plain loop."""
    k = max(1, _WIDE_ROW // max(1, n_features))
    return k, (n_rows // k) * k


def _deviations(block, shift):
    """``block - shift`` in a new float64 array, in one pass.

    float64 rows are subtracted straight into the result, over a view of ``k``
    rows as one wide row (the tiled shift is short), so the loop is long; other
    dtypes are converted first, which is faster than a mixed-dtype subtraction.
    """
    n_rows, n_features = block.shape
    if block.dtype != np.float64 or not block.flags.c_contiguous:
        deviations = np.array(block, dtype=np.float64, order="C")
        deviations -= shift
        return deviations
    deviations = np.empty((n_rows, n_features))
    k, usable = _widened(n_rows, n_features)
    if usable:
        np.subtract(
            block[:usable].reshape(-1, k * n_features),
            np.tile(shift, k),
            out=deviations[:usable].reshape(-1, k * n_features),
        )
    if usable < n_rows:
        np.subtract(block[usable:], shift, out=deviations[usable:])
    return deviations


def _shifted_sums(block, weights, shift):
    """``(deviations, total, squares)``: the column sums of ``w * (x - shift)``
    and of ``w * (x - shift)**2``. The compiled kernel does it in one pass
    (``deviations`` is then None); NumPy makes the deviations in a temporary
    and sums them with two matrix-vector products. ``squares`` is None when
    the total is not finite (the slow path needs the deviations instead)."""
    fused = _compiled.shifted_sums(block, weights, shift)
    if fused is not None:
        return None, *fused
    deviations = _deviations(block, shift)
    total = _weighted_sum(deviations, weights)
    if not np.isfinite(total).all():
        return deviations, total, None
    np.multiply(deviations, deviations, out=deviations)
    return deviations, total, _weighted_sum(deviations, weights)


def _block_moments(block, weights, shift, feature_names):
    deviations, total, squares = _shifted_sums(block, weights, shift)
    count = values = None
    if not np.isfinite(total).all():
        # NaN (or inf): the compiled kernel skips NaN in one more pass
        missing = (
            None
            if deviations is not None
            else _compiled.missing_sums(block, weights, shift)
        )
        if missing is None or not np.isfinite(missing[2]).all():
            return _block_moments_slow(block, deviations, weights, shift, feature_names)
        count, values, total, squares = missing
    n_features = block.shape[1]
    if count is None:
        n = float(block.shape[0]) if weights is None else float(weights.sum())
        if n == 0:
            return Moments.empty(n_features)
        counted = block.shape[0] if weights is None else np.count_nonzero(weights)
        count = np.full(n_features, n)
        values = np.full(n_features, float(counted))
    centre = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    # M2 = sum(d**2) - n * centre**2 is exact enough while n * centre**2 is at
    # most half of sum(d**2) (the subtraction then loses at most one bit);
    # the shift is the running mean, so this holds except where the data
    # drift far within one block. Those columns are summed again exactly.
    offset = count * centre * centre
    m2 = squares - offset
    unsafe = np.flatnonzero(offset > 0.5 * squares)
    if unsafe.size:
        exact = np.subtract(
            block[:, unsafe], shift[unsafe] + centre[unsafe], dtype=np.float64
        )
        exact[np.isnan(exact)] = 0.0  # NaN: no deviation
        # the corrected two-pass sum: the second term removes what the
        # rounding of the centre left in the deviations (Chan et al. 1983)
        residual = _weighted_sum(exact, weights)
        np.multiply(exact, exact, out=exact)
        m2[unsafe] = _weighted_sum(exact, weights) - residual * residual / count[unsafe]
    moments = Moments(count, shift, centre, m2, values=values)
    return _rescue_extremes(block, weights, shift, moments, squares)


def _block_moments_slow(block, deviations, weights, shift, feature_names):
    """The moments of a block holding NaN or inf, from its deviations: NumPy's
    (``deviations`` given), or the kernel's block, a cache-sized part at a
    time (the slow path makes float64 deviations)."""
    if deviations is not None:
        return _block_moments_missing(block, deviations, weights, shift, feature_names)
    moments = Moments.empty(block.shape[1])
    n_rows, n_features = block.shape
    for rows in row_blocks(n_rows, n_features, _MOMENT_BLOCK_ELEMENTS):
        part = block[rows]
        w = None if weights is None else weights[rows]
        moments = moments.merge(
            _block_moments_missing(
                part, _deviations(part, shift), w, shift, feature_names
            )
        )
    return moments


def _block_moments_missing(block, deviations, weights, shift, feature_names):
    """The slow path for a block holding NaN (or inf, which raises)."""
    suspect = np.flatnonzero(~np.isfinite(deviations).all(axis=0))
    raise_for_infinite(block[:, suspect], suspect, feature_names)
    missing = np.isnan(block)
    deviations[missing] = 0.0
    present = (~missing).astype(np.float64)
    count = _weighted_sum(present, weights)
    values = None  # without weights the count is the number of values
    if weights is not None:  # the values in rows of positive weight
        # a BLAS product over the block (in cache): several times faster
        # than counting the mask; exact (whole numbers below 2**53)
        values = (weights > 0).astype(np.float64) @ present
    del present
    total = _weighted_sum(deviations, weights)
    centre = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    deviations -= centre
    deviations[missing] = 0.0
    np.multiply(deviations, deviations, out=deviations)
    m2 = _weighted_sum(deviations, weights)
    moments = Moments(count, shift, centre, m2, values=values)
    return _rescue_extremes(block, weights, shift, moments, m2)


def dense_moments(X, sample_weight=None, *, init=None, feature_names=None):
    """Per-feature count, mean and M2 of a dense 2-D array, NaN skipped.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        float32 or float64; never copied as a whole.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights (already validated), or None for unit weights.
    init : Moments, default=None
        Moments of rows seen before (``partial_fit``); merged with these rows.
    feature_names : sequence of str, default=None
        Used to name a column holding inf in the error.

    Returns
    -------
    Moments
    """
    n_samples, n_features = X.shape
    total = Moments.empty(n_features) if init is None else init
    # squares that overflow or underflow are rescued with units, data whose
    # differences overflow float64 give inf (refused by the estimators): every
    # floating-point event is decided here, whatever numpy's error state
    with np.errstate(all="ignore"):
        elements = _MOMENT_BLOCK_ELEMENTS
        if _compiled.available():
            elements = _FUSED_MOMENT_BLOCK_ELEMENTS
        for rows in row_blocks(n_samples, n_features, elements):
            block = X[rows]
            weights = None if sample_weight is None else sample_weight[rows]
            shift = _shift_for(block, total, weights)
            total = total.merge(_block_moments(block, weights, shift, feature_names))
    return total


def _column_reduce(ufunc, block):
    """``ufunc.reduce(block, axis=0)`` at the speed of a read.

    Reducing a C-ordered block over its rows runs an inner loop as long as a
    row, which is short for tables of a few dozen columns. Viewing ``k`` rows
    at a time as one row of ``k * n_features`` values (no copy) gives the
    vectorised loop room; the ``k`` partial results are then reduced.
    """
    n_rows, n_features = block.shape
    k, usable = _widened(n_rows, n_features)
    if k == 1 or usable == 0 or not block.flags.c_contiguous:
        return ufunc.reduce(block, axis=0)
    wide = block[:usable].reshape(usable // k, k * n_features)
    partial = ufunc.reduce(wide, axis=0).reshape(k, n_features)
    result = ufunc.reduce(partial, axis=0)
    if usable < n_rows:
        result = ufunc(result, ufunc.reduce(block[usable:], axis=0))
    return result


def dense_min_max(X, *, feature_names=None):
    """Per-feature minimum and maximum of a dense array, NaN skipped.

    Returns float64 arrays; a feature with no finite value gets NaN in both.
    """
    n_samples, n_features = X.shape
    low = np.full(n_features, np.nan)
    high = np.full(n_features, np.nan)
    for rows in row_blocks(n_samples, n_features):
        block = X[rows]
        # fmin/fmax skip NaN and are vectorised (several times faster than
        # min/max, which propagate NaN); a block held in cache is read twice
        # for the price of one read from memory.
        block_low = _column_reduce(np.fmin, block)
        block_high = _column_reduce(np.fmax, block)
        infinite = np.isinf(block_low) | np.isinf(block_high)
        if infinite.any():
            suspect = np.flatnonzero(infinite)
            raise_for_infinite(block[:, suspect], suspect, feature_names)
        # a feature stays NaN until it has a value
        low = np.fmin(low, block_low)
        high = np.fmax(high, block_high)
    return low.astype(np.float64), high.astype(np.float64)


def _check_block_finite(block, feature_names, what, values=None):
    """Raise, naming the column, if ``block`` holds +/-inf.

    One flat sum of ``values`` (``block`` itself, or the block's transformed
    values, which are non-finite wherever the input was) decides the common
    case at the cost of one read; only a non-finite sum (NaN, inf or an
    overflow) sends the columns of ``block`` to the exact test.
    """
    values = block if values is None else values
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(values.sum()):
            return
        suspect = np.flatnonzero(~np.isfinite(values.sum(axis=0)))
    raise_for_infinite(block[:, suspect], suspect, feature_names, what)


def check_finite(X, *, feature_names=None, what="X"):
    """Raise a ValueError naming the columns of dense ``X`` that hold +/-inf.

    NaN is allowed. One read of the data, a block at a time.
    """
    n_samples, n_features = X.shape
    for rows in row_blocks(n_samples, n_features):
        _check_block_finite(X[rows], feature_names, what)


# Values (rows x columns) per block when computing percentiles: the temporaries
# are float64 copies of that many values (32 MiB each).
_PERCENTILE_BLOCK_ELEMENTS = 1 << 22


def _weighted_percentiles(values, weights, q):
    """Percentiles ``q`` of each column of ``values`` with frequency weights.

    numpy's default ("linear") percentile of the sample in which each row is
    repeated ``weight`` times: integer weights give exactly what repeating the
    rows gives, weight 0 leaves a row out, NaN is skipped. The position
    ``q / 100 * (W - 1)`` (``W`` the column's total weight) is found in the
    cumulative weights of the sorted column and interpolated linearly.
    """
    order = np.argsort(values, axis=0)  # NaN last
    ordered = np.take_along_axis(values, order, axis=0)
    cumulative = np.cumsum(
        np.where(np.isnan(ordered), 0.0, weights[order]), axis=0, dtype=np.float64
    )
    total = cumulative[-1]
    last = values.shape[0] - 1
    results = []
    for quantile in q:
        position = np.maximum(quantile / 100.0 * (total - 1.0), 0.0)
        below = np.floor(position)
        fraction = position - below
        # the value at position k is that of the first row whose cumulative
        # weight exceeds k
        i_low = np.minimum((cumulative <= below).sum(axis=0), last)
        i_high = np.minimum((cumulative <= below + 1.0).sum(axis=0), last)
        low = np.take_along_axis(ordered, i_low[None], axis=0)[0]
        high = np.take_along_axis(ordered, i_high[None], axis=0)[0]
        with np.errstate(invalid="ignore"):
            results.append(np.where(fraction > 0, low + fraction * (high - low), low))
    return results


def dense_percentiles(X, q, sample_weight=None, *, feature_names=None):
    """Per-feature percentiles ``q`` (a pair) of a dense array, NaN skipped.

    Exact (numpy's linear interpolation; with ``sample_weight``, the same on
    the rows repeated by their weights). +/-inf raises naming the column; a
    feature with no value gets NaN. Columns are taken a few at a time so the
    float64 working copy stays bounded.

    Returns
    -------
    low, high : ndarray of shape (n_features,), float64
    """
    n_samples, n_features = X.shape
    # the inf check, one cheap read; rows of weight 0 too, as the moments do
    dense_min_max(X, feature_names=feature_names)
    low = np.full(n_features, np.nan)
    high = np.full(n_features, np.nan)
    # row_blocks over the transposed shape: a few columns at a time
    for cols in row_blocks(n_features, n_samples, _PERCENTILE_BLOCK_ELEMENTS):
        values = np.array(X[:, cols], dtype=np.float64)
        if sample_weight is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
                low[cols], high[cols] = np.nanpercentile(values, q, axis=0)
        else:
            low[cols], high[cols] = _weighted_percentiles(values, sample_weight, q)
    return low, high


# The affine map makes more temporaries per block (a float64 buffer for
# float32 data, the tiled operands): smaller blocks keep them in cache.
_MAP_BLOCK_ELEMENTS = 1 << 15


def _ops(center, scale, inverse, exact_division):
    """The in-place steps of the map, as (ufunc, per-feature operand) pairs.

    Without ``exact_division`` (a float32 result) the division becomes a
    multiplication by the float64 reciprocal: faster, and identical once the
    result is rounded to float32.
    """
    if inverse:
        steps = [(np.multiply, scale), (np.add, center)]
    elif exact_division or scale is None:
        steps = [(np.subtract, center), (np.divide, scale)]
    else:
        steps = [(np.subtract, center), (np.multiply, 1.0 / scale)]
    return [(ufunc, operand) for ufunc, operand in steps if operand is not None]


def affine_map(X, center, scale, *, out, inverse=False, feature_names=None, what="X"):
    """Write ``(X - center) / scale`` (or ``X * scale + center``) into ``out``.

    ``center`` and ``scale`` are float64 arrays of shape (n_features,) or None
    (skip that step). The arithmetic is done in float64 and rounded once into
    ``out``'s dtype, except the forward map of float32 data, which runs in
    float32 with the center split in two parts and lands within two float32
    units of that result (:func:`_float32_ops`). NaN stays NaN; +/-inf raises
    before ``out`` is written when ``out`` is ``X`` (in-place), and otherwise
    before the call returns
    (``out`` is then a new array the caller has not seen).

    The per-feature operands are tiled to the size of a block once, so that
    each step is one long contiguous loop rather than a short loop per row.
    """
    n_samples, n_features = X.shape
    in_place = out is X
    if in_place:
        check_finite(X, feature_names=feature_names, what=what)
    single = _float32_ops(X, out, center, scale, inverse)
    found_inf = _compiled_map(X, out, center, scale, inverse, single)
    if found_inf is not None:  # the compiled kernel mapped it in one pass
        if found_inf:
            check_finite(X, feature_names=feature_names, what=what)
        return out
    step = min(n_samples, rows_per_block(n_features, _MAP_BLOCK_ELEMENTS))
    if single is not None:
        _map_float32(X, out, single, step, in_place, feature_names, what)
        return out
    ops = [
        (ufunc, np.tile(operand, step))
        for ufunc, operand in _ops(center, scale, inverse, out.dtype == np.float64)
    ]
    # Work directly in ``out`` when it is float64 and rows are contiguous;
    # otherwise in one float64 buffer of a block's size, reused.
    direct = (
        out.dtype == np.float64
        and out.flags.c_contiguous
        and X.dtype == np.float64
        and X.flags.c_contiguous
    )
    buffer = None if direct else np.empty((step, n_features), dtype=np.float64)
    for rows in row_blocks(n_samples, n_features, _MAP_BLOCK_ELEMENTS):
        block = X[rows]
        size = block.size
        if direct:
            work = out[rows]
            source = block.ravel()
        else:
            work = buffer[: rows.stop - rows.start]
            np.copyto(work, block)
            source = work.ravel()
        flat = work.ravel()
        for ufunc, operand in ops:
            ufunc(source, operand[:size], out=flat)
            source = flat
        if source is not flat:
            np.copyto(flat, source)
        if not in_place:
            _check_block_finite(block, feature_names, what, values=work)
        if not direct:
            np.copyto(out[rows], work, casting="same_kind")
    return out


def _compiled_map(X, out, center, scale, inverse, single):
    """The map in the compiled kernel, one pass: the float64 map of float64
    data, or the float32 steps ``single`` of float32 data. Returns whether
    ``X`` holds +/-inf, or None where the kernel does not apply."""
    if single is not None:
        operands = dict.fromkeys(("high", "low", "reciprocal"))
        if center is not None:
            operands["high"], operands["low"] = single[0][1], single[1][1]
        if scale is not None:
            operands["reciprocal"] = single[-1][1]
        return _compiled.affine_map_float32(X, out, **operands)
    if X.dtype != np.float64 or out.dtype != np.float64:
        return None
    return _compiled.affine_map(X, out, center, scale, inverse=inverse)


def _float32_ops(X, out, center, scale, inverse):
    """The forward map of float32 data in float32 arithmetic, when it can be
    done as exactly as the float64 path needs: ``((x - hi) - lo) * r``.

    The float64 center is split into two float32 parts, ``hi + lo``: ``x -
    hi`` is exact wherever ``x`` is near the center (Sterbenz), so large
    offsets cancel without loss, and the result is within two float32 units
    of the float64 result rounded once. ``r`` is the float32 reciprocal of the
    scale. Half the memory traffic of converting to float64 and back, so
    faster than scikit-learn's own float32 map, which rounds the center to
    float32 and loses the offset. Returns the steps, or None where the float64
    path must run (another dtype, the inverse map, operands that do not fit
    in float32, or non-contiguous rows).
    """
    if (
        inverse
        or X.dtype != np.float32
        or out.dtype != np.float32
        or not X.flags.c_contiguous
        or not out.flags.c_contiguous
    ):
        return None
    return float32_steps(center, scale)


def float32_steps(center, scale):
    """The steps of :func:`_float32_ops` (``(ufunc, float32 operand)``
    pairs), or None where the operands do not fit in float32; shared with
    the array API map."""
    steps = []
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if center is not None:
            high = center.astype(np.float32)
            low = (center - high).astype(np.float32)  # in float64, exact
            steps += [(np.subtract, high), (np.subtract, low)]
        if scale is not None:
            reciprocal = (1.0 / scale).astype(np.float32)
            tiny = np.finfo(np.float32).tiny
            if not (np.isfinite(reciprocal) & (np.abs(reciprocal) >= tiny)).all():
                return None
            steps.append((np.multiply, reciprocal))
    if not all(np.isfinite(operand).all() for _, operand in steps):
        return None
    return steps


def _map_float32(X, out, steps, step, in_place, feature_names, what):
    """Apply :func:`_float32_ops`' steps block by block, in ``out``."""
    n_samples, n_features = X.shape
    tiled = [(ufunc, np.tile(operand, step)) for ufunc, operand in steps]
    for rows in row_blocks(n_samples, n_features, _MAP_BLOCK_ELEMENTS):
        block = X[rows]
        size = block.size
        source = block.ravel()
        written = out[rows]
        target = written.ravel()
        if not tiled:
            np.copyto(target, source)
        for ufunc, operand in tiled:
            ufunc(source, operand[:size], out=target)
            source = target
        if not in_place:
            _check_block_finite(block, feature_names, what)


# Beyond this many rows or columns (whichever is smaller) the first singular
# value comes from an iterative solver rather than a dense eigendecomposition.
_DENSE_EIGEN_LIMIT = 2000


def _largest_singular_value(A):
    """The largest singular value of a dense 2-D array."""
    n, p = A.shape
    if min(n, p) <= _DENSE_EIGEN_LIMIT:
        gram = A @ A.T if n <= p else A.T @ A
        top = scipy.linalg.eigvalsh(gram, subset_by_index=[len(gram) - 1] * 2)[0]
        return float(np.sqrt(max(top, 0.0)))
    return float(
        scipy.sparse.linalg.svds(A, k=1, return_singular_vectors=False, random_state=0)[
            0
        ]
    )


def dense_block_size(Z, weighting):
    """Total spread (``total_variance``) or first singular value (``mfa``) of
    the centred block divided by sqrt(n); missing values add nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        centred = Z - np.nanmean(Z, axis=0)
    centred[np.isnan(centred)] = 0.0
    centred /= np.sqrt(Z.shape[0])
    if weighting == "total_variance":
        return float(np.sqrt(np.sum(centred * centred)))
    return _largest_singular_value(centred)


# ---------------------------------------------------------------------------
# Per-sample (row) operations of the normalisers: a block of rows at a time.


def dense_scan_rows(X, checks, feature_names, what):
    """One blocked read of ``X``: the row totals (NaN skipped), with +/-inf,
    NaN (where ``checks`` refuses it) and values below ``checks``' floor
    refused on the way, each block checked while it is in cache.

    ``checks`` is the normaliser: ``_nan`` (NaN taken), ``_refuse_nan(where,
    mask, names)``, ``_below_floor(low)`` and ``_check_floor(where, values,
    names)``, where ``where`` is what :func:`dense_columns_where` reads.
    """
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
            raise_for_infinite(sub, everything, feature_names, what)
            if not checks._nan and np.isnan(sub).any():
                checks._refuse_nan(sub, np.isnan(sub), feature_names)
            with np.errstate(over="ignore"):
                sums[bad] = np.nansum(sub, axis=1, dtype=np.float64)
        if checks._below_floor(np.fmin.reduce(block, axis=None)):
            checks._check_floor(block, block, feature_names)
        totals[rows] = sums
    return totals


def dense_columns_where(X, mask):
    """The columns of ``X`` where ``mask`` (its shape) holds somewhere."""
    return np.flatnonzero(np.asarray(mask).any(axis=0))


def dense_divide_rows(X, original, factors, copy):
    """Each row of ``X`` divided by its factor, in ``X``'s dtype, into
    :func:`~skscale.utils._validation.output_array`'s array."""
    out = output_array(X, original, copy=copy, keep_values=False)
    np.divide(X, factors[:, None], out=out, casting="same_kind")
    return out


def dense_cell_beyond(X, factors, largest):
    """``(row, column)`` of the first cell whose value divided by its row's
    factor exceeds ``largest`` in magnitude, or None; a block of rows at a
    time (a bounded temporary)."""
    with np.errstate(over="ignore"):
        for rows in row_blocks(*X.shape):
            part = np.abs(np.asarray(X[rows], dtype=np.float64))
            beyond = part / factors[rows, None] > largest
            if beyond.any():
                row, column = np.argwhere(beyond)[0]
                return rows.start + row, column
    return None


def dense_row_medians(X, per_value, keep):
    """Per-row median of ``per_value(values, columns)`` over the cells where
    ``keep(values, columns)`` holds (NaN where no cell does)."""
    medians = np.empty(X.shape[0])
    columns = np.arange(X.shape[1])
    for rows in row_blocks(*X.shape):
        values = np.array(X[rows], dtype=np.float64)
        quotients = np.full_like(values, np.nan)
        kept = keep(values, columns)
        # only the kept cells: no division by a zero reference, no warning
        quotients[kept] = per_value(
            values[kept], np.broadcast_to(columns, values.shape)[kept]
        )
        medians[rows] = nan_row_medians(quotients)
    return medians


def nan_row_medians(values):
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


def dense_median_log_ratios(X, log_means):
    """Per row, the median over the features with a finite ``log_means`` of
    ``log(x) - log_means``, leaving out zeros and NaN (NaN where nothing is
    left): DESeq2's log size factors."""
    columns = np.flatnonzero(~np.isnan(log_means))
    medians = np.empty(X.shape[0])
    for rows in row_blocks(X.shape[0], columns.size):
        values = np.asarray(X[rows][:, columns], dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.log(values)
        ratios -= log_means[columns]
        # a zero count (-inf) or NaN is left out of its row's median
        usable = np.isfinite(ratios)
        whole = usable.all(axis=1)
        block = np.empty(values.shape[0])
        block[whole] = np.median(ratios[whole], axis=1)
        if not whole.all():
            partial = np.where(usable[~whole], ratios[~whole], np.nan)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # no value
                block[~whole] = np.nanmedian(partial, axis=1)
        medians[rows] = block
    return medians


def dense_log_means(X, weights, positive_only=False):
    """Per-feature weighted mean of ``log(x)``, NaN skipped; NaN for features
    with a zero (or no value). ``positive_only``: zeros count as ``log(1)``,
    and only a feature with no positive value is NaN (DESeq2's poscounts)."""
    n_rows, n_features = X.shape
    means = np.empty(n_features)
    for cols in row_blocks(n_features, n_rows, 1 << 22):
        values = np.array(X[:, cols], dtype=np.float64)
        present = ~np.isnan(values)
        positive = present & (values > 0)
        if positive_only:
            zero = ~positive.any(axis=0)
        else:
            zero = (values == 0).any(axis=0) | ~present.any(axis=0)
        logs = np.log(np.where(positive, values, 1.0))
        count = present.T.astype(np.float64) @ weights
        block = np.full(values.shape[1], np.nan)
        kept = ~zero
        block[kept] = (logs[:, kept].T @ weights) / count[kept]
        means[cols] = block
    return means


def dense_columns_above_share(X, totals, fraction):
    """:func:`~skscale._backends.columns_above_share`, a block of rows at a
    time."""
    above = np.zeros(X.shape[1], dtype=bool)
    for rows in row_blocks(*X.shape):
        block = np.asarray(X[rows], dtype=np.float64)
        above |= (block > totals[rows, None] * fraction).any(axis=0)
    return above


def dense_row_totals(X, columns):
    """:func:`~skscale._backends.row_totals`, a block of rows at a time."""
    kept = np.flatnonzero(columns)
    totals = np.empty(X.shape[0])
    for rows in row_blocks(X.shape[0], max(kept.size, 1)):
        block = np.asarray(X[rows][:, kept], dtype=np.float64)
        totals[rows] = np.nansum(block, axis=1)
    return totals


def dense_smallest_nonzero(X):
    """:func:`~skscale._backends.smallest_nonzero`, a block of rows at a time."""
    smallest = np.inf
    for rows in row_blocks(*X.shape):
        block = np.abs(np.asarray(X[rows], dtype=np.float64))
        block = block[block > 0]  # NaN compares False
        if block.size:
            smallest = min(smallest, float(block.min()))
    return None if smallest == np.inf else smallest


def dense_map_values(X, original, function, copy):
    """``function`` applied to ``X`` a block of rows at a time (float64
    working copies of a bounded size, blocks on every core: ``function``
    maps each value on its own), into
    :func:`~skscale.utils._validation.output_array`'s array."""
    out = output_array(X, original, copy=copy, keep_values=False)

    def block(rows):
        def task():
            mapped = function(np.asarray(X[rows], dtype=np.float64))
            np.copyto(out[rows], mapped, casting="same_kind")

        return task

    run_blocks([block(rows) for rows in row_blocks(*X.shape)], X.size)
    return out


def count_profile_of(values):
    """``(whole, zeros, largest)`` of a float64 array, NaN skipped."""
    values = values[~np.isnan(values)]
    if not values.size:
        return True, 0, np.nan
    whole = bool((values >= 0).all() and (values == np.floor(values)).all())
    return whole, int(np.count_nonzero(values == 0)), float(values.max())


def dense_count_profile(X):
    """:func:`~skscale._backends.count_profile`, a block of rows at a time."""
    whole, zeros, largest = True, 0, np.nan
    for rows in row_blocks(*X.shape):
        w, z, high = count_profile_of(np.asarray(X[rows], dtype=np.float64))
        whole, zeros, largest = whole and w, zeros + z, np.fmax(largest, high)
        if not whole:
            break
    return whole, zeros, float(largest)


def dense_mapped_blocks(X, function):
    """Yield ``function(block, columns)`` over blocks of rows of ``X`` (float64
    working copies of a bounded size): :func:`~skscale._backends.mapped_moments`."""
    columns = np.arange(X.shape[1])
    for rows in row_blocks(*X.shape):
        yield function(np.asarray(X[rows], dtype=np.float64), columns)


def dense_column_blocks(X, block_elements):
    """Yield ``(columns, float64 block)`` over the columns of ``X``, about
    ``block_elements`` values at a time (a bounded working copy)."""
    for cols in row_blocks(X.shape[1], X.shape[0], block_elements):
        yield cols, np.asarray(X[:, cols], dtype=np.float64)
