"""Per-feature statistics, blocked over rows: moments, minimum/maximum, percentiles.

Every kernel walks the rows in blocks of about ``_BLOCK_ELEMENTS`` values, so the
temporaries it makes are a few hundred KiB whatever the size of the input and
stay in cache: no full-size copy of the data is ever made. Statistics accumulate
in float64 whatever the input dtype.

Means and second moments are exact at large offsets: each block is shifted by a
per-feature reference (the running mean, or the block's first finite value)
before it is summed, so the sum carries only the spread of the data, not its
offset. Blocks are combined with the pairwise update of Chan, Golub and LeVeque
(1979), the same merge that ``partial_fit`` uses across calls, so any chunking
of the rows gives the same moments up to float64 rounding.

The sums of a dense block, and the column sums of a sparse matrix, are taken in
one pass by the compiled kernels (:mod:`skscale.utils._compiled`) where they
are built, else with NumPy and scipy in a few passes; the arithmetic is the
same.

Missing values (NaN) are skipped; +/-inf raises a ValueError that names the
column. The fast path costs nothing for that check: a block whose column sums
are finite has no NaN and no inf, and only a non-finite sum sends the block down
the slower path that looks at individual values.
"""

import warnings
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from skscale.utils import _compiled
from skscale.utils.validation import infinite_error, raise_for_infinite

__all__ = [
    "Moments",
    "check_finite",
    "dense_min_max",
    "dense_moments",
    "dense_percentiles",
    "row_blocks",
    "sparse_moments",
]

# 2**17 float64 values = 1 MiB per temporary block: a few of them fit in L2,
# and blocks are large enough that the per-block bookkeeping stays negligible.
_BLOCK_ELEMENTS = 1 << 17
# The moments' blocks: their float64 deviations (2 MiB) still sit in cache
# for the squares, and the per-block bookkeeping (a merge) is paid half as often.
_MOMENT_BLOCK_ELEMENTS = 1 << 18


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


def power_of_two_below(x):
    """The largest power of two not above ``x`` (positive, finite; elementwise):
    finite even for ``x`` near 1.8e308 (rounding log2 up would give 2**1024)."""
    return np.ldexp(1.0, np.frexp(x)[1] - 1)


# A spread (in a column's unit) outside this range has a square that float64
# may not hold: merging rescales such columns to a unit near their spread.
_SAFE_SPREAD_LOW = 2.0**-450
_SAFE_SPREAD_HIGH = 2.0**450


