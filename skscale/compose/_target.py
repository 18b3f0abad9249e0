"""ScaledTargetRegressor: scale the target for any regressor."""

import inspect

import numpy as np
import pandas as pd
from sklearn import get_config
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.utils import Bunch, get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import check_array, check_is_fitted, has_fit_parameter

from skscale._backends import (
    as_array,
    as_column,
    as_flat,
    as_float64,
    check_finite,
    finite_on_host,
    host_like,
    refuse_annotated,
)
from skscale._backends.array_api import like_input, namespace_reference
from skscale.preprocessing import ZScoreScaler
from skscale.utils._sklearn_compat import (
    CallbackSupportMixin,
    HasMethods,
    _fit_context,
    _num_samples,
    callback_task,
    check_same_namespace,
    sub_estimator_task,
)
from skscale.utils._validation import warn_user

# Points at which inverse_transform is probed to read off a per-target affine map.
_PROBE = np.array([-1.0, 0.0, 1.0, 2.5])


def _routing_enabled():
    return bool(get_config().get("enable_metadata_routing", False))


def _check_target(y):
    """Validate ``y``: numeric, 1-D or 2-D, finite; errors name what is wrong."""
    if y is None:
        raise ValueError(
            "ScaledTargetRegressor requires y to be passed, but the target y is None."
        )
    y = check_array(
        y,
        input_name="y",
        ensure_2d=False,
        dtype="numeric",
        ensure_all_finite=False,
        ensure_min_samples=1,
    )
    bad_values = finite_on_host(y)
    if bad_values is not None:
        y = bad_values
        finite = np.isfinite(y)
        bad = np.flatnonzero(~finite if y.ndim == 1 else ~finite.all(axis=1))
        kinds = " and ".join(
            kind
            for kind, present in (
                ("NaN", np.isnan(y).any()),
                ("infinity", np.isinf(y).any()),
            )
            if present
        )
        raise ValueError(
            f"Input y contains {kinds} in {bad.size} sample(s) (first at index "
            f"{bad[0]}); expected finite target values. Drop or impute those "
            "samples before fitting."
        )
    return y


def _refuse_infinity(X):
    """Name the column of a dense numeric X that holds +/-inf, whatever the
    regressor would say (its own message does not name it)."""
    names = None
    if isinstance(X, pd.DataFrame):
        numeric = X.select_dtypes("number")
        if numeric.shape[1] != X.shape[1]:
            return  # the regressor decides what to do with other columns
        names = [str(c) for c in X.columns]
        X = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind == "f":
        check_finite(X, feature_names=names)


