"""The one registry of the estimator instances that the tests run on.

Every test that loops over estimators takes them from here, so that a new
public estimator is tested everywhere on the day it is added: the classes come
from :func:`skscale.utils.discovery.all_estimators`, and ``INIT_PARAMS`` says
how to build those that need arguments, or that are worth checking in more than
one configuration. A discovered estimator that has no entry and cannot be built
with its defaults makes :func:`construct_instances` raise, so the tests fail
until it is given one. Modelled on imbalanced-learn's
``imblearn/utils/_test_common/instance_generator.py``.

- :func:`all_instances`: every configuration of every estimator, for
  scikit-learn's checks (``tests/test_common.py``);
- :func:`reference_instances`: one instance per estimator, its first
  configuration, for tests that run each estimator once (the bad-input matrix,
  persistence, the property tests);
- :func:`expected_failed_checks`: the scikit-learn checks an instance is known
  to fail, each with its reason.
"""

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import BayesianRidge
from sklearn.preprocessing import QuantileTransformer, StandardScaler
from sklearn.utils.validation import has_fit_parameter

from skscale.compose import ScaledTargetRegressor
from skscale.diagnostics import KNNDistortion, PCADominance
from skscale.preprocessing import (
    BlockScaler,
    CLRTransformer,
    HighlyVariableGenes,
    LogTransformer,
    MedianRatioNormalizer,
    MinMaxScaler,
    ParetoScaler,
    SampleStandardizer,
    TotalSumNormalizer,
    ZScoreScaler,
)
from skscale.utils.discovery import all_estimators

# The blocks adapt to any width, so that every check's data fits them.
_FIRST_AND_REST = {"first": slice(0, 1), "rest": slice(1, None)}

# Constructor arguments of each configuration the tests run, the first being
# the estimator's reference configuration. An estimator absent from this dict
# is built once, with its defaults.
INIT_PARAMS = {
    # a required parameter
    BlockScaler: [
        {"blocks": _FIRST_AND_REST},
        {
            "blocks": {"even": slice(0, None, 2), "odd": slice(1, None, 2)},
            "scaler": ParetoScaler(),
            "weighting": "total_variance",
        },
        {"blocks": {"first": [0]}, "scaler": StandardScaler(), "weighting": None},
        # sparse input kept sparse
        {"blocks": _FIRST_AND_REST, "scaler": ZScoreScaler(with_mean=False)},
    ],
    # the checks' data hold zeros: the log needs a pseudocount
    CLRTransformer: [{"pseudocount": 1.0}, {"pseudocount": 0.5}],
    # a number of genes (the default cutoffs may keep no column of the checks'
    # data), each flavour, and the cutoffs
    HighlyVariableGenes: [
        {"n_top_genes": 1},
        {"flavor": "cell_ranger", "n_top_genes": 2},
        {"min_mean": -np.inf, "max_mean": np.inf, "min_disp": -np.inf},
    ],
    # log1p (sparse kept), the glog (lambda learnt), a pseudocount and base,
    # and the glog whose lambda keeps zeros (sparse kept)
    LogTransformer: [
        {},
        {"method": "glog"},
        {"base": 2.0, "pseudocount": 0.5},
        {"method": "glog", "glog_lambda": 4.0},
    ],
    # diagnostics: their scaler choices
    KNNDistortion: [
        {},
        {
            "scaler": "passthrough",
            "n_neighbors": 3,
            "max_samples": 10,
            "random_state": 0,
        },
    ],
    # DESeq2's ratio and poscounts size factors
    MedianRatioNormalizer: [{}, {"method": "poscounts"}],
    PCADominance: [
        {},
        {"scaler": "passthrough", "n_components": 2},
        {"scaler": MinMaxScaler(), "blocks": {"first": [0]}},
    ],
    SampleStandardizer: [
        {},
        {"blocks": _FIRST_AND_REST},
        {"with_mean": False},
    ],
    ScaledTargetRegressor: [
        {},
        # tags follow the regressor: NaN allowed, sparse refused
        {"regressor": HistGradientBoostingRegressor(max_iter=20)},
        # single-output regressor (predicts a std too); a min-max target scaler
        {"regressor": BayesianRidge(), "scaler": MinMaxScaler()},
        # a non-affine scaler is fine for fit/predict
        {"scaler": QuantileTransformer(n_quantiles=10)},
    ],
    # scanpy's exclude_highly_expressed
    # scanpy's exclude_highly_expressed: the checks' data have a few features,
    # each above any smaller share of some row (all excluded is refused), so
    # the battery runs the exclusion's path with nothing to exclude; the
    # exclusion itself: tests/preprocessing/test_samples.py
    TotalSumNormalizer: [{}, {"exclude_highly_expressed": True, "max_fraction": 1.0}],
    # extra configurations worth running the whole battery on
    ZScoreScaler: [
        {},
        {"with_mean": False},
        {"with_std": False},
        {"ddof": 1},
        {"max_value": 2.0},
    ],
}


class MissingInitParams(TypeError):
    """A discovered estimator cannot be built without an entry in INIT_PARAMS."""


def construct_instances(Estimator):
    """Return a fresh instance of ``Estimator`` for each of its configurations.

    Parameters
    ----------
    Estimator : type
        A skscale estimator class.

    Returns
    -------
    instances : list of estimators
        One per entry of ``INIT_PARAMS[Estimator]``, or the default instance
        when it has no entry. Sub-estimators and blocks are copies, so a test
        may fit or change an instance without touching the registry.

    Raises
    ------
    MissingInitParams
        If ``Estimator`` has no entry and cannot be built with its defaults.
    """
    if Estimator in INIT_PARAMS:
        return [clone(Estimator(**params)) for params in INIT_PARAMS[Estimator]]
    try:
        return [Estimator()]
    except TypeError as exc:
        raise MissingInitParams(
            f"{Estimator.__name__} cannot be built with its defaults ({exc}); "
            "give it an entry in INIT_PARAMS in tests/_registry.py."
        ) from exc


def all_instances():
    """Return every configuration of every public estimator, in name order."""
    return [
        estimator
        for _, Estimator in all_estimators()
        for estimator in construct_instances(Estimator)
    ]


def reference_instances():
    """Return ``{name: instance}`` with each estimator's first configuration."""
    return {
        name: construct_instances(Estimator)[0] for name, Estimator in all_estimators()
    }


def expected_failed_checks(estimator):
    """Return the scikit-learn checks ``estimator`` is known to fail, with why.

    Parameters
    ----------
    estimator : estimator instance
        One of :func:`all_instances`.

    Returns
    -------
    failures : dict of str -> str
        Check name -> the reason it fails, for ``parametrize_with_checks``'s
        ``expected_failed_checks``.
    """
    failures = {}
    # poscounts has a geometric mean wherever a feature has a positive count,
    # so it passes these checks
    if isinstance(estimator, MedianRatioNormalizer) and estimator.method == "ratio":
        reason = (
            "every feature of the check's data has a zero in some row (integer "
            "or sparse data, one feature), and median-of-ratios has no geometric "
            "mean to compare with: fit raises a ValueError that says so, as "
            "DESeq2 does"
        )
        for check in (
            "check_estimators_dtypes",
            "check_sample_weights_pandas_series",
            "check_sample_weights_not_an_array",
            "check_estimator_sparse_tag",
            "check_estimator_sparse_array",
            "check_estimator_sparse_matrix",
            "check_fit2d_1feature",
        ):
            failures[check] = reason
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
