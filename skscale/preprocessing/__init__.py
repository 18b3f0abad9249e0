"""Scalers: per-feature transformers for scikit-learn pipelines."""

from skscale.preprocessing._batch import BatchScaler
from skscale.preprocessing._block_scaler import BlockScaler
from skscale.preprocessing._candidates import candidate_scalers
from skscale.preprocessing._hvg import HighlyVariableGenes
from skscale.preprocessing._log import LogTransformer
from skscale.preprocessing._log_ratio import CLRTransformer
from skscale.preprocessing._metabolomics import (
    LevelScaler,
    ParetoScaler,
    RangeScaler,
    VastScaler,
)
from skscale.preprocessing._minmax import MinMaxScaler
from skscale.preprocessing._quantile import QuantileNormalizer
from skscale.preprocessing._sample_standardizer import SampleStandardizer
from skscale.preprocessing._size_factors import (
    MedianRatioNormalizer,
    PQNormalizer,
    TotalSumNormalizer,
)
from skscale.preprocessing._zscore import ZScoreScaler

__all__ = [
    "BatchScaler",
    "BlockScaler",
    "CLRTransformer",
    "HighlyVariableGenes",
    "LevelScaler",
    "LogTransformer",
    "MedianRatioNormalizer",
    "MinMaxScaler",
    "PQNormalizer",
    "ParetoScaler",
    "QuantileNormalizer",
    "RangeScaler",
    "SampleStandardizer",
    "TotalSumNormalizer",
    "VastScaler",
    "ZScoreScaler",
    "candidate_scalers",
]
