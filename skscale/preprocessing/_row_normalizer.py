"""Per-sample normalisers: each row (a sample) rescaled or re-expressed by its
own content, against a reference learnt from the training rows only.

An omics table is normalised per sample before its features are scaled:
library size in RNA-seq, dilution in metabolomics, composition in microbiome
data. The functions analysts use today (scanpy's ``normalize_total``,
pydeseq2's size factors, scikit-bio's ``clr``, qnorm) learn nothing in
``fit``: a reference computed on all rows leaks into cross-validation. Here
``fit`` learns the reference (a target total, a reference spectrum, per-feature
geometric means, a reference distribution) from the training rows, and
``transform`` applies it to any rows, new samples included.

Rows are samples. Values are computed in float64 and written in the input's
floating dtype. NaN is skipped in every per-row statistic and stays NaN;
+/-inf is refused, naming the column. Dask collections are refused (compute
them first); which estimator takes sparse input is said in its docstring.
"""

from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import FLOAT_DTYPES

from skscale._backends import (
    cell_beyond,
    columns_where,
    divide_rows,
    refuse_dask,
    refuse_sparse,
    scan_rows,
)
from skscale._backends.array_api import refuse_array_api
from skscale._backends.dense import _weighted_percentiles
from skscale.utils._sklearn_compat import (
    CallbackSupportMixin,
    validate_data,
)
from skscale.utils._validation import (
    describe_columns,
    reject_non_numeric_columns,
    warn_user,
)

__all__ = []


def _describe_rows(rows, limit=5):
    shown = ", ".join(str(int(i)) for i in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def _weighted_median(values, weights):
    """The median of ``values`` with frequency weights (None: unweighted):
    numpy's median of the rows repeated by their weights."""
    if weights is None:
        return float(np.median(values))
    return float(_weighted_percentiles(values[:, None], weights, [50.0])[0][0])


@contextmanager
def _overflow_watch():
    """A list that is non-empty after the block if a floating-point overflow
    happened in it (numpy's error flag: no pass over the result)."""
    seen = []
    with np.errstate(over="call", call=lambda *_: seen.append(True)):
        yield seen


class _RowNormalizer(
    CallbackSupportMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Validation and row scaling shared by the per-sample normalisers."""

    # each row is normalised by its own values (the tests' registry reads it)
    _per_sample = True

    _parameter_constraints = {"copy": ["boolean"]}
    # the input kinds and values each normaliser takes
    _sparse = ("csr", "csc")
    _nan = True
    _non_negative = True
    # values must be positive for another reason (CLR's logarithm)
    _positive = False
    # whether the row totals are used (the log step only checks the values)
    _needs_totals = True

    def _feature_names(self):
        names = getattr(self, "feature_names_in_", None)
        return None if names is None else list(names)

    def _sparse_refusal(self):
        return f"{type(self).__name__} does not take sparse input."

    def _validate(self, X, *, reset, what="X"):
        name = type(self).__name__
        refuse_array_api(self, X)
        refuse_dask(
            X,
            f"{name} does not take dask collections; compute the rows first "
            "(X.compute()), or fit it on a sample that fits in memory.",
        )
        reject_non_numeric_columns(X, name)
        if not self._sparse:
            refuse_sparse(X, self._sparse_refusal())
        X = validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=self._sparse or False,
            dtype=FLOAT_DTYPES,
            ensure_all_finite=False,
            copy=False,
        )
        totals = scan_rows(
            X,
            self,
            feature_names=self._feature_names(),
            what=what,
            totals=self._needs_totals,
        )
        return X, totals

    def _refuse_nan(self, X, mask, names):
        columns = self._columns_where(X, mask)
        raise ValueError(
            f"{type(self).__name__} needs every value, but found NaN in "
            f"{describe_columns(columns, names)}; impute the missing values "
            "first (for example with sklearn.impute.SimpleImputer)."
        )

    def _below_floor(self, low):
        """Whether a block whose smallest value is ``low`` needs
        :meth:`_check_floor` to look at it."""
        return self._non_negative and low < 0

    @staticmethod
    def _columns_where(X, mask):
        return columns_where(X, mask)

    def _check_floor(self, X, values, names):
        if self._non_negative:
            negative = values < 0
            if negative.any():
                columns = self._columns_where(X, negative)
                raise ValueError(
                    f"Negative values in data passed to {type(self).__name__}, in "
                    f"{describe_columns(columns, names)}; expected non-negative "
                    "quantities (counts, intensities, concentrations)."
                )

    def _divide_rows(self, X, original, factors, copy, *, lacking):
        """Divide each row of ``X`` by its factor; rows whose factor is not a
        positive finite number (they lack what it is computed from) are left
        as they are, with a warning."""
        bad = np.flatnonzero(~(np.isfinite(factors) & (factors > 0)))
        if bad.size:
            warn_user(
                f"{type(self).__name__} leaves {_describe_rows(bad)} unchanged "
                f"({bad.size} of {len(factors)}): no {lacking}."
            )
            factors = factors.copy()
            factors[bad] = 1.0
        if not copy:  # the caller's data may be written: refuse first
            self._refuse_overflow(X, factors)
        with _overflow_watch() as overflowed:
            out = divide_rows(X, original, factors, copy=copy)
        if overflowed:  # a new array, or validation's own copy: not the caller's
            self._refuse_overflow(X, factors)
        return out

    def _refuse_overflow(self, X, factors):
        """Raise a ValueError naming the cells of ``X`` that dividing by their
        row's factor would take beyond the largest value of X's dtype."""
        largest = np.finfo(X.dtype).max
        if not (factors < 1).any():
            return
        cell = cell_beyond(X, factors, largest)
        if cell is None:
            return
        row, column = int(cell[0]), int(cell[1])
        names = self._feature_names()
        raise ValueError(
            f"{type(self).__name__}: sample {row} divided by its factor "
            f"{factors[row]:.6g} takes {describe_columns([column], names)} "
            f"beyond the largest {X.dtype} value ({largest:.4g}); expected data "
            "whose normalised values are finite: divide the table by a power of "
            "ten (say 1e10) before normalising it."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._nan
        tags.input_tags.sparse = bool(self._sparse)
        tags.input_tags.positive_only = self._non_negative or self._positive
        tags.transformer_tags.preserves_dtype = ["float64", "float32", "float16"]
        return tags
