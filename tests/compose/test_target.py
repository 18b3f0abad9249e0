import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning, UnsetMetadataPassedError
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.linear_model import BayesianRidge, Ridge, SGDRegressor
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)
from sklearn.svm import SVR
from sklearn.utils import get_tags

from skscale.compose import ScaledTargetRegressor
from skscale.preprocessing import MinMaxScaler, ZScoreScaler


def _regression(n=200, n_targets=None, *, seed=0, offset=5e4, scale=1e3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    shape = (4,) if n_targets is None else (4, n_targets)
    coef = rng.normal(size=shape)
    y = (
        offset
        + scale * (X @ coef)
        + rng.normal(scale=scale * 0.05, size=n)[
            (...,) + ((None,) if n_targets else ())
        ]
    )
    return X, y


@pytest.mark.parametrize(
    "regressor",
    [
        # a Huber loss: its epsilon (0.1) is in the units of y, so on a target in
        # the tens of thousands every residual is an "outlier" and the loss is
        # effectively absolute: SGD crawls
        SGDRegressor(loss="huber", random_state=0),
        # averaged SGD: the average is dominated by the first, huge steps
        SGDRegressor(average=True, random_state=0),
        # a fixed, short budget of epochs: the intercept has 5e4 to travel
        SGDRegressor(max_iter=2, tol=None, random_state=0),
        # a network trained by plain SGD: gradients proportional to 5e4 diverge
        MLPRegressor(solver="sgd", random_state=0),
    ],
    ids=["huber", "average", "two_epochs", "mlp_sgd"],
)
def test_gradient_training_needs_the_target_scaled(regressor):
    X, y = _regression(n=1000)
    bare = make_pipeline(ZScoreScaler(), regressor.__sklearn_clone__())
    wrapped = make_pipeline(ZScoreScaler(), ScaledTargetRegressor(regressor))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            bare_score = bare.fit(X, y).score(X, y)
        except ValueError as exc:  # diverged to non-finite weights
            assert "non-finite" in str(exc)
            bare_score = -np.inf
        wrapped_score = wrapped.fit(X, y).score(X, y)
    assert bare_score < 0.95
    assert wrapped_score > 0.95


def test_plain_sgd_on_standardised_features_copes_with_a_large_target():
    # The curvature of the squared loss depends on X, not on y: plain SGD is
    # stable either way, and scaling y changes nothing for the worse.
    X, y = _regression(n=1000)
    bare = make_pipeline(ZScoreScaler(), SGDRegressor(random_state=0))
    wrapped = make_pipeline(
        ZScoreScaler(), ScaledTargetRegressor(SGDRegressor(random_state=0))
    )
    assert wrapped.fit(X, y).score(X, y) >= bare.fit(X, y).score(X, y) - 1e-3


@pytest.mark.parametrize("n_targets", [None, 1, 3])
def test_identical_to_transformed_target_regressor(n_targets):
    X, y = _regression(n_targets=n_targets)
    ours = ScaledTargetRegressor().fit(X, y)
    theirs = TransformedTargetRegressor(Ridge(), transformer=StandardScaler()).fit(X, y)
    pred = ours.predict(X)
    assert pred.shape == y.shape
    assert_allclose(pred, theirs.predict(X), rtol=1e-12)
    assert isinstance(ours.regressor_, Ridge) and isinstance(ours.scaler_, ZScoreScaler)


def test_one_dimensional_target_gives_one_dimensional_predictions():
    X, y = _regression()
    assert ScaledTargetRegressor().fit(X, y).predict(X).shape == (200,)
    assert ScaledTargetRegressor().fit(X, y[:, None]).predict(X).shape == (200, 1)


def test_sample_weight_reaches_scaler_and_regressor():
    X, y = _regression()
    weights = np.random.default_rng(1).uniform(0, 3, size=200)
    model = ScaledTargetRegressor().fit(X, y, sample_weight=weights)
    weighted_mean = np.sum(weights * y) / np.sum(weights)
    assert model.scaler_.mean_[0] == pytest.approx(weighted_mean, rel=1e-14)
    # written out: the scaled target, a weighted Ridge, mapped back
    weighted_std = np.sqrt(np.sum(weights * (y - weighted_mean) ** 2) / weights.sum())
    ridge = Ridge().fit(X, (y - weighted_mean) / weighted_std, sample_weight=weights)
    expected = ridge.predict(X) * weighted_std + weighted_mean
    assert_allclose(model.predict(X), expected, rtol=1e-10)


def test_sample_weight_with_a_scaler_that_takes_none_still_reaches_regressor():
    X, y = _regression()
    weights = np.random.default_rng(1).uniform(0, 3, size=200)
    model = ScaledTargetRegressor(scaler=MinMaxScaler()).fit(
        X, y, sample_weight=weights
    )
    unweighted = ScaledTargetRegressor(scaler=MinMaxScaler()).fit(X, y)
    assert_array_equal(model.scaler_.data_min_, unweighted.scaler_.data_min_)
    assert not np.allclose(model.predict(X), unweighted.predict(X))


class _RecordingRegressor(RegressorMixin, BaseEstimator):
    """Records what fit and predict received."""

    def fit(self, X, y, sample_weight=None, note=None):
        self.y_seen_ = np.asarray(y)
        self.note_ = note
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X, shift=0.0):
        return np.zeros(len(X)) + shift


