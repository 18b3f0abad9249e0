"""MinMaxScaler: map each feature's range (or a percentile range) onto an interval."""

import numpy as np

from skscale._backends import Statistics, feature_statistics, validate_any
from skscale._backends._statistics import near_constant
from skscale.preprocessing._base import (
    _MomentScaler,
    ordered_range,
    set_input_features,
)
from skscale.utils._sklearn_compat import _fit_context, callback_task


class MinMaxScaler(_MomentScaler):
    """Scale each feature to a given range.

    ``x_scaled = (x - lo) / (hi - lo) * (max - min) + min`` where
    ``(min, max) = feature_range`` and ``lo``, ``hi`` are the feature's minimum
    and maximum (or, with ``quantile_range``, two of its percentiles).

    A drop-in for :class:`sklearn.preprocessing.MinMaxScaler` (same fitted
    attributes) with two additions: ``quantile_range=(low, high)`` takes ``lo``
    and ``hi`` from percentiles, so that one outlier cannot squash the bulk of a
    column into a tiny interval (combine with ``clip=True`` to bound the
    output), and the map is applied as ``(x - center) / scale``, which stays
    exact at large offsets where ``x * scale_ + min_`` cancels.

    NaN is ignored when fitting and kept by ``transform``; +/-inf raises a
    ``ValueError`` that names the column. A feature whose range is within the
    float64 rounding error of its magnitude (the rule of every skscale scaler,
    ``skscale._backends._statistics.near_constant``: ``range <= n * eps *
    max|x|``, relative, where scikit-learn's test is an absolute ``10 * eps``)
    is treated as constant: its range counts as 1, so it maps to
    ``feature_range[0]`` give or take its rounding noise.

    Parameters
    ----------
    feature_range : tuple (min, max), default=(0, 1)
        Desired range of the transformed data; ``min < max``.
    clip : bool, default=False
        Clip transformed values of held-out data to ``feature_range``.
    quantile_range : tuple (low, high) or None, default=None
        Percentiles, ``0 <= low < high <= 100``, used as ``lo`` and ``hi``
        instead of the minimum and maximum; for example ``(1, 99)``. Not
        available with ``partial_fit``, as percentiles cannot be updated
        exactly from batches, nor with dask input (a clear error: dask's
        percentiles are approximate, and skscale does not approximate silently).
    copy : bool, default=True
        If False, ``transform`` and ``inverse_transform`` work in place when the
        input is a writeable float array of a supported dtype.

    Attributes
    ----------
    data_min_ : ndarray of shape (n_features,)
        Per-feature ``lo``: the minimum, or the ``low`` percentile with
        ``quantile_range``. NaN for features that held only NaN.
    data_max_ : ndarray of shape (n_features,)
        Per-feature ``hi``: the maximum, or the ``high`` percentile.
    data_range_ : ndarray of shape (n_features,)
        ``data_max_ - data_min_``.
    scale_ : ndarray of shape (n_features,)
        Per-feature relative scaling, ``(max - min) / data_range_`` (with a
        range of 1 for constant features).
    min_ : ndarray of shape (n_features,)
        Per-feature adjustment, ``min - data_min_ * scale_``, so that
        ``x_scaled = x * scale_ + min_`` as in scikit-learn.
    n_samples_seen_ : int
        Number of rows seen.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` had string column
        names.

    See Also
    --------
    sklearn.preprocessing.MinMaxScaler : Scikit-learn's equivalent.
    sklearn.preprocessing.RobustScaler : Centre on the median, scale by the IQR.
    ZScoreScaler : Standardise to zero mean and unit variance.

    Examples
    --------
    >>> import numpy as np
    >>> from skscale.preprocessing import MinMaxScaler
    >>> X = np.array([[-1.0, 2.0], [-0.5, 6.0], [0.0, 10.0], [1.0, 18.0]])
    >>> MinMaxScaler().fit_transform(X)
    array([[0.  , 0.  ],
           [0.25, 0.25],
           [0.5 , 0.5 ],
           [1.  , 1.  ]])

    One outlier squashes the rest of a column into a corner; percentiles do not:

    >>> x = np.append(np.arange(999.0), 1e6).reshape(-1, 1)
    >>> MinMaxScaler().fit_transform(x)[[0, 500, 998]].ravel()
    array([0.      , 0.0005  , 0.000998])
    >>> scaler = MinMaxScaler(quantile_range=(0, 99), clip=True)
    >>> scaler.fit_transform(x)[[0, 500, 998, 999]].ravel()
    array([0.        , 0.50555606, 1.        , 1.        ])
    """

    _parameter_constraints: dict = {
        "feature_range": [tuple],
        "clip": ["boolean"],
        "quantile_range": [tuple, None],
        "copy": ["boolean"],
    }

    def __init__(
        self, feature_range=(0, 1), *, clip=False, quantile_range=None, copy=True
    ):
        self.feature_range = feature_range
        self.clip = clip
        self.quantile_range = quantile_range
        self.copy = copy

    def _check_params(self):
        low, high = self._pair("feature_range", self.feature_range)
        if not low < high:
            raise ValueError(
                f"Got feature_range={self.feature_range!r}; expected (min, max) "
                "with min < max."
            )
        if self.quantile_range is not None:
            q_low, q_high = self._pair("quantile_range", self.quantile_range)
            if not 0 <= q_low < q_high <= 100:
                raise ValueError(
                    f"Got quantile_range={self.quantile_range!r}; expected "
                    "0 <= low < high <= 100."
                )

    @staticmethod
    def _pair(name, value):
        if len(value) != 2:
            raise ValueError(f"Got {name}={value!r}; expected a tuple of two numbers.")
        try:
            low, high = float(value[0]), float(value[1])
        except (TypeError, ValueError):
            raise ValueError(
                f"Got {name}={value!r}; expected a tuple of two numbers."
            ) from None
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError(f"Got {name}={value!r}; expected finite numbers.")
        return low, high

    def _output_range(self):
        """``feature_range`` as two floats (validated in fit)."""
        low, high = self.feature_range
        return float(low), float(high)

    _uses_moments = False
    _uses_range = True
    _fitted_attributes = ("data_min_", "data_max_", "data_range_", "scale_", "min_")

    def _check_fit_input(self, X):
        self._check_params()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute each feature's ``lo`` and ``hi``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; NaN is ignored.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample, a frequency: rows of weight 0
            are left out of the minimum and maximum, and with
            ``quantile_range`` a row of weight 2 counts as the row repeated.
            scikit-learn's ``MinMaxScaler`` has no ``sample_weight``.

        Returns
        -------
        self : object
            Fitted scaler.
        """
        if self.quantile_range is None:
            return super().fit(X, y, sample_weight)
        self._reset()
        return self._fit_percentiles(X, y, sample_weight)

    @callback_task
    def _fit_percentiles(self, X, y=None, sample_weight=None):
        self._check_params()
        space = self._array_namespace(X)
        X = validate_any(self, X, reset=True, validate_in_memory=self._validate_input)
        stats = feature_statistics(
            X,
            sample_weight,
            feature_names=self._feature_names(),
            with_moments=False,
            with_range=True,
            percentiles=self.quantile_range,
        )
        self._store(stats, space)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Update each feature's minimum and maximum with a batch of rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A batch of training data; NaN is ignored.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample; rows of weight 0 are left out.

        Returns
        -------
        self : object
            Fitted scaler.
        """
        if self.quantile_range is not None:
            raise ValueError(
                f"Got quantile_range={self.quantile_range!r}: percentiles cannot be "
                "updated exactly from batches, so partial_fit needs "
                "quantile_range=None. Use fit on the whole data instead."
            )
        return super().partial_fit(X, y, sample_weight)

    @classmethod
    def from_stats(
        cls, data_min, data_max, *, n_samples=0, feature_names=None, **params
    ):
        """Build a fitted scaler from per-feature minima and maxima.

        For statistics computed elsewhere (Spark, SQL, another process).

        Parameters
        ----------
        data_min, data_max : array-like of shape (n_features,)
            Per-feature minimum and maximum (or the percentiles to map onto
            ``feature_range``).
        n_samples : int, default=0
            Number of rows the statistics came from (``n_samples_seen_``).
        feature_names : array-like of str, default=None
            Names of the features, stored as ``feature_names_in_``.
        **params
            Parameters of the scaler, such as ``feature_range`` and ``clip``.

        Returns
        -------
        scaler : MinMaxScaler
            Fitted; ``partial_fit`` can continue from it.
        """
        scaler = cls(**params)
        scaler._validate_params()
        scaler._check_params()
        low, high = ordered_range(data_min, data_max)
        set_input_features(scaler, low.shape[0], feature_names)
        scaler._store(Statistics(None, low, high, float(n_samples), float(n_samples)))
        return scaler

    def _statistics(self, stats):
        out_low, out_high = self._output_range()
        low, high = stats.low, stats.high
        data_range = high - low
        magnitude = np.fmax(np.abs(low), np.abs(high))
        constant = near_constant(data_range, magnitude, stats.counted)
        scale = (out_high - out_low) / np.where(constant, 1.0, data_range)
        return {
            "data_min_": low,
            "data_max_": high,
            "data_range_": data_range,
            "scale_": scale,
            "min_": out_low - low * scale,
        }

    def _center_scale(self):
        out_low, _ = self._output_range()
        # x * scale_ + min_ == (x - center) / scale with scale = 1 / scale_
        # (the data range divided by the width of feature_range) and
        # center = data_min_ - min * scale: for the default feature_range the
        # subtraction is x - data_min_ itself, exact at any offset.
        scale = 1.0 / self.scale_
        center = self.data_min_ - out_low * scale
        return center, scale

    _array_api_support = True

    def _clip_bounds(self):
        return self._output_range() if self.clip else None
