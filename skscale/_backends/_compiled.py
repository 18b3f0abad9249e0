"""The compiled kernels of ``_kernels.c``, called through ctypes.

Each function here takes NumPy arrays, checks that the kernel can read them
as they are (a native floating dtype the kernel has, aligned, strides that
are whole elements), calls it and returns its result; it returns None when
the kernel cannot take the input, or when the extension was not built (no C
compiler at install time) or is switched off with the environment variable
``SKSCALE_NO_COMPILED=1``. The caller then runs its NumPy path, which gives
the same results: the maps bit for bit (the same arithmetic, in one pass),
the sums to rounding (they add in another order; both accumulate in float64).

ctypes keeps the C file free of the NumPy C API (no build dependency on
NumPy's headers); a call costs a few microseconds, and the callers make one
per block of about a million values.

The sparse kernels check every index against the matrix's shape and return
an error code for a malformed matrix (scipy does not check index ranges by
default), which becomes a ValueError here: no read or write out of bounds.

``SKSCALE_KERNELS_BASELINE=1`` calls the dense kernels' baseline build (no
AVX2) even where the processor would run the AVX2 clones, so that both are
tested on one machine. Where the extension exists but does not load (a
stale or broken build), or was not built at all, a
:class:`KernelsUnavailableWarning` says so once, with the fix;
:func:`skscale.show_config` prints which path is in use.
"""

import ctypes
import importlib.util
import os
import warnings

import numpy as np

__all__ = [
    "KernelsUnavailableWarning",
    "affine_map",
    "affine_map_float32",
    "available",
    "check_csr_runs",
    "csr_divide_rows",
    "csr_row_sums",
    "describe",
    "missing_sums",
    "shifted_sums",
    "sparse_column_sums",
    "sparse_scale",
    "sparse_weighted_sums",
    "takes_csr_rows",
]

# the kernels' interface version (sk_abi_version in _kernels.c)
_ABI_VERSION = 3

# what a sparse kernel returns for indices that do not fit the matrix
_MALFORMED = -1

_i64 = ctypes.c_int64
_ptr = ctypes.c_void_p
_int = ctypes.c_int

_DTYPES = {np.dtype(np.float64): "f64", np.dtype(np.float32): "f32"}
_INDEX_DTYPES = {np.dtype(np.int32): "i32", np.dtype(np.int64): "i64"}

_SIGNATURES = {
    "sk_shifted_sums": (None, [_ptr, _i64, _i64, _i64, _i64, _ptr, _ptr, _ptr, _ptr]),
    "sk_missing_sums": (None, [_ptr] + [_i64] * 4 + [_ptr] * 6),
    "sk_affine_f64": (_int, [_ptr, _ptr] + [_i64] * 6 + [_ptr, _ptr, _int]),
    "sk_affine_f32": (_int, [_ptr, _ptr] + [_i64] * 6 + [_ptr, _ptr, _ptr]),
    "sk_csr_sums": (_int, [_ptr, _ptr, _i64, _i64, _ptr, _ptr]),
    "sk_csc_sums": (_int, [_ptr, _ptr, _i64, _i64, _ptr, _ptr]),
    "sk_csr_weighted_sums": (_int, [_ptr, _ptr, _ptr] + [_i64] * 3 + [_ptr] * 3),
    "sk_csc_weighted_sums": (_int, [_ptr, _ptr, _ptr] + [_i64] * 3 + [_ptr] * 3),
    "sk_sparse_scale": (_int, [_ptr, _ptr, _ptr, _i64, _i64, _ptr, _int]),
    "sk_csc_scale": (_int, [_ptr, _ptr, _ptr, _i64, _i64, _ptr, _int]),
    "sk_check_columns": (_int, [_ptr, _i64, _i64]),
    "sk_uses_avx2": (_int, []),
}

# the dense kernels, built as AVX2 and baseline clones and also exported as
# NAME_baseline
_CLONED = (
    "sk_shifted_sums_f64",
    "sk_shifted_sums_f32",
    "sk_missing_sums_f64",
    "sk_missing_sums_f32",
    "sk_affine_f64",
    "sk_affine_f32",
)


