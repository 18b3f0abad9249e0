"""Meta-estimators: ScaledTargetRegressor scales the target for any regressor."""

from skscale.compose._target import ScaledTargetRegressor

__all__ = ["ScaledTargetRegressor"]
