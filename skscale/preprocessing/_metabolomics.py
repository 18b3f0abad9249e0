"""The metabolomics scalings of van den Berg et al. (2006): Pareto, vast, level, range.

Each is a per-feature affine map ``(x - mean) / scale`` with its own ``scale``,
built on the moment-scaler template: exact at large offsets, NaN skipped,
``sample_weight`` and ``partial_fit`` supported.
"""

from numbers import Integral

import numpy as np

from skscale._backends._statistics import near_constant
from skscale.preprocessing._base import (
    _MomentScaler,
    check_degrees_of_freedom,
)
from skscale.utils._sklearn_compat import Interval
from skscale.utils._validation import describe_columns, warn_user

# A mean within this many units in the last place of the standard deviation is
# zero: level and vast scaling cannot divide by it.
_ZERO_MEAN_ULPS = 100


class _CenteredMomentScaler(_MomentScaler):
    """Centre on the mean, divide by a scale each subclass derives."""

    _array_api_support = True  # the moments run on the input's device

    def _center_scale(self):
        return self.mean_, self.scale_

    def _zero_mean(self, mean, std, constant):
        """Features whose mean is zero within rounding of their spread.

        Level and vast scaling divide by the mean, which such a feature does not
        have; it is autoscaled instead (divided by its standard deviation), with
        a warning naming it.
        """
        # (NaN for a feature without values compares False; the template runs
        # this under np.errstate)
        zero = ~constant & (np.abs(mean) <= _ZERO_MEAN_ULPS * np.finfo(float).eps * std)
        if zero.any():
            columns = describe_columns(np.flatnonzero(zero), self._feature_names())
            warn_user(
                f"{type(self).__name__} divides by each feature's mean, and {columns} "
                "has a mean of zero (within rounding of its spread): it is divided "
                "by its standard deviation instead (autoscaled). Level and vast "
                "scaling are meant for positive quantities such as concentrations; "
                "for data centred on zero use ZScoreScaler, ParetoScaler or "
                "RangeScaler.",
            )
        return zero


class ParetoScaler(_CenteredMomentScaler):
    """Pareto scaling: centre, then divide by the square root of the standard deviation.

    ``x_scaled = (x - mean) / sqrt(std)``

    Large fold changes are shrunk less than by autoscaling (z-scores), so the
    data stay closer to their original measurement while small features are no
    longer drowned by large ones (van den Berg et al. 2006).

    Parameters
    ----------
    ddof : int, default=1
        Delta degrees of freedom of the standard deviation (divisor
        ``n - ddof``); 1 as in the metabolomics tools.
    copy : bool, default=True
        If False, ``transform`` and ``inverse_transform`` work in place when the
        input is a writeable float array.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Per-feature mean (NaN for all-NaN features).
    var_ : ndarray of shape (n_features,)
        Per-feature variance with divisor ``n - ddof``.
    scale_ : ndarray of shape (n_features,)
        ``sqrt(sqrt(var_))``, or 1 for constant and all-NaN features.
    n_samples_seen_ : int or ndarray of shape (n_features,)
        Number of non-missing values (or sum of weights) per feature.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` had string column
        names.

    See Also
    --------
    ZScoreScaler : Autoscaling, ``(x - mean) / std``.
    VastScaler, LevelScaler, RangeScaler : The other scalings of the paper.

    References
    ----------
    van den Berg, R. A., Hoefsloot, H. C. J., Westerhuis, J. A., Smilde, A. K.
    and van der Werf, M. J. (2006). Centering, scaling, and transformations:
    improving the biological information content of metabolomics data.
    BMC Genomics 7:142.

    Examples
    --------
    >>> import numpy as np
    >>> from skscale.preprocessing import ParetoScaler
    >>> X = np.array([[1.0, 100.0], [3.0, 300.0], [5.0, 500.0]])
    >>> ParetoScaler().fit_transform(X)
    array([[ -1.41421356, -14.14213562],
           [  0.        ,   0.        ],
           [  1.41421356,  14.14213562]])
    """

    _parameter_constraints: dict = {
        "ddof": [Interval(Integral, 0, None, closed="left")],
        "copy": ["boolean"],
    }
    _fitted_attributes = ("mean_", "var_", "scale_")

    def __init__(self, *, ddof=1, copy=True):
        self.ddof = ddof
        self.copy = copy

    def _statistics(self, stats):
        check_degrees_of_freedom(self, stats.moments, self.ddof)
        mean, var = stats.moments.mean, stats.moments.variance(self.ddof)
        std = stats.moments.std(self.ddof)
        constant = near_constant(stats.moments.std(0), mean, stats.moments.values)
        return {
            "mean_": mean,
            "var_": var,
            "scale_": np.where(constant, 1.0, np.sqrt(std)),
        }


