"""Blocks of columns: resolve a user's block specification to column indices.

Shared by BlockScaler and the diagnostics, so that a block means the same
columns everywhere.
"""

import numpy as np

from skscale.utils._validation import column_label, warn_user

__all__ = ["resolve_blocks"]


def resolve_blocks(blocks, X, feature_names, n_features):
    """Turn every block's specification into an array of column indices.

    Parameters
    ----------
    blocks : mapping
        Block name -> a list of column names or integer indices, a boolean
        mask, a ``slice``, a single column name, or a callable (such as
        :func:`sklearn.compose.make_column_selector`) that takes ``X`` and
        returns any of these.
    X : array-like or DataFrame
        The data as the user gave it (callables are applied to it).
    feature_names : list of str or None
        Column names of ``X``, if it has them.
    n_features : int
        Number of columns of ``X``.

    Returns
    -------
    dict of name -> ndarray of int
        In the order of ``blocks``. Blocks never overlap (a ValueError names
        the column and both blocks); an empty block gives a warning.
    """
    owner = {}
    resolved = {}
    for block, spec in blocks.items():
        if callable(spec):
            try:
                spec = spec(X)
            except Exception as exc:
                raise ValueError(
                    f"The selector of block {block!r} failed on X: {exc}. A "
                    "selector such as make_column_selector needs a DataFrame."
                ) from exc
        columns = _columns(block, spec, feature_names, n_features)
        for j in columns:
            if j in owner:
                raise ValueError(
                    f"Blocks must not overlap: {column_label(j, feature_names)} is "
                    f"in block {owner[j]!r} and in block {block!r}."
                )
            owner[j] = block
        if columns.size == 0:
            warn_user(
                f"Block {block!r} selects no column; it is ignored.",
            )
        resolved[block] = columns
    return resolved


def _columns(block, spec, names, n_features):
    if isinstance(spec, slice):
        return np.arange(n_features)[spec]
    if isinstance(spec, str):
        spec = [spec]
    values = np.asarray(spec if hasattr(spec, "__array__") else list(spec))
    if values.size == 0:
        return np.array([], dtype=np.intp)
    if values.dtype == bool:
        if values.shape != (n_features,):
            raise ValueError(
                f"Block {block!r} is a boolean mask of length {values.size}; "
                f"expected one entry per column ({n_features})."
            )
        return np.flatnonzero(values)
    if np.issubdtype(values.dtype, np.integer):
        bad = values[(values < -n_features) | (values >= n_features)]
        if bad.size:
            raise ValueError(
                f"Block {block!r} lists column index {int(bad[0])}, but X has "
                f"{n_features} columns (valid indices 0 to {n_features - 1})."
            )
        columns = values % n_features
    else:
        if names is None:
            raise ValueError(
                f"Block {block!r} lists columns by name, but X has no column "
                "names; pass a DataFrame, or give the block as integer indices. "
                "In a Pipeline, the step before returned an array: call "
                "set_output(transform='pandas') on the pipeline to keep the names."
            )
        position = {name: j for j, name in enumerate(names)}
        missing = [str(v) for v in values if v not in position]
        if missing:
            shown = ", ".join(repr(m) for m in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise ValueError(f"Block {block!r} lists columns not in X: {shown}{more}.")
        columns = np.array([position[v] for v in values], dtype=np.intp)
    if np.unique(columns).size != columns.size:
        raise ValueError(f"Block {block!r} lists a column more than once.")
    return columns.astype(np.intp)
