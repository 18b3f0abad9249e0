"""Per-feature affine maps, ``(x - center) / scale`` and back, blocked over rows.

The scalers' ``transform`` and ``inverse_transform``: dense arrays a block of
rows at a time (no full-size temporary), float64 arithmetic rounded once into
the output's dtype (float32 has a faster path as exact at any offset), +/-inf
refused with the column named; sparse matrices scaled in their stored values.
Where the compiled kernels are built (:mod:`skscale.utils._compiled`), each
map is one pass over the data with the same arithmetic.
"""

import numpy as np
import scipy.sparse as sp

from skscale.utils import _compiled
from skscale.utils._moments import (
    _check_block_finite,
    _check_sparse_finite,
    _stored_columns,
    check_finite,
    row_blocks,
    rows_per_block,
)

__all__ = ["affine_map", "float32_steps", "sparse_scale"]

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
