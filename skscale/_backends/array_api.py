"""The kernels for array API input (PyTorch, CuPy, array-api-strict, ...) under
scikit-learn's ``array_api_dispatch``: the data stay in their namespace and on
their device.

The per-block sums run on the device, in the widest float dtype it has
(float64, or float32 where the device has no float64, as scikit-learn does
for MPS); only the per-feature results of each block (a few vectors) come to
the host, where they are merged into :class:`~skscale._backends._statistics.Moments`
exactly as the NumPy kernels merge theirs. As there, each block's deviations
are taken from a shift (the running mean, or for a fresh feature its first
counted value), summed with their squares, and summed again around the
block's centre only for the columns where that matters, so the moments are
exact at large offsets and across ``partial_fit`` calls; the rare columns
whose squared deviations overflow or underflow are handed to the NumPy
kernel's rescue on the host. The diagnostics do not run here: they copy
array API input to the host (:func:`to_host`).
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from skscale._backends._statistics import Moments
from skscale._backends.dask import is_dask_collection
from skscale._backends.dense import _rescue_extremes, float32_steps, row_blocks
from skscale.utils._sklearn_compat import (
    _convert_to_numpy,
    _is_numpy_namespace,
    _max_precision_float_dtype,
    array_namespace,
    get_config,
    get_namespace_and_device,
    is_array_api_obj,
    supported_float_dtypes,
)
from skscale.utils._validation import infinite_error

__all__ = [
    "ArrayNamespace",
    "array_namespace_of",
    "device_affine_map",
    "device_block_size",
    "device_check_finite",
    "device_min_max",
    "device_moments",
    "device_percentiles",
    "device_statistics",
    "like_input",
    "namespace_reference",
    "refuse_array_api",
    "take_columns",
    "to_host",
]


class ArrayNamespace(NamedTuple):
    """The array API namespace of a non-NumPy input, and what skscale needs
    of it: the device, the float dtypes validation keeps, the widest float
    dtype for statistics (float64 where the device has it), and a way back
    to NumPy."""

    xp: object
    device: object
    float_dtypes: tuple
    wide: object

    def to_numpy(self, array):
        """``array`` (of this namespace) as a NumPy array on the host."""
        return _convert_to_numpy(_detached(array), self.xp)

    def from_numpy(self, array, dtype=None):
        """A NumPy array moved to this namespace and device (widest float
        dtype unless ``dtype`` is given); None stays None."""
        if array is None:
            return None
        return self.xp.asarray(
            np.asarray(array),
            dtype=self.wide if dtype is None else dtype,
            device=self.device,
        )


def array_namespace_of(X):
    """The :class:`ArrayNamespace` of ``X`` when scikit-learn's
    ``array_api_dispatch`` is on and ``X`` is an array of another library
    (PyTorch, CuPy, array-api-strict, ...); None otherwise: NumPy arrays,
    lists, DataFrames, sparse matrices and dask collections take the NumPy
    paths, dispatch or not."""
    if not get_config().get("array_api_dispatch", False):
        return None
    if isinstance(X, np.ndarray) or sp.issparse(X) or is_dask_collection(X):
        return None
    if not is_array_api_obj(X):
        return None
    xp, _, device = get_namespace_and_device(X)
    if _is_numpy_namespace(xp):
        return None
    try:  # scikit-learn >= 1.7 asks for the device
        float_dtypes = tuple(supported_float_dtypes(xp, device))
    except TypeError:  # pragma: no cover
        float_dtypes = tuple(supported_float_dtypes(xp))
    return ArrayNamespace(
        xp, device, float_dtypes, _max_precision_float_dtype(xp, device)
    )


def like_input(X, value):
    """``value`` (``y`` or ``sample_weight``) in the namespace and on the
    device of ``X``: scikit-learn's rule for mixed inputs under array API
    dispatch is that they follow ``X``. Values already there, None, and
    anything for an in-memory NumPy ``X`` (array API arrays copied to the
    host) are returned as the caller can use them."""
    if value is None:
        return None
    space = array_namespace_of(X)
    if space is None:
        return to_host(value)
    own = array_namespace_of(value)
    if own is not None and own.xp is space.xp and own.device == space.device:
        return value
    return space.xp.asarray(np.asarray(to_host(value)), device=space.device)


def namespace_reference(X):
    """An empty float64 array in the namespace and on the device of ``X``:
    kept by an estimator with no fitted array of its own (a wrapper), so that
    :func:`check_same_namespace` can judge later input against fit's."""
    space = array_namespace_of(X)
    empty = np.empty(0)
    return empty if space is None else space.from_numpy(empty)


