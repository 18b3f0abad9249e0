"""Data sets: the real nutrimouse multi-omics table, a synthetic generator, and
readers for a user's own table (CSV, TSV, Parquet)."""

from skscale.datasets._files import TableSample, read_table, sample_table
from skscale.datasets._multiomics import load_nutrimouse, make_multiomics

__all__ = [
    "TableSample",
    "load_nutrimouse",
    "make_multiomics",
    "read_table",
    "sample_table",
]
