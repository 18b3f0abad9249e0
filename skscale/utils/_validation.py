"""Input validation shared by skscale's estimators.

Error messages say what was wrong and what was expected: the offending column
by name (when the input had names) and by index, the expected shape.
"""

import numbers
import os
import sys
import warnings

import numpy as np
import pandas as pd

__all__ = [
    "check_sample_weight",
    "column_label",
    "describe_columns",
    "infinite_error",
    "output_array",
    "raise_for_infinite",
    "reject_non_numeric_columns",
    "warn_user",
]


def column_label(j, feature_names=None):
    """Describe column ``j`` for an error message: its name if known, its index.

    >>> column_label(2)
    'column 2'
    >>> column_label(2, ["a", "b", "price"])
    "column 'price' (index 2)"
    """
    if feature_names is not None:
        return f"column {feature_names[j]!r} (index {j})"
    return f"column {j}"


def describe_columns(columns, feature_names=None, limit=5):
    """Name up to ``limit`` columns for an error message.

    >>> describe_columns([0, 3], ["a", "b", "c", "d"])
    "column 'a' (index 0), column 'd' (index 3)"
    """
    labels = [column_label(int(j), feature_names) for j in columns[:limit]]
    more = len(columns) - limit
    if more > 0:
        labels.append(f"and {more} more")
    return ", ".join(labels)


def infinite_error(columns, feature_names=None, what="X"):
    """Build the ValueError for +/-inf found in the given columns."""
    return ValueError(
        f"Input {what} contains infinity in "
        f"{describe_columns(np.asarray(columns), feature_names)}; "
        "expected finite values or NaN (NaN is treated as missing)."
    )


def raise_for_infinite(block, columns, feature_names=None, what="X"):
    """Raise a ValueError naming the columns of ``block`` that hold +/-inf.

    Parameters
    ----------
    block : ndarray of shape (n_rows, len(columns))
        The values to inspect; only the listed columns are looked at.
    columns : ndarray of int
        Column indices (in the full array) of the columns of ``block``.
    feature_names : sequence of str, default=None
        Names of all columns of the full array, if known.
    what : str, default="X"
        How to call the input in the message.

    Returns
    -------
    None
        When no listed column holds an infinite value (the caller's non-finite
        summary came from NaN or from an overflowing sum).
    """
    columns = np.asarray(columns)
    has_inf = np.isinf(block).any(axis=0)
    if has_inf.any():
        raise infinite_error(columns[has_inf], feature_names, what)


def reject_non_numeric_columns(X, estimator_name):
    """Raise a clear error when a DataFrame has non-numeric columns.

    Booleans and pandas nullable numeric dtypes are numeric; strings, objects,
    categoricals and datetimes are not. Any frame with pandas ``dtypes`` is
    checked (pandas and dask DataFrames alike); arrays are left to the array
    checks.
    """
    if not (
        hasattr(X, "columns") and isinstance(getattr(X, "dtypes", None), pd.Series)
    ):
        return
    dtypes = X.dtypes
    # each distinct dtype judged once (a wide frame has thousands of columns
    # and a handful of dtypes)
    numeric = {
        dtype: pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        for dtype in set(dtypes)
    }
    if all(numeric.values()):
        return
    bad = [(name, dtype) for name, dtype in dtypes.items() if not numeric[dtype]]
    if bad:
        shown = ", ".join(f"{name!r} ({dtype})" for name, dtype in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise ValueError(
            f"{estimator_name} needs numeric columns; got non-numeric {shown}{more}. "
            "Select the numeric columns first (for example with "
            "sklearn.compose.make_column_selector(dtype_include='number'))."
        )


def check_sample_weight(sample_weight, n_samples, *, all_zero=False):
    """Validate ``sample_weight`` and return it as a float64 array.

    ``None`` stays ``None`` (unweighted); a scalar is broadcast to every sample.
    Weights must be one-dimensional, of length ``n_samples``, finite, non-negative
    and, unless ``all_zero`` (a ``partial_fit`` batch, which may add nothing),
    not all zero.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"sample_weight must be numeric; got {type(sample_weight).__name__}: {exc}"
        ) from exc
    if weights.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D; got shape {weights.shape}, "
            f"expected ({n_samples},)."
        )
    if weights.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {weights.shape[0]} entries but X has {n_samples} "
            f"samples; expected shape ({n_samples},)."
        )
    if not np.isfinite(weights).all():
        raise ValueError(
            "sample_weight contains NaN or infinity; expected finite values."
        )
    if (weights < 0).any():
        raise ValueError("sample_weight has negative values; expected weights >= 0.")
    if not (all_zero or weights.any()):
        raise ValueError(
            "sample_weight is zero for every sample; expected at least one "
            "non-zero weight."
        )
    return weights


def output_array(X, original, *, copy, keep_values):
    """The array a transform may write its result into.

    ``X`` is the validated input and ``original`` what the caller passed.
    ``X`` itself is used when it is writeable and either the caller allowed
    it (``copy=False``) or it is a conversion of ``original`` made during
    validation (nobody else holds it). Otherwise a new array of the same shape
    and dtype: a copy of ``X`` when ``keep_values`` (the transform writes only
    some columns), else uninitialised. A DataFrame's array is never reused
    when ``copy=True``: it may be a view of the caller's frame.
    """
    private = isinstance(original, np.ndarray) and not np.may_share_memory(X, original)
    if X.flags.writeable and (private or not copy):
        return X
    return X.copy() if keep_values else np.empty_like(X)


def warn_user(message, category=UserWarning):
    """``warnings.warn`` pointing at the user's line: the first frame outside
    skscale and scikit-learn.

    A fixed ``stacklevel`` breaks whenever a wrapper adds a frame (scikit-learn's
    ``_fit_context``, the callback task, a meta-estimator), and the warning
    then names a line of skscale, which tells the user nothing.
    """
    import sklearn

    import skscale

    packages = tuple(
        os.path.dirname(module.__file__) + os.sep for module in (skscale, sklearn)
    )
    frame, level = sys._getframe(1), 2  # level 2: the caller of warn_user
    while frame is not None and frame.f_code.co_filename.startswith(packages):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