def to_host(value):
    """``value`` as a NumPy array if it is an array of another library (a
    fitted attribute after a fit on array API input); anything else as is."""
    if value is None or isinstance(value, np.ndarray) or not is_array_api_obj(value):
        return value
    # the array's own namespace, whether dispatch is on or not
    return _convert_to_numpy(_detached(value), array_namespace(value))


def _detached(array):
    """``array`` without its autograd history (a torch tensor that requires
    grad refuses ``.numpy()``); arrays of other libraries as they are."""
    detach = getattr(array, "detach", None)
    return detach() if callable(detach) else array


# The estimators that run on the input's device, for the refusal of the others.
_ON_DEVICE = (
    "ZScoreScaler, MinMaxScaler, ParetoScaler, VastScaler, LevelScaler, "
    "RangeScaler and BlockScaler"
)


def refuse_array_api(estimator, X):
    """Raise a TypeError if ``X`` is array API input under dispatch, which
    ``estimator`` does not take (yet)."""
    if array_namespace_of(X) is not None:
        raise TypeError(
            f"{type(estimator).__name__} does not take array API input "
            f"({type(X).__module__}.{type(X).__name__}, with array_api_dispatch "
            "on) yet; pass a NumPy array (for a torch tensor, X.cpu().numpy()). "
            f"{_ON_DEVICE} run on the input's device."
        )


# Values per block: large, as each operation is a kernel launch on a GPU.
_DEVICE_BLOCK_ELEMENTS = 1 << 24


def _blocks(X):
    return row_blocks(X.shape[0], X.shape[1], _DEVICE_BLOCK_ELEMENTS)


def _finite(space, value):
    """Whether a 0-d array of the namespace holds a finite number."""
    return bool(np.isfinite(space.to_numpy(value)))


def _refuse_infinite(space, block, feature_names, what):
    xp = space.xp
    infinite = space.to_numpy(xp.any(xp.isinf(block), axis=0))
    if infinite.any():
        raise infinite_error(np.flatnonzero(infinite), feature_names, what)


def device_check_finite(X, space, *, feature_names=None, what="X"):
    """Raise a ValueError naming the columns of ``X`` that hold +/-inf."""
    for rows in _blocks(X):
        _refuse_infinite(space, X[rows, ...], feature_names, what)


def device_moments(X, space, sample_weight=None, *, feature_names=None):
    """Per-feature count, mean and M2 of ``X`` (NaN skipped), as the NumPy
    kernel's :class:`~skscale._backends._statistics.Moments` (float64, on the host).

    ``sample_weight`` is a validated NumPy array (or None); it is moved to the
    device once. As the NumPy kernel: a block's deviations from the shift
    and their squares are summed, and the columns where that could lose
    precision (the data drifted far from the shift within the block) are
    summed again around their centre; NaN, and +/-inf (which raises), are
    looked for only when a column's sum is not finite. Quiet whatever
    NumPy's error state, as the NumPy kernel: overflow and underflow at the
    extremes are decided by the rescue, not reported as warnings.
    """
    with np.errstate(all="ignore"):
        return _device_moments(X, space, sample_weight, feature_names)


def _device_moments(X, space, sample_weight, feature_names):
    xp = space.xp
    n_features = X.shape[1]
    total = Moments.empty(n_features)
    weights = space.from_numpy(sample_weight)
    for rows in _blocks(X):
        block = X[rows, ...]  # in its own dtype: promoted by the subtraction
        w = None if weights is None else xp.expand_dims(weights[rows], axis=1)
        shift = total.shift + total.dmean * total.unit
        fresh = total.count == 0
        if fresh.any():
            counted = ~xp.isnan(block) if w is None else ~xp.isnan(block) & (w > 0)
            shift = np.where(fresh, _first_counted(space, block, counted), shift)
        # float32 minus a float64 shift is float64: the deviations in one pass
        deviations = block - space.from_numpy(shift)
        weighted = deviations if w is None else deviations * w
        sums = space.to_numpy(xp.sum(weighted, axis=0))
        if not np.isfinite(sums).all():
            block = xp.astype(block, space.wide, copy=False)
            moments = _block_moments_missing(space, block, w, shift, feature_names)
        else:
            n = float(block.shape[0]) if w is None else float(space.to_numpy(xp.sum(w)))
            if n == 0:
                continue
            squares = space.to_numpy(xp.sum(weighted * deviations, axis=0))
            centre = sums / n
            offset = n * centre * centre
            m2 = squares - offset
            unsafe = offset > 0.5 * squares
            if unsafe.any():  # the corrected two-pass sum, on those columns
                around = deviations - space.from_numpy(centre)
                weighted = around if w is None else around * w
                residual = space.to_numpy(xp.sum(weighted, axis=0))
                exact = space.to_numpy(xp.sum(weighted * around, axis=0))
                m2 = np.where(unsafe, exact - residual * residual / n, m2)
                centre = np.where(unsafe, centre + residual / n, centre)
            values = None  # without weights the count is the number of values
            if w is not None:
                positive = xp.astype(w > 0, space.wide, copy=False)
                values = np.full(n_features, float(space.to_numpy(xp.sum(positive))))
            moments = Moments(np.full(n_features, n), shift, centre, m2, values=values)
            moments = _rescue_on_host(
                space, block, weights, rows, moments, lambda d=deviations: d != 0.0
            )
        total = total.merge(moments)
    return total


