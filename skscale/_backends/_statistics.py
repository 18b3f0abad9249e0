"""The one definition of each per-feature statistic and of the constant rule.

Every backend (:mod:`~skscale._backends.dense`, :mod:`~skscale._backends.sparse`,
:mod:`~skscale._backends.dask`, :mod:`~skscale._backends.array_api`) returns
its statistics as :class:`Moments` and merges them with :meth:`Moments.merge`
(blocks of rows, chunks of a dask array and ``partial_fit`` calls alike), and
every scaler decides which features are constant with :func:`near_constant`:
so dense, sparse, dask and device input cannot disagree on either.
"""

from dataclasses import dataclass, replace

import numpy as np

__all__ = [
    "Moments",
    "moments_unit",
    "near_constant",
    "power_of_two_below",
    "squares_unsafe",
]


def power_of_two_below(x):
    """The largest power of two not above ``x`` (positive, finite; elementwise):
    finite even for ``x`` near 1.8e308 (rounding log2 up would give 2**1024)."""
    return np.ldexp(1.0, np.frexp(x)[1] - 1)


# The smallest unit moments are held in: float64's smallest normal number. A
# subnormal unit (data near 1e-311) has a reciprocal beyond float64, so that
# merging it with another unit gave inf and NaN; values that small are held
# in this unit instead, where their deviations are still well above zero.
_SMALLEST_UNIT = 2.0**-1022


def moments_unit(x):
    """The unit for deviations of size ``x``: :func:`power_of_two_below`, but
    never below float64's smallest normal number."""
    return np.maximum(power_of_two_below(x), _SMALLEST_UNIT)


# A spread (in a column's unit) outside this range has a square that float64
# may not hold: merging rescales such columns to a unit near their spread.
_SAFE_SPREAD_LOW = 2.0**-450
_SAFE_SPREAD_HIGH = 2.0**450


@dataclass(frozen=True)
class Moments:
    """Per-feature count, mean and sum of squared deviations (M2), in float64.

    The mean is held as ``shift + dmean``: ``shift`` is a reference value
    taken from the data (a value near the middle of the first ones seen, or
    the mean of the rows seen before) and ``dmean`` the mean of
    ``x - shift``. Sums are taken of the small
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
        if self.weight_unit == other.weight_unit:
            a, b = self, other
        else:
            if not self.count.any():
                weight_unit = other.weight_unit
            elif not other.count.any():
                weight_unit = self.weight_unit
            else:
                weight_unit = max(self.weight_unit, other.weight_unit)
            a = self.with_weight_unit(weight_unit)
            b = other.with_weight_unit(weight_unit)
        weight_unit = a.weight_unit
        fresh = a.count == 0
        shift = np.where(fresh, b.shift, a.shift)
        # a spread beyond float64 overflows to inf, which the estimators
        # refuse; a tiny one may underflow: both are decided here, whatever
        # numpy's error state
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            # a side with nothing seen keeps the other's unit
            unit = np.maximum(a.unit, b.unit)
            if (a.unit != b.unit).any():
                unit = np.where(fresh, b.unit, np.where(b.count == 0, a.unit, unit))
            count, dmean, m2, delta = _combine(a, b, shift, unit, fresh)
            # each side's spread is safe in its own unit; only the difference
            # of the means can be tiny or huge in the common one (checked on
            # the result: the common case pays a few reductions)
            if squares_unsafe(np.abs(delta)):
                unit = _merged_unit(a, b, shift, unit, fresh)
                count, dmean, m2, delta = _combine(a, b, shift, unit, fresh)
        return Moments(count, shift, dmean, m2, unit, a.values + b.values, weight_unit)

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


def squares_unsafe(size):
    """Whether some of the magnitudes ``size`` (of deviations, or of a
    difference of means) is non-zero and has a square that float64 cannot
    hold, beyond inf included. Two reductions decide the common case; only
    magnitudes that include zeros or leave the range are looked at again."""
    if size.max(initial=0.0) <= _SAFE_SPREAD_HIGH and (
        size.min(initial=np.inf) >= _SAFE_SPREAD_LOW
    ):
        return False
    nonzero = size[size > 0]
    return bool(
        nonzero.size
        and not (
            nonzero.max() <= _SAFE_SPREAD_HIGH and nonzero.min() >= _SAFE_SPREAD_LOW
        )
    )


def _combine(a, b, shift, unit, fresh):
    """``(count, dmean, m2, delta)`` of the merged moments in ``unit``."""
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
    return count, dmean, m2, delta


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
    unit[rescale] = moments_unit(spread[rescale] * unit[rescale])
    return unit


def near_constant(spread, magnitude, count):
    """Whether a feature's spread is indistinguishable from rounding noise.

    The one rule of every skscale scaler. A feature is constant where its
    spread is below the float64 accumulation error of its statistics,
    scikit-learn's bound for ``StandardScaler``::

        var <= n * eps * var + (n * eps * mean) ** 2

    with ``eps`` float64's machine epsilon whatever the input dtype (skscale,
    like scikit-learn, accumulates in float64) and ``n`` the number of values.
    Solved for the standard deviation it reads
    ``std <= n * eps * |mean| / sqrt(1 - n * eps)``, which is how it is
    computed here (no square that could overflow near 1e300). The z-score
    family passes the population standard deviation and the mean (so the same
    input gets the same ``scale_`` as ``StandardScaler``); the range scalers
    pass the range and the largest absolute bound. A relative test: ``1 +
    1e-14 * noise`` over 500 rows is constant, while ``1e-14 * noise`` (a
    genuinely small feature) and float32 values a few float32 units apart are
    not. NaN spreads (no value seen) and subnormal spreads (whose reciprocal
    would overflow) count as constant too.
    """
    eps = np.finfo(np.float64).eps
    n_eps = np.asarray(count, dtype=np.float64) * eps
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        tolerance = n_eps * np.abs(magnitude) / np.sqrt(np.maximum(1.0 - n_eps, 0.0))
        tolerance = np.maximum(np.nan_to_num(tolerance, nan=np.inf), _TINY)
        return ~(spread > tolerance)


_TINY = np.finfo(np.float64).tiny


_TINY = np.finfo(np.float64).tiny