class VastScaler(_CenteredMomentScaler):
    """Vast scaling: autoscale, then weight by the inverse coefficient of variation.

    ``x_scaled = (x - mean) / std * (mean / std) = (x - mean) / (var / mean)``

    Features that vary little relative to their level (stable metabolites) get
    a large weight, noisy ones a small weight (van den Berg et al. 2006). Meant
    for positive quantities: a feature whose mean is zero (within rounding of
    its spread) is autoscaled instead, ``(x - mean) / std``, with a
    ``UserWarning`` naming it; a negative mean flips the feature's sign, as the
    formula says.

    Parameters
    ----------
    ddof : int, default=1
        Delta degrees of freedom of the standard deviation (divisor
        ``n - ddof``); 1 as in the metabolomics tools.
    copy : bool, default=True
        If False, ``transform`` and ``inverse_transform`` work in place when the
        input is a writeable float array.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Per-feature mean (NaN for all-NaN features).
    var_ : ndarray of shape (n_features,)
        Per-feature variance with divisor ``n - ddof``.
    scale_ : ndarray of shape (n_features,)
        ``var_ / mean_``; ``sqrt(var_)`` for zero-mean features, 1 for constant
        and all-NaN features.
    n_samples_seen_ : int or ndarray of shape (n_features,)
        Number of non-missing values (or sum of weights) per feature.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` had string column
        names.

    See Also
    --------
    ParetoScaler, LevelScaler, RangeScaler : The other scalings of the paper.

    References
    ----------
    van den Berg, R. A., Hoefsloot, H. C. J., Westerhuis, J. A., Smilde, A. K.
    and van der Werf, M. J. (2006). Centering, scaling, and transformations:
    improving the biological information content of metabolomics data.
    BMC Genomics 7:142.

    Examples
    --------
    >>> import numpy as np
    >>> from skscale.preprocessing import VastScaler
    >>> X = np.array([[8.0, 10.0], [10.0, 20.0], [12.0, 30.0]])
    >>> VastScaler().fit_transform(X)
    array([[-5., -2.],
           [ 0.,  0.],
           [ 5.,  2.]])
    """

    _parameter_constraints: dict = {
        "ddof": [Interval(Integral, 0, None, closed="left")],
        "copy": ["boolean"],
    }
    _fitted_attributes = ("mean_", "var_", "scale_")

    def __init__(self, *, ddof=1, copy=True):
        self.ddof = ddof
        self.copy = copy

    def _statistics(self, stats):
        check_degrees_of_freedom(self, stats.moments, self.ddof)
        mean, var = stats.moments.mean, stats.moments.variance(self.ddof)
        std = stats.moments.std(self.ddof)
        constant = near_constant(stats.moments.std(0), mean, stats.moments.values)
        zero = self._zero_mean(mean, std, constant)
        # var / mean, written so that it does not overflow before dividing (the
        # template runs this under np.errstate: a zero mean's division is
        # discarded by the np.where, an overflow is refused after it)
        scale = np.where(constant, 1.0, np.where(zero, std, std * (std / mean)))
        return {"mean_": mean, "var_": var, "scale_": scale}


