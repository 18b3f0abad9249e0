"""The interaction matrix: every estimator on a pairwise design over

- input kind: ndarray, pandas DataFrame, scipy CSR, scipy CSC, dask array,
  dask DataFrame;
- sample weights: none, positive, some zero (estimators whose ``fit`` takes
  ``sample_weight``);
- dtype: float64, float32, float16, int64 (NaN only for the float dtypes);
- missing values: none, some cells, a whole column;
- fitting: one ``fit``, or ``partial_fit`` in three chunks (estimators that
  have it);
- values: ordinary, with a constant column, with a near-constant column
  (100 +/- 1e-13: a spread below float64's noise bound for 30 rows).

Not the full product of these (3,200 cases, and it never varied the values):
a pairwise design (``tests/_pairwise.py``) in which every pair of levels of
any two factors meets at least once, per estimator, so that each value
regime is crossed with every kind, every weighting and every dtype. The
backends' own conformance suites (``tests/backends/``) hold each kind to the
dense answer on the extreme value regimes.

Each combination either gives the result of the reference fit (the same
estimator fitted on the same values as a dense float64 ndarray, with the same
weights), compared on ``transform`` (``predict`` for a regressor) to a
tolerance that fits the dtype, with the NaN in the same places and the dtype
kept where the estimator's tags promise it, or raises one ValueError or
TypeError that says which combination is not supported, as allowed by a rule
of ``RULES`` (the one table of what cannot work, with the reason). Where
scikit-learn's own scaler accepts a combination, the skscale one must too.
"""

import re
import warnings
from dataclasses import dataclass
from functools import cache

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn import preprocessing as sklearn_preprocessing
from sklearn.base import clone, is_regressor
from sklearn.utils import get_tags
from sklearn.utils.validation import has_fit_parameter

from tests._pairwise import pairwise
from tests._registry import reference_instances

ESTIMATORS = reference_instances()

KINDS = ("ndarray", "DataFrame", "csr", "csc", "dask_array", "dask_DataFrame")
WEIGHTINGS = ("unweighted", "positive_weights", "zero_weights")
DTYPES = ("float64", "float32", "float16", "int64")
MISSING = ("no_nan", "nan_cells", "nan_column")
FITS = ("fit", "partial_fit")
VALUES = ("ordinary", "constant_column", "near_constant_column")

SPARSE = {"csr", "csc"}
DASK = {"dask_array", "dask_DataFrame"}

# |result - reference| <= RTOL * (largest |reference| of the column): about
# one unit in the last place of the dtype the result is computed or stored in
# (int64 data are scaled in float64).
RTOL = {"float64": 1e-12, "float32": 1e-6, "float16": 1e-3, "int64": 1e-12}


@dataclass(frozen=True)
class Rule:
    """Combinations that legitimately cannot work as the matrix asks, and why.

    A combination matches when each given field holds one of the listed values
    (``None``: any value); every matching rule of ``RULES`` applies. A rule
    says one of three things:

    - ``unbuildable``: the input itself cannot be built, the combination is
      not run;
    - ``error``: a regular expression; one ValueError or TypeError whose
      message matches it is accepted instead of the result;
    - ``rtol``: the result is compared with this tolerance instead of
      ``RTOL``'s.
    """

    reason: str
    error: str | None = None
    rtol: float | None = None
    unbuildable: bool = False
    estimators: frozenset | None = None
    kinds: frozenset | None = None
    weightings: frozenset | None = None
    dtypes: frozenset | None = None
    missing: frozenset | None = None
    fits: frozenset | None = None
    values: frozenset | None = None

    def matches(self, case):
        return all(
            allowed is None or value in allowed
            for allowed, value in (
                (self.estimators, case.estimator),
                (self.kinds, case.kind),
                (self.weightings, case.weighting),
                (self.dtypes, case.dtype),
                (self.missing, case.missing),
                (self.fits, case.fit),
                (self.values, case.values),
            )
        )


# Estimators that subtract a per-column centre (a mean or a minimum), or that
# report on and apply the default ZScoreScaler, which does.
CENTERING = frozenset(
    {
        "ZScoreScaler",
        "MinMaxScaler",
        "ParetoScaler",
        "VastScaler",
        "LevelScaler",
        "RangeScaler",
        "BlockScaler",
        "BatchScaler",
        "PCADominance",
        "KNNDistortion",
    }
)

# The per-sample normalisers (from the registry), and those among them whose
# output would be dense (their tags refuse sparse input).
PER_SAMPLE = frozenset(
    name for name, e in ESTIMATORS.items() if getattr(e, "_per_sample", False)
)
DENSE_OUTPUT = frozenset(
    name for name in PER_SAMPLE if not get_tags(ESTIMATORS[name]).input_tags.sparse
)

