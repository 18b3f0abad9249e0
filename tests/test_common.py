"""scikit-learn's estimator checks, run on every public skscale estimator.

Estimators are discovered with ``all_estimators()``, so a new one is checked
without editing this file. Besides ``parametrize_with_checks``, this runs the
checks scikit-learn applies only to itself: parameter validation, set_output
and feature names.
"""

import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import HuberRegressor
from sklearn.preprocessing import QuantileTransformer, StandardScaler
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_get_feature_names_out_error,
    check_global_output_transform_pandas,
    check_param_validation,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)
from sklearn.utils.validation import has_fit_parameter

from skscale.compose import ScaledTargetRegressor
from skscale.diagnostics import KNNDistortion, PCADominance
from skscale.preprocessing import (
    BlockScaler,
    MinMaxScaler,
    ParetoScaler,
    ZScoreScaler,
)
from skscale.utils.discovery import all_estimators

# Extra configurations worth running the whole battery on, beyond the defaults.
_EXTRA_INSTANCES = {
    "ZScoreScaler": [
        ZScoreScaler(with_mean=False),
        ZScoreScaler(with_std=False),
        ZScoreScaler(ddof=1),
        ZScoreScaler(max_value=2.0),
    ],
    "ScaledTargetRegressor": [
        # tags follow the regressor: NaN allowed, sparse refused
        ScaledTargetRegressor(HistGradientBoostingRegressor(max_iter=20)),
        # single-output regressor; a min-max target scaler
        ScaledTargetRegressor(HuberRegressor(), scaler=MinMaxScaler()),
        # a non-affine scaler is fine for fit/predict
        ScaledTargetRegressor(scaler=QuantileTransformer(n_quantiles=10)),
    ],
}


# Estimators with a required parameter, constructed for the checks. The blocks
# adapt to any width, so every check's data fits them.
_REQUIRED_INSTANCES = {
    "BlockScaler": [
        BlockScaler({"first": slice(0, 1), "rest": slice(1, None)}),
        BlockScaler(
            {"even": slice(0, None, 2), "odd": slice(1, None, 2)},
            scaler=ParetoScaler(),
            weighting="total_variance",
        ),
        BlockScaler({"first": [0]}, scaler=StandardScaler(), weighting=None),
        # sparse input kept sparse
        BlockScaler(
            {"first": slice(0, 1), "rest": slice(1, None)},
            scaler=ZScoreScaler(with_mean=False),
        ),
    ],
}


# Diagnostics: their scaler choices, for the checks.
_EXTRA_INSTANCES["PCADominance"] = [
    PCADominance("passthrough", n_components=2),
    PCADominance(MinMaxScaler(), blocks={"first": [0]}),
]
_EXTRA_INSTANCES["KNNDistortion"] = [
    KNNDistortion("passthrough", n_neighbors=3, max_samples=10, random_state=0),
]


def _instances():
    for name, Estimator in all_estimators():
        if name in _REQUIRED_INSTANCES:
            yield from _REQUIRED_INSTANCES[name]
            continue
        yield Estimator()
        yield from _EXTRA_INSTANCES.get(name, [])


def _expected_failed_checks(estimator):
    """Checks known to fail, with the reason."""
    failures = {}
    scaler = getattr(estimator, "scaler", None)
    if isinstance(estimator, ScaledTargetRegressor) and scaler is not None:
        if not has_fit_parameter(scaler, "sample_weight"):
            reason = (
                f"{type(scaler).__name__}.fit takes no sample_weight, so rows of "
                "weight zero still shape the target scaling: weighting is then not "
                "equivalent to removing or repeating rows"
            )
            failures["check_sample_weight_equivalence_on_dense_data"] = reason
            failures["check_sample_weight_equivalence_on_sparse_data"] = reason
    return failures


ESTIMATORS = list(_instances())


def test_all_estimators_found():
    names = {name for name, _ in all_estimators()}
    assert {
        "ZScoreScaler",
        "MinMaxScaler",
        "ScaledTargetRegressor",
        "BlockScaler",
        "PCADominance",
        "KNNDistortion",
    } <= names
    # the report classes are not estimators
    assert not {"PCADominanceReport", "KNNDistortionReport"} & names


@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=_expected_failed_checks, xfail_strict=True
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def _id(estimator):
    return repr(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_id)
def test_check_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


TRANSFORMERS = [e for e in ESTIMATORS if hasattr(e, "transform")]


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
@pytest.mark.parametrize(
    "check",
    [
        check_set_output_transform,
        check_set_output_transform_pandas,
        check_global_output_transform_pandas,
        check_transformer_get_feature_names_out,
        check_transformer_get_feature_names_out_pandas,
        check_dataframe_column_names_consistency,
        check_get_feature_names_out_error,
    ],
    ids=lambda check: check.__name__,
)
@pytest.mark.filterwarnings(
    # these checks deliberately transform arrays with a DataFrame-fitted
    # estimator (and the reverse); the warnings are scikit-learn's own, expected
    "ignore:X (does not have valid|has) feature names:UserWarning"
)
def test_transformer_output_and_feature_names(estimator, check):
    check(type(estimator).__name__, estimator)