def _block_moments_missing(space, block, w, shift, feature_names):
    """A block with NaN (or +/-inf, which raises naming the column): counts
    per column, and the deviations around each column's centre summed with
    the missing values left out."""
    xp = space.xp
    _refuse_infinite(space, block, feature_names, "X")
    present = ~xp.isnan(block)
    counted = xp.astype(present, space.wide, copy=False)
    if w is not None:
        counted = counted * w
    count = xp.sum(counted, axis=0)
    deviations = xp.where(present, block - space.from_numpy(shift), 0.0)
    centre = xp.sum(deviations * counted, axis=0) / xp.where(count > 0, count, 1.0)
    around = xp.where(present, deviations - centre, 0.0)
    residual = xp.sum(around * counted, axis=0)
    squares = xp.sum(around * counted * around, axis=0)
    count_h, centre_h = space.to_numpy(count), space.to_numpy(centre)
    residual_h, squares_h = space.to_numpy(residual), space.to_numpy(squares)
    with np.errstate(all="ignore"):
        safe = np.where(count_h > 0, count_h, 1.0)
        m2 = np.where(count_h > 0, squares_h - residual_h * residual_h / safe, 0.0)
        centre_h = np.where(count_h > 0, centre_h + residual_h / safe, 0.0)
    values = None  # without weights the count is the number of values
    if w is not None:
        counted = xp.astype(present & (w > 0), space.wide, copy=False)
        values = space.to_numpy(xp.sum(counted, axis=0))
    moments = Moments(count_h, shift, centre_h, m2, values=values)
    weights = None if w is None else w[:, 0]
    return _rescue_on_host(
        space, block, weights, slice(None), moments, lambda: deviations != 0.0
    )


def _first_counted(space, block, counts):
    """Per column, the first value of ``block`` in a row that counts
    (``counts``, a boolean mask: not NaN, positive weight), as float64 on the
    host; 0 where there is none."""
    xp = space.xp
    n_rows, n_cols = block.shape
    first = xp.argmax(xp.astype(counts, xp.int32), axis=0)
    flat = xp.reshape(block, (n_rows * n_cols,))
    positions = first * n_cols + xp.arange(n_cols, device=space.device)
    values = space.to_numpy(xp.take(flat, positions))
    return np.where(space.to_numpy(xp.any(counts, axis=0)), values, 0.0)


def _rescue_on_host(space, block, weights, rows, moments, nonzero):
    """The NumPy kernel's rescue of varying columns whose squared deviations
    overflowed or underflowed (``_rescue_extremes``); ``nonzero()`` gives
    the mask of the deviations that are not zero (asked for only when a
    column is suspect: constant columns have M2 0 and are left alone). The
    block is copied to the host only when a varying column is suspect, which
    ordinary data never are."""
    with np.errstate(all="ignore"):
        squares = moments.m2
        suspect = ~np.isfinite(squares) | (
            squares < 1e-280 * np.maximum(moments.count, 1)
        )
    if not suspect.any():
        return moments
    varies = space.to_numpy(space.xp.any(nonzero(), axis=0))
    if not (suspect & varies).any():
        return moments
    host_block = space.to_numpy(block).astype(np.float64)
    host_weights = None if weights is None else space.to_numpy(weights[rows])
    with np.errstate(all="ignore"):
        return _rescue_extremes(
            host_block, host_weights, moments.shift, moments, squares
        )


