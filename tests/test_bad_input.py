"""The bad-input matrix: every public estimator against every kind of bad input.

Each case either gives the right answer or raises ValueError/TypeError with a
message naming the problem; the caller's input is never modified.
"""

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.base import is_regressor
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import get_tags

from skscale.cli import main
from skscale.preprocessing import ZScoreScaler
from tests._registry import reference_instances

# one instance of every public estimator: a new one joins the matrix unasked
ESTIMATORS = reference_instances()

_rng = np.random.default_rng(0)
BASE = _rng.normal(size=(12, 3)) * [1, 10, 100] + [5, 50, 500]


def _memmap():
    path = Path(tempfile.mkdtemp()) / "base.npy"
    np.save(path, BASE)
    return np.load(path, mmap_mode="r")


def _with(column, value):
    X = BASE.copy()
    X[2 if value is not None else slice(None), column] = value
    return X


def _frame(kind):
    df = pd.DataFrame(BASE, columns=list("abc"))
    if kind == "nullable":
        df["a"] = pd.array(df["a"], dtype="Float64")
        df.loc[3, "a"] = pd.NA
    elif kind == "categorical":
        df["c"] = pd.Categorical(np.tile(["x", "y"], 6))
    elif kind == "duplicate names":
        df.columns = ["a", "a", "b"]
    elif kind == "integer names":
        df.columns = [0, 1, 2]
    return df


def _read_only():
    X = BASE.copy()
    X.setflags(write=False)
    return X


# case -> (X, expected): "ok", or (exception types, message pattern)
BAD_VALUE = (ValueError,)
CASES = {
    "NaN": (lambda: _with(1, np.nan), "ok"),
    "+inf": (lambda: _with(1, np.inf), (BAD_VALUE, r"infinity in column 1")),
    "-inf": (lambda: _with(1, -np.inf), (BAD_VALUE, r"infinity in column 1")),
    "empty": (lambda: np.empty((0, 3)), (BAD_VALUE, r"0 sample")),
    "one row": (lambda: BASE[:1].copy(), "ok"),
    "one column": (lambda: BASE[:, :1].copy(), "ok"),
    "constant column": (lambda: np.column_stack([BASE[:, :2], np.full(12, 7.0)]), "ok"),
    "all-NaN column": (
        lambda: np.column_stack([BASE[:, :2], np.full(12, np.nan)]),
        "ok",
    ),
    "strings": (
        lambda: np.array([["a", "b", "c"]] * 12, dtype=object),
        (BAD_VALUE, r"could not convert|numeric"),
    ),
    "booleans": (lambda: BASE > 50, "ok"),
    "complex": (lambda: BASE + 1j, (BAD_VALUE, r"[Cc]omplex")),
    "integers near their limits": (
        lambda: np.array(
            [[np.iinfo(np.int64).max, 1, 2], [np.iinfo(np.int64).min, 3, 5]] * 6
        ),
        "ok",
    ),
    "values near 1e300": (lambda: BASE * 1e298, "ok"),
    "values near 1e-300": (lambda: BASE * 1e-302, "ok"),
    "float16": (lambda: BASE.astype(np.float16), "ok"),
    "pandas nullable": (lambda: _frame("nullable"), "ok"),
    "pandas categorical": (lambda: _frame("categorical"), (BAD_VALUE, r"'c'")),
    "duplicate column names": (
        lambda: _frame("duplicate names"),
        (BAD_VALUE, r"unique"),
    ),
    "non-string column names": (lambda: _frame("integer names"), "ok"),
    "sparse CSR": (
        lambda: sp.csr_matrix(BASE),
        ((TypeError, ValueError), r"[Ss]parse"),
    ),
    "1-D": (lambda: BASE[:, 0].copy(), (BAD_VALUE, r"2D array")),
    "read-only": (_read_only, "ok"),
    "memory-mapped": (_memmap, "ok"),
}

# The per-sample normalisers, from the registry: those whose tags say they
# take positive quantities (counts, intensities, compositions) refuse the
# negative integers; those that take sparse input keep it sparse.
ROW_WISE = {
    name
    for name, estimator in ESTIMATORS.items()
    if getattr(estimator, "_per_sample", False)
}
POSITIVE = {n for n in ROW_WISE if get_tags(ESTIMATORS[n]).input_tags.positive_only}
SPARSE_ROWS = {n for n in ROW_WISE if get_tags(ESTIMATORS[n]).input_tags.sparse}
SELECTORS = {name for name, e in ESTIMATORS.items() if isinstance(e, SelectorMixin)}
NEGATIVE_REFUSED = (BAD_VALUE, r"Negative values in data passed to")

