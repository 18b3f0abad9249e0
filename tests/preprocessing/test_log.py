"""LogTransformer against formulas written out here, high-precision decimal
references, and scanpy's stored outputs (tests/data/normalisers)."""

from decimal import Decimal, localcontext

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from skscale.preprocessing import LogTransformer, TotalSumNormalizer, ZScoreScaler


def _counts(seed=0, shape=(30, 12)):
    rng = np.random.default_rng(seed)
    X = rng.negative_binomial(2, 0.1, size=shape).astype(np.float64)
    X[rng.random(shape) < 0.3] = 0
    return X


def _decimal_glog(x, lam, base=None):
    """log((x + sqrt(x**2 + lambda)) / 2), to 1,000 digits (enough that x +
    sqrt(x**2 + lambda) keeps its digits at x = -1e200)."""
    with localcontext() as ctx:
        ctx.prec = 1000
        d = Decimal(float(x))
        s = d + (d * d + Decimal(float(lam))).sqrt()
        value = (s / 2).ln()
        if base is not None:
            value /= Decimal(float(base)).ln()
        return float(value)


def test_log1p_is_numpys_log1p_exactly():
    X = _counts()
    assert_array_equal(LogTransformer().fit_transform(X), np.log1p(X))


@pytest.mark.parametrize("base", [2.0, 10.0, 3.5])
def test_a_base_divides_by_its_log_as_scanpy_does(base):
    X = _counts(1)
    # scanpy's sc.pp.log1p(base=b): np.log1p(X) / np.log(b)
    assert_allclose(
        LogTransformer(base=base).fit_transform(X),
        np.log1p(X) / np.log(base),
        rtol=1e-15,
        atol=0,
    )


@pytest.mark.parametrize("pseudocount", [0.5, 1e-3, 7.0])
def test_a_pseudocount_is_added_before_the_log(pseudocount):
    X = _counts(2)
    out = LogTransformer(base=2, pseudocount=pseudocount).fit_transform(X)
    assert_allclose(out, np.log2(X + pseudocount), rtol=1e-14, atol=1e-15)


def test_small_values_keep_their_digits():
    # log(x + c) as log(c) + log1p(x / c): x far below c is not rounded away
    X = np.array([[1e-20, 3e-17]])
    assert_allclose(LogTransformer().fit_transform(X), X, rtol=1e-15)
    c = 3e-17
    out = LogTransformer(pseudocount=c).fit_transform(X)
    with localcontext() as ctx:
        ctx.prec = 60
        expected = [float((Decimal(v) + Decimal(c)).ln()) for v in X[0]]
    assert_allclose(out[0], expected, rtol=1e-15)


@pytest.mark.parametrize("lam", [1e-300, 1e-6, 1.0, 4.0, 250.0])
def test_glog_matches_a_high_precision_reference(lam):
    x = np.array([[-1e200, -3e7, -2.5, -1e-3, 0.0, 1e-9, 0.7, 12.0, 4e9, 1e300]])
    out = LogTransformer(method="glog", glog_lambda=lam, base=2).fit_transform(x)
    expected = [_decimal_glog(v, lam, 2) for v in x[0]]
    assert_allclose(out[0], expected, rtol=1e-14)


def test_glog_is_the_log_far_above_sqrt_lambda():
    x = np.array([[1e4, 1e6, 1e8]])
    out = LogTransformer(method="glog", glog_lambda=1.0, base=2).fit_transform(x)
    assert_allclose(out, np.log2(x), rtol=1e-9)


def test_glog_lambda_auto_is_metaboanalysts():
    # MetaboAnalyst: min.val <- min(abs(x[x != 0])) / 10, lambda = min.val^2
    rng = np.random.default_rng(3)
    X = rng.normal(scale=50, size=(20, 6))
    X[0, 0], X[1, 1] = 0.0, np.nan
    X[2, 2] = -0.0123
    fitted = LogTransformer(method="glog", base=2).fit(X)
    finite = X[np.isfinite(X) & (X != 0)]
    assert fitted.lambda_ == (np.abs(finite).min() / 10) ** 2
    min_val = np.abs(finite).min() / 10
    # MetaboAnalyst's formula as written (it cancels for x < 0: compared
    # with the high-precision reference there)
    expected = np.log2((X + np.sqrt(X**2 + min_val**2)) / 2)
    out = fitted.transform(X)
    positive = X >= 0
    assert_allclose(out[positive], expected[positive], rtol=1e-13)
    negative = X < 0
    reference = [_decimal_glog(v, fitted.lambda_, 2) for v in X[negative]]
    assert_allclose(out[negative], reference, rtol=1e-13)
    assert np.isnan(out[1, 1])
    # learnt from the training rows only
    assert LogTransformer(method="glog").fit(X[3:]).lambda_ != fitted.lambda_