def device_affine_map(
    X, center, scale, space, *, inverse=False, clip=None, feature_names=None, what="X"
):
    """``(X - center) / scale`` (or ``X * scale + center``) on the device, in
    a new array of ``X``'s dtype, as the NumPy kernel computes it: the
    forward map of float32 data in float32 with the center split in two
    float32 parts (exact at large offsets, within two float32 units of the
    float64 result), anything else in the widest float dtype rounded once;
    in place in one copy of ``X`` (the operators' in-place forms), so two
    or three passes over the data. ``clip`` is ``(low, high)`` or None;
    ``center`` and ``scale`` are float64 NumPy arrays or None. NaN stays NaN;
    +/-inf raises naming the column."""
    xp = space.xp
    steps = None
    if not inverse and X.dtype == xp.float32:
        steps = float32_steps(center, scale)
    if steps is not None:
        operations = [
            (xp.subtract if ufunc is np.subtract else xp.multiply, operand, xp.float32)
            for ufunc, operand in steps
        ]
    elif inverse:
        operations = [(xp.multiply, scale, None), (xp.add, center, None)]
    else:
        operations = [(xp.subtract, center, None), (xp.divide, scale, None)]
    operations = [step for step in operations if step[1] is not None]
    out = None
    for operation, operand, dtype in operations:
        operand = space.from_numpy(operand, dtype=dtype)
        if out is None:  # the first step writes the new array (one pass)
            out = operation(
                X if dtype else xp.astype(X, space.wide, copy=False), operand
            )
        elif operation is xp.subtract:
            out -= operand
        elif operation is xp.add:
            out += operand
        elif operation is xp.multiply:
            out *= operand
        else:
            out /= operand
    if out is None:  # nothing to do: a copy
        out = xp.asarray(X, copy=True)
    # +/-inf in X is inf in the output: a finite sum (one pass, no
    # temporary) rules it out; only a NaN or inf there makes us look
    if not _finite(space, xp.sum(out)) and bool(xp.any(xp.isinf(out))):
        device_check_finite(X, space, feature_names=feature_names, what=what)
    if clip is not None:
        out = xp.clip(out, min=clip[0], max=clip[1])
    return out if out.dtype == X.dtype else xp.astype(out, X.dtype, copy=False)


def device_min_max(X, space, sample_weight=None, *, feature_names=None):
    """Per-feature minimum and maximum of ``X`` over the rows of positive
    weight, NaN skipped (NaN for a feature with no value), as float64 NumPy
    arrays; +/-inf anywhere raises naming the column."""
    xp = space.xp
    n_features = X.shape[1]
    low = np.full(n_features, np.nan)
    high = np.full(n_features, np.nan)
    weights = space.from_numpy(sample_weight)
    for rows in _blocks(X):
        block = X[rows, ...]  # exact in its own dtype
        if weights is not None:
            counts = xp.expand_dims(weights[rows] > 0, axis=1)
        if weights is not None or bool(xp.any(xp.isnan(block))):
            counts = ~xp.isnan(block) if weights is None else ~xp.isnan(block) & counts
            block_low = xp.min(xp.where(counts, block, xp.inf), axis=0)
            block_high = xp.max(xp.where(counts, block, -xp.inf), axis=0)
        else:  # the common case: no NaN, no weights
            block_low, block_high = xp.min(block, axis=0), xp.max(block, axis=0)
        block_low = space.to_numpy(xp.astype(block_low, space.wide, copy=False))
        block_high = space.to_numpy(xp.astype(block_high, space.wide, copy=False))
        if weights is not None or not (
            np.isfinite(block_low).all() and np.isfinite(block_high).all()
        ):  # +/-inf anywhere (rows of weight 0 too) is refused
            _refuse_infinite(space, block, feature_names, "X")
        # a feature with nothing counted in the block gives +/-inf: NaN
        low = np.fmin(low, np.where(np.isinf(block_low), np.nan, block_low))
        high = np.fmax(high, np.where(np.isinf(block_high), np.nan, block_high))
    return low, high


def _take_rows(space, values, index):
    """``values[index[i, j], j]`` for each position (take along axis 0)."""
    xp = space.xp
    n_rows, n_cols = values.shape
    flat = xp.reshape(values, (n_rows * n_cols,))
    columns = xp.arange(n_cols, device=space.device)
    positions = index * n_cols + columns
    return xp.reshape(xp.take(flat, xp.reshape(positions, (-1,))), index.shape)


