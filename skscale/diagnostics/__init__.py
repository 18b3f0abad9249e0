"""Diagnostics: what scaling did to PCA and to nearest neighbours.

Numbers first, pictures second: each diagnostic is a function returning a
report (tidy DataFrames, a plain-language ``summary()``, an HTML view for
notebooks and a matplotlib ``plot()``), and a transformer that computes the
report in ``fit`` and otherwise behaves as the scaler it wraps.
"""

from skscale.diagnostics._compare import ScalerComparison, compare_scalers
from skscale.diagnostics._estimators import KNNDistortion, PCADominance
from skscale.diagnostics._knn import KNNDistortionReport, knn_distortion
from skscale.diagnostics._pca import PCADominanceReport, pca_dominance

__all__ = [
    "KNNDistortion",
    "KNNDistortionReport",
    "PCADominance",
    "PCADominanceReport",
    "ScalerComparison",
    "compare_scalers",
    "knn_distortion",
    "pca_dominance",
]
