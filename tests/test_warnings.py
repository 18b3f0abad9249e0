"""Every warning skscale gives points at the user's line, not at skscale's.

A warning shows the file and line it was raised for; one that names a line
inside skscale (or scikit-learn's wrappers) tells the user nothing. These
trigger each warning from here and check that it points at this file.
"""

import os
import warnings

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer

from skscale.compose import ScaledTargetRegressor
from skscale.diagnostics import compare_scalers
from skscale.preprocessing import BlockScaler, LevelScaler, ZScoreScaler

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3)) * [1, 10, 100] + [5, 50, 500]
y = (X[:, 0] > 5).astype(int)
with_empty = X.copy()
with_empty[:, 1] = np.nan
with_constant_block = X.copy()
with_constant_block[:, 2] = 3.0
zero_mean = X.copy()
zero_mean[:, 1] -= zero_mean[:, 1].mean()

# under `make mutate` each mutated function is called through mutmut's
# trampoline, a frame outside skscale that the warnings then point at
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("SKSCALE_MUTATION")), reason="mutmut's trampolines add frames"
)


def _all_nan_column():
    ZScoreScaler().fit(with_empty)


def _all_nan_column_in_a_pipeline():
    make_pipeline(ZScoreScaler()).fit(with_empty)


def _column_in_no_block():
    BlockScaler({"a": [0, 1]}).fit(X)


def _block_without_variance():
    BlockScaler({"a": [0, 1], "b": [2]}).fit(with_constant_block)


def _block_selecting_nothing():
    BlockScaler({"a": [0, 1, 2], "b": []}).fit(X)


def _target_scaler_without_weights():
    ScaledTargetRegressor(Ridge(), scaler=QuantileTransformer(n_quantiles=10)).fit(
        X, X[:, 0], sample_weight=np.ones(60)
    )


def _zero_mean_feature():
    LevelScaler().fit(zero_mean)


def _comparison_blocks_leave_columns_out():
    compare_scalers(X, y, scalers={"zscore": ZScoreScaler()}, blocks={"a": [0]}, cv=3)


def _comparison_passes_a_candidate_warning_on():
    compare_scalers(zero_mean, y, scalers={"level": LevelScaler()}, cv=3)


@pytest.mark.parametrize(
    "trigger, message",
    [
        (_all_nan_column, "held only NaN"),
        (_all_nan_column_in_a_pipeline, "held only NaN"),
        (_column_in_no_block, "in no block and pass through"),
        (_block_without_variance, "has no variance after scaling"),
        (_block_selecting_nothing, "selects no column"),
        (_target_scaler_without_weights, "takes no sample_weight"),
        (_zero_mean_feature, "has a mean of zero"),
        (_comparison_blocks_leave_columns_out, "are in no block"),
        (_comparison_passes_a_candidate_warning_on, "candidate 'level'"),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:],
)
def test_the_warning_points_at_the_callers_line(trigger, message):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trigger()
    ours = [w for w in caught if message in str(w.message)]
    assert ours, [str(w.message) for w in caught]
    for warning in ours:
        assert warning.filename == __file__, (warning.filename, str(warning.message))