def test_glog_auto_on_zeros_only_says_what_to_give():
    with pytest.raises(ValueError, match="every value is zero or missing; give"):
        LogTransformer(method="glog").fit([[0.0, np.nan], [0.0, 0.0]])


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"base": 2.0},
        {"pseudocount": 0.25, "base": 10.0},
        {"method": "glog"},
        {"method": "glog", "glog_lambda": 0.01, "base": 2.0},
        {"method": "glog", "glog_lambda": 1e-300},
    ],
)
def test_inverse_transform_round_trips(params):
    X = _counts(4) - (0.2 if params.get("method") == "glog" else 0.0)
    step = LogTransformer(**params).fit(X)
    back = step.inverse_transform(step.transform(X))
    assert_allclose(back, X, rtol=1e-12, atol=1e-12)


def test_inverse_of_values_beyond_float64_is_refused():
    step = LogTransformer(base=2).fit([[1.0]])
    with pytest.raises(ValueError, match="too large to map back"):
        step.inverse_transform([[2000.0]])
    step = LogTransformer().fit(np.ones((1, 1), dtype=np.float32))
    with pytest.raises(ValueError, match="largest float32 value"):
        step.inverse_transform(np.array([[100.0]], dtype=np.float32))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize(
    "params", [{}, {"base": 2.0}, {"method": "glog", "glog_lambda": 4.0}]
)
def test_sparse_input_stays_sparse_when_zero_maps_to_zero(fmt, params):
    X = _counts(5)
    S = sp.csr_matrix(X).asformat(fmt)
    before = S.copy()
    step = LogTransformer(**params).fit(S)
    out = step.transform(S)
    assert sp.issparse(out) and out.format == fmt
    assert out.nnz == S.nnz
    assert_allclose(
        out.toarray(), LogTransformer(**params).fit_transform(X), rtol=1e-15
    )
    # copy=True left the caller's arrays alone
    for name in ("data", "indices", "indptr"):
        assert_array_equal(getattr(S, name), getattr(before, name))
    back = step.inverse_transform(out)
    assert sp.issparse(back)
    assert_allclose(back.toarray(), X, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("params", "shown"),
    [({"pseudocount": 0.5}, r"log\(0 \+ 0.5\)"), ({"method": "glog"}, r"glog\(0\)")],
)
def test_sparse_input_is_refused_when_zeros_would_get_a_value(params, shown):
    S = sp.csr_matrix(_counts(6))
    with pytest.raises(TypeError, match=shown + ".*pseudocount=1"):
        LogTransformer(**params).fit(S)
    fitted = LogTransformer(**params).fit(S.toarray())
    with pytest.raises(TypeError, match="output is dense"):
        fitted.transform(S)


def test_copy_false_maps_a_float_array_in_place():
    X = _counts(7)
    expected = np.log1p(X)
    out = LogTransformer(copy=False).fit(X).transform(X)
    assert out is X
    assert_array_equal(X, expected)
    S = sp.csr_matrix(_counts(7))
    out = LogTransformer().fit(S).transform(S, copy=False)
    assert out is S
    assert_array_equal(S.toarray(), expected)


def test_copy_true_leaves_the_input_alone():
    X = _counts(8)
    before = X.copy()
    LogTransformer().fit_transform(X)
    assert_array_equal(X, before)


def test_nan_stays_nan_and_inf_is_refused_by_column():
    X = _counts(9)
    X[3, 4] = np.nan
    out = LogTransformer().fit_transform(X)
    assert np.isnan(out[3, 4]) and np.isfinite(np.delete(out.ravel(), 3 * 12 + 4)).all()
    X[5, 7] = np.inf
    with pytest.raises(ValueError, match="column 7"):
        LogTransformer().fit(X)


def test_values_at_or_below_minus_pseudocount_are_refused_before_writing():
    X = _counts(10)
    X[2, 3] = -1.0
    before = X.copy()
    with pytest.raises(
        ValueError, match=r"at or below -pseudocount \(-1\) in column 3"
    ):
        LogTransformer(copy=False).fit(np.abs(X)).transform(X)
    assert_array_equal(X, before)
    # above -pseudocount is fine
    out = LogTransformer(pseudocount=2.0).fit_transform(X)
    assert_allclose(out[2, 3], np.log(1.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_floating_dtype_is_kept(dtype):
    X = _counts(11).astype(dtype)
    out = LogTransformer(base=2).fit_transform(X)
    assert out.dtype == dtype
    assert_allclose(out, np.log1p(X.astype(np.float64)) / np.log(2), rtol=1e-6)


def test_names_are_kept_through_set_output():
    import pandas as pd

    frame = pd.DataFrame(_counts(12, (5, 3)), columns=["a", "b", "c"])
    out = LogTransformer().set_output(transform="pandas").fit_transform(frame)
    assert list(out.columns) == ["a", "b", "c"]
    assert list(LogTransformer().fit(frame).get_feature_names_out()) == ["a", "b", "c"]


def test_normalise_log_scale_in_a_pipeline_fitted_per_fold():
    rng = np.random.default_rng(13)
    X = _counts(13, (60, 10)) * rng.uniform(0.2, 5.0, (60, 1))
    y = (X[:, 0] > np.median(X[:, 0])).astype(int)
    pipe = make_pipeline(
        TotalSumNormalizer(), LogTransformer(), ZScoreScaler(), KNeighborsClassifier(3)
    )
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()
