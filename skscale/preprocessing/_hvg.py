"""Highly variable gene selection, learnt in ``fit`` so that the choice of
genes is made on the training cells of each fold, as scanpy's
``highly_variable_genes`` makes it on all cells."""

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted

from skscale._backends import (
    check_finite,
    column_maxima,
    feature_statistics,
    largest_value,
    mapped_moments,
    refuse_dask,
)
from skscale._backends.array_api import refuse_array_api
from skscale.utils._sklearn_compat import (
    CallbackSupportMixin,
    Interval,
    StrOptions,
    _fit_context,
    callback_task,
    validate_data,
)
from skscale.utils._validation import reject_non_numeric_columns, warn_user

__all__ = ["HighlyVariableGenes"]

# statsmodels' robust.mad constant, scipy.stats.norm.ppf(0.75)
_MAD_SCALE = 0.6744897501960817


def _mad(values):
    """scanpy's (statsmodels') median absolute deviation, scaled to the normal
    standard deviation."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.median(np.abs(values - np.median(values))) / _MAD_SCALE)


def _mean_and_variance(moments, n_rows):
    """Each gene's mean (a copy, to be edited) and variance with ``ddof=1``
    (scanpy's; ``ddof=0`` for a single cell)."""
    variance = moments.variance(ddof=1) if n_rows > 1 else moments.variance()
    return moments.mean.copy(), variance


def _normalised_dispersions(means, dispersions, flavor, n_bins):
    """scanpy's ``dispersions_norm``: each gene's dispersion standardised
    within its bin of mean expression (20 equal-width bins for seurat, by the
    mean or standard deviation; 5% quantile bins for cell_ranger, by the
    median and MAD). Genes without a finite mean are NaN."""
    out = np.full(means.shape, np.nan)
    finite = np.isfinite(means)
    if not finite.any():
        return out
    frame = pd.DataFrame({"means": means[finite], "dispersions": dispersions[finite]})
    if flavor == "seurat":
        bins = n_bins
    else:
        bins = np.r_[
            -np.inf, np.percentile(frame["means"], np.arange(10, 105, 5)), np.inf
        ]
    # scanpy's pd.cut fails on repeated quantiles (many genes of one mean):
    # the repeated edges are dropped, which changes nothing where scanpy works
    frame["bin"] = pd.cut(frame["means"], bins=bins, duplicates="drop")
    grouped = frame.groupby("bin", observed=True)["dispersions"]
    if flavor == "seurat":
        stats = grouped.agg(avg="mean", dev="std")
        # a bin holding one gene: its normalised dispersion is set to 1
        alone = stats["dev"].isnull()
        stats.loc[alone, "dev"] = stats.loc[alone, "avg"]
        stats.loc[alone, "avg"] = 0.0
    else:
        stats = grouped.agg(avg="median", dev=_mad)
    per_gene = stats.loc[frame["bin"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        out[finite] = (
            frame["dispersions"].to_numpy() - per_gene["avg"].to_numpy()
        ) / per_gene["dev"].to_numpy()
    return out


class HighlyVariableGenes(CallbackSupportMixin, SelectorMixin, BaseEstimator):
    """Select the highly variable genes of log-normalised expression.

    scanpy's ``sc.pp.highly_variable_genes`` (the ``seurat`` and
    ``cell_ranger`` flavours) as a scikit-learn selector: ``fit`` learns which
    genes are highly variable from the training cells, and ``transform`` keeps
    those columns of any cells. In a pipeline fitted per fold, the held-out
    cells take no part in choosing the genes, where running scanpy on all
    cells first lets them leak into the selection.

    Each gene's mean and dispersion (variance over mean, the variance with
    ``ddof=1``) are computed in float64, exactly (scanpy's dense path uses
    ``E[x**2] - E[x]**2``, so agreement is to that formula's rounding):

    - ``seurat``: of ``expm1(X)`` (``X`` is ``log1p`` of normalised counts, in
      ``log_base``); the dispersion and the mean are then logged, and the
      dispersion is standardised within 20 equal-width bins of the mean.
    - ``cell_ranger``: of ``X`` itself, standardised by the median and the
      median absolute deviation within bins at every 5% quantile of the mean.

    The genes kept are the ``n_top_genes`` highest normalised dispersions, or
    (``n_top_genes=None``) those with ``min_mean < mean < max_mean`` and
    ``min_disp < normalised dispersion < max_disp``, as in scanpy. Ties at
    the ``n_top_genes``-th dispersion are all kept, as scanpy keeps them; a gene
    alone in its bin has a normalised dispersion of exactly 1 (scanpy's rule),
    so with few genes per bin more than ``n_top_genes`` may be kept.

    Takes dense and sparse (CSR, CSC) input and keeps its kind: ``transform``
    selects columns. NaN is skipped in the statistics.

    Parameters
    ----------
    flavor : {"seurat", "cell_ranger"}, default="seurat"
        scanpy's flavour.
    n_top_genes : int >= 1, default=None
        The number of genes to keep; the cutoffs below are then ignored.
    min_mean, max_mean : float, default=0.0125 and 3
        The mean expression a gene must lie strictly between (without
        ``n_top_genes``).
    min_disp, max_disp : float, default=0.5 and inf
        The normalised dispersion a gene must lie strictly between.
    n_bins : int >= 1, default=20
        The number of mean-expression bins (``seurat``).
    log_base : float > 1, default=None
        The base of the ``log1p`` the data were taken with (``seurat``);
        ``None`` is the natural log, as scanpy's ``log1p`` without ``base``.

    Attributes
    ----------
    means_ : ndarray of shape (n_features,)
        Each gene's mean (``seurat``: ``log1p`` of the mean of ``expm1(X)``);
        scanpy's ``means``.
    dispersions_ : ndarray of shape (n_features,)
        Each gene's dispersion (``seurat``: its log); scanpy's
        ``dispersions``.
    dispersions_norm_ : ndarray of shape (n_features,)
        The dispersion standardised within its bin; scanpy's
        ``dispersions_norm``.
    highly_variable_ : ndarray of shape (n_features,) of bool
        The genes kept; scanpy's ``highly_variable``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    LogTransformer : The log1p these flavours expect before them.
    TotalSumNormalizer : The normalisation before the log.

    References
    ----------
    .. [1] Satija, R., Farrell, J. A., Gennert, D., Schier, A. F. and Regev, A.
       (2015). Spatial reconstruction of single-cell gene expression data.
       Nature Biotechnology, 33, 495-502.
    .. [2] Zheng, G. X. Y. et al. (2017). Massively parallel digital
       transcriptional profiling of single cells. Nature Communications, 8,
       14049.

    Examples
    --------
    >>> import numpy as np
    >>> from skscale.preprocessing import HighlyVariableGenes
    >>> rng = np.random.default_rng(0)
    >>> X = np.log1p(rng.negative_binomial(2, rng.uniform(0.05, 0.9, 300), (100, 300)))
    >>> HighlyVariableGenes(n_top_genes=5).fit_transform(X).shape
    (100, 5)
    """

    _parameter_constraints = {
        "flavor": [StrOptions({"seurat", "cell_ranger"})],
        "n_top_genes": [Interval(Integral, 1, None, closed="left"), None],
        "min_mean": [Real],
        "max_mean": [Real],
        "min_disp": [Real],
        "max_disp": [Real],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "log_base": [Interval(Real, 1, None, closed="neither"), None],
    }

    def __init__(
        self,
        flavor="seurat",
        *,
        n_top_genes=None,
        min_mean=0.0125,
        max_mean=3.0,
        min_disp=0.5,
        max_disp=np.inf,
        n_bins=20,
        log_base=None,
    ):
        self.flavor = flavor
        self.n_top_genes = n_top_genes
        self.min_mean = min_mean
        self.max_mean = max_mean
        self.min_disp = min_disp
        self.max_disp = max_disp
        self.n_bins = n_bins
        self.log_base = log_base

    @_fit_context(prefer_skip_nested_validation=True)
    @callback_task
    def fit(self, X, y=None):
        """Learn which genes are highly variable in the training cells.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Log-normalised expression, cells in rows.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted selector.
        """
        X, names = self._validate(X, reset=True)
        if self.flavor == "seurat":
            mean, dispersion = self._seurat_statistics(X, names)
        else:
            mean, var = _mean_and_variance(
                feature_statistics(X, feature_names=names).moments, X.shape[0]
            )
            mean[mean == 0] = 1e-12  # as scanpy
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                dispersion = var / mean
        normalised = _normalised_dispersions(mean, dispersion, self.flavor, self.n_bins)
        self.means_ = mean
        self.dispersions_ = dispersion
        self.dispersions_norm_ = normalised
        self.highly_variable_ = self._select(mean, normalised)
        return self

    def _validate(self, X, *, reset):
        """Validated ``X`` (in-memory, floating) and the feature names, for
        the messages; +/-inf is refused naming its column."""
        name = type(self).__name__
        refuse_array_api(self, X)
        refuse_dask(X, f"{name} does not take dask collections; compute them first.")
        reject_non_numeric_columns(X, name)
        X = validate_data(
            self,
            X,
            accept_sparse=("csr", "csc"),
            dtype=FLOAT_DTYPES,
            ensure_all_finite=False,
            reset=reset,
        )
        names = getattr(self, "feature_names_in_", None)
        names = None if names is None else list(names)
        check_finite(X, feature_names=names)
        return X, names

    def inverse_transform(self, X):
        """The selected columns back in place, zeros in the others.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_selected)
            Selected genes, as ``transform`` gives them.

        Returns
        -------
        X_original : {ndarray, sparse matrix} of shape (n_samples, n_features_in_)
            ``X`` in the columns of the selected genes, zeros elsewhere.
        """
        check_is_fitted(self)
        if self.highly_variable_.any():
            return super().inverse_transform(X)
        # scikit-learn's inverse refuses the (n_samples, 0) of no selection
        shape = np.shape(X)
        if len(shape) != 2 or shape[1] != 0:
            raise ValueError(
                f"X has shape {shape}, but {type(self).__name__} selected no "
                "gene: expected (n_samples, 0)."
            )
        return np.zeros((shape[0], self.n_features_in_))

    def _seurat_statistics(self, X, names):
        """``(log1p(mean), log(dispersion))`` of ``expm1(X)``, per gene.

        A gene whose largest value would overflow ``expm1`` (values of
        hundreds in log space: not log-normalised data, but a valid input) is
        computed in log space: with ``m`` its largest value less 300,
        ``expm1(x) = e**m * y`` where ``y = exp(x - m) - exp(-m)`` is finite
        (and 0 at 0), so the logged mean and dispersion are ``m`` plus those
        of ``y``. Other genes are exactly scanpy's ``expm1``.
        """
        scale = 1.0 if self.log_base is None else math.log(self.log_base)
        # the per-gene maxima only when some value is that large at all
        high = largest_value(X)
        if np.isfinite(high) and high * scale > 300.0:
            high = column_maxima(X)
        with np.errstate(invalid="ignore", over="ignore"):
            shift = np.nan_to_num(np.maximum(high * scale - 300.0, 0.0))
        shift = np.broadcast_to(shift, (X.shape[1],)).copy()
        shifted = shift > 0

        def expm1(values, columns):
            if scale != 1.0:
                values = values * scale
            if not shifted.any():
                return np.expm1(values)
            m = np.broadcast_to(shift[columns], values.shape)
            with np.errstate(over="ignore", under="ignore"):
                return np.where(
                    m > 0, np.exp(values - m) - np.exp(-m), np.expm1(values)
                )

        mean, var = _mean_and_variance(
            mapped_moments(X, expm1, feature_names=names), X.shape[0]
        )
        mean[(mean == 0) & ~shifted] = 1e-12  # as scanpy
        with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
            dispersion = var / mean
            dispersion[dispersion == 0] = np.nan
            log_dispersion = np.log(dispersion) + shift
            log_mean = np.where(
                shifted, np.logaddexp(0.0, shift + np.log(mean)), np.log1p(mean)
            )
        return log_mean, log_dispersion

    def _select(self, mean, normalised):
        if self.n_top_genes is None:
            clean = np.nan_to_num(normalised)  # as Seurat and scanpy
            return (
                (mean > self.min_mean)
                & (mean < self.max_mean)
                & (clean > self.min_disp)
                & (clean < self.max_disp)
            )
        known = normalised[~np.isnan(normalised)]
        n = self.n_top_genes
        if n > known.size:
            kept = (
                f"only {known.size} genes have a normalised dispersion; keeping "
                "them all"
                if known.size
                else "no gene has a normalised dispersion (each bin of mean "
                "expression holds genes of one dispersion); none is kept"
            )
            warn_user(f"{type(self).__name__}: n_top_genes={n}, but {kept}.")
            n = known.size
        if n == 0:
            return np.zeros(normalised.shape, dtype=bool)
        cut = np.sort(known)[::-1][n - 1]
        return np.nan_to_num(normalised, nan=-np.inf) >= cut

    def transform(self, X):
        """Keep the highly variable genes of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Log-normalised expression of any cells, in the genes of ``fit``.

        Returns
        -------
        X_selected : {ndarray, sparse matrix} of shape (n_samples, n_selected)
            The columns of the highly variable genes, of X's kind (CSR stays
            CSR, CSC stays CSC) and floating dtype (integers become float64).
        """
        check_is_fitted(self)
        X, _ = self._validate(X, reset=False)
        if not self.highly_variable_.any():
            warn_user(
                f"{type(self).__name__} selected no gene: the cutoffs "
                f"(min_mean={self.min_mean}, max_mean={self.max_mean}, "
                f"min_disp={self.min_disp}) keep none; "
                "loosen them or ask for n_top_genes."
            )
        return X[:, self.highly_variable_]

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.highly_variable_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32", "float16"]
        return tags