class LevelScaler(_CenteredMomentScaler):
    """Level scaling: centre, then divide by the mean.

    ``x_scaled = (x - mean) / mean``

    Every feature is expressed as a relative change from its own level, so
    that fold changes count alike whatever the abundance (van den Berg et al.
    2006). Meant for positive quantities: a feature whose mean is zero (within
    rounding of its spread) is autoscaled instead, ``(x - mean) / std``, with a
    ``UserWarning`` naming it; constant features (whatever their mean) map to 0.

    Parameters
    ----------
    copy : bool, default=True
        If False, ``transform`` and ``inverse_transform`` work in place when the
        input is a writeable float array.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Per-feature mean (NaN for all-NaN features).
    scale_ : ndarray of shape (n_features,)
        ``mean_``; the standard deviation (ddof 0) for zero-mean features, 1
        for constant and all-NaN features.
    n_samples_seen_ : int or ndarray of shape (n_features,)
        Number of non-missing values (or sum of weights) per feature.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` had string column
        names.

    See Also
    --------
    ParetoScaler, VastScaler, RangeScaler : The other scalings of the paper.

    References
    ----------
    van den Berg, R. A., Hoefsloot, H. C. J., Westerhuis, J. A., Smilde, A. K.
    and van der Werf, M. J. (2006). Centering, scaling, and transformations:
    improving the biological information content of metabolomics data.
    BMC Genomics 7:142.

    Examples
    --------
    >>> import numpy as np
    >>> from skscale.preprocessing import LevelScaler
    >>> X = np.array([[8.0, 100.0], [10.0, 200.0], [12.0, 300.0]])
    >>> LevelScaler().fit_transform(X)
    array([[-0.2, -0.5],
           [ 0. ,  0. ],
           [ 0.2,  0.5]])
    """

    _parameter_constraints: dict = {"copy": ["boolean"]}
    _fitted_attributes = ("mean_", "scale_")

    def __init__(self, *, copy=True):
        self.copy = copy

    def _statistics(self, stats):
        mean = stats.moments.mean
        std = stats.moments.std(0)
        constant = near_constant(stats.moments.std(0), mean, stats.moments.values)
        zero = self._zero_mean(mean, std, constant)
        scale = np.where(constant, 1.0, np.where(zero, std, mean))
        return {"mean_": mean, "scale_": scale}


class RangeScaler(_CenteredMomentScaler):
    """Range scaling: centre, then divide by the range.

    ``x_scaled = (x - mean) / (max - min)``

    Every feature's biological range becomes 1 (van den Berg et al. 2006).
    Unlike :class:`MinMaxScaler`, the data stay centred on the mean. A
    ``sample_weight`` of zero leaves a row out of the range as well as of the
    mean.

    Parameters
    ----------
    copy : bool, default=True
        If False, ``transform`` and ``inverse_transform`` work in place when the
        input is a writeable float array.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Per-feature mean (NaN for all-NaN features).
    data_min_ : ndarray of shape (n_features,)
        Per-feature minimum.
    data_max_ : ndarray of shape (n_features,)
        Per-feature maximum.
    scale_ : ndarray of shape (n_features,)
        ``data_max_ - data_min_``, or 1 for constant and all-NaN features.
    n_samples_seen_ : int or ndarray of shape (n_features,)
        Number of non-missing values (or sum of weights) per feature.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` had string column
        names.

    See Also
    --------
    MinMaxScaler : Map each feature's range onto an interval.
    ParetoScaler, VastScaler, LevelScaler : The other scalings of the paper.

    References
    ----------
    van den Berg, R. A., Hoefsloot, H. C. J., Westerhuis, J. A., Smilde, A. K.
    and van der Werf, M. J. (2006). Centering, scaling, and transformations:
    improving the biological information content of metabolomics data.
    BMC Genomics 7:142.

    Examples
    --------
    >>> import numpy as np
    >>> from skscale.preprocessing import RangeScaler
    >>> X = np.array([[1.0, 100.0], [2.0, 300.0], [6.0, 200.0]])
    >>> RangeScaler().fit_transform(X)
    array([[-0.4, -0.5],
           [-0.2,  0.5],
           [ 0.6,  0. ]])
    """

    _parameter_constraints: dict = {"copy": ["boolean"]}
    _fitted_attributes = ("mean_", "data_min_", "data_max_", "scale_")
    _uses_range = True

    def __init__(self, *, copy=True):
        self.copy = copy

    def _statistics(self, stats):
        data_range = stats.high - stats.low
        magnitude = np.fmax(np.abs(stats.low), np.abs(stats.high))
        constant = near_constant(data_range, magnitude, stats.moments.values)
        return {
            "mean_": stats.moments.mean,
            "data_min_": stats.low,
            "data_max_": stats.high,
            "scale_": np.where(constant, 1.0, data_range),
        }
