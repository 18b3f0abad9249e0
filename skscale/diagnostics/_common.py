"""What the diagnostics share: input preparation and the report base class."""

import html

import numpy as np
import pandas as pd
from sklearn.utils import check_array

from skscale._backends import any_dask, centred_table, check_finite
from skscale._backends.array_api import to_host
from skscale._backends.dask import require_dask
from skscale.utils._block_columns import resolve_blocks
from skscale.utils._validation import reject_non_numeric_columns


def feature_names_of(X, n_features, feature_names=None):
    """Column names of a DataFrame, else ``feature_names`` (the names given
    for an array or a sparse matrix, checked), else ``x0``, ``x1``, ..."""
    columns = getattr(X, "columns", None)
    if feature_names is not None:
        if columns is not None:
            raise ValueError(
                "feature_names names the columns of an X without names (an array "
                "or a sparse matrix); this X is a DataFrame with its own names."
            )
        if len(feature_names) != n_features:
            raise ValueError(
                f"feature_names has {len(feature_names)} names; expected one per "
                f"column of X ({n_features})."
            )
        return [str(name) for name in feature_names]
    if columns is not None:
        return [str(c) for c in columns]
    return [f"x{j}" for j in range(n_features)]


def as_matrix(X, what):
    """A float64 2-D array (or CSR matrix) of ``X``; +/-inf refused naming
    the column.

    Missing values are returned as NaN; callers decide what they mean. Array
    API input (a torch or CuPy array under array API dispatch) is copied to
    the host: the diagnostics run on NumPy. A sparse matrix stays sparse.
    """
    reject_non_numeric_columns(X, what)
    X = to_host(X)
    values = check_array(
        X,
        accept_sparse="csr",
        dtype=np.float64,
        ensure_all_finite=False,
        input_name=what,
        ensure_min_samples=1,
        copy=False,
    )
    names = feature_names_of(X, values.shape[1]) if hasattr(X, "columns") else None
    check_finite(values, feature_names=names, what=what)
    return values


def named_table(X_before, X_after):
    """Whichever of the pair has column names (``X_before`` first)."""
    return X_before if hasattr(X_before, "columns") else X_after


def prepare_pair(X_before, X_after, feature_names=None):
    """Validate a before/after pair of tables of the same shape.

    Returns the two tables centred on their column means (see
    :func:`~skscale._backends.centred_table`: dense arrays centred outright,
    sparse matrices implicitly), with missing values counted as the column
    mean (they add nothing to a variance or a distance), the feature names
    (of whichever table has them, else ``feature_names``), and the number of
    missing values.
    """
    before = as_matrix(X_before, "X_before")
    after = as_matrix(X_after, "X_after")
    if before.shape != after.shape:
        raise ValueError(
            f"X_after has shape {after.shape}; expected {before.shape}, the shape "
            "of X_before (the same samples and features, before and after scaling)."
        )
    named = named_table(X_before, X_after)
    names = feature_names_of(named, before.shape[1], feature_names)
    before, after = centred_table(before), centred_table(after)
    return before, after, names, before.n_missing + after.n_missing


# Rows sampled from a dask input when the diagnostic needs them in memory.
DASK_SAMPLE_ROWS = 20_000


def dask_pair(X_before, X_after):
    """Validated float64 dask arrays (known chunk sizes) and feature names."""
    da = require_dask()
    arrays = []
    for X, what in ((X_before, "X_before"), (X_after, "X_after")):
        if hasattr(X, "columns"):
            reject_non_numeric_columns(X, what)
            X = X.to_dask_array(lengths=True) if any_dask(X) else X.to_numpy()
        if not any_dask(X):
            X = da.from_array(np.asarray(X))
        if X.ndim != 2:
            raise ValueError(f"{what} must be 2-D; got shape {X.shape}.")
        arrays.append(X.astype(np.float64))
    before, after = arrays
    if before.shape != after.shape:
        raise ValueError(
            f"X_after has shape {after.shape}; expected {before.shape}, the shape "
            "of X_before (the same samples and features, before and after scaling)."
        )
    named = named_table(X_before, X_after)
    return before, after, feature_names_of(named, before.shape[1])


def sample_dask_rows(arrays, max_rows, random_state=0):
    """Compute a random sample of at most ``max_rows`` rows of dask arrays
    (the same rows of each); returns the numpy arrays, the row indices and a
    sentence for the report."""
    import dask

    n_samples = arrays[0].shape[0]
    if n_samples <= max_rows:
        rows = np.arange(n_samples)
        note = f"all {n_samples:,} rows of the dask input, computed in memory"
    else:
        rng = np.random.default_rng(random_state)
        rows = np.sort(rng.choice(n_samples, size=max_rows, replace=False))
        note = (
            f"{max_rows:,} of {n_samples:,} rows sampled at random from the dask input"
        )
    computed = dask.compute(*[X[rows] for X in arrays])
    return list(computed), rows, note


def block_of_features(blocks, X, names, n_features):
    """Resolve ``blocks`` (or None) to ``(dict name -> indices, label per feature)``."""
    if blocks is None:
        return None, None
    resolved = resolve_blocks(blocks, X, names, n_features)
    labels = np.full(n_features, None, dtype=object)
    for block, columns in resolved.items():
        labels[columns] = block
    return resolved, labels


def block_table(resolved, per_feature):
    """One row per block: its number of features and, for each per-feature
    quantity in ``per_feature`` (name -> values), the sum over its features."""
    rows = {"n_features": pd.Series({b: len(c) for b, c in resolved.items()})}
    for name, values in per_feature.items():
        values = np.asarray(values, dtype=np.float64)
        rows[name] = pd.Series(
            {block: float(np.sum(values[cols])) for block, cols in resolved.items()}
        )
    table = pd.DataFrame(rows)
    table.index.name = "block"
    return table


def from_to(before, after, *, plural=False):
    """``"goes from 70.2% to 72.8%"``, or ``"stays at 72.2%"`` when the two
    figures read the same (both already formatted)."""
    go, stay = ("go", "stay") if plural else ("goes", "stays")
    if before == after:
        return f"{stay} at {after}"
    return f"{go} from {before} to {after}"


def percent(x):
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


class Report:
    """Base of the diagnostic reports: tables, a summary, HTML and a picture."""

    _tables = ()

    def summary(self):
        """A short plain-language reading of the report."""
        raise NotImplementedError

    def _repr_html_(self):
        parts = [f"<div><p>{html.escape(self.summary())}</p>"]
        for name in self._tables:
            table = getattr(self, name)
            if table is None:
                continue
            if isinstance(table, pd.Series):
                table = table.to_frame(name="value")
            parts.append(f"<h4>{html.escape(name)}</h4>")
            parts.append(table.to_html(float_format=lambda v: f"{v:.4g}", na_rep="-"))
        parts.append("</div>")
        return "\n".join(parts)

    def __repr__(self):
        return f"<{type(self).__name__}: {self.summary()}>"


def covariate_column(covariate):
    """The comparison table's column of a covariate: ``pc1_r2[<covariate>]``."""
    return f"pc1_r2[{covariate}]"


def covariate_of(column):
    """The covariate a ``pc1_r2[<covariate>]`` column is about, else None."""
    if column.startswith("pc1_r2[") and column.endswith("]"):
        return column[len("pc1_r2[") : -1]
    return None