@dataclass(frozen=True)
class Moments:
    """Per-feature count, mean and sum of squared deviations (M2), in float64.

    The mean is held as ``shift + dmean``: ``shift`` is a reference value taken
    from the data (the first finite value seen, or the mean of the rows seen
    before) and ``dmean`` the mean of ``x - shift``. Sums are taken of the small
    deviations only, so the mean is rounded once, at the end, however many
    blocks or ``partial_fit`` calls went into it.

    ``count`` is the total weight of the non-missing values (their number
    without weights), in units of ``weight_unit``; ``values`` is their number
    (non-missing values in rows of positive weight), whatever the weights.
    Features with a zero count have ``dmean`` 0 and M2 0, so that merging is
    plain arithmetic; the estimators report NaN for them.

    ``dmean`` and ``m2`` are held in a per-feature ``unit``, a power of two
    (1 for ordinary data): the deviations of data near 1e300 or 1e-300 are
    divided by it, so that their squares neither overflow nor underflow, and
    the standard deviation stays exact even where the variance itself is
    beyond float64. Likewise weights are divided by ``weight_unit``, a power of
    two near the largest weight (1 without weights): ``count`` and ``m2``
    are weighted sums in that unit, so that weights of any magnitude (1e-300
    or 1e300) give the same variance, which depends only on their ratios.
    """

    count: np.ndarray
    shift: np.ndarray
    dmean: np.ndarray
    m2: np.ndarray
    unit: np.ndarray = None
    values: np.ndarray = None
    weight_unit: float = 1.0

    def __post_init__(self):
        if self.unit is None:
            object.__setattr__(self, "unit", np.ones_like(self.count))
        if self.values is None:  # unweighted: the count is the number of values
            object.__setattr__(self, "values", np.array(self.count, dtype=np.float64))

    @classmethod
    def empty(cls, n_features):
        zeros = np.zeros(n_features, dtype=np.float64)
        return cls(zeros, zeros.copy(), zeros.copy(), zeros.copy())

    @property
    def mean(self):
        """The mean, NaN for features with no value."""
        with np.errstate(over="ignore", under="ignore"):
            mean = self.shift + self.dmean * self.unit
        return np.where(self.count > 0, mean, np.nan)

    @property
    def total_weight(self):
        """The count in the weights' own units (inf beyond float64)."""
        with np.errstate(over="ignore", under="ignore"):
            return self.count * self.weight_unit

    def with_weight_unit(self, weight_unit):
        """The same moments with weights in ``weight_unit`` (a power of two):
        counts and M2 rescaled exactly (or to 0 where they become negligible)."""
        if weight_unit == self.weight_unit:
            return self
        ratio = self.weight_unit / weight_unit
        with np.errstate(under="ignore", over="ignore"):
            return replace(
                self,
                count=self.count * ratio,
                m2=self.m2 * ratio,
                weight_unit=weight_unit,
            )

    def merge(self, other):
        """Combine the moments of two disjoint sets of rows (Chan et al. 1979).

        With both means taken against one shift (and one unit),
        ``delta = mean_b - mean_a``, ``mean = mean_a + delta * n_b / n`` and
        ``M2 = M2_a + M2_b + delta**2 * n_a * n_b / n``. Where the spread of the
        merged rows (the two spreads and ``delta``) has a square that float64
        cannot hold in the common unit (two batches of one value each, 1e-176
        or 1e300 apart), the unit is set near that spread instead, so that any
        chunking gives one ``fit``'s answer.
        """
        # one weight unit: that of a side that has seen something, the larger
        # of the two if both have
        if not self.count.any():
            weight_unit = other.weight_unit
        elif not other.count.any():
            weight_unit = self.weight_unit
        else:
            weight_unit = max(self.weight_unit, other.weight_unit)
        a, b = self.with_weight_unit(weight_unit), other.with_weight_unit(weight_unit)
        fresh = a.count == 0
        shift = np.where(fresh, b.shift, a.shift)
        # a spread beyond float64 overflows to inf, which the estimators
        # refuse; a tiny one may underflow: both are decided here, whatever
        # numpy's error state
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            # a side with nothing seen keeps the other's unit
            unit = np.where(
                fresh,
                b.unit,
                np.where(b.count == 0, a.unit, np.maximum(a.unit, b.unit)),
            )
            unit = _merged_unit(a, b, shift, unit, fresh)
            # powers of two: rescaling to the common unit is exact
            own = np.where(fresh, 1.0, a.unit / unit)  # nothing to rescale if fresh
            theirs = b.unit / unit
            other_dmean = (b.shift - shift) / unit + b.dmean * theirs
            self_dmean = a.dmean * own
            count = a.count + b.count
            frac = np.divide(b.count, count, out=np.zeros_like(count), where=count > 0)
            delta = np.where(b.count > 0, other_dmean - self_dmean, 0.0)
            dmean = self_dmean + delta * frac
            m2 = a.m2 * own * own + b.m2 * theirs * theirs
            m2 = m2 + delta * delta * a.count * frac
        return Moments(count, shift, dmean, m2, unit, a.values + b.values, weight_unit)

    @property
    def sum_of_squares(self):
        """M2 in the data's (and the weights') units (inf if beyond float64)."""
        with np.errstate(over="ignore", under="ignore"):
            return self.m2 * self.unit * self.unit * self.weight_unit

    def _dof(self, ddof):
        """``count - ddof`` in weight units, 0 where no more than ``ddof``
        values were seen."""
        with np.errstate(over="ignore", under="ignore"):
            dof = self.count - ddof / self.weight_unit
        return np.where(self.values > ddof, dof, 0.0)

    def lacking_weight(self, ddof):
        """Features with more than ``ddof`` values whose total weight is not
        above ``ddof``: frequency weights that leave no degree of freedom."""
        return (self.values > ddof) & ~(self._dof(ddof) > 0)

    def _in_units(self, ddof):
        dof = self._dof(ddof)
        return np.divide(self.m2, dof, out=np.zeros_like(dof), where=dof > 0)

    def variance(self, ddof=0):
        """``M2 / (count - ddof)``; NaN where ``count == 0``, 0 where no more
        than ``ddof`` values were seen.

        Where no more than ``ddof`` values were seen the spread cannot be
        estimated; such features are reported as constant (variance 0). A
        variance beyond float64 (data spread near 1e300) is inf; ``std`` is
        still exact.
        """
        with np.errstate(over="ignore", under="ignore"):
            var = self._in_units(ddof) * self.unit * self.unit
        var[self.count == 0] = np.nan
        return var

    def std(self, ddof=0):
        """The standard deviation, exact even where the variance overflows."""
        with np.errstate(under="ignore"):
            std = np.sqrt(self._in_units(ddof)) * self.unit
        std[self.count == 0] = np.nan
        return std


