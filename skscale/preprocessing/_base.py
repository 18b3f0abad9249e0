"""The template shared by the per-feature affine scalers.

Every such scaler learns, per feature, a ``center`` and a ``scale`` and maps
``x -> (x - center) / scale``; ``inverse_transform`` maps back with
``x * scale + center``. Subclasses implement ``fit``/``partial_fit`` (the
statistics) and ``_center_scale`` (how the statistics become the map); this
class validates input, applies the map through the blocked kernel, and keeps
the promises every scaler makes: NaN passes through, +/-inf is refused with the
column named, float32 stays float32, ``copy=True`` never touches the caller's
data, ``set_output`` applies to ``inverse_transform`` too.
"""

from copy import copy as shallow_copy

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from skscale._backends import (
    Statistics,
    affine_transform,
    array_namespace,
    feature_statistics,
    refuse_sparse,
    validate_any,
)
from skscale._backends._statistics import Moments
from skscale._backends.array_api import refuse_array_api, to_host
from skscale.utils._sklearn_compat import (
    CallbackSupportMixin,
    _fit_context,
    callback_task,
    check_same_namespace,
    chunk_progress,
    validate_data,
    wrap_like_transform,
)
from skscale.utils._validation import (
    describe_columns,
    reject_non_numeric_columns,
    warn_user,
)

# float16 is kept too (statistics accumulate in float64), as scikit-learn does.
FLOAT_DTYPES = (np.float64, np.float32, np.float16)


