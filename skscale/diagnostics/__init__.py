"""Diagnostics: what scaling did to PCA and to nearest neighbours."""

from skscale.diagnostics._pca import PCADominanceReport, pca_dominance

__all__ = ["PCADominanceReport", "pca_dominance"]