def _merged_unit(a, b, shift, unit, fresh):
    """The unit of merged moments: ``unit``, except in the columns seen on both
    sides whose merged spread (in ``unit``) is outside the range whose square
    float64 holds, which get a power of two near that spread."""
    both = ~fresh & (b.count > 0)
    if not both.any():
        return unit
    mean_a = a.shift + a.dmean * a.unit
    mean_b = b.shift + b.dmean * b.unit
    spreads = [np.abs(mean_b - mean_a) / unit]
    for side in (a, b):
        safe = np.where(side.count > 0, side.count, 1.0)
        spreads.append(np.sqrt(side.m2 / safe) * (side.unit / unit))
    spread = np.fmax.reduce(spreads)
    rescale = (
        both
        & np.isfinite(spread)
        & (spread > 0)
        & ((spread < _SAFE_SPREAD_LOW) | (spread > _SAFE_SPREAD_HIGH))
    )
    if not rescale.any():
        return unit
    unit = unit.copy()
    unit[rescale] = power_of_two_below(spread[rescale] * unit[rescale])
    return unit


# Mean squared deviations outside this range are rescued with a unit.
_SQUARES_TOO_SMALL = 1e-280
_UNIT_TRIGGER = 1e-140


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
    unit[usable] = power_of_two_below(largest[usable])
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


def _first_finite(block, columns, weights=None):
    """For each listed column, the first finite value of ``block`` in a row of
    positive weight (0 if none)."""
    sub = block[:, columns]
    finite = np.isfinite(sub)
    if weights is not None:
        finite &= (weights > 0)[:, None]
    rows = finite.argmax(axis=0)
    values = sub[rows, np.arange(len(columns))].astype(np.float64)
    values[~finite.any(axis=0)] = 0.0
    return values


def _shift_for(block, running, weights):
    """Reference values to subtract before summing a block: the running mean,
    or, for features with nothing seen yet, the block's first counted value."""
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
    if not np.isfinite(total).all():
        if deviations is None:  # the kernel's pass: the slow path needs them
            deviations = _deviations(block, shift)
        return _block_moments_missing(block, deviations, weights, shift, feature_names)
    n = float(block.shape[0]) if weights is None else float(weights.sum())
    if n == 0:
        return Moments.empty(block.shape[1])
    counted = block.shape[0] if weights is None else np.count_nonzero(weights)
    centre = total / n
    # M2 = sum(d**2) - n * centre**2 is exact enough while n * centre**2 is at
    # most half of sum(d**2) (the subtraction then loses at most one bit);
    # the shift is the running mean, so this holds except where the data
    # drift far within one block. Those columns are summed again exactly.
    offset = n * centre * centre
    m2 = squares - offset
    unsafe = np.flatnonzero(offset > 0.5 * squares)
    if unsafe.size:
        exact = np.subtract(
            block[:, unsafe], shift[unsafe] + centre[unsafe], dtype=np.float64
        )
        # the corrected two-pass sum: the second term removes what the
        # rounding of the centre left in the deviations (Chan et al. 1983)
        residual = _weighted_sum(exact, weights)
        np.multiply(exact, exact, out=exact)
        m2[unsafe] = _weighted_sum(exact, weights) - residual * residual / n
    n_features = block.shape[1]
    values = np.full(n_features, float(counted))
    moments = Moments(np.full(n_features, n), shift, centre, m2, values=values)
    return _rescue_extremes(block, weights, shift, moments, squares)