# Where an estimator's answer differs from the table, and why.
EXCEPTIONS = {
    **{(name, "integers near their limits"): NEGATIVE_REFUSED for name in POSITIVE},
    # row scaling keeps a sparse matrix sparse
    **{(name, "sparse CSR"): "ok" for name in SPARSE_ROWS},
    # gene selection takes sparse expression and keeps it sparse
    ("HighlyVariableGenes", "sparse CSR"): "ok",
    # quantile normalisation needs every value
    **{
        ("QuantileNormalizer", case): (BAD_VALUE, r"found NaN in column")
        for case in ("NaN", "all-NaN column", "pandas nullable")
    },
    ("KNNDistortion", "one row"): (BAD_VALUE, r"1 sample"),
    # the default regressor, Ridge, refuses NaN
    ("ScaledTargetRegressor", "NaN"): (BAD_VALUE, r"NaN"),
    ("ScaledTargetRegressor", "all-NaN column"): (BAD_VALUE, r"NaN"),
    ("ScaledTargetRegressor", "pandas nullable"): (BAD_VALUE, r"NaN"),
    # Ridge's own solver overflows: the regressor, not the target scaling
    ("ScaledTargetRegressor", "values near 1e300"): (BAD_VALUE, r"inf"),
    # sparse X is the regressor's business, and Ridge takes it
    ("ScaledTargetRegressor", "sparse CSR"): "ok",
    ("ScaledTargetRegressor", "pandas categorical"): (
        BAD_VALUE,
        r"could not convert",
    ),
}


# Normalisers of each row (ROW_WISE): a column's spread is not theirs to keep
# (a single column is normalised to a constant; quantile normalisation gives
# every row the same values when the rows rank the features alike, as BASE's
# do); a row's spread is.


def _snapshot(X):
    if sp.issparse(X):
        return X.copy()
    return X.copy(deep=True) if isinstance(X, pd.DataFrame) else np.array(X, copy=True)


def _unchanged(X, before):
    if sp.issparse(X):
        return (X != before).nnz == 0
    if isinstance(X, pd.DataFrame):
        return X.equals(before)
    return np.array_equal(np.asarray(X), before, equal_nan=before.dtype.kind == "f")


def _run(estimator, X):
    estimator = estimator.__sklearn_clone__()
    if is_regressor(estimator):
        return estimator.fit(X, np.arange(X.shape[0], dtype=float)).predict(X)
    return estimator.fit(X).transform(X)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_bad_input_matrix(name, case):
    make, expected = CASES[case]
    expected = EXCEPTIONS.get((name, case), expected)
    X = make()
    before = _snapshot(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # all-NaN and empty-block warnings
        if expected == "ok":
            out = _run(ESTIMATORS[name], X)
        else:
            errors, pattern = expected
            with pytest.raises(errors, match=pattern):
                _run(ESTIMATORS[name], X)
    assert _unchanged(X, before), "the caller's input was modified"
    if expected != "ok":
        return
    out = out.toarray() if sp.issparse(out) else np.asarray(out, dtype=np.float64)
    n_rows = X.shape[0]
    assert out.shape[0] == n_rows
    if sp.issparse(X):
        values = X.toarray()
    elif isinstance(X, pd.DataFrame):
        values = X.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = np.asarray(X, dtype=np.float64)
    if is_regressor(ESTIMATORS[name]):
        assert np.isfinite(out).all()
        return
    if name in SELECTORS:
        # a selector keeps some columns, unchanged (in a floating dtype)
        support = ESTIMATORS[name].__sklearn_clone__().fit(X).get_support()
        values = values[:, support]
        assert_array_equal(out, values)
    assert out.shape == values.shape
    assert np.array_equal(np.isnan(out), np.isnan(values))  # NaN kept, no new NaN
    assert np.isfinite(out[~np.isnan(out)]).all()
    if name in ROW_WISE and values.shape[1] > 1:
        with np.errstate(invalid="ignore"):
            varied = np.nanmax(values, axis=1) > np.nanmin(values, axis=1)
        # a row that varied still varies after its normalisation
        assert (np.nanmax(out, axis=1)[varied] > np.nanmin(out, axis=1)[varied]).all()
    if n_rows > 1 and name not in ROW_WISE:
        with np.errstate(invalid="ignore"):
            varied = np.nanmax(values, axis=0) > np.nanmin(values, axis=0)
        # a column that varied still varies after scaling (not squashed to 0)
        assert (np.nanmax(out, axis=0)[varied] > np.nanmin(out, axis=0)[varied]).all()


@pytest.mark.parametrize("magnitude", [1e298, 1e-302])
def test_extreme_magnitudes_are_standardised_exactly(magnitude):
    out = ZScoreScaler().fit_transform(BASE * magnitude)
    np.testing.assert_allclose(out.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(
        out, ZScoreScaler().fit_transform(BASE), rtol=1e-10, atol=1e-12
    )


CLI_CASES = {
    "inf in a column": (
        lambda df: df.assign(b=np.where(df.index == 2, np.inf, df["b"])),
        2,  # the user's input: exit status 2, the column named
    ),
    "an all-NaN column": (lambda df: df.assign(c=np.nan), 0),
    "one row": (lambda df: df.iloc[:1], 2),
    "text only": (lambda df: pd.DataFrame({"t": ["x"] * len(df)}), 2),
    "booleans and text": (lambda df: df.assign(flag=df["a"] > 5, note="n"), 0),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_the_command_never_prints_a_traceback(case, tmp_path, capsys):
    make, code = CLI_CASES[case]
    data = tmp_path / "t.csv"
    make(pd.DataFrame(BASE, columns=list("abc"))).to_csv(data, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = main(["report", str(data), "--out", str(tmp_path / "r.html")])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert result == code, captured.err
    if code:
        errors = [line for line in captured.err.splitlines() if "error" in line]
        assert len(errors) == 1
        if case == "inf in a column":
            assert "'b'" in errors[0] and "inf" in errors[0]
