"""Scalers: per-feature transformers for scikit-learn pipelines."""

from skscale.preprocessing._minmax import MinMaxScaler
from skscale.preprocessing._zscore import ZScoreScaler

__all__ = ["MinMaxScaler", "ZScoreScaler"]