def _variants(prefix):
    if prefix in ("sk_affine_f64", "sk_affine_f32", "sk_uses_avx2"):
        names = [prefix]
    elif prefix in ("sk_shifted_sums", "sk_missing_sums"):
        names = [f"{prefix}_{kind}" for kind in _DTYPES.values()]
    elif prefix == "sk_check_columns":
        names = [f"{prefix}_{index}" for index in _INDEX_DTYPES.values()]
    else:
        names = [
            f"{prefix}_{kind}_{index}"
            for kind in _DTYPES.values()
            for index in _INDEX_DTYPES.values()
        ]
    return names + [f"{name}_baseline" for name in names if name in _CLONED]


class KernelsUnavailableWarning(UserWarning):
    """skscale's compiled kernels are not in use: the NumPy path runs instead
    (the same results, slower)."""


_FIX = (
    "install a C compiler (gcc or clang) and reinstall skscale (pip install "
    "--force-reinstall --no-deps --no-binary skscale skscale, or `make install` "
    "in a source tree), or set SKSCALE_NO_COMPILED=1 to use the NumPy path "
    "without this warning"
)


def _load():
    """``(library with its signatures declared, or None; how it went)``."""
    if os.environ.get("SKSCALE_NO_COMPILED", "") not in ("", "0"):
        return None, "switched off (SKSCALE_NO_COMPILED=1)"
    try:
        spec = importlib.util.find_spec("skscale._backends._kernels")
    except (ImportError, ValueError) as exc:  # pragma: no cover - broken install
        return None, f"not found ({exc})"
    if spec is None or not spec.origin:
        return None, "not built (no C compiler at install time?)"
    try:
        lib = ctypes.CDLL(spec.origin)
        version = lib.sk_abi_version()
    except (OSError, AttributeError) as exc:  # not loadable
        return None, f"failed to load {spec.origin} ({exc})"
    if version != _ABI_VERSION:
        return None, (
            f"a stale build at {spec.origin} (interface {version}, expected "
            f"{_ABI_VERSION})"
        )
    for prefix, (restype, argtypes) in _SIGNATURES.items():
        for name in _variants(prefix):
            function = getattr(lib, name)
            function.restype = restype
            function.argtypes = argtypes
    return lib, f"compiled ({spec.origin})"


def _warn_if_unavailable(lib, status):
    """Say once (at import) that the kernels are not in use, unless the user
    switched them off."""
    if lib is None and not status.startswith("switched off"):
        warnings.warn(
            f"skscale's compiled kernels are {status}; the NumPy path runs "
            f"instead (the same results, slower). To fix: {_FIX}.",
            KernelsUnavailableWarning,
            stacklevel=3,
        )


LIB, STATUS = _load()
_warn_if_unavailable(LIB, STATUS)

# SKSCALE_KERNELS_BASELINE=1: the dense kernels' baseline build, not the AVX2
# clones the loader would pick (tests/backends/test_compiled.py runs both)
BASELINE = os.environ.get("SKSCALE_KERNELS_BASELINE", "") not in ("", "0")


def available():
    """Whether the compiled kernels are in use."""
    return LIB is not None


def describe():
    """Which path the scalers' kernels take, in words, for
    :func:`skscale.show_config`."""
    if LIB is None:
        return f"NumPy path: the compiled kernels are {STATUS}"
    if BASELINE:
        clone = "baseline build (SKSCALE_KERNELS_BASELINE=1)"
    elif LIB.sk_uses_avx2():
        clone = "AVX2 clones"
    else:
        clone = "baseline clones (no AVX2 here, or no ifunc on this platform)"
    return f"{STATUS}; dense kernels: {clone}"


def _dense(name):
    """The dense kernel ``name``, or its baseline build under
    SKSCALE_KERNELS_BASELINE."""
    return getattr(LIB, f"{name}_baseline" if BASELINE else name)


def _malformed(X):
    return ValueError(
        f"malformed {X.format.upper()} matrix of shape {X.shape}: an index is "
        "out of range (a column index beyond the shape, or indptr decreasing or "
        "beyond the stored values); expected a valid matrix "
        "(X.check_format(full_check=True) says what is wrong)."
    )


