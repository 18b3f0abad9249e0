"""Diagnostics as transformers: a scaler that reports what it did, for Pipelines."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from skscale._backends import (
    array_namespace,
    check_finite,
    is_sparse,
    missing_columns,
    refuse_annotated,
)
from skscale._backends.array_api import namespace_reference, to_host
from skscale.diagnostics._knn import knn_distortion
from skscale.diagnostics._pca import pca_dominance
from skscale.preprocessing import ZScoreScaler
from skscale.preprocessing._base import FLOAT_DTYPES
from skscale.utils._sklearn_compat import (
    CallbackSupportMixin,
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    callback_task,
    check_same_namespace,
    sub_estimator_task,
    validate_data,
)
from skscale.utils._validation import describe_columns, reject_non_numeric_columns


def _host_table(X):
    """A scaler's output on host input, or for the report: a sparse matrix
    as it is, anything else a NumPy array (array API output copied to the
    host)."""
    if is_sparse(X):
        return X
    return np.asarray(to_host(X))


class _DiagnosticScaler(
    CallbackSupportMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Fit a scaler, report on it, transform with it."""

    def _report(self, X, X_after, y):
        raise NotImplementedError

    def _scaler(self):
        if self.scaler is None:
            return ZScoreScaler()
        return self.scaler

    @_fit_context(
        # the wrapped scaler is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    @callback_task(subtasks=lambda diagnostic, X: 1)  # the wrapped scaler
    def fit(self, X, y=None):
        """Fit the scaler on ``X`` and compute the report into ``report_``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data, before scaling (a sparse matrix is reported on
            without being densified, when the scaler takes it).
        y : array-like of shape (n_samples,), default=None
            Class labels, used by reports that look at them.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        original = X
        X = self._validate(X, reset=True)
        scaler = self._scaler()
        if scaler == "passthrough":
            self.scaler_ = "passthrough"
            X_after = X
        else:
            # the wrapped scaler gets the input as the user gave it: a
            # DataFrame keeps the column names its blocks may refer to
            self.scaler_ = clone(scaler)
            with sub_estimator_task(self, self.scaler_, "fit the scaler"):
                self.scaler_.fit(original)
            # (on the device for array API input; the report runs on NumPy,
            # a sparse matrix stays sparse)
            X_after = _host_table(self.scaler_.transform(original))
        if X_after.shape != X.shape:
            raise ValueError(
                f"{type(self).__name__} needs a scaler with one output column per "
                f"input column; {type(scaler).__name__} turned {X.shape[1]} columns "
                f"into {X_after.shape[1]}."
            )
        named = original if hasattr(original, "columns") else X
        self.report_ = self._report(named, X_after, y)
        # transform checks its input's namespace against it (array API)
        self._fit_reference = namespace_reference(original)
        return self

    def transform(self, X):
        """Scale ``X`` with the fitted scaler.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The data to scale.

        Returns
        -------
        X_tr : ndarray or sparse matrix of shape (n_samples, n_features)
            The scaled data.
        """
        check_is_fitted(self)
        check_same_namespace(X, self, attribute="_fit_reference", method="transform")
        space = array_namespace(X)
        if space is not None:  # validated and scaled on its device
            self._validate_on_device(X, space)
            if self.scaler_ == "passthrough":
                return X
            return self.scaler_.transform(X)
        original = X
        X = self._validate(X, reset=False)
        if self.scaler_ == "passthrough":
            return X
        # the input as given (see fit); a plain array (or the sparse matrix)
        # out, which set_output then wraps with the input's index
        return _host_table(self.scaler_.transform(original))

    def _validate_on_device(self, X, space):
        """The checks of :meth:`_validate` on array API input, in its
        namespace and on its device (nothing is copied to the host but one
        flag per column)."""
        X = validate_data(
            self, X, reset=False, dtype=space.float_dtypes, ensure_all_finite=False
        )
        names = getattr(self, "feature_names_in_", None)
        check_finite(X, feature_names=names)
        if not self._allow_nan():
            missing = space.to_numpy(space.xp.any(space.xp.isnan(X), axis=0))
            self._refuse_missing(np.flatnonzero(missing))

    def _refuse_missing(self, missing):
        if missing.size:
            names = getattr(self, "feature_names_in_", None)
            raise ValueError(
                f"Input X contains NaN in {describe_columns(missing, names)}; "
                f"the scaler {type(self._scaler()).__name__} does not accept "
                "missing values."
            )

    def _validate(self, X, *, reset):
        refuse_annotated(X)  # an AnnData: the scverse function that takes it
        reject_non_numeric_columns(X, type(self).__name__)
        X = to_host(X)  # the report's copy of array API input, on NumPy
        # a sparse matrix is reported on as it is (centred implicitly, never
        # densified); whether the scaler takes it is the scaler's to say
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype=FLOAT_DTYPES,
            ensure_all_finite=False,
            accept_sparse=("csr", "csc"),
        )
        check_finite(X, feature_names=getattr(self, "feature_names_in_", None))
        if not self._allow_nan():
            self._refuse_missing(missing_columns(X))
        return X

    def _allow_nan(self):
        scaler = self._scaler()
        return scaler == "passthrough" or get_tags(scaler).input_tags.allow_nan

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan()
        scaler = self._scaler()
        if scaler == "passthrough":
            tags.transformer_tags.preserves_dtype = ["float64", "float32", "float16"]
            tags.array_api_support = True
            tags.input_tags.sparse = True
        else:
            # sparse input as the scaler takes it: ZScoreScaler(with_mean=False)
            # does, the default ZScoreScaler() (which centres) does not
            tags.input_tags.sparse = get_tags(scaler).input_tags.sparse
            tags.transformer_tags.preserves_dtype = list(
                get_tags(scaler).transformer_tags.preserves_dtype
            )
            # the scaler runs on the device; the report is computed on the host
            tags.array_api_support = get_tags(scaler).array_api_support
        return tags


class PCADominance(_DiagnosticScaler):
    """A scaler that reports how far features or blocks dominate PCA.

    ``fit`` fits a clone of ``scaler`` and stores
    ``pca_dominance(X, scaler.transform(X))`` as ``report_``; ``transform``
    applies the fitted scaler. Put it in a ``Pipeline`` where the scaler was,
    and read ``pipeline[step].report_`` afterwards.

    Parameters
    ----------
    scaler : transformer or "passthrough", default=None
        The scaler to fit and report on; ``None`` means ``ZScoreScaler()``,
        ``"passthrough"`` reports on the data as they are.
    blocks : dict, default=None
        Block name -> columns, for block shares in the report.
    n_components : int, default=5
        Components in the report.

    Attributes
    ----------
    scaler_ : transformer or "passthrough"
        The fitted clone of ``scaler``.
    report_ : PCADominanceReport
        The report computed in ``fit``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` had string column
        names.

    See Also
    --------
    pca_dominance : The report as a function.
    KNNDistortion : The same for nearest neighbours.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.pipeline import make_pipeline
    >>> from skscale.diagnostics import PCADominance
    >>> X = load_wine(as_frame=True).data
    >>> pipeline = make_pipeline(PCADominance(), PCA(n_components=2)).fit(X)
    >>> pipeline[0].report_.components.loc["PC1", "top_feature_before"]
    'proline'
    """

    _parameter_constraints: dict = {
        "scaler": [HasMethods(["fit", "transform"]), StrOptions({"passthrough"}), None],
        "blocks": [dict, None],
        "n_components": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, scaler=None, *, blocks=None, n_components=5):
        self.scaler = scaler
        self.blocks = blocks
        self.n_components = n_components

    def _report(self, X, X_after, y):
        return pca_dominance(
            X, X_after, blocks=self.blocks, n_components=self.n_components
        )


class KNNDistortion(_DiagnosticScaler):
    """A scaler that reports how it changed distances and nearest neighbours.

    ``fit`` fits a clone of ``scaler`` and stores
    ``knn_distortion(X, scaler.transform(X), y=y)`` as ``report_``;
    ``transform`` applies the fitted scaler, so it can stand where the scaler
    stood in a ``Pipeline``.

    Parameters
    ----------
    scaler : transformer or "passthrough", default=None
        The scaler to fit and report on; ``None`` means ``ZScoreScaler()``.
    n_neighbors : int, default=10
        Neighbours per point.
    max_samples : int, default=5000
        At most this many random query points.
    random_state : int, RandomState instance or None, default=None
        Seed for the sampling of queries and pairs.

    Attributes
    ----------
    scaler_ : transformer or "passthrough"
        The fitted clone of ``scaler``.
    report_ : KNNDistortionReport
        The report computed in ``fit`` (with ``y`` as class labels when given).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` had string column
        names.

    See Also
    --------
    knn_distortion : The report as a function.
    PCADominance : The same for PCA.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from skscale.diagnostics import KNNDistortion
    >>> wine = load_wine(as_frame=True)
    >>> pipeline = make_pipeline(KNNDistortion(), KNeighborsClassifier())
    >>> report = pipeline.fit(wine.data, wine.target)[0].report_
    >>> round(float(report.metrics["purity_after"]), 2)
    0.92
    """

    _parameter_constraints: dict = {
        "scaler": [HasMethods(["fit", "transform"]), StrOptions({"passthrough"}), None],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "max_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self, scaler=None, *, n_neighbors=10, max_samples=5000, random_state=None
    ):
        self.scaler = scaler
        self.n_neighbors = n_neighbors
        self.max_samples = max_samples
        self.random_state = random_state

    def _report(self, X, X_after, y):
        return knn_distortion(
            X,
            X_after,
            y=y,
            n_neighbors=self.n_neighbors,
            max_samples=self.max_samples,
            random_state=self.random_state,
        )
