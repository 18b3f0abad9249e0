"""The one module of skscale that imports private scikit-learn API.

Everything scikit-learn does not promise to keep is imported here and nowhere
else, so that a scikit-learn release that moves it breaks one file. The rest of
the package imports these names from ``skscale.utils._sklearn_compat``.
"""

import functools

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

try:  # scikit-learn >= 1.9: fit callbacks (set_callbacks, ProgressBar)
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover  (scikit-learn 1.6 to 1.8)

    class CallbackSupportMixin:
        """Stand-in: scikit-learn before 1.9 has no fit callbacks."""


__all__ = [
    "CallbackSupportMixin",
    "HasMethods",
    "Interval",
    "Options",
    "StrOptions",
    "_fit_context",
    "_num_samples",
    "callback_task",
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


class _NoCallbacks:
    """The callback context of a fit when there is nothing to call."""

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False


def callback_task(method):
    """Run a fit method as one task of scikit-learn's fit callbacks.

    Where the installed scikit-learn has callbacks (1.9 and later) and the
    estimator has callbacks set (``set_callbacks``), they see the task begin
    and end; ``_fit_context`` tears them down. Elsewhere this adds nothing.
    Decorate the method that does the fitting (``partial_fit`` when ``fit``
    delegates to it), so that one fit is one task.
    """

    @functools.wraps(method)
    def wrapper(estimator, X, y=None, *args, **kwargs):
        if getattr(estimator, "_skl_callbacks", None) and hasattr(
            estimator, "_init_callback_context"
        ):
            context = estimator._init_callback_context()
        else:
            context = _NoCallbacks()
        weights = kwargs.get("sample_weight", args[0] if args else None)
        metadata = {"sample_weight": weights}
        context.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
        result = method(estimator, X, y, *args, **kwargs)
        context.call_on_fit_task_end(
            estimator=estimator,
            X=X,
            y=y,
            metadata=metadata,
            reconstruction_attributes={},
        )
        return result

    return wrapper