class ScaledTargetRegressor(CallbackSupportMixin, RegressorMixin, BaseEstimator):
    """Fit a regressor on a scaled target and predict in the original units.

    ``regressor`` is fitted on ``scaler.fit_transform(y)``; predictions are
    mapped back with ``scaler.inverse_transform``. The scale of ``y`` sets the
    scale of the loss and of its gradient: a target in the tens of thousands
    makes plain stochastic gradient descent diverge or crawl, and moves the
    balance between a penalty and the data. Standardising ``y`` removes both.

    Beyond :class:`sklearn.compose.TransformedTargetRegressor`:
    ``sample_weight`` reaches the scaler as well as the regressor, so the
    scaled target is centred on the weighted mean; ``predict(X,
    return_std=True)`` returns the standard deviation in the original units for
    regressors that offer it (such as ``GaussianProcessRegressor`` or
    ``BayesianRidge``); tags follow the wrapped regressor.

    Parameters
    ----------
    regressor : object, default=None
        Regressor to fit on the scaled target; cloned into ``regressor_``.
        ``None`` means ``Ridge()``; pass ``Ridge()`` explicitly to tune its
        parameters as ``regressor__alpha`` in a grid search.
    scaler : object, default=None
        Transformer with ``fit``, ``transform`` and ``inverse_transform``
        applied to ``y`` (as a column per target); cloned into ``scaler_``.
        ``None`` means ``ZScoreScaler()``. ``return_std=True`` needs a scaler
        whose inverse is a per-target affine map (z-score, min-max, robust,
        max-abs scaling all are).

    Attributes
    ----------
    regressor_ : object
        The fitted clone of ``regressor``.
    scaler_ : object
        The fitted clone of ``scaler``.
    n_features_in_ : int
        Number of features seen during ``fit`` (the regressor's).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when the regressor records them.

    See Also
    --------
    sklearn.compose.TransformedTargetRegressor : Scikit-learn's general
        target-transforming wrapper.
    skscale.preprocessing.ZScoreScaler : The default scaler.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDRegressor
    >>> from skscale.compose import ScaledTargetRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3))
    >>> y = 5e4 + 1e3 * (X @ [1.0, -2.0, 0.5]) + rng.normal(size=500)
    >>> model = ScaledTargetRegressor(SGDRegressor(random_state=0)).fit(X, y)
    >>> round(model.score(X, y), 3)
    1.0
    >>> model.predict(X[:2]).round(-1)
    array([50710., 51350.])
    """

    _parameter_constraints: dict = {
        "regressor": [HasMethods(["fit", "predict"]), None],
        "scaler": [HasMethods(["fit", "transform", "inverse_transform"]), None],
    }

    def __init__(self, regressor=None, *, scaler=None):
        self.regressor = regressor
        self.scaler = scaler

    def _get_regressor(self):
        if self.regressor is not None:
            return self.regressor
        regressor = Ridge()
        return (
            regressor.set_fit_request(sample_weight=True)
            if _routing_enabled()
            else regressor
        )

    def _get_scaler(self):
        if self.scaler is not None:
            return self.scaler
        scaler = ZScoreScaler()
        return (
            scaler.set_fit_request(sample_weight=True) if _routing_enabled() else scaler
        )

    @_fit_context(
        # the regressor and scaler are validated when they are fitted
        prefer_skip_nested_validation=False
    )
    @callback_task(subtasks=lambda model, X: 2)  # the scaler, the regressor
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Scale ``y``, then fit the regressor on ``X`` and the scaled target.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, as the regressor accepts it.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values; must be finite.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the scaler's ``fit`` (when it accepts ``sample_weight``;
            otherwise a warning says the target is scaled without them) and to
            the regressor's ``fit``. With metadata routing enabled it is
            routed like any other metadata, by each one's request.
        **fit_params : dict
            Other parameters for the regressor's ``fit`` (routed to it when
            metadata routing is enabled).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        refuse_annotated(X)
        # y and the weights follow X's namespace and device (array API)
        y = _check_target(like_input(X, y))
        sample_weight = like_input(X, sample_weight)
        _refuse_infinity(X)
        n_samples = _num_samples(X)
        if n_samples != y.shape[0]:
            raise ValueError(
                f"X has {n_samples} samples but y has {y.shape[0]}; expected the "
                "same number of samples in both."
            )
        routed = self._route_fit(sample_weight, fit_params)

        self._y_ndim = y.ndim
        y_2d = as_column(y)
        self.scaler_ = clone(self._get_scaler())
        with sub_estimator_task(self, self.scaler_, "scale the target"):
            self.scaler_.fit(y_2d, **routed.scaler.fit)
        y_scaled = as_float64(self.scaler_.transform(y_2d))
        if y.ndim == 1:
            y_scaled = as_flat(y_scaled)

        self.regressor_ = clone(self._get_regressor())
        with sub_estimator_task(self, self.regressor_, "fit the regressor"):
            self.regressor_.fit(X, y_scaled, **routed.regressor.fit)
        if hasattr(self.regressor_, "feature_names_in_"):
            self.feature_names_in_ = self.regressor_.feature_names_in_
        # predict checks its input's namespace against it (array API)
        self._fit_reference = namespace_reference(X)
        return self

    def _route_fit(self, sample_weight, fit_params):
        if _routing_enabled():
            if sample_weight is not None:
                fit_params = {**fit_params, "sample_weight": sample_weight}
            return process_routing(self, "fit", **fit_params)
        regressor_params = dict(fit_params)
        scaler_params = {}
        if sample_weight is not None:
            regressor_params["sample_weight"] = sample_weight
            scaler = self._get_scaler()
            if has_fit_parameter(scaler, "sample_weight"):
                scaler_params["sample_weight"] = sample_weight
            else:
                warn_user(
                    f"{type(scaler).__name__}.fit takes no sample_weight: the target "
                    "is scaled without the weights (the regressor still gets them).",
                )
        return Bunch(
            regressor=Bunch(fit=regressor_params),
            scaler=Bunch(fit=scaler_params),
        )

    def predict(self, X, return_std=False, **predict_params):
        """Predict with the regressor and map the predictions to the original units.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        return_std : bool, default=False
            Also return the predictive standard deviation, in the original
            units: the regressor's (which must accept ``return_std``) times the
            scaler's per-target scale.
        **predict_params : dict
            Other parameters for the regressor's ``predict`` (routed to it when
            metadata routing is enabled).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions in the units of ``y``; 1-D when ``y`` was 1-D.
        y_std : ndarray, same shape as ``y_pred``
            Only with ``return_std=True``.
        """
        check_is_fitted(self)
        refuse_annotated(X)
        check_same_namespace(X, self, attribute="_fit_reference", method="predict")
        if _routing_enabled():
            params = process_routing(
                self, "predict", **predict_params
            ).regressor.predict
        else:
            params = predict_params
        if not return_std:
            return self._to_original(self.regressor_.predict(X, **params))

        accepts_std = (
            "return_std" in inspect.signature(self.regressor_.predict).parameters
        )
        if not accepts_std:
            raise ValueError(
                f"return_std=True needs a regressor whose predict accepts return_std "
                f"(such as GaussianProcessRegressor or BayesianRidge); "
                f"{type(self.regressor_).__name__}.predict does not."
            )
        slope = np.abs(self._target_slope())
        pred, std = self.regressor_.predict(X, return_std=True, **params)
        std = as_float64(std)
        std_original = as_column(std) * host_like(slope, std)
        if self._y_ndim == 1:
            std_original = as_flat(std_original)
        return self._to_original(pred), std_original

    def _to_original(self, pred):
        pred = as_array(pred)
        original = as_array(self.scaler_.inverse_transform(as_column(pred)))
        if self._y_ndim == 1 and original.ndim == 2 and original.shape[1] == 1:
            original = as_flat(original)
        return original

    def _target_slope(self):
        """The per-target factor of the scaler's inverse, checked to be affine.

        ``inverse_transform`` is probed at a few points; a per-target affine map
        ``t -> a * t + b`` gives back exactly ``a`` as the standard deviation's
        factor. Anything else (a quantile or power transform, a log) is refused.
        """
        n_targets = getattr(self.scaler_, "n_features_in_", 1)
        probe = np.repeat(_PROBE[:, None], n_targets, axis=1)
        try:
            back = np.asarray(self.scaler_.inverse_transform(probe), dtype=np.float64)
        except Exception as exc:  # the scaler cannot even invert the probe
            raise ValueError(self._not_affine_message()) from exc
        if back.shape != probe.shape:
            raise ValueError(self._not_affine_message())
        origin, slope = back[1], back[2] - back[1]
        expected = origin + probe * slope
        tolerance = 1e-9 * (np.abs(origin) + np.abs(slope) * np.abs(probe))
        if not np.all(np.abs(back - expected) <= tolerance):
            raise ValueError(self._not_affine_message())
        return slope

    def _not_affine_message(self):
        return (
            "return_std=True maps the standard deviation back through the target "
            "scaler, which must be a per-target affine map (such as ZScoreScaler, "
            f"MinMaxScaler or RobustScaler); {type(self.scaler_).__name__} is not."
        )

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        ``fit`` routes to the scaler's and the regressor's ``fit``; ``predict``
        to the regressor's ``predict``.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add(
                regressor=self._get_regressor(),
                method_mapping=MethodMapping()
                .add(caller="fit", callee="fit")
                .add(caller="predict", callee="predict"),
            )
            .add(
                scaler=self._get_scaler(),
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )

    @property
    def n_features_in_(self):
        """Number of features seen during ``fit``."""
        try:
            check_is_fitted(self)
        except NotFittedError as exc:
            raise AttributeError(
                f"{type(self).__name__} object has no n_features_in_ attribute."
            ) from exc
        return self.regressor_.n_features_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._get_regressor())
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.target_tags.multi_output = inner.target_tags.multi_output
        tags.regressor_tags.poor_score = inner.regressor_tags.poor_score
        # the target is scaled on its device; the regressor must run there too
        tags.array_api_support = (
            inner.array_api_support and get_tags(self._get_scaler()).array_api_support
        )
        return tags