def device_percentiles(X, q, space, sample_weight=None, *, feature_names=None):
    """Per-feature percentiles ``q`` (a pair) of ``X``, NaN skipped, exactly
    as the NumPy kernel (numpy's linear interpolation on the rows repeated by
    their weights), sorted on the device; float64 NumPy arrays."""
    xp = space.xp
    n_samples, n_features = X.shape
    device_min_max(X, space, feature_names=feature_names)  # the inf check
    weights = space.from_numpy(
        np.ones(n_samples) if sample_weight is None else sample_weight
    )
    results = [np.full(n_features, np.nan), np.full(n_features, np.nan)]
    # a few columns at a time, as the NumPy kernel: the sort's working copies
    # stay bounded
    for cols in row_blocks(n_features, n_samples, _DEVICE_BLOCK_ELEMENTS):
        values = xp.astype(X[:, cols], space.wide, copy=False)
        missing = xp.isnan(values)
        # +inf is refused above, so it marks a missing value: sorted last
        keyed = xp.where(missing, xp.inf, values)
        order = xp.argsort(keyed, axis=0)
        ordered = _take_rows(space, keyed, order)
        row_weights = xp.take(weights, xp.reshape(order, (-1,)))
        row_weights = xp.where(
            ordered == xp.inf, 0.0, xp.reshape(row_weights, order.shape)
        )
        cumulative = xp.cumulative_sum(row_weights, axis=0)
        total = cumulative[-1, ...]
        last = n_samples - 1
        for result, quantile in zip(results, q, strict=True):
            position = xp.clip(quantile / 100.0 * (total - 1.0), min=0.0)
            below = xp.floor(position)
            fraction = position - below
            # the value at position k: that of the first row whose cumulative
            # weight exceeds k
            i_low = xp.sum(xp.astype(cumulative <= below, xp.int64), axis=0)
            i_high = xp.sum(xp.astype(cumulative <= below + 1.0, xp.int64), axis=0)
            lower = _take_rows(space, ordered, xp.clip(i_low, max=last)[None, ...])
            upper = _take_rows(space, ordered, xp.clip(i_high, max=last)[None, ...])
            lower, upper = lower[0, ...], upper[0, ...]
            gap = xp.where(fraction > 0, upper - lower, 0.0)
            value = xp.where(fraction > 0, lower + fraction * gap, lower)
            value = xp.where(total > 0, value, xp.nan)
            result[cols] = space.to_numpy(value)
    return results[0], results[1]


def device_statistics(
    X,
    space,
    sample_weight=None,
    *,
    feature_names=None,
    with_moments=True,
    with_range=False,
    percentiles=None,
):
    """``(moments, low, high)`` of array API input, as
    :func:`~skscale._backends.feature_statistics` computes them for
    NumPy input: the moments, the range over the rows of positive weight, or
    the two percentiles."""
    moments = low = high = None
    if with_moments:
        moments = device_moments(X, space, sample_weight, feature_names=feature_names)
    if with_range:
        if percentiles is not None:
            low, high = device_percentiles(
                X, list(percentiles), space, sample_weight, feature_names=feature_names
            )
        else:
            low, high = device_min_max(
                X, space, sample_weight, feature_names=feature_names
            )
    return moments, low, high


def take_columns(X, columns, space=None):
    """The listed columns of ``X`` (a NumPy index array): NumPy's fancy
    index, or ``take`` in the input's namespace."""
    if space is None:
        return X[:, columns]
    index = space.xp.asarray(np.asarray(columns), device=space.device)
    return space.xp.take(X, index, axis=1)


def device_block_size(Z, space, weighting):
    """:func:`~skscale._backends.dense.dense_block_size` on the device: the
    total spread (``total_variance``) or the first singular value (``mfa``,
    from the eigenvalues of the smaller Gram matrix) of the centred block over
    sqrt(n), missing values adding nothing."""
    xp = space.xp
    values = xp.astype(Z, space.wide, copy=False)
    present = ~xp.isnan(values)
    count = xp.sum(xp.astype(present, space.wide, copy=False), axis=0)
    total = xp.sum(xp.where(present, values, 0.0), axis=0)
    mean = total / xp.where(count > 0, count, 1.0)
    centred = xp.where(present, values - mean, 0.0) / float(np.sqrt(Z.shape[0]))
    if weighting == "total_variance":
        return float(np.sqrt(space.to_numpy(xp.sum(centred * centred))))
    n, p = centred.shape
    gram = centred @ centred.T if n <= p else centred.T @ centred
    top = float(space.to_numpy(xp.max(xp.linalg.eigvalsh(gram))))
    return float(np.sqrt(max(top, 0.0)))