# The one table of what cannot work; everything else must give the reference.
RULES = (
    Rule(
        reason=(
            "the per-sample normalisers, the batch scaler and the gene "
            "selection take in-memory data: a dask collection is refused with "
            "the advice to compute it"
        ),
        error=r"does not take dask collections",
        estimators=PER_SAMPLE | {"BatchScaler", "HighlyVariableGenes"},
        kinds=frozenset(DASK),
    ),
    Rule(
        reason=(
            "the log-ratio, the quantile map and the row centring give every "
            "implicit zero a value: the output would be dense"
        ),
        error=r"(?i)sparse",
        estimators=DENSE_OUTPUT,
        kinds=frozenset(SPARSE),
    ),
    Rule(
        reason="quantile normalisation ranks every value of a row: NaN is refused",
        error=r"found NaN in column",
        estimators=frozenset({"QuantileNormalizer"}),
        missing=frozenset({"nan_cells", "nan_column"}),
    ),
    Rule(
        reason="scipy.sparse has no float16 matrices: the input cannot be built",
        unbuildable=True,
        kinds=frozenset(SPARSE),
        dtypes=frozenset({"float16"}),
    ),
    Rule(
        reason=(
            "centering a sparse matrix stores every implicit zero, i.e. makes it "
            "dense; scikit-learn's StandardScaler and MinMaxScaler refuse it too"
        ),
        error=r"(?i)sparse",
        estimators=CENTERING,
        kinds=frozenset(SPARSE),
    ),
    Rule(
        reason=(
            "the default regressor, Ridge, refuses missing values in X (the "
            "estimator's allow_nan tag is False); the target scaling is not involved"
        ),
        error=r"NaN",
        estimators=frozenset({"ScaledTargetRegressor"}),
        missing=frozenset({"nan_cells", "nan_column"}),
    ),
    Rule(
        reason=(
            "Ridge solves a sparse X iteratively (solver sparse_cg, tol=1e-4) and "
            "a dense one exactly (cholesky): Ridge alone differs as much between "
            "the two; the target scaling adds nothing"
        ),
        rtol=1e-4,
        estimators=frozenset({"ScaledTargetRegressor"}),
        kinds=frozenset(SPARSE),
    ),
)

# Messages that do not say what is wrong: numpy or scipy internals leaking out.
CRYPTIC = (
    "Cannot cast ufunc",
    "operands could not be broadcast",
    "setting an array element with a sequence",
    "unsupported operand type",
    "has no attribute",
    "index out of bounds",
    "object is not subscriptable",
    "array must not contain infs or NaNs",
)

# scikit-learn's scalers, which skscale's drop-ins must accept wherever they do
SKLEARN_COUNTERPART = {
    "ZScoreScaler": sklearn_preprocessing.StandardScaler,
    "MinMaxScaler": sklearn_preprocessing.MinMaxScaler,
}


@dataclass(frozen=True)
class Case:
    estimator: str
    kind: str
    weighting: str
    dtype: str
    missing: str
    fit: str
    values: str = "ordinary"

    @property
    def id(self):
        fields = (self.estimator, self.kind, self.weighting, self.dtype)
        return "-".join((*fields, self.missing, self.fit, self.values))

    def rules(self):
        """The rules of ``RULES`` that cover this combination."""
        return [rule for rule in RULES if rule.matches(self)]


# The table: 30 rows, 4 columns on scales 1 to 1000 with offsets of about three
# spreads (so that level and vast scaling have a mean to divide by), and a
# third of the cells zero (so that the sparse matrices have implicit zeros).
_rng = np.random.default_rng(12)
N_ROWS = 30
COLUMNS = ["a", "b", "c", "d"]
TABLE = (_rng.normal(size=(N_ROWS, 4)) + 3.0) * np.array([1.0, 10.0, 100.0, 1000.0])
_zero = _rng.random(TABLE.shape) < 1 / 3
# the per-sample normalisers' table keeps every value of column "a" (median-of-
# ratios needs one feature without a zero)
SAMPLE_TABLE = np.where(_zero & (np.arange(4) > 0), 0.0, TABLE)
TABLE[_zero] = 0.0
NAN_CELLS = ([1, 7, 16, 25, 28], [0, 2, 1, 3, 0])
NAN_COLUMN = 2
TARGET = TABLE @ np.array([2.0, -0.3, 0.05, 0.004]) + _rng.normal(size=N_ROWS)
_positive = _rng.uniform(0.5, 2.0, size=N_ROWS)
_some_zero = _positive.copy()
_some_zero[[0, 4, 11, 17, 23, 29]] = 0.0  # never a whole chunk
WEIGHTS = {
    "unweighted": None,
    "positive_weights": _positive,
    "zero_weights": _some_zero,
}
# partial_fit sees the rows in three consecutive chunks
CHUNKS = np.array_split(np.arange(N_ROWS), 3)