def test_fit_and_predict_params_go_to_the_regressor():
    X, y = _regression()
    model = ScaledTargetRegressor(_RecordingRegressor()).fit(X, y, note="hello")
    assert model.regressor_.note_ == "hello"
    assert_allclose(model.regressor_.y_seen_.mean(), 0.0, atol=1e-10)
    assert_allclose(model.regressor_.y_seen_.std(), 1.0)
    # predict(shift=1) is one scaled unit: the target's standard deviation
    assert_allclose(model.predict(X[:3], shift=1.0), y.mean() + y.std())


@pytest.mark.parametrize(
    "regressor",
    [GaussianProcessRegressor(alpha=1e-2), BayesianRidge()],
    ids=["gpr", "bayesian_ridge"],
)
def test_return_std_is_in_original_units(regressor):
    X, y = _regression(n=80)
    model = ScaledTargetRegressor(regressor).fit(X, y)
    pred, std = model.predict(X[:10], return_std=True)
    # written out: the same regressor on the z-scored target. The scaler's
    # mean and std are y's to rounding; the target is z-scored with them, as
    # a last-bit difference in z moves the GP's fitted kernel by far more.
    mean, sd = model.scaler_.mean_[0], model.scaler_.scale_[0]
    assert_allclose([mean, sd], [y.mean(), y.std()], rtol=1e-14)
    inner = regressor.__sklearn_clone__().fit(X, (y - mean) / sd)
    inner_pred, inner_std = inner.predict(X[:10], return_std=True)
    assert_allclose(pred, inner_pred * sd + mean, rtol=1e-12)
    assert_allclose(std, inner_std * sd, rtol=1e-12)
    assert pred.shape == std.shape == (10,)
    # scikit-learn's wrapper cannot do this
    with pytest.raises((TypeError, AttributeError, ValueError)):
        TransformedTargetRegressor(regressor, transformer=StandardScaler()).fit(
            X, y
        ).predict(X[:10], return_std=True)


def test_return_std_with_several_targets_and_other_affine_scalers():
    X, y = _regression(n=60, n_targets=2)
    for scaler in (ZScoreScaler(), MinMaxScaler((-1, 1)), RobustScaler()):
        model = ScaledTargetRegressor(
            GaussianProcessRegressor(alpha=1e-2), scaler=scaler
        )
        model.fit(X, y)
        _, std = model.predict(X[:5], return_std=True)
        slope = model.scaler_.inverse_transform(np.ones((1, 2))) - (
            model.scaler_.inverse_transform(np.zeros((1, 2)))
        )
        _, inner_std = model.regressor_.predict(X[:5], return_std=True)
        assert std.shape == (5, 2)
        assert_allclose(std, inner_std * np.abs(slope), rtol=1e-12)


def test_return_std_refused_clearly():
    X, y = _regression(n=60)
    with pytest.raises(ValueError, match=r"Ridge\.predict does not"):
        ScaledTargetRegressor().fit(X, y).predict(X, return_std=True)
    for scaler in (
        QuantileTransformer(n_quantiles=20),
        FunctionTransformer(np.log1p, np.expm1),
    ):
        model = ScaledTargetRegressor(BayesianRidge(), scaler=scaler).fit(X, y)
        with pytest.raises(ValueError, match="per-target affine map"):
            model.predict(X, return_std=True)
        model.predict(X)  # plain predictions still work


def test_tags_follow_the_regressor():
    assert not get_tags(ScaledTargetRegressor()).input_tags.allow_nan
    hgb = get_tags(ScaledTargetRegressor(HistGradientBoostingRegressor()))
    assert hgb.input_tags.allow_nan and not hgb.input_tags.sparse
    assert get_tags(ScaledTargetRegressor()).input_tags.sparse
    assert get_tags(ScaledTargetRegressor()).target_tags.multi_output
    assert not get_tags(ScaledTargetRegressor(SVR())).target_tags.multi_output


