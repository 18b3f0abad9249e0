"""The backends: the one place that tells dense, sparse, dask and array-API
input apart.

:func:`kind_of` decides the kind of an input, once per method call, in one
order; the entry functions (:func:`validate_any`, :func:`feature_statistics`,
:func:`map_rows`, :func:`check_finite`, :func:`block_size`,
:func:`refuse_dask`, and the per-sample normalisers' row operations such as
:func:`scan_rows` and :func:`divide_rows`) take that decision and call the
kind's kernels:

- :mod:`~skscale._backends.dense`: blocked NumPy kernels over rows;
- :mod:`~skscale._backends.sparse`: CSR/CSC, never densified;
- :mod:`~skscale._backends.dask`: a graph of per-chunk dense kernels;
- :mod:`~skscale._backends.array_api`: PyTorch, CuPy, ... on their device;
- :mod:`~skscale._backends._compiled`: the C kernels beneath dense and sparse.

Every backend returns its statistics as
:class:`~skscale._backends._statistics.Moments`, merged by one definition, and
every scaler decides constant features with one rule,
:func:`~skscale._backends._statistics.near_constant`.
"""

__all__ = [
    "ARRAY_API",
    "DASK",
    "DENSE",
    "SPARSE",
    "Kind",
    "Statistics",
    "affine_transform",
    "annotated_kind",
    "any_dask",
    "array_namespace",
    "as_array",
    "as_column",
    "as_flat",
    "as_float64",
    "assemble_columns",
    "block_size",
    "cell_beyond",
    "centred_table",
    "check_finite",
    "column_blocks",
    "column_maxima",
    "columns_above_share",
    "columns_of",
    "columns_where",
    "computed",
    "count_profile",
    "divide_rows",
    "feature_statistics",
    "finite_on_host",
    "gather_rows",
    "host_like",
    "is_sparse",
    "kind_of",
    "largest_value",
    "log_means",
    "map_rows",
    "map_values",
    "mapped_moments",
    "median_log_ratios",
    "missing_columns",
    "refuse_annotated",
    "refuse_dask",
    "refuse_sparse",
    "row_medians",
    "row_totals",
    "scan_rows",
    "smallest_nonzero",
    "take_rows",
    "validate_any",
]


def __getattr__(name):
    # the entry is imported on first use, not with the package: the kernels'
    # modules (dask.py, say) are imported by skscale.utils._sklearn_compat,
    # which the entry imports in turn
    if name in __all__:
        from skscale._backends import _entry

        return getattr(_entry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
