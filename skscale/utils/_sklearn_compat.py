"""The one module of skscale that imports private scikit-learn API.

Everything scikit-learn does not promise to keep is imported here and nowhere
else, so that a scikit-learn release that moves it breaks one file. The rest of
the package imports these names from ``skscale.utils._sklearn_compat``.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    Options,
    StrOptions,
    validate_params,
)
from sklearn.utils._set_output import _wrap_data_with_container
from sklearn.utils.validation import _num_samples, validate_data

__all__ = [
    "HasMethods",
    "Interval",
    "Options",
    "StrOptions",
    "_fit_context",
    "_num_samples",
    "validate_data",
    "validate_params",
    "wrap_like_transform",
]


def wrap_like_transform(estimator, data, original_input):
    """Wrap ``data`` in the container ``set_output(transform=...)`` asks for.

    scikit-learn wraps only ``transform`` and ``fit_transform``; skscale's
    ``inverse_transform`` honours the same configuration through this helper.
    """
    return _wrap_data_with_container("transform", data, original_input, estimator)
