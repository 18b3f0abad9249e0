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
"""

import ctypes
import importlib.util
import os

import numpy as np

__all__ = [
    "affine_map",
    "affine_map_float32",
    "available",
    "shifted_sums",
    "sparse_column_sums",
    "sparse_scale",
]

# the kernels' interface version (sk_abi_version in _kernels.c)
_ABI_VERSION = 1

_i64 = ctypes.c_int64
_ptr = ctypes.c_void_p
_int = ctypes.c_int

_DTYPES = {np.dtype(np.float64): "f64", np.dtype(np.float32): "f32"}
_INDEX_DTYPES = {np.dtype(np.int32): "i32", np.dtype(np.int64): "i64"}

_SIGNATURES = {
    "sk_shifted_sums": (None, [_ptr, _i64, _i64, _i64, _i64, _ptr, _ptr, _ptr, _ptr]),
    "sk_affine_f64": (_int, [_ptr, _ptr] + [_i64] * 6 + [_ptr, _ptr, _int]),
    "sk_affine_f32": (_int, [_ptr, _ptr] + [_i64] * 6 + [_ptr, _ptr, _ptr]),
    "sk_csr_sums": (None, [_ptr, _ptr, _i64, _ptr, _ptr]),
    "sk_csc_sums": (None, [_ptr, _ptr, _i64, _ptr, _ptr]),
    "sk_sparse_scale": (_int, [_ptr, _ptr, _ptr, _i64, _ptr, _int]),
    "sk_csc_scale": (_int, [_ptr, _ptr, _ptr, _i64, _ptr, _int]),
}


def _variants(prefix):
    if prefix in ("sk_affine_f64", "sk_affine_f32"):
        return [prefix]
    if prefix == "sk_shifted_sums":
        return [f"{prefix}_{kind}" for kind in _DTYPES.values()]
    return [
        f"{prefix}_{kind}_{index}"
        for kind in _DTYPES.values()
        for index in _INDEX_DTYPES.values()
    ]


def _load():
    """The built library with its signatures declared, or None."""
    if os.environ.get("SKSCALE_NO_COMPILED", "") not in ("", "0"):
        return None
    try:
        spec = importlib.util.find_spec("skscale.utils._kernels")
    except (ImportError, ValueError):  # pragma: no cover - a broken install
        return None
    if spec is None or not spec.origin:
        return None
    try:
        lib = ctypes.CDLL(spec.origin)
        if lib.sk_abi_version() != _ABI_VERSION:
            return None
    except (OSError, AttributeError):  # not loadable, or an old build
        return None
    for prefix, (restype, argtypes) in _SIGNATURES.items():
        for name in _variants(prefix):
            function = getattr(lib, name)
            function.restype = restype
            function.argtypes = argtypes
    return lib


LIB = _load()


def available():
    """Whether the compiled kernels are in use."""
    return LIB is not None


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
    function = getattr(LIB, f"sk_shifted_sums_{_DTYPES[block.dtype]}")
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
    return _call_map(LIB.sk_affine_f64, X, out, operands, int(bool(inverse)))


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
    return _call_map(LIB.sk_affine_f32, X, out, operands)


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
    if X.format == "csr":
        nnz = int(X.indptr[-1])
        function = getattr(LIB, f"sk_csr_sums_{_sparse_suffix(X)}")
        function(
            _address(X.data),
            _address(X.indices),
            nnz,
            _address(sums),
            _address(squares),
        )
    else:
        function = getattr(LIB, f"sk_csc_sums_{_sparse_suffix(X)}")
        function(
            _address(X.data),
            _address(X.indptr),
            n_features,
            _address(sums),
            _address(squares),
        )
    return sums, squares


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
    if X.format == "csr":
        function = getattr(LIB, f"sk_sparse_scale_{_sparse_suffix(X)}")
        index, length = X.indices, nnz
    else:
        function = getattr(LIB, f"sk_csc_scale_{_sparse_suffix(X)}")
        index, length = X.indptr, X.shape[1]
    return bool(
        function(
            _address(X.data),
            _address(data_out),
            _address(index),
            length,
            _address(scale),
            int(bool(inverse)),
        )
    )
