"""The one module of skscale that imports private scikit-learn API.

Everything scikit-learn does not promise to keep is imported here and nowhere
else, so that a scikit-learn release that moves it breaks one file. The rest of
the package imports these names from ``skscale.utils._sklearn_compat``.
"""

import contextlib
import functools

from sklearn import get_config
from sklearn.base import _fit_context
from sklearn.utils._array_api import (
    _convert_to_numpy,
    _is_numpy_namespace,
    _max_precision_float_dtype,
    get_namespace_and_device,
    supported_float_dtypes,
)
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    Options,
    StrOptions,
    validate_params,
)
from sklearn.utils._set_output import _wrap_data_with_container
from sklearn.utils.validation import (
    _check_feature_names_in,
    _num_samples,
    validate_data,
)

from skscale._backends.dask import is_dask_collection

try:  # scikit-learn >= 1.8 vendors array-api-compat; before, it is optional
    from sklearn.externals.array_api_compat import array_namespace, is_array_api_obj
except ImportError:  # pragma: no cover
    try:
        from array_api_compat import array_namespace, is_array_api_obj
    except ImportError:
        array_namespace = None

        def is_array_api_obj(x):
            """Without array-api-compat, array API dispatch cannot be on."""
            return False


try:  # scikit-learn >= 1.9: fit callbacks (set_callbacks, ProgressBar)
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover  (scikit-learn 1.6 to 1.8)

    class CallbackSupportMixin:
        """Stand-in: scikit-learn before 1.9 has no fit callbacks."""


try:  # scikit-learn >= 1.9: transform refuses input of another namespace or
    # device than fit's, under array API dispatch
    from sklearn.utils._array_api import (
        check_same_namespace as _sklearn_check_same_namespace,
    )
except ImportError:  # pragma: no cover  (scikit-learn 1.6 to 1.8)
    _sklearn_check_same_namespace = None


def check_same_namespace(X, estimator, *, attribute, method):
    """Under array API dispatch, refuse ``X`` if it is of another namespace
    or device than the fitted ``attribute`` (scikit-learn's check, from 1.9;
    before, input of another namespace is mapped with the fitted attributes
    copied to the host). A dask collection is mapped chunk by chunk on NumPy:
    it is not judged here."""
    if _sklearn_check_same_namespace is None or is_dask_collection(X):
        return
    _sklearn_check_same_namespace(X, estimator, attribute=attribute, method=method)


__all__ = [
    "CallbackSupportMixin",
    "HasMethods",
    "Interval",
    "Options",
    "StrOptions",
    "_check_feature_names_in",
    "_convert_to_numpy",
    "_fit_context",
    "_is_numpy_namespace",
    "_max_precision_float_dtype",
    "_num_samples",
    "array_namespace",
    "callback_task",
    "check_same_namespace",
    "chunk_progress",
    "get_config",
    "get_namespace_and_device",
    "is_array_api_obj",
    "streamed_fit_task",
    "sub_estimator_task",
    "supported_float_dtypes",
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


def _row_chunks(X):
    """Number of row chunks of a dask collection (its sub-tasks), else 0."""
    if not is_dask_collection(X):
        return 0
    numblocks = getattr(X, "numblocks", None)
    return int(numblocks[0]) if numblocks else int(X.npartitions)


def callback_task(method=None, *, subtasks=None):
    """Run a fit method as one task of scikit-learn's fit callbacks.

    Where the installed scikit-learn has callbacks (1.9 and later) and the
    estimator has callbacks set (``set_callbacks``) or is fitted inside a
    meta-estimator that has, the callbacks see the task begin and end;
    ``_fit_context`` tears them down. Elsewhere this adds nothing. Decorate
    the method that does the fitting (``partial_fit`` when ``fit`` delegates to
    it), so that one fit is one task. Its sub-tasks: one per chunk of rows of
    a dask input (:func:`chunk_progress`), or ``subtasks(estimator, X)`` of
    them for a meta-estimator (:func:`sub_estimator_task`).
    """
    if method is None:
        return functools.partial(callback_task, subtasks=subtasks)

    @functools.wraps(method)
    def wrapper(estimator, X, y=None, *args, **kwargs):
        listened = getattr(estimator, "_skl_callbacks", None) or hasattr(
            estimator, "_parent_callback_ctx"
        )
        if listened and hasattr(estimator, "_init_callback_context"):
            count = _row_chunks(X) if subtasks is None else subtasks(estimator, X)
            context = estimator._init_callback_context(max_subtasks=count)
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


@contextlib.contextmanager
def sub_estimator_task(estimator, sub_estimator, task_name):
    """Fit ``sub_estimator`` inside this block as a sub-task of the running
    fit of ``estimator``, as scikit-learn's ``Pipeline`` does: callbacks that
    propagate (``ProgressBar``) follow it in, and its own tasks hang below.
    Adds nothing when no callback listens."""
    context = getattr(estimator, "_callback_fit_ctx", None)
    if context is None:
        yield
        return
    task = context.subcontext(task_name=task_name)
    with task.propagate_callback_context(sub_estimator):
        task.call_on_fit_task_begin(estimator=estimator)
        yield
        task.call_on_fit_task_end(estimator=estimator)


@contextlib.contextmanager
def streamed_fit_task(estimator, n_chunks=None):
    """One task for a fit fed chunk by chunk through ``partial_fit``, as the
    command's streaming pass over a file does (``skscale.report._analysis``).

    Yields the function to call instead of ``estimator.partial_fit``: each call
    is one sub-task ("chunk of rows") of the one task, so that ``ProgressBar``
    draws one bar that moves with the chunks instead of a bar per chunk.
    ``n_chunks`` is the number of chunks when known (``None``: not known in
    advance, as for a CSV file). Without callbacks (or below scikit-learn
    1.9) it yields ``estimator.partial_fit`` itself.
    """
    callbacks = getattr(estimator, "_skl_callbacks", None)
    if not callbacks or not hasattr(estimator, "_init_callback_context"):
        yield estimator.partial_fit
        return
    root = estimator._init_callback_context(max_subtasks=n_chunks)
    to_teardown = estimator.__dict__.pop("_skl_callbacks_to_teardown")
    del estimator._callback_fit_ctx
    # each chunk is a leaf sub-task of the root, like a chunk of a dask fit;
    # left on the estimator, the callbacks would make each partial_fit a task
    # (and a bar) of its own
    estimator.set_callbacks()

    def fit_chunk(X, *args, **kwargs):
        task = root.subcontext(task_name="chunk of rows")
        task.call_on_fit_task_begin(estimator=estimator)
        result = estimator.partial_fit(X, *args, **kwargs)
        task.call_on_fit_task_end(estimator=estimator)
        return result

    try:
        root.call_on_fit_task_begin(estimator=estimator)
        yield fit_chunk
        root.call_on_fit_task_end(estimator=estimator)
    finally:
        estimator.set_callbacks(*callbacks)
        for callback in to_teardown:
            callback.teardown(estimator=estimator, context=root)


def chunk_progress(estimator):
    """A function that reports one finished chunk of rows as a sub-task of
    the running fit, or None when no callback listens.

    Chunked kernels (the dask statistics) call it once per chunk, in row
    order, as the chunks' results arrive, so that ``ProgressBar`` moves
    with the fit.
    """
    context = getattr(estimator, "_callback_fit_ctx", None)
    if context is None or not context.max_subtasks:
        return None

    def report():
        task = context.subcontext(task_name="chunk of rows")
        task.call_on_fit_task_begin(estimator=estimator)
        task.call_on_fit_task_end(estimator=estimator)

    return report
