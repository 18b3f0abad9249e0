"""Data sets: the real nutrimouse multi-omics table and pbmc single-cell counts,
a synthetic generator, and readers for a user's own table (CSV, TSV, Parquet)."""

from skscale.datasets._multiomics import load_nutrimouse, make_multiomics
from skscale.datasets._pbmc import load_pbmc
from skscale.report._reading import TableSample, read_table, sample_table

__all__ = [
    "TableSample",
    "load_nutrimouse",
    "load_pbmc",
    "make_multiomics",
    "read_table",
    "sample_table",
]
