"""BatchScaler: a scaler fitted per batch, the batch named in the input."""

import difflib
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from skscale._backends import gather_rows, refuse_dask, refuse_sparse
from skscale._backends.array_api import refuse_array_api
from skscale.preprocessing._zscore import ZScoreScaler
from skscale.utils._sklearn_compat import (
    CallbackSupportMixin,
    HasMethods,
    StrOptions,
    _check_feature_names_in,
    _fit_context,
    callback_task,
    sub_estimator_task,
    validate_data,
)
from skscale.utils._validation import check_sample_weight, warn_user

__all__ = ["BatchScaler"]


def _did_you_mean(name, columns):
    close = difflib.get_close_matches(str(name), [str(c) for c in columns], n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    shown = ", ".join(repr(str(c)) for c in list(columns)[:10])
    more = f" and {len(columns) - 10} more" if len(columns) > 10 else ""
    return f"; its columns are {shown}{more}"


class BatchScaler(CallbackSupportMixin, TransformerMixin, BaseEstimator):
    """Scale each batch of samples with its own statistics.

    Measurements made in batches (plates, runs, sequencing lanes, sites) carry
    a batch effect: a shift and a scale per batch that has nothing to do with
    the biology, and often owns the first principal component. ``BatchScaler``
    fits a clone of ``scaler`` on the rows of each batch and scales each row
    with its own batch's statistics (per-batch mean-centring and scaling, the
    simplest batch correction). The batch is a column of the input, dropped
    from the output, so the scaler sits in a ``Pipeline`` and learns its
    statistics inside each cross-validation fold.

    A batch not seen in ``fit`` is scaled with the statistics of all training
    rows (``unseen="global"``, with a warning), with its own statistics
    computed from the rows given to ``transform`` (``"own"``: the batch must
    arrive whole, as a new plate or run does), or refused (``"error"``). With
    ``GroupKFold`` over batches every test batch is unseen: ``"global"``
    leaves its batch effect in place, ``"own"`` removes it.

    Parameters
    ----------
    batch : str, int or None, default=None
        The batch column: a column name of a DataFrame, or a column index.
        ``None``: one batch (the plain ``scaler``).
    scaler : transformer, default=None
        Fitted per batch (clones in ``scalers_``); ``None`` means
        ``ZScoreScaler()``.
    unseen : {"global", "own", "error"}, default="global"
        What ``transform`` does with a batch not seen in ``fit``: the
        statistics of all training rows, the batch's own, or an error.

    Attributes
    ----------
    scalers_ : dict
        Batch label -> the scaler fitted on that batch's rows (a batch whose
        rows all have weight 0 has none, and counts as unseen).
    global_scaler_ : transformer
        The scaler fitted on all training rows (for unseen batches).
    batches_ : ndarray
        The batch labels seen in ``fit``, sorted.
    n_features_in_ : int
        Number of columns seen during ``fit``, the batch column included.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the columns seen during ``fit``, when they are all strings.

    See Also
    --------
    ZScoreScaler : The default per-batch scaler.
    BlockScaler : Per-block scaling of columns.

    References
    ----------
    .. [1] Johnson, W. E., Li, C. and Rabinovic, A. (2007). Adjusting batch
       effects in microarray expression data using empirical Bayes methods.
       Biostatistics, 8(1), 118-127 (its location-scale model, without the
       empirical Bayes shrinkage).

    Examples
    --------
    >>> import pandas as pd
    >>> from skscale.preprocessing import BatchScaler
    >>> X = pd.DataFrame({"run": ["a", "a", "b", "b"], "x": [1.0, 3.0, 10.0, 30.0]})
    >>> BatchScaler("run").fit_transform(X)
    array([[-1.],
           [ 1.],
           [-1.],
           [ 1.]])
    """

    _parameter_constraints = {
        "batch": [str, Integral, None],
        "scaler": [HasMethods(["fit", "transform"]), None],
        "unseen": [StrOptions({"global", "own", "error"})],
    }

    def __init__(self, batch=None, *, scaler=None, unseen="global"):
        self.batch = batch
        self.scaler = scaler
        self.unseen = unseen

    def _get_scaler(self):
        return ZScoreScaler() if self.scaler is None else self.scaler

    def _split(self, X, *, reset, batch_labels=None):
        """``(labels, data)``: the batch of each row and the other columns (or,
        with ``batch_labels``, those labels and all of X)."""
        refuse_array_api(self, X)
        refuse_dask(
            X,
            "BatchScaler does not take dask collections; compute the rows first "
            "(X.compute()).",
        )
        if not (isinstance(X, pd.DataFrame) or hasattr(X, "shape")):
            X = np.asarray(X)
        if len(X.shape) != 2:
            raise ValueError(
                f"Expected a 2D array, got {len(X.shape)}D array instead. Reshape "
                "your data either using array.reshape(-1, 1) if your data has a "
                "single feature or array.reshape(1, -1) if it contains a single "
                "sample."
            )
        validate_data(self, X, reset=reset, skip_check_array=True)
        given = getattr(self, "labels_given_", False)
        if batch_labels is not None:
            if self.batch is not None:
                raise ValueError(
                    f"batch={self.batch!r} names a batch column and batch_labels "
                    "was given too; give one of them."
                )
            if not reset and not given:
                raise ValueError(
                    "batch_labels was given to transform, but fit had none; "
                    "BatchScaler was fitted as one batch."
                )
            labels = np.asarray(batch_labels)
            if labels.ndim != 1 or labels.shape[0] != X.shape[0]:
                raise ValueError(
                    f"batch_labels has shape {labels.shape}; expected one label "
                    f"per row of X, shape ({X.shape[0]},)."
                )
            self._check_labels(labels, "batch_labels")
            return labels, X
        if self.batch is None and not reset and given:
            raise ValueError(
                "BatchScaler was fitted with batch_labels: pass the batch of "
                "each row to transform too (transform(X, batch_labels=...))."
            )
        if self.batch is None:
            return np.zeros(X.shape[0], dtype=np.intp), X
        refuse_sparse(
            X,
            "BatchScaler reads the batch column from a DataFrame or an array; "
            "got a sparse matrix. Pass the batch of each row as batch_labels "
            "(fit(X, batch_labels=...)) with batch=None.",
        )
        if isinstance(X, pd.DataFrame):
            if isinstance(self.batch, str):
                if self.batch not in X.columns:
                    raise ValueError(
                        f"batch={self.batch!r} is not a column of X"
                        f"{_did_you_mean(self.batch, X.columns)}."
                    )
                position = X.columns.get_loc(self.batch)
            else:
                position = self._position(X.shape[1])
            labels = X.iloc[:, position].to_numpy()
            data = X.drop(columns=X.columns[position])
        else:
            if isinstance(self.batch, str):
                raise ValueError(
                    f"batch={self.batch!r} names a column, but X has no column "
                    "names; pass a DataFrame, or give the batch column's index."
                )
            if X.ndim != 2:
                raise ValueError(
                    f"Expected a 2D array with the batch column; got {X.ndim}D."
                )
            position = self._position(X.shape[1])
            labels = X[:, position]
            data = np.delete(X, position, axis=1)
        self._check_labels(labels, f"The batch column {self.batch!r}")
        return labels, data

    @staticmethod
    def _check_labels(labels, what):
        missing = pd.isna(labels)
        if missing.any():
            rows = np.flatnonzero(missing)
            more = f" and {rows.size - 5} more" if rows.size > 5 else ""
            raise ValueError(
                f"{what} is missing in {rows.size} "
                f"row{'s' if rows.size > 1 else ''} (positions "
                f"{rows[:5].tolist()}{more}); expected a batch label for every row."
            )

    def _position(self, n_columns):
        if not -n_columns <= self.batch < n_columns:
            raise ValueError(
                f"batch={self.batch} is not a column index of X, which has "
                f"{n_columns} columns."
            )
        return self.batch % n_columns

    @staticmethod
    def _rows(data, rows):
        return data.iloc[rows] if isinstance(data, pd.DataFrame) else data[rows]

    @staticmethod
    def _batch_rows(inverse, i):
        """The rows of batch ``i``: a slice when they are consecutive (a
        view of the data, not a copy), else their positions."""
        rows = np.flatnonzero(inverse == i)
        if rows.size and rows[-1] - rows[0] + 1 == rows.size:
            return slice(int(rows[0]), int(rows[-1]) + 1)
        return rows

    @_fit_context(
        # each scaler is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    @callback_task(subtasks=lambda scaler, X: None)
    def fit(self, X, y=None, sample_weight=None, *, batch_labels=None):
        """Fit the scaler on each batch, and on all rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} or DataFrame of shape (n_samples, n_features)
            Training data, the batch column included (a sparse matrix: with
            ``batch_labels``).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed on to the scaler's ``fit`` (which must take it).
        batch_labels : array-like of shape (n_samples,), default=None
            The batch of each row, given beside X (with ``batch=None``), as
            scikit-learn routes ``groups``: X keeps all its columns and its
            kind (CSR stays CSR). In a ``Pipeline``, route it with
            ``set_fit_request(batch_labels=True)`` and
            ``set_transform_request(batch_labels=True)``.

        Returns
        -------
        self : object
            Fitted scaler.
        """
        labels, data = self._split(X, reset=True, batch_labels=batch_labels)
        self.labels_given_ = batch_labels is not None
        template = self._get_scaler()
        weights = check_sample_weight(sample_weight, labels.shape[0])
        if weights is not None and not has_fit_parameter(template, "sample_weight"):
            raise TypeError(
                f"sample_weight was given, but {type(template).__name__}.fit does "
                "not take it."
            )

        def fitted(rows, name):
            scaler = clone(template)
            kwargs = {} if weights is None else {"sample_weight": weights[rows]}
            # the scaler's own warnings, said with the batch they are about
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with sub_estimator_task(self, scaler, name):
                    scaler.fit(self._rows(data, rows), **kwargs)
            for record in caught:
                warn_user(f"BatchScaler, {name}: {record.message}", record.category)
            return scaler

        self.batches_, inverse = np.unique(labels, return_inverse=True)
        if self.batch is None and batch_labels is None:  # one batch, fitted once
            scaler = clone(template)
            kwargs = {} if weights is None else {"sample_weight": weights}
            with sub_estimator_task(self, scaler, "all batches"):
                scaler.fit(data, **kwargs)
            self.scalers_ = dict.fromkeys(self.batches_, scaler)
            self.global_scaler_ = scaler
            return self
        # a batch whose rows all weigh zero is not learnt: it is unseen
        sizes = np.bincount(inverse, minlength=len(self.batches_))
        kept = [
            (i, label)
            for i, label in enumerate(self.batches_)
            if weights is None or weights[inverse == i].any()
        ]
        single = [label for i, label in kept if sizes[i] == 1]
        if single:
            shown = ", ".join(repr(label) for label in single[:5])
            warn_user(
                f"BatchScaler: batch {shown} has a single row; scaling a batch by "
                "its own statistics maps a single row to its centre (zeros for "
                "a z-score)."
            )
        self.scalers_ = {
            label: fitted(self._batch_rows(inverse, i), f"batch {label!r}")
            for i, label in kept
        }
        self.global_scaler_ = fitted(slice(None), "all batches")
        return self

    def transform(self, X, *, batch_labels=None):
        """Scale each row with its batch's scaler; drop the batch column.

        Parameters
        ----------
        X : {array-like, sparse matrix} or DataFrame of shape (n_samples, n_features)
            Data, the batch column included.
        batch_labels : array-like of shape (n_samples,), default=None
            The batch of each row, when ``fit`` was given ``batch_labels``.

        Returns
        -------
        X_tr : {ndarray, sparse matrix} of shape (n_samples, n_features - 1)
            Scaled data without the batch column (all columns when ``batch``
            is None); CSR when X is sparse.
        """
        check_is_fitted(self)
        labels, data = self._split(X, reset=False, batch_labels=batch_labels)
        if self.batch is None and batch_labels is None:
            return self.global_scaler_.transform(data)
        groups, inverse = np.unique(labels, return_inverse=True)
        unseen = [label for label in groups if label not in self.scalers_]
        if unseen and self.unseen == "error":
            raise ValueError(
                f"BatchScaler: batch {unseen[0]!r} was not seen in fit (seen: "
                f"{list(self.batches_)[:10]}); pass unseen='global' to scale it "
                "with the statistics of all training rows."
            )
        if unseen and self.unseen == "global":
            shown = ", ".join(repr(label) for label in unseen[:5])
            warn_user(
                f"BatchScaler: batch {shown} was not seen in fit; "
                f"{'it is' if len(unseen) == 1 else 'they are'} scaled with the "
                "statistics of all training rows."
            )
        parts, order = [], []
        for i, label in enumerate(groups):
            rows = self._batch_rows(inverse, i)
            values = self._rows(data, rows)
            scaler = self.scalers_.get(label)
            if scaler is None and self.unseen == "own":
                scaler = clone(self._get_scaler()).fit(values)
            elif scaler is None:
                scaler = self.global_scaler_
            parts.append(scaler.transform(values))
            order.append(rows)
        if not parts:
            return self.global_scaler_.transform(data)
        return gather_rows(parts, order, labels.shape[0])

    def fit_transform(self, X, y=None, sample_weight=None, *, batch_labels=None):
        """Fit, then scale each row with its batch's scaler.

        Parameters
        ----------
        X : {array-like, sparse matrix} or DataFrame of shape (n_samples, n_features)
            Training data, the batch column included.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed on to the scaler's ``fit``.
        batch_labels : array-like of shape (n_samples,), default=None
            The batch of each row (see :meth:`fit`).

        Returns
        -------
        X_tr : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
            The scaled training data.
        """
        return self.fit(
            X, y, sample_weight=sample_weight, batch_labels=batch_labels
        ).transform(X, batch_labels=batch_labels)

    def get_feature_names_out(self, input_features=None):
        """Get the names of the output columns: the input's, without the batch.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input column names; ``None`` uses ``feature_names_in_`` (or
            ``x0, x1, ...``).

        Returns
        -------
        feature_names_out : ndarray of str
            The input's column names without the batch column.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        if self.batch is None:
            return np.asarray(names, dtype=object)
        position = (
            list(names).index(self.batch)
            if isinstance(self.batch, str)
            else self.batch % self.n_features_in_
        )
        return np.delete(np.asarray(names, dtype=object), position)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._get_scaler())
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.sparse = self.batch is None and inner.input_tags.sparse
        tags.transformer_tags.preserves_dtype = (
            inner.transformer_tags.preserves_dtype if inner.transformer_tags else []
        )
        return tags