def _block_moments_missing(block, deviations, weights, shift, feature_names):
    """The slow path for a block holding NaN (or inf, which raises)."""
    suspect = np.flatnonzero(~np.isfinite(deviations).all(axis=0))
    raise_for_infinite(block[:, suspect], suspect, feature_names)
    missing = np.isnan(block)
    deviations[missing] = 0.0
    count = _weighted_sum((~missing).astype(np.float64), weights)
    total = _weighted_sum(deviations, weights)
    centre = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    deviations -= centre
    deviations[missing] = 0.0
    np.multiply(deviations, deviations, out=deviations)
    m2 = _weighted_sum(deviations, weights)
    values = None  # without weights the count is the number of values
    if weights is not None:
        values = (~missing[weights > 0]).sum(axis=0).astype(np.float64)
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
        for rows in row_blocks(n_samples, n_features, _MOMENT_BLOCK_ELEMENTS):
            block = X[rows]
            weights = None if sample_weight is None else sample_weight[rows]
            shift = _shift_for(block, total, weights)
            total = total.merge(_block_moments(block, weights, shift, feature_names))
    return total


def _stored_columns(X):
    """Column index of every stored value of a CSR or CSC matrix."""
    if X.format == "csr":
        return X.indices
    return np.repeat(np.arange(X.shape[1]), np.diff(X.indptr))


def _stored_rows(X):
    if X.format == "csc":
        return X.indices
    return np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))


def _check_sparse_finite(X, feature_names, what):
    infinite = np.isinf(X.data)
    if infinite.any():
        columns = np.unique(_stored_columns(X)[infinite])
        raise infinite_error(columns, feature_names, what)


def _sparse_column_sums(X, *, squared):
    """Per-column sums of the stored values (or their squares) of a CSR or CSC
    matrix, in float64, by scipy's compiled sparse products a slice of about a
    million stored values at a time (no full-size temporary)."""
    if not squared and X.dtype == np.float64:
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
            sums += part.T @ np.ones(stop - start)
        else:
            part = sp.csc_matrix(
                (values, X.indices[lo:hi], part_indptr), shape=(n_samples, stop - start)
            )
            sums[start:stop] = part.T @ np.ones(n_samples)
        start = stop
    return sums


