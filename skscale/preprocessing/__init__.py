"""Scalers: per-feature transformers for scikit-learn pipelines."""

from skscale.preprocessing._block import BlockScaler
from skscale.preprocessing._candidates import candidate_scalers
from skscale.preprocessing._metabolomics import (
    LevelScaler,
    ParetoScaler,
    RangeScaler,
    VastScaler,
)
from skscale.preprocessing._minmax import MinMaxScaler
from skscale.preprocessing._zscore import ZScoreScaler

__all__ = [
    "BlockScaler",
    "LevelScaler",
    "MinMaxScaler",
    "ParetoScaler",
    "RangeScaler",
    "VastScaler",
    "ZScoreScaler",
    "candidate_scalers",
]