# the column that the value regimes replace (not the NaN column, nor the
# per-sample normalisers' column "a" without zeros)
REGIME_COLUMN = 1


@cache
def _values(dtype, missing, estimator_name, values="ordinary"):
    """The table's values in ``dtype``, with the missing values and the value
    regime asked for."""
    X = (SAMPLE_TABLE if estimator_name in PER_SAMPLE else TABLE).copy()
    if values == "constant_column":
        X[:, REGIME_COLUMN] = 3.0
    elif values == "near_constant_column":
        # scikit-learn's construction: mean +/- a spread below the noise bound
        signs = np.where(np.arange(N_ROWS) % 2 == 0, 1.0, -1.0)
        X[:, REGIME_COLUMN] = 100.0 + 1e-13 * signs
    if missing == "nan_cells":
        X[NAN_CELLS] = np.nan
    elif missing == "nan_column":
        X[:, NAN_COLUMN] = np.nan
    if dtype == "int64":
        return np.round(X).astype(np.int64)
    return X.astype(dtype)


def _as_kind(values, kind):
    """``values`` as a new input of the given kind (the cached table is kept
    out of reach of an estimator that would write into its input)."""
    values = values.copy()
    if kind == "ndarray":
        return values
    if kind == "DataFrame":
        return pd.DataFrame(values, columns=COLUMNS)
    if kind == "csr":
        return sp.csr_matrix(values)
    if kind == "csc":
        return sp.csc_matrix(values)
    if kind == "dask_array":
        # several chunks of rows and of columns
        return da.from_array(values, chunks=(12, 2))
    if kind == "dask_DataFrame":
        return dd.from_pandas(pd.DataFrame(values, columns=COLUMNS), npartitions=2)
    raise AssertionError(kind)


def _fit_and_apply(estimator, case, values, kind):
    """Fit as ``case`` says on ``values`` given as ``kind``; transform or predict."""
    weights = WEIGHTS[case.weighting]
    regressor = is_regressor(estimator)

    def fit_args(rows):
        args = (TARGET[rows],) if regressor else ()
        kwargs = {} if weights is None else {"sample_weight": weights[rows]}
        return args, kwargs

    if case.fit == "fit":
        args, kwargs = fit_args(slice(None))
        estimator.fit(_as_kind(values, kind), *args, **kwargs)
    else:
        for rows in CHUNKS:
            args, kwargs = fit_args(rows)
            estimator.partial_fit(_as_kind(values[rows], kind), *args, **kwargs)
    X = _as_kind(values, kind)
    return estimator.predict(X) if regressor else estimator.transform(X)


def _run(estimator, case, values, kind):
    """``_fit_and_apply`` with dask computed here, the result and its dtype."""
    with warnings.catch_warnings(), dask.config.set(scheduler="synchronous"):
        # all-NaN columns and zero means are warned about, rightly
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        out = _fit_and_apply(estimator, case, values, kind)
        declared = out.dtype if isinstance(out, da.Array) else None
        if hasattr(out, "compute"):
            out = out.compute()
    if isinstance(out, pd.DataFrame):
        dtypes = set(out.dtypes)
        dtype = dtypes.pop() if len(dtypes) == 1 else object
        dense = out.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        dtype = out.dtype
        dense = out.toarray() if sp.issparse(out) else np.asarray(out)
        dense = dense.astype(np.float64)
    return dense, np.dtype(dtype), declared


@cache
def _reference(estimator_name, weighting, dtype, missing, regime="ordinary"):
    """The result of one fit on the same values as a float64 ndarray."""
    case = Case(estimator_name, "ndarray", weighting, "float64", missing, "fit")
    values = _values(dtype, missing, estimator_name, regime).astype(np.float64)
    out, _, _ = _run(clone(ESTIMATORS[estimator_name]), case, values, "ndarray")
    return out


def _sklearn_accepts(case):
    """Whether scikit-learn's counterpart runs ``case`` without an error."""
    estimator = SKLEARN_COUNTERPART[case.estimator]()
    try:
        _run(
            estimator,
            case,
            _values(case.dtype, case.missing, case.estimator, case.values),
            case.kind,
        )
    except Exception:  # any refusal of scikit-learn's releases skscale
        return False
    return True