def _sparse_moments_unweighted(X):
    """The common case from sums and sums of squares per column (one pass in
    the compiled kernel, two through scipy's products).

    Returns None when a column sum is not finite (NaN or inf: the exact slow
    path decides), and recomputes exactly (with the exact path's shift and
    unit) the columns where ``sum(x**2) - n * mean**2`` would cancel and
    those whose squares may have underflowed.
    """
    n_samples, n_features = X.shape
    fused = _compiled.sparse_column_sums(X)
    if fused is not None:
        total, squares = fused
    else:
        total = _sparse_column_sums(X, squared=False)
        squares = _sparse_column_sums(X, squared=True)
    if not (np.isfinite(total).all() and np.isfinite(squares).all()):
        return None
    mean = total / n_samples
    offset = n_samples * mean * mean
    m2 = np.maximum(squares - offset, 0.0)
    unsafe = offset > 0.5 * squares
    # squares below the rescue's bound: values near 1e-160 or below, whose
    # squares underflow; a column with no sum at all is all zeros unless its
    # values are tiny and cancel, which only its stored values can tell
    unsafe |= (squares < _SQUARES_TOO_SMALL * n_samples) & (total != 0)
    blank = (squares == 0) & (total == 0)
    if blank.any():
        nonzero = X.data != 0
        stored = np.bincount(_stored_columns(X)[nonzero], minlength=n_features)
        unsafe |= blank & (stored > 0)
    unsafe = np.flatnonzero(unsafe)
    count = np.full(n_features, float(n_samples))
    shift, unit = np.zeros(n_features), np.ones(n_features)
    if unsafe.size:
        exact = _sparse_moments_exact(sp.csc_matrix(X[:, unsafe]), None)
        m2[unsafe] = exact.m2
        mean[unsafe] = exact.dmean
        shift[unsafe] = exact.shift
        unit[unsafe] = exact.unit
    return Moments(count, shift, mean, m2, unit)


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
    Without weights, NaN or inf, a faster path sums values and their squares
    (``exact=True`` skips it).
    """
    with np.errstate(all="ignore"):  # as in dense_moments
        return _sparse_moments(X, sample_weight, init, feature_names, exact)


def _sparse_moments(X, sample_weight, init, feature_names, exact):
    if sample_weight is None and not exact:
        moments = _sparse_moments_unweighted(X)
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
    """
    n_samples, n_features = X.shape
    all_columns = _stored_columns(X)
    all_rows = _stored_rows(X)
    data = X.data.astype(np.float64)
    if sample_weight is None:
        sample_weight = np.ones(n_samples)
        weighted = False
    else:
        weighted = True
    all_weights = sample_weight[all_rows]
    total_weight = float(sample_weight.sum())
    n_positive = int(np.count_nonzero(sample_weight))
    stored = np.bincount(all_columns, minlength=n_features)
    implicit = n_samples - stored
    implicit_positive = n_positive - np.bincount(
        all_columns[all_weights > 0], minlength=n_features
    )
    implicit_weight = total_weight - _column_sums(all_columns, all_weights, n_features)
    implicit_weight[implicit == 0] = 0.0
    if weighted:
        # few implicit zeros of small weight: the difference above cancels
        inexact = np.flatnonzero(
            (implicit > 0) & (implicit_weight < 0.5 * total_weight)
        )
        if inexact.size:
            implicit_weight[inexact] = _implicit_weights(X, sample_weight, inexact)
    present = ~np.isnan(data)
    columns, rows = all_columns[present], all_rows[present]
    data, weights = data[present], all_weights[present]
    values = implicit_positive + np.bincount(columns[weights > 0], minlength=n_features)
    count = _column_sums(columns, weights, n_features) + implicit_weight
    shift = np.zeros(n_features)
    full = np.flatnonzero(implicit == 0)
    if full.size:
        shift[full] = _first_stored(columns, rows, data, weights, full, n_features)
    deviations = data - shift[columns]
    unit = np.ones(n_features)
    largest = np.zeros(n_features)
    np.maximum.at(largest, columns, np.abs(deviations))
    rescale = (largest > 0) & (
        (largest < _SAFE_SPREAD_LOW) | (largest > _SAFE_SPREAD_HIGH)
    )
    if rescale.any():
        unit[rescale] = power_of_two_below(largest[rescale])
        deviations /= unit[columns]
    total = _column_sums(columns, weights * deviations, n_features)
    dmean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    deviations -= dmean[columns]
    m2 = _column_sums(columns, weights * deviations * deviations, n_features)
    m2 += implicit_weight * dmean * dmean  # the implicit zeros, at -dmean
    values = values.astype(np.float64)
    return Moments(count, shift, dmean, m2, unit, values)


def _first_stored(columns, rows, data, weights, wanted, n_features):
    """For each column in ``wanted``, its stored value of positive weight in
    the lowest row (0 if none)."""
    positive = weights > 0
    columns, rows, data = columns[positive], rows[positive], data[positive]
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
    """Raise a ValueError naming the columns of ``X`` (dense, or a CSR/CSC
    matrix) that hold +/-inf.

    NaN is allowed. One read of the data, a block at a time.
    """
    if sp.issparse(X):
        _check_sparse_finite(X, feature_names, what)
        return
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
