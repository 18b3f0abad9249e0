"""The log step of omics analyses: ``log(x + pseudocount)`` (``log1p`` by
default, any base) and the generalised log of metabolomics, with their
inverses.
"""

import math
from numbers import Real

import numpy as np
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted

from skscale._backends import map_values, refuse_sparse, smallest_nonzero
from skscale._backends.array_api import refuse_array_api
from skscale.preprocessing._row_normalizer import _overflow_watch, _RowNormalizer
from skscale.utils._sklearn_compat import (
    Interval,
    StrOptions,
    _fit_context,
    callback_task,
    validate_data,
)
from skscale.utils._validation import describe_columns

__all__ = ["LogTransformer"]


class LogTransformer(_RowNormalizer):
    """Logarithm of counts or intensities: log1p, log with a pseudocount, glog.

    The log of any base, with a pseudocount, or the generalised log:

    - ``method="log"``: ``log(x + pseudocount) / log(base)``. The default
      (``pseudocount=1``, natural log) is ``log1p``, the same as scanpy's
      ``sc.pp.log1p`` (and ``base=2`` as its ``base=2``); ``base=2,
      pseudocount=1`` is the usual ``log2(x + 1)`` of RNA-seq counts. Every
      value must be above ``-pseudocount``.
    - ``method="glog"``: the generalised log of metabolomics (Durbin et al.
      2002; MetaboAnalyst's form), ``log((x + sqrt(x**2 + lambda)) / 2) /
      log(base)``. It equals the log of ``x`` for ``x`` far above
      ``sqrt(lambda)``, is defined for every real ``x`` (zeros and negative
      values, such as baseline-corrected intensities, included) and
      stabilises the variance of small values. ``glog_lambda="auto"`` learns
      ``lambda`` in ``fit`` as MetaboAnalyst does: the square of a tenth of
      the smallest non-zero ``|x|`` of the training rows.

    Each value is mapped on its own, so the step cannot leak across folds;
    only ``glog_lambda="auto"`` learns anything. Computed in float64 and
    written in the input's floating dtype, without cancellation (``log1p``
    near zero; the glog of large negative values through ``lambda / (sqrt(x**2
    + lambda) - x)``). NaN stays NaN; +/-inf is refused, naming the column.

    Sparse input (CSR, CSC) stays sparse where the map sends 0 to 0
    (``method="log"`` with ``pseudocount=1``, whatever the base): only the
    stored values are mapped. Otherwise every implicit zero would get a
    value, and sparse input is refused with the fix.

    Parameters
    ----------
    method : {"log", "glog"}, default="log"
        The logarithm: of ``x + pseudocount``, or the generalised log.
    base : float > 1, default=None
        Base of the logarithm; ``None`` is the natural log (``e``).
    pseudocount : float > 0, default=1.0
        Added to every value before the logarithm (``method="log"`` only).
    glog_lambda : float > 0 or "auto", default="auto"
        The generalised log's ``lambda`` (``method="glog"`` only): the square
        of the value below which the log flattens.
    copy : bool, default=True
        Copy the input; ``False`` maps a float input in place.

    Attributes
    ----------
    lambda_ : float or None
        The generalised log's ``lambda`` (learnt when ``glog_lambda="auto"``);
        None for ``method="log"``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    CLRTransformer : The centred log-ratio of compositions.
    TotalSumNormalizer : The normalisation usually run before the log.

    References
    ----------
    .. [1] Durbin, B. P., Hardin, J. S., Hawkins, D. M. and Rocke, D. M.
       (2002). A variance-stabilizing transformation for gene-expression
       microarray data. Bioinformatics, 18, S105-S110.
    .. [2] Parsons, H. M., Ludwig, C., Guenther, U. L. and Viant, M. R. (2007).
       Improved classification accuracy in 1- and 2-dimensional NMR
       metabolomics data using the variance stabilising generalised
       logarithm transformation. BMC Bioinformatics, 8, 234.

    Examples
    --------
    >>> from skscale.preprocessing import LogTransformer
    >>> LogTransformer(base=2).fit_transform([[0.0, 1.0, 3.0]])
    array([[0., 1., 2.]])
    >>> LogTransformer(method="glog", glog_lambda=4.0).fit_transform([[0.0]])
    array([[0.]])
    """

    _per_sample = True
    _nan = True
    _non_negative = False  # the floor is -pseudocount, checked below
    _needs_totals = False  # the values are only checked
    _parameter_constraints = {
        "method": [StrOptions({"log", "glog"})],
        "base": [Interval(Real, 1, None, closed="neither"), None],
        "pseudocount": [Interval(Real, 0, None, closed="neither")],
        "glog_lambda": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "copy": ["boolean"],
    }

    def __init__(
        self,
        method="log",
        *,
        base=None,
        pseudocount=1.0,
        glog_lambda="auto",
        copy=True,
    ):
        self.method = method
        self.base = base
        self.pseudocount = pseudocount
        self.glog_lambda = glog_lambda
        self.copy = copy

    # -- the values refused ------------------------------------------------

    def _below_floor(self, low):
        return self.method == "log" and low + self.pseudocount <= 0

    def _check_floor(self, X, values, names):
        below = values + self.pseudocount <= 0
        if below.any():
            columns = self._columns_where(X, below)
            raise ValueError(
                "Negative values in data passed to LogTransformer, at or below "
                f"-pseudocount (-{self.pseudocount:g}) in "
                f"{describe_columns(columns, names)}: log(x + pseudocount) needs "
                "x + pseudocount > 0. Expected counts or intensities; raise the "
                "pseudocount, or use method='glog', which takes any value."
            )

    def _keeps_zero(self, lam):
        """Whether the map sends 0 to 0 exactly (sparse input stays sparse)."""
        if self.method == "log":
            return self.pseudocount == 1
        return lam == 4.0  # log((0 + sqrt(4)) / 2) = log(1)

    def _refuse_sparse(self, X, lam):
        if not self._keeps_zero(lam):
            what = (
                f"log(0 + {self.pseudocount:g})"
                if self.method == "log"
                else f"glog(0) = log(sqrt({lam:g}) / 2)"
            )
            refuse_sparse(
                X,
                f"LogTransformer would give every implicit zero of a sparse "
                f"matrix the value {what}, not 0, so its output is dense; use "
                "method='log' with pseudocount=1 (log1p keeps zeros), or pass "
                "X.toarray().",
            )

    # -- the maps ----------------------------------------------------------

    def _log_base(self):
        return 1.0 if self.base is None else math.log(self.base)

    def _forward(self, lam):
        scale = self._log_base()
        if self.method == "log":
            c = float(self.pseudocount)
            shift = math.log(c)

            def forward(x):
                # log(x + c) = log(c) + log1p(x / c): exact for x far below c
                y = np.log1p(x / c) if c != 1 else np.log1p(x)
                if shift:
                    y += shift
                if scale != 1.0:
                    y /= scale
                return y

            return forward
        root = math.sqrt(lam)
        offset = math.log(root / 2.0)
        log_lam_4 = math.log(lam) - math.log(4.0)

        def forward(x):
            # log((x + sqrt(x**2 + lam)) / 2), in float64 without cancellation
            # (x + sqrt(x**2 + lam) loses every digit for x far below 0) and
            # without x**2 (which overflows):
            # - |x| < root: asinh(x / root) + log(root / 2);
            # - x >= root: log(x) + c, c = log((1 + sqrt(1 + r)) / 2) taken
            #   through log1p, r = (root / x)**2;
            # - x <= -root: log(lam / (4 |x|)) - c.
            with np.errstate(over="ignore", divide="ignore"):
                u = x / root
            y = np.empty_like(x)
            near = np.abs(u) < 1.0
            y[near] = np.arcsinh(u[near]) + offset
            far = ~near  # NaN too: it stays NaN below
            if far.any():
                xf = x[far]
                size = np.abs(xf)
                q = root / size
                r = q * q
                c = np.log1p(r / (np.sqrt(1.0 + r) + 1.0) / 2.0)
                w = root * q / 4.0  # lam / (4 |x|)
                with np.errstate(divide="ignore"):
                    below = np.where(
                        w > 1e-300,
                        np.log(w),
                        log_lam_4 - np.log(size),  # w underflows: no cancelling
                    )
                y[far] = np.where(xf > 0, np.log(size) + c, below - c)
            if scale != 1.0:
                y /= scale
            return y

        return forward

    def _backward(self, lam):
        scale = self._log_base()
        if self.method == "log":
            c = float(self.pseudocount)
            shift = math.log(c)

            def backward(y):
                # x = c * (exp(y log(base) - log(c)) - 1), exact near 0
                return c * np.expm1(y * scale - shift)

            return backward

        root = math.sqrt(lam)
        offset = math.log(root / 2.0)
        log_lam_4 = math.log(lam) - math.log(4.0)

        def backward(y):
            # x = root * sinh(z - log(root / 2)), z = y log(base): exact near
            # x = 0; far from it, (s - lam / s) / 2 with s = 2 exp(z), whose
            # terms do not cancel (and sinh would overflow first)
            z = y * scale
            t = z - offset
            x = root * np.sinh(np.clip(t, -20.0, 20.0))
            far = np.abs(t) > 20.0
            if far.any():
                zf = z[far]
                x[far] = np.exp(zf) - np.exp(log_lam_4 - zf)
            return x

        return backward

    # -- the estimator -----------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    @callback_task
    def fit(self, X, y=None):
        """Validate ``X`` and, with ``glog_lambda="auto"``, learn ``lambda``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training values.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        X, _ = self._validate(X, reset=True)
        lam = None
        if self.method == "glog":
            if self.glog_lambda == "auto":
                smallest = smallest_nonzero(X)
                if smallest is None:
                    raise ValueError(
                        "LogTransformer(method='glog', glog_lambda='auto') learns "
                        "lambda from the smallest non-zero |x| of the training "
                        "rows, but every value is zero or missing; give "
                        "glog_lambda a number."
                    )
                lam = (smallest / 10.0) ** 2
                if lam == 0.0:  # the smallest value's square underflows
                    lam = float(np.finfo(np.float64).tiny)
            else:
                lam = float(self.glog_lambda)
        self._refuse_sparse(X, lam)
        self.lambda_ = lam
        return self

    def transform(self, X, copy=None):
        """Take the logarithm of every value.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Values to transform.
        copy : bool, default=None
            Copy the input; ``None`` uses the ``copy`` parameter.

        Returns
        -------
        X_tr : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The logarithms, in the input's floating dtype.
        """
        check_is_fitted(self)
        original = X
        X, _ = self._validate(X, reset=False)
        self._refuse_sparse(X, self.lambda_)
        copy = self.copy if copy is None else copy
        return map_values(X, original, self._forward(self.lambda_), copy=copy)

    def inverse_transform(self, X):
        """Map logarithms back to the original values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Logarithms, as ``transform`` returns them.

        Returns
        -------
        X_original : {ndarray, sparse matrix} of shape (n_samples, n_features)
            ``base**X - pseudocount``, or the inverse generalised log: a new
            array (``X`` is never written).
        """
        check_is_fitted(self)
        refuse_array_api(self, X)
        original = X
        X = validate_data(
            self,
            X,
            reset=False,
            accept_sparse=("csr", "csc"),
            dtype=FLOAT_DTYPES,
            ensure_all_finite="allow-nan",
        )
        self._refuse_sparse(X, self.lambda_)
        with _overflow_watch() as overflowed:
            out = map_values(X, original, self._backward(self.lambda_), copy=True)
        if overflowed:
            raise ValueError(
                "LogTransformer.inverse_transform: some values are too large to "
                f"map back (base**x beyond the largest {X.dtype} value); expected "
                "logarithms as transform returns them."
            )
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = self.method == "log"
        tags.input_tags.sparse = self._keeps_zero(
            None if self.glog_lambda == "auto" else float(self.glog_lambda)
        )
        return tags