class _AffineScaler(
    CallbackSupportMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Base class of the per-feature affine scalers (not public)."""

    # Whether validation lets scipy sparse matrices through (to a clearer
    # error of the subclass's own when the configuration cannot use them).
    _sparse_input = False

    def _accepts_sparse(self):
        """Whether sparse input works in the current configuration (the tag)."""
        return False

    def _center_scale(self):
        """Return ``(center, scale)``, float64 arrays of shape (n_features,) or None."""
        raise NotImplementedError

    def _host_center_scale(self):
        """:meth:`_center_scale` as NumPy arrays, whatever namespace the
        fitted attributes live in (without array API dispatch, a model
        fitted on a torch tensor maps NumPy input too).

        The host copies are set on a shallow copy of the estimator, never on
        ``self``: transforms may run in several threads at once (dask's
        threaded scheduler), each reading the fitted attributes.
        """
        host = {name: to_host(getattr(self, name)) for name in self._fitted_attributes}
        if all(value is getattr(self, name) for name, value in host.items()):
            return self._center_scale()
        shadow = shallow_copy(self)
        shadow.__dict__.update(host)
        return shadow._center_scale()

    # Whether fit and transform run on array API input (PyTorch, CuPy, ...)
    # under scikit-learn's array_api_dispatch, on the input's device.
    _array_api_support = False

    def _clip_bounds(self):
        """``(low, high)`` that transform clips its output to, or None."""
        return None

    def _array_namespace(self, X):
        """The input's :class:`ArrayNamespace` under array API dispatch (None
        for NumPy and the other in-memory kinds), refused by the scalers that
        do not run there yet."""
        if not self._array_api_support:
            refuse_array_api(self, X)
            return None
        return array_namespace(X)

    def _validate_input(self, X, *, reset):
        reject_non_numeric_columns(X, type(self).__name__)
        if not self._sparse_input:
            refuse_sparse(
                X,
                f"{type(self).__name__} subtracts a per-feature center (a mean or "
                "a minimum), which would turn every implicit zero of a sparse "
                "matrix into a stored value; got a sparse matrix, expected a dense "
                "array (X.toarray()), or use ZScoreScaler(with_mean=False), which "
                "keeps sparse data sparse.",
            )
        return validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=("csr", "csc") if self._sparse_input else False,
            dtype=FLOAT_DTYPES,
            ensure_all_finite=False,
            copy=False,
        )

    def _feature_names(self):
        names = getattr(self, "feature_names_in_", None)
        return None if names is None else list(names)

    def _warn_empty_features(self, empty):
        """Warn about features that had no value at all (all NaN)."""
        empty = np.flatnonzero(empty)
        if empty.size:
            labels = describe_columns(empty, self._feature_names())
            warn_user(
                f"{type(self).__name__}: {labels} held only NaN (or no value "
                "in a row of positive weight); "
                "they are left unscaled and stay NaN after transform.",
            )

    def _check_same_namespace(self, X, inverse):
        """Under array API dispatch, refuse input of another namespace or
        device than fit's, as scikit-learn's scalers do (judged on the first
        fitted attribute that is an array)."""
        for name in self._fitted_attributes:
            if getattr(self, name) is not None:
                method = "inverse_transform" if inverse else "transform"
                check_same_namespace(X, self, attribute=name, method=method)
                return

    def _apply(self, X, *, copy, inverse):
        check_is_fitted(self)
        self._check_same_namespace(X, inverse)
        self._array_namespace(X)  # refused by the scalers not on the array API
        center, scale = self._host_center_scale()
        return affine_transform(
            self,
            X,
            center,
            scale,
            copy=self.copy if copy is None else copy,
            inverse=inverse,
            clip=None if inverse else self._clip_bounds(),
            validate_in_memory=self._validate_input,
            feature_names=self._feature_names(),
        )

    def transform(self, X, copy=None):
        """Scale each feature with the statistics learned in ``fit``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data to scale. NaN is kept as NaN.
        copy : bool, default=None
            Copy the input; ``None`` uses the ``copy`` parameter.

        Returns
        -------
        X_tr : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Scaled data, float32 if ``X`` was float32, float64 otherwise.
        """
        return self._apply(X, copy=copy, inverse=False)

    def inverse_transform(self, X, copy=None):
        """Map scaled data back to the original units.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Scaled data, as returned by ``transform``.
        copy : bool, default=None
            Copy the input; ``None`` uses the ``copy`` parameter.

        Returns
        -------
        X_original : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Data in the original units; a DataFrame when
            ``set_output(transform="pandas")`` was set.
        """
        out = self._apply(X, copy=copy, inverse=True)
        return wrap_like_transform(self, out, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = self._accepts_sparse()
        tags.transformer_tags.preserves_dtype = ["float64", "float32", "float16"]
        tags.array_api_support = self._array_api_support
        return tags


def check_degrees_of_freedom(estimator, moments, ddof):
    """Refuse, before anything is stored, features whose frequency weights
    leave no degree of freedom for ``ddof``.

    ``sample_weight`` counts rows (weight 2 is the row repeated), so the
    divisor of the variance is the total weight less ``ddof``. Features with
    no more than ``ddof`` values are constant (variance 0); but more values
    whose weights sum to ``ddof`` or less (weights that sum to 1, say) have no
    unbiased variance at all, and dividing by ``sum(w) - ddof`` would give inf
    or a negative variance.
    """
    lacking = np.flatnonzero(moments.lacking_weight(ddof))
    if lacking.size:
        columns = describe_columns(lacking, estimator._feature_names())
        total = moments.total_weight[lacking[0]]
        raise ValueError(
            f"{type(estimator).__name__}(ddof={ddof}): the sample weights of "
            f"{columns} sum to {total:.6g}, not more than ddof={ddof}, so the "
            f"variance's divisor sum(sample_weight) - ddof is not positive. "
            "sample_weight counts rows (frequency weights: weight 2 counts as "
            "the row repeated); expected weights whose sum exceeds ddof, such as "
            "weights scaled to sum to the number of rows, or ddof=0, with which "
            "only the weights' ratios matter."
        )


def stats_vectors(**named):
    """Validate per-feature statistics given to ``from_stats``: 1-D, one
    length, finite. Returns them as float64 arrays, in the order given."""
    arrays = {
        name: np.asarray(value, dtype=np.float64) for name, value in named.items()
    }
    shapes = {array.shape for array in arrays.values()}
    first = next(iter(arrays.values()))
    if first.ndim != 1 or len(shapes) != 1:
        described = ", ".join(f"{name} {array.shape}" for name, array in arrays.items())
        raise ValueError(
            f"{' and '.join(arrays)} must be 1-D of the same length; got {described}."
        )
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            raise ValueError(f"{name} must be finite.")
    return list(arrays.values())


def set_input_features(scaler, n_features, feature_names):
    """Record ``n_features_in_`` (and ``feature_names_in_``) for ``from_stats``."""
    scaler.n_features_in_ = n_features
    if feature_names is not None:
        names = np.asarray(feature_names, dtype=object)
        if names.shape != (n_features,):
            raise ValueError(
                f"feature_names has {names.size} entries; expected {n_features}."
            )
        scaler.feature_names_in_ = names


def ordered_range(data_min, data_max):
    """Validated ``data_min`` and ``data_max`` for ``from_stats``."""
    low, high = stats_vectors(data_min=data_min, data_max=data_max)
    if (low > high).any():
        raise ValueError("data_min must not exceed data_max.")
    return low, high


class _MomentScaler(_AffineScaler):
    """Template of the per-feature scalers: statistics accumulated by kernels.

    ``fit``/``partial_fit`` accumulate, with the shared blocked kernels, the
    statistics a scaler declares: count, mean and M2 (``_uses_moments``)
    and/or each feature's minimum and maximum (``_uses_range``). So every
    such scaler is exact at large offsets, takes ``sample_weight`` and
    supports ``partial_fit``, on dense, sparse and dask input alike (the
    kernels choose). Subclasses implement ``_statistics``, which turns the
    accumulated :class:`~skscale._backends.Statistics` into the fitted
    attributes (and may refuse them, before anything is stored).
    """

    # Which statistics the scaler needs.
    _uses_moments = True
    _uses_range = False

    def _statistics(self, stats):
        """Return the fitted attributes as a dict ``{name: value}``."""
        raise NotImplementedError

    def _check_fit_input(self, X):
        """Hook: refuse input (or parameters) the configuration cannot fit."""

    @classmethod
    def from_stats(
        cls,
        n_samples,
        mean,
        var,
        *,
        var_ddof=0,
        data_min=None,
        data_max=None,
        feature_names=None,
        **params,
    ):
        """Build a fitted scaler from statistics computed elsewhere.

        For data that live in Spark, a database or another process: compute the
        per-feature count, mean and variance (and, for range scaling, minimum
        and maximum) there, and get the scaler ``fit`` would have given.
        ``partial_fit`` can continue from it.

        Parameters
        ----------
        n_samples : int or array-like of shape (n_features,)
            Number of (non-missing) values per feature.
        mean : array-like of shape (n_features,)
            Per-feature mean.
        var : array-like of shape (n_features,)
            Per-feature variance, computed with divisor ``n_samples - var_ddof``.
        var_ddof : int, default=0
            The ``ddof`` the variance was computed with (SQL's ``VAR_SAMP`` and
            Spark's ``variance`` use 1; ``VAR_POP`` uses 0).
        data_min, data_max : array-like of shape (n_features,), default=None
            Per-feature minimum and maximum, for scalers that use the range.
        feature_names : array-like of str, default=None
            Names of the features, stored as ``feature_names_in_``.
        **params
            Parameters of the scaler, such as ``ddof``.

        Returns
        -------
        scaler : fitted instance of the class
        """
        scaler = cls(**params)
        scaler._validate_params()
        mean, var = stats_vectors(mean=mean, var=var)
        if (var < 0).any():
            raise ValueError("var must be >= 0.")
        count = np.broadcast_to(np.asarray(n_samples, dtype=np.float64), mean.shape)
        if (count <= var_ddof).any() or (count <= 0).any():
            raise ValueError(
                f"n_samples must exceed var_ddof={var_ddof} for every feature."
            )
        moments = Moments(
            count.copy(), mean.copy(), np.zeros_like(mean), var * (count - var_ddof)
        )
        low = high = None
        if scaler._uses_range:
            if data_min is None or data_max is None:
                raise ValueError(
                    f"{cls.__name__}.from_stats needs data_min and data_max."
                )
            low, high = ordered_range(data_min, data_max)
            stats_vectors(mean=mean, data_min=low)  # one length for all
        set_input_features(scaler, mean.shape[0], feature_names)
        rows = float(count.max())
        scaler._store(Statistics(moments, low, high, rows, rows))
        return scaler

    def _reset(self):
        for name in [*self._fitted_attributes, "n_samples_seen_", "_stats"]:
            if hasattr(self, name):
                delattr(self, name)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute the per-feature statistics of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; NaN is ignored.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample (a frequency: weight 2 counts
            as the row repeated, weight 0 as the row left out).

        Returns
        -------
        self : object
            Fitted scaler.
        """
        self._reset()
        self._whole_fit = True  # some weight must be positive
        try:
            return self.partial_fit(X, y, sample_weight)
        finally:
            del self._whole_fit

    @_fit_context(prefer_skip_nested_validation=True)
    @callback_task
    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the per-feature statistics with a batch of rows.

        Any split of the rows into batches gives the same statistics as one
        ``fit``, to float64 rounding.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data; NaN is ignored.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample.

        Returns
        -------
        self : object
            Fitted scaler.
        """
        first_call = not hasattr(self, "n_samples_seen_")
        space = self._array_namespace(X)
        X = validate_any(
            self, X, reset=first_call, validate_in_memory=self._validate_input
        )
        self._check_fit_input(X)
        stats = feature_statistics(
            X,
            sample_weight,
            init=None if first_call else self._stats.moments,
            feature_names=self._feature_names(),
            with_moments=self._uses_moments,
            with_range=self._uses_range,
            on_chunk=chunk_progress(self),
            batch=not getattr(self, "_whole_fit", False),
        )
        if not first_call:  # the moments were merged by the kernel
            previous = self._stats
            stats = stats._replace(
                rows=previous.rows + stats.rows,
                counted=previous.counted + stats.counted,
            )
            if self._uses_range:
                stats = stats._replace(
                    low=np.fmin(previous.low, stats.low),
                    high=np.fmax(previous.high, stats.high),
                )
        self._store(stats, space)
        return self

    def _check_representable(self, stats, scale):
        """Refuse features whose statistics or scale float64 cannot hold.

        Finite data can span more than float64 can subtract: values near
        -1.5e308 and +1.5e308 are 3e308 apart, beyond the largest float64
        (1.8e308), so their mean, spread or range overflows; and a scale such
        as vast scaling's variance over mean can overflow too. Such a feature
        cannot be scaled exactly; rather than output inf or NaN, say so.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            if stats.moments is not None:
                seen = stats.moments.count > 0
                held = [stats.moments.mean, stats.moments.std(0)]
            else:
                seen = ~np.isnan(stats.low)
                held = [stats.high - stats.low]
            if scale is not None:
                held.append(scale)
            finite = np.logical_and.reduce([np.isfinite(value) for value in held])
            bad = np.flatnonzero(seen & ~finite)
        if bad.size:
            columns = describe_columns(bad, self._feature_names())
            raise ValueError(
                f"{type(self).__name__}: {columns} "
                "spans a range beyond what float64 can scale (its values are more "
                "than 1.8e308 apart, or its mean, spread or scale overflows); "
                "expected values whose differences are finite in float64. Divide "
                "such a column by a power of ten (say 1e10) before scaling it."
            )

    def _store(self, stats, space=None):
        """Derive the fitted attributes and store them with the statistics
        (the statistics on the host; the attributes in the input's array
        namespace and on its device when ``space`` is given)."""
        # Everything that can refuse the data runs before anything is stored.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            attributes = self._statistics(stats)  # overflows are refused next
        self._check_representable(stats, attributes.get("scale_"))
        self._stats = stats
        # per feature (values seen) with moments, else rows (or their weight)
        count = stats.rows if stats.moments is None else stats.moments.total_weight
        count = np.asarray(count, dtype=np.float64)
        # whole numbers as integers (weights summing beyond int64, or to
        # inf, stay float)
        whole = np.all(count == np.round(count)) and np.all(np.abs(count) < 2.0**63)
        if whole:
            count = count.astype(np.int64)
        if count.ndim and np.all(count == count[0]):
            count = count[0]  # one number when every feature saw as many
        elif not count.ndim:
            count = count[()]
        self.n_samples_seen_ = count
        for name, value in attributes.items():
            setattr(self, name, value if space is None else space.from_numpy(value))
        if stats.moments is None:
            self._warn_empty_features(np.isnan(stats.low))
        else:
            self._warn_empty_features(stats.moments.count == 0)