def _strides(array):
    """Strides in elements, or None if they are not whole elements."""
    size = array.itemsize
    if any(stride % size for stride in array.strides):
        return None
    return tuple(stride // size for stride in array.strides)


def _readable(array, dtypes=_DTYPES):
    return (
        array.dtype in dtypes
        and array.dtype.isnative
        and array.flags.aligned
        and _strides(array) is not None
    )


def _address(array):
    return None if array is None else array.ctypes.data


def _float64_vector(values, n):
    """A C-contiguous float64 vector of length ``n``, or None."""
    if values is None:
        return None
    values = np.ascontiguousarray(values, dtype=np.float64)
    return values if values.shape == (n,) else None


def shifted_sums(block, weights, shift):
    """Per column, ``sum(w * (x - shift))`` and ``sum(w * (x - shift)**2)`` in
    float64 over the rows of a 2-D block, in one pass (``weights`` None: unit
    weights). Returns ``(sums, squares)``, or None."""
    if LIB is None or block.ndim != 2 or not _readable(block):
        return None
    n, p = block.shape
    shift = _float64_vector(shift, p)
    if shift is None:
        return None
    if weights is not None:
        weights = _float64_vector(weights, n)
        if weights is None:
            return None
    rs, cs = _strides(block)
    sums = np.empty(p)
    squares = np.empty(p)
    function = _dense(f"sk_shifted_sums_{_DTYPES[block.dtype]}")
    function(
        _address(block),
        n,
        p,
        rs,
        cs,
        _address(weights),
        _address(shift),
        _address(sums),
        _address(squares),
    )
    return sums, squares


def missing_sums(block, weights, shift):
    """As :func:`shifted_sums` for a block holding NaN, which are skipped.
    Returns ``(count, values, sums, squares)``: per column the weight of the
    values present, the number of them in rows of positive weight, and the
    two sums; or None."""
    if LIB is None or block.ndim != 2 or not _readable(block):
        return None
    n, p = block.shape
    shift = _float64_vector(shift, p)
    if shift is None:
        return None
    if weights is not None:
        weights = _float64_vector(weights, n)
        if weights is None:
            return None
    rs, cs = _strides(block)
    results = [np.empty(p) for _ in range(4)]
    function = _dense(f"sk_missing_sums_{_DTYPES[block.dtype]}")
    function(
        _address(block),
        n,
        p,
        rs,
        cs,
        _address(weights),
        _address(shift),
        *(_address(result) for result in results),
    )
    return tuple(results)


def affine_map(X, out, center, scale, *, inverse):
    """``(X - center) / scale`` (or ``X * scale + center``) into ``out``, both
    float64; ``center`` and ``scale`` float64 or None. Returns whether ``X``
    holds +/-inf (``out`` is then written but the caller must raise), or None
    when the kernel cannot take the input."""
    if not _pair_ok(X, out, np.float64):
        return None
    p = X.shape[1]
    # identities that leave every value as it is, -0.0 included: x - (+0),
    # x / 1, x * 1 and x + (-0)
    center = np.full(p, -0.0 if inverse else 0.0) if center is None else center
    scale = np.ones(p) if scale is None else scale
    operands = (_float64_vector(center, p), _float64_vector(scale, p))
    if any(operand is None for operand in operands):  # not one per feature
        return None
    return _call_map(_dense("sk_affine_f64"), X, out, operands, int(bool(inverse)))


def affine_map_float32(X, out, high, low, reciprocal):
    """``((X - high) - low) * reciprocal`` in float32 into ``out`` (all
    float32 operands; None for an identity). Returns as :func:`affine_map`."""
    if not _pair_ok(X, out, np.float32):
        return None
    p = X.shape[1]
    operands = []
    for operand, identity in ((high, 0.0), (low, 0.0), (reciprocal, 1.0)):
        if operand is None:
            operand = np.full(p, identity, dtype=np.float32)
        operand = np.ascontiguousarray(operand, dtype=np.float32)
        if operand.shape != (p,):
            return None
        operands.append(operand)
    return _call_map(_dense("sk_affine_f32"), X, out, operands)


def _call_map(function, X, out, operands, *flags):
    """Call a map kernel on 2-D ``X`` and ``out`` with per-feature
    ``operands``; True if ``X`` holds +/-inf."""
    n, p = X.shape
    rs, cs = _strides(X)
    ors, ocs = _strides(out)
    addresses = [_address(operand) for operand in operands]
    return bool(
        function(_address(X), _address(out), n, p, rs, cs, ors, ocs, *addresses, *flags)
    )


def _pair_ok(X, out, dtype):
    return (
        LIB is not None
        and X.ndim == 2
        and out.shape == X.shape
        and X.dtype == dtype
        and out.dtype == dtype
        and _readable(X)
        and _readable(out)
        and out.flags.writeable
        and not (out is not X and np.may_share_memory(X, out))
    )


def _sparse_ok(X):
    return (
        LIB is not None
        and X.format in ("csr", "csc")
        and _readable(X.data)
        and X.data.flags.c_contiguous
        and X.indices.dtype in _INDEX_DTYPES
        and X.indptr.dtype == X.indices.dtype
        and X.indices.flags.c_contiguous
        and X.indptr.flags.c_contiguous
        and X.indices.dtype.isnative
    )


def _sparse_suffix(X):
    return f"{_DTYPES[X.data.dtype]}_{_INDEX_DTYPES[X.indices.dtype]}"


def sparse_column_sums(X):
    """Per-column sums of the stored values of a CSR or CSC matrix and of
    their squares, in float64, in one pass. Returns ``(sums, squares)``, or
    None."""
    if not _sparse_ok(X):
        return None
    n_features = X.shape[1]
    sums = np.zeros(n_features)
    squares = np.zeros(n_features)
    _runs(X)
    capacity = _stored_capacity(X)
    if X.format == "csr":
        nnz = int(X.indptr[-1])
        if not 0 <= nnz <= capacity:
            raise _malformed(X)
        function = getattr(LIB, f"sk_csr_sums_{_sparse_suffix(X)}")
        code = function(
            _address(X.data),
            _address(X.indices),
            nnz,
            n_features,
            _address(sums),
            _address(squares),
        )
    else:
        function = getattr(LIB, f"sk_csc_sums_{_sparse_suffix(X)}")
        code = function(
            _address(X.data),
            _address(X.indptr),
            n_features,
            capacity,
            _address(sums),
            _address(squares),
        )
    if code == _MALFORMED:
        raise _malformed(X)
    return sums, squares


def sparse_weighted_sums(X, weights):
    """Per-column sums of ``w[row] * v`` and ``w[row] * v**2`` over the stored
    values ``v`` of a CSR or CSC matrix, in float64, in one pass. Returns
    ``(sums, squares)``, or None."""
    if not _sparse_ok(X):
        return None
    n_samples, n_features = X.shape
    weights = _float64_vector(weights, n_samples)
    if weights is None:
        return None
    _runs(X)
    sums = np.zeros(n_features)
    squares = np.zeros(n_features)
    function = getattr(LIB, f"sk_{X.format}_weighted_sums_{_sparse_suffix(X)}")
    code = function(
        _address(X.data),
        _address(X.indices),
        _address(X.indptr),
        n_samples,
        n_features,
        _stored_capacity(X),
        _address(weights),
        _address(sums),
        _address(squares),
    )
    if code == _MALFORMED:
        raise _malformed(X)
    return sums, squares


def _row_runs(X, rows):
    """What the CSC run kernels need to walk the rows ``rows`` (a slice) of a
    CSR matrix as runs: the address of their indptr entries, the number of
    rows and the stored capacity; None when the kernels cannot take ``X``."""
    if not _sparse_ok(X) or X.format != "csr":
        return None
    n_rows = _runs(X)
    start, stop, _ = rows.indices(n_rows)
    capacity = _stored_capacity(X)
    offset = start * X.indptr.itemsize
    return X.indptr.ctypes.data + offset, max(0, stop - start), capacity


def takes_csr_rows(X):
    """Whether :func:`csr_row_sums` and :func:`csr_divide_rows` take ``X``."""
    return _row_runs(X, slice(0, 0)) is not None


def check_csr_runs(X):
    """Raise the malformed-matrix ValueError unless the indptr of a CSR
    matrix runs within its stored values and never decreases (what the run
    kernels check block by block, here for the whole matrix at once)."""
    indptr = X.indptr
    if _runs(X) and (
        indptr[0] < 0 or indptr[-1] > _stored_capacity(X) or (np.diff(indptr) < 0).any()
    ):
        raise _malformed(X)


def csr_row_sums(X, rows, sums):
    """Write the float64 sums of the stored values of the rows ``rows`` (a
    slice) of a CSR matrix into ``sums`` (float64, one per row of the slice):
    the CSC column kernel, walking rows as runs, in one pass that reads no
    index. Returns False when the kernel cannot take ``X`` (nothing written).
    NaN and inf propagate into the sums, as NumPy's do."""
    runs = _row_runs(X, rows)
    if runs is None or sums.dtype != np.float64 or not sums.flags.c_contiguous:
        return False
    indptr, n_rows, capacity = runs
    if sums.shape != (n_rows,):
        return False
    sums[:] = 0.0
    scratch = np.zeros(n_rows)  # the kernel's sums of squares, unused here
    function = getattr(LIB, f"sk_csc_sums_{_sparse_suffix(X)}")
    code = function(
        _address(X.data), indptr, n_rows, capacity, _address(sums), _address(scratch)
    )
    if code == _MALFORMED:
        raise _malformed(X)
    return True


def csr_divide_rows(X, data_out, rows, factors):
    """Write the stored values of the rows ``rows`` (a slice) of a CSR matrix
    divided by their row's float64 factor (``factors``, one per row of the
    slice) into ``data_out`` (an array like ``X.data``, which may be
    ``X.data`` itself), computed in double and rounded once, as NumPy's
    division of the values by float64 factors. Returns False when the kernel
    cannot take the input (nothing written)."""
    runs = _row_runs(X, rows)
    if (
        runs is None
        or data_out.dtype != X.data.dtype
        or data_out.shape != X.data.shape
        or not data_out.flags.c_contiguous
        or not data_out.flags.writeable
    ):
        return False
    indptr, n_rows, capacity = runs
    factors = _float64_vector(factors, n_rows)
    if factors is None:
        return False
    function = getattr(LIB, f"sk_csc_scale_{_sparse_suffix(X)}")
    code = function(
        _address(X.data),
        _address(data_out),
        indptr,
        n_rows,
        capacity,
        _address(factors),
        0,
    )
    if code == _MALFORMED:
        raise _malformed(X)
    return True


def _stored_capacity(X):
    """How many stored values the arrays of ``X`` hold (data and indices)."""
    return min(X.data.shape[0], X.indices.shape[0])


def _runs(X):
    """The number of runs of ``X.indptr`` (rows of a CSR matrix, columns of a
    CSC one); a malformed matrix whose indptr does not match its shape is
    refused here."""
    n_runs = X.shape[0] if X.format == "csr" else X.shape[1]
    if X.indptr.shape != (n_runs + 1,):
        raise _malformed(X)
    return n_runs


def sparse_scale(X, data_out, scale, *, inverse):
    """Write the stored values of ``X`` divided (``inverse``: multiplied) by
    their column's float64 ``scale`` into ``data_out`` (an array like
    ``X.data``, which may be ``X.data`` itself). Returns whether a stored value
    is +/-inf, or None when the kernel cannot take the input."""
    if (
        not _sparse_ok(X)
        or data_out.dtype != X.data.dtype
        or data_out.shape != X.data.shape
        or not data_out.flags.c_contiguous
        or not data_out.flags.writeable
    ):
        return None
    nnz = int(X.indptr[-1])
    if X.data.shape[0] != nnz:  # spare room after the stored values
        return None
    scale = _float64_vector(scale, X.shape[1])
    if scale is None:
        return None
    _runs(X)
    capacity = _stored_capacity(X)
    if X.format == "csr":
        if not 0 <= nnz <= capacity:
            raise _malformed(X)
        if np.may_share_memory(data_out, X.data):
            # in place: the kernel may stop at a bad index after writing, so
            # the indices are checked first
            check = getattr(LIB, f"sk_check_columns_{_INDEX_DTYPES[X.indices.dtype]}")
            if check(_address(X.indices), nnz, X.shape[1]) == _MALFORMED:
                raise _malformed(X)
        function = getattr(LIB, f"sk_sparse_scale_{_sparse_suffix(X)}")
        # the column indices, each below the number of columns
        index, length, bound = X.indices, nnz, X.shape[1]
    else:
        function = getattr(LIB, f"sk_csc_scale_{_sparse_suffix(X)}")
        # the runs of each column, within the stored values
        index, length, bound = X.indptr, X.shape[1], capacity
    code = function(
        _address(X.data),
        _address(data_out),
        _address(index),
        length,
        bound,
        _address(scale),
        int(bool(inverse)),
    )
    if code == _MALFORMED:
        raise _malformed(X)
    return bool(code)
