"""scikit-learn's estimator checks, run on every public skscale estimator.

The instances come from ``tests/_registry.py``, which builds every estimator
``all_estimators()`` discovers, so a new one is checked without editing this
file. Besides ``parametrize_with_checks``, this runs the checks scikit-learn
applies only to itself: parameter validation, set_output and feature names.
"""

import pytest
from sklearn.base import BaseEstimator
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

from skscale.utils.discovery import all_estimators
from tests._registry import (
    INIT_PARAMS,
    MissingInitParams,
    all_instances,
    construct_instances,
    expected_failed_checks,
)

ESTIMATORS = all_instances()


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


def test_registry_covers_every_estimator():
    discovered = dict(all_estimators())
    assert {type(e).__name__ for e in ESTIMATORS} == set(discovered)
    # an entry for a class no longer discovered (renamed, made private) is dead
    assert set(INIT_PARAMS) <= set(discovered.values())


def test_registry_refuses_an_estimator_it_cannot_build():
    class NeedsBlocks(BaseEstimator):
        def __init__(self, blocks):
            self.blocks = blocks

    with pytest.raises(MissingInitParams, match=r"NeedsBlocks.*INIT_PARAMS"):
        construct_instances(NeedsBlocks)


@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=expected_failed_checks, xfail_strict=True
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
