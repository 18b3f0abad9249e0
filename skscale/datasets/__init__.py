"""Data sets: the real nutrimouse multi-omics table and a synthetic generator."""

from skscale.datasets._multiomics import load_nutrimouse, make_multiomics

__all__ = ["load_nutrimouse", "make_multiomics"]