@cache
def _design(name):
    """The pairwise design of one estimator's cases."""
    estimator = ESTIMATORS[name]
    weighted = has_fit_parameter(estimator, "sample_weight")
    streaming = hasattr(estimator, "partial_fit")
    factors = {
        "kind": KINDS,
        "weighting": WEIGHTINGS if weighted else WEIGHTINGS[:1],
        "dtype": DTYPES,
        "missing": MISSING,
        "fit": FITS if streaming else FITS[:1],
        "values": VALUES,
    }

    def valid(levels):
        if levels["dtype"] == "int64" and levels["missing"] != "no_nan":
            return False  # integers hold no NaN
        case = Case(name, **levels)
        return not any(rule.unbuildable for rule in case.rules())

    return [Case(name, **levels) for levels in pairwise(factors, valid)]


def _cases():
    return [
        pytest.param(case, id=case.id) for name in ESTIMATORS for case in _design(name)
    ]


def _expected_dtype(estimator, case):
    """The dtype the result must have, or None when the tags promise nothing."""
    if is_regressor(estimator):
        return None
    if case.dtype == "int64":
        return np.dtype(np.float64)
    if case.dtype in get_tags(estimator).transformer_tags.preserves_dtype:
        return np.dtype(case.dtype)
    return None


def _refusal_problems(case, exc):
    """What is wrong with ``case`` raising ``exc`` (a ValueError or TypeError)."""
    message = str(exc)
    problems = []
    if any(text in message for text in CRYPTIC):
        problems.append("a cryptic message")
    if case.estimator in SKLEARN_COUNTERPART and case.kind not in DASK:
        if _sklearn_accepts(case):
            counterpart = SKLEARN_COUNTERPART[case.estimator].__name__
            problems.append(f"scikit-learn's {counterpart} accepts this")
    allowing = [rule for rule in case.rules() if rule.error is not None]
    if not allowing:
        problems.append("no rule of RULES allows an error here")
    elif not any(re.search(rule.error, message) for rule in allowing):
        reasons = "; ".join(rule.reason for rule in allowing)
        problems.append(f"the message does not say why ({reasons})")
    if problems:
        problems.append(f"raised {type(exc).__name__}: {message}")
    return problems


def _result_problems(case, estimator, out, dtype, declared):
    """How the result of ``case`` differs from the reference."""
    problems = []
    expected = _expected_dtype(estimator, case)
    if expected is not None and dtype != expected:
        problems.append(f"{case.dtype} input gave {dtype} output")
    if expected is not None and declared is not None and declared != expected:
        problems.append(f"the dask result declares {declared}, not {expected}")
    reference = _reference(
        case.estimator, case.weighting, case.dtype, case.missing, case.values
    )
    if out.shape != reference.shape:
        return [*problems, f"shape {out.shape}, reference {reference.shape}"]
    missing_out, missing_ref = np.isnan(out), np.isnan(reference)
    if not np.array_equal(missing_out, missing_ref):
        cells = np.argwhere(missing_out != missing_ref).tolist()
        problems.append(f"NaN differs from the reference at {cells[:5]}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        magnitude = np.nanmax(np.abs(reference), axis=0, keepdims=True)
    magnitude = np.where(np.isnan(magnitude) | (magnitude == 0), 1.0, magnitude)
    error = np.nanmax(np.abs(out - reference) / magnitude, initial=0.0)
    rtol = max(
        [RTOL[case.dtype]] + [r.rtol for r in case.rules() if r.rtol is not None]
    )
    if not error <= rtol:
        problems.append(
            f"differs from the float64 reference by {error:.3g} of the column's "
            f"magnitude; tolerance {rtol:g}"
        )
    return problems


@pytest.mark.parametrize("case", _cases())
def test_interaction_matrix(case):
    estimator = clone(ESTIMATORS[case.estimator])
    # any exception other than ValueError and TypeError fails the test as is
    try:
        values = _values(case.dtype, case.missing, case.estimator, case.values)
        result = _run(estimator, case, values, case.kind)
    except (ValueError, TypeError) as exc:
        problems = _refusal_problems(case, exc)
    else:
        problems = _result_problems(case, estimator, *result)
    assert not problems, "; ".join(problems)


def test_every_rule_covers_combinations_of_the_matrix():
    """A misspelt or stale rule would silently allow nothing, or too much."""
    known = {
        "estimators": set(ESTIMATORS),
        "kinds": set(KINDS),
        "weightings": set(WEIGHTINGS),
        "dtypes": set(DTYPES),
        "missing": set(MISSING),
        "fits": set(FITS),
        "values": set(VALUES),
    }
    for rule in RULES:
        outcomes = [rule.error is not None, rule.rtol is not None, rule.unbuildable]
        assert sum(outcomes) == 1, f"one outcome per rule: {rule.reason}"
        for field, values in known.items():
            assert getattr(rule, field) is None or getattr(rule, field) <= values
    run = [param.values[0] for param in _cases()]
    for rule in RULES:
        if not rule.unbuildable:
            assert any(rule.matches(case) for case in run), rule.reason