def test_nan_in_x_works_when_the_regressor_allows_it():
    X, y = _regression()
    X[::7, 1] = np.nan
    model = ScaledTargetRegressor(HistGradientBoostingRegressor(max_iter=30))
    assert model.fit(X, y).score(X, y) > 0.8


def test_feature_names_and_score_in_original_units():
    X, y = _regression()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = ScaledTargetRegressor().fit(df, y)
    assert model.n_features_in_ == 4
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    assert model.score(df, y) == pytest.approx(r2_score(y, model.predict(df)))
    assert not hasattr(ScaledTargetRegressor(), "n_features_in_")


def test_grid_search_over_scaler_and_regressor_parameters():
    X, y = _regression(n=120)
    search = GridSearchCV(
        # nested parameters need the regressor given explicitly (None has none)
        ScaledTargetRegressor(Ridge()),
        {
            "scaler": [ZScoreScaler(), MinMaxScaler(), RobustScaler()],
            "regressor__alpha": [0.01, 1.0, 100.0],
        },
        cv=3,
    ).fit(X, y)
    assert search.best_params_["regressor__alpha"] == 0.01
    assert len(search.cv_results_["params"]) == 9
    assert search.best_estimator_.score(X, y) > 0.95


@pytest.mark.parametrize(
    "bad_y, message",
    [
        (
            lambda y: np.where(np.arange(y.size) == 5, np.nan, y),
            "NaN in 1 sample.*index 5",
        ),
        (
            lambda y: np.where(np.arange(y.size) >= 7, np.inf, y),
            "infinity in 193 sample",
        ),
        (lambda y: y[:-1], "X has 200 samples but y has 199"),
        (lambda y: None, "requires y"),
        (lambda y: y.reshape(20, 10, 1), "dim 3"),
    ],
)
def test_bad_targets_are_refused_before_anything_is_fitted(bad_y, message):
    X, y = _regression()
    regressor = Ridge()
    model = ScaledTargetRegressor(regressor)
    with pytest.raises(ValueError, match=message):
        model.fit(X, bad_y(y))
    assert not hasattr(model, "regressor_") and not hasattr(model, "scaler_")
    assert not hasattr(regressor, "coef_")


def test_scaler_without_inverse_transform_is_refused():
    class NoInverse(BaseEstimator):
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return X

    X, y = _regression()
    with pytest.raises(ValueError, match=r"'scaler' parameter.*inverse_transform"):
        ScaledTargetRegressor(scaler=NoInverse()).fit(X, y)


def test_metadata_routing():
    X, y = _regression()
    weights = np.random.default_rng(1).uniform(0, 3, size=200)
    with config_context(enable_metadata_routing=True):
        # defaults request sample_weight on both
        default = ScaledTargetRegressor().fit(X, y, sample_weight=weights)
        assert default.scaler_.mean_[0] == pytest.approx(np.average(y, weights=weights))
        # explicit requests are honoured: weights to the regressor only
        model = ScaledTargetRegressor(
            Ridge().set_fit_request(sample_weight=True),
            scaler=ZScoreScaler().set_fit_request(sample_weight=False),
        ).fit(X, y, sample_weight=weights)
        assert model.scaler_.mean_[0] == pytest.approx(y.mean())
        # unset requests are an error, as everywhere in scikit-learn
        with pytest.raises(UnsetMetadataPassedError):
            ScaledTargetRegressor(Ridge(), scaler=ZScoreScaler()).fit(
                X, y, sample_weight=weights
            )
        recorder = _RecordingRegressor().set_predict_request(shift=True)
        routed = ScaledTargetRegressor(recorder).fit(X, y)
        assert_allclose(routed.predict(X[:2], shift=1.0), y.mean() + y.std())


def test_weights_the_target_scaler_cannot_take_are_said_not_dropped():
    from sklearn.preprocessing import MinMaxScaler as SklearnMinMaxScaler

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = X[:, 0] * 100 + 5
    weights = np.linspace(0.5, 2, 30)
    model = ScaledTargetRegressor(scaler=SklearnMinMaxScaler())
    with pytest.warns(UserWarning, match="MinMaxScaler.fit takes no sample_weight"):
        model.fit(X, y, sample_weight=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ScaledTargetRegressor().fit(X, y, sample_weight=weights)  # ZScoreScaler
