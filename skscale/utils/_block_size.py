"""The size of a block of columns, by which ``BlockScaler`` divides it.

``total_variance``: the square root of the block's total variance; ``mfa``:
its first singular value (of the centred block over sqrt(n)), as in multiple
factor analysis. Dense blocks here, sparse ones without densifying them; the
dask kernel lives with the other dask code (:mod:`skscale.utils._dask`), and
:func:`skscale.utils._dispatch.block_size` chooses.
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg

__all__ = ["dense_block_size", "sparse_block_size"]

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
