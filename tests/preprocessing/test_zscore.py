import math
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler

from skscale.preprocessing import ZScoreScaler


def _rtol(dtype):
    return 1e-5 if dtype == np.float32 else 1e-12


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("nan_fraction", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "with_mean, with_std", [(True, True), (False, True), (True, False)]
)
def test_matches_standard_scaler(
    dtype, nan_fraction, weighted, with_mean, with_std, make_data
):
    X = make_data(nan_fraction=nan_fraction, dtype=dtype)
    weights = (
        np.random.default_rng(1).uniform(0.5, 3, size=X.shape[0]) if weighted else None
    )
    ours = ZScoreScaler(with_mean=with_mean, with_std=with_std).fit(
        X, sample_weight=weights
    )
    ref = StandardScaler(with_mean=with_mean, with_std=with_std).fit(
        X, sample_weight=weights
    )
    rtol = _rtol(dtype)
    assert_allclose(ours.mean_, ref.mean_, rtol=rtol)
    if with_std:
        assert_allclose(ours.var_, ref.var_, rtol=rtol)
        assert_allclose(ours.scale_, ref.scale_, rtol=rtol)
    else:
        assert ours.var_ is None and ours.scale_ is None
    assert_allclose(ours.n_samples_seen_, ref.n_samples_seen_)
    Xt = ours.transform(X)
    assert Xt.dtype == dtype
    assert_allclose(Xt, ref.transform(X), rtol=rtol, atol=rtol)
    assert_allclose(ours.inverse_transform(Xt), X, rtol=rtol, atol=rtol * 1e3)
    assert_array_equal(np.isnan(Xt), np.isnan(X))


def test_both_off_keeps_only_counts(make_data):
    X = make_data(nan_fraction=0.1)
    scaler = ZScoreScaler(with_mean=False, with_std=False).fit(X)
    assert scaler.mean_ is None and scaler.var_ is None and scaler.scale_ is None
    assert_array_equal(scaler.n_samples_seen_, (~np.isnan(X)).sum(axis=0))
    assert_array_equal(scaler.transform(X), X)


def test_ddof_matches_the_written_out_formula(make_data):
    X = make_data(n=30, nan_fraction=0.1)
    scaler = ZScoreScaler(ddof=1).fit(X)
    for j in range(X.shape[1]):
        column = X[~np.isnan(X[:, j]), j]
        mean = column.sum() / column.size
        var = ((column - mean) ** 2).sum() / (column.size - 1)
        assert scaler.mean_[j] == pytest.approx(mean, rel=1e-13)
        assert scaler.var_[j] == pytest.approx(var, rel=1e-12)
    assert_allclose(scaler.scale_, np.nanstd(X, axis=0, ddof=1), rtol=1e-12)


def test_ddof_with_too_few_values_is_treated_as_constant():
    X = np.array([[1.0, 5.0], [np.nan, 7.0]])
    scaler = ZScoreScaler(ddof=1).fit(X)
    assert scaler.var_[0] == 0.0
    assert scaler.scale_[0] == 1.0
    assert scaler.var_[1] == pytest.approx(2.0)


def _exact_mean_var(column):
    mean = math.fsum(column) / len(column)
    return mean, math.fsum((column - mean) ** 2) / len(column)


def test_exact_at_large_offset():
    rng = np.random.default_rng(0)
    X = 1e8 + rng.normal(size=(200_000, 3))
    scaler = ZScoreScaler().fit(X)
    for j in range(3):
        mean, var = _exact_mean_var(X[:, j])
        assert abs(scaler.mean_[j] - mean) / mean <= 2.3e-16
        assert abs(scaler.var_[j] - var) / var <= 1e-13


@pytest.mark.parametrize("seed", range(3))
def test_partial_fit_any_chunking_agrees_with_fit(seed):
    rng = np.random.default_rng(seed)
    X = 1e8 + rng.normal(size=(50_000, 4))
    X[rng.random(X.shape) < 0.05] = np.nan
    whole = ZScoreScaler().fit(X)
    cuts = np.sort(rng.choice(np.arange(1, X.shape[0]), size=20, replace=False))
    chunked = ZScoreScaler()
    for chunk in np.split(X, cuts):
        chunked.partial_fit(chunk)
    assert_allclose(chunked.mean_, whole.mean_, rtol=1e-15)
    assert_allclose(chunked.var_, whole.var_, rtol=1e-11)
    assert_array_equal(chunked.n_samples_seen_, whole.n_samples_seen_)


def test_partial_fit_with_weights_agrees_with_fit(make_data):
    X = make_data(n=300)
    weights = np.random.default_rng(2).uniform(0, 2, size=300)
    whole = ZScoreScaler().fit(X, sample_weight=weights)
    chunked = ZScoreScaler()
    for rows in np.array_split(np.arange(300), 7):
        chunked.partial_fit(X[rows], sample_weight=weights[rows])
    assert_allclose(chunked.mean_, whole.mean_, rtol=0, atol=1e-14 * whole.scale_.max())
    assert_allclose(chunked.var_, whole.var_, rtol=1e-12)


def test_integer_weights_equal_repeated_rows(make_data):
    X = make_data(n=40, nan_fraction=0.1)
    weights = np.random.default_rng(3).integers(0, 4, size=40)
    weighted = ZScoreScaler(ddof=1).fit(X, sample_weight=weights)
    repeated = ZScoreScaler(ddof=1).fit(np.repeat(X, weights, axis=0))
    assert_allclose(weighted.mean_, repeated.mean_, rtol=1e-13)
    assert_allclose(weighted.var_, repeated.var_, rtol=1e-12)
    assert_allclose(weighted.n_samples_seen_, repeated.n_samples_seen_)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_matches_standard_scaler(fmt, weighted):
    rng = np.random.default_rng(0)
    X = sp.random(300, 8, density=0.3, format=fmt, random_state=0) * 100
    X.data[rng.random(X.data.shape) < 0.05] = np.nan
    weights = rng.uniform(0.5, 2, size=300) if weighted else None
    ours = ZScoreScaler(with_mean=False).fit(X, sample_weight=weights)
    ref = StandardScaler(with_mean=False).fit(X, sample_weight=weights)
    assert_allclose(ours.mean_, ref.mean_, rtol=1e-12)
    assert_allclose(ours.var_, ref.var_, rtol=1e-12)
    Xt = ours.transform(X)
    assert sp.issparse(Xt) and Xt.format == fmt
    assert_allclose(Xt.toarray(), ref.transform(X).toarray(), rtol=1e-12)
    assert_allclose(ours.inverse_transform(Xt).toarray(), X.toarray(), rtol=1e-12)


def test_sparse_moments_agree_with_dense():
    X = sp.random(500, 5, density=0.2, format="csr", random_state=1) * 10 + 0
    sparse = ZScoreScaler(with_mean=False).fit(X)
    dense = ZScoreScaler(with_mean=False).fit(X.toarray())
    assert_allclose(sparse.mean_, dense.mean_, rtol=1e-13)
    assert_allclose(sparse.var_, dense.var_, rtol=1e-12)


def test_sparse_with_mean_is_refused():
    X = sp.random(10, 3, density=0.5, format="csr", random_state=0)
    with pytest.raises(ValueError, match="with_mean=False"):
        ZScoreScaler().fit(X)
    dense_fitted = ZScoreScaler().fit(X.toarray())
    with pytest.raises((TypeError, ValueError), match=r"[Ss]parse"):
        dense_fitted.transform(X)


def test_sparse_is_not_modified_and_copy_false_works_in_place():
    X = sp.random(20, 3, density=0.5, format="csr", random_state=0) + sp.eye(20, 3)
    X = X.tocsr()
    before = X.copy()
    scaler = ZScoreScaler(with_mean=False).fit(X)
    scaler.transform(X)
    assert_array_equal(X.toarray(), before.toarray())
    out = scaler.transform(X, copy=False)
    assert out is X


def test_infinity_in_sparse_names_the_column():
    X = sp.random(10, 4, density=0.5, format="csc", random_state=0).tolil()
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match="column 1"):
        ZScoreScaler(with_mean=False).fit(X.tocsc())


def _near_constant_columns(rng):
    """Columns near the constant boundary, as the issue reported them."""
    return {
        "1e-10 +/- 1e-17, 200 rows": (1e-10 + 1e-17 * rng.normal(size=200), np.float64),
        "1 +/- 1e-14, 10 rows": (1 + 1e-14 * rng.normal(size=10), np.float64),
        "1 +/- 1e-14, 500 rows": (1 + 1e-14 * rng.normal(size=500), np.float64),
        "1 +/- 1e-5, float32": (1 + 1e-5 * rng.normal(size=200), np.float32),
        "1e10 +/- 1e5, float32": (1e10 + 1e5 * rng.normal(size=200), np.float32),
        "1e-14 * noise": (1e-14 * rng.normal(size=200), np.float64),
        "exactly constant": (np.full(50, 3.25), np.float64),
    }


@pytest.mark.parametrize("with_mean", [True, False])
@pytest.mark.parametrize("name", list(_near_constant_columns(np.random.default_rng(0))))
def test_near_constant_columns_get_scikit_learns_scale(name, with_mean):
    """One rule: scikit-learn's float64 bound, so the same input gets the
    same scale_ as StandardScaler (with or without centring)."""
    from sklearn.preprocessing import StandardScaler

    column, dtype = _near_constant_columns(np.random.default_rng(0))[name]
    X = column.astype(dtype).reshape(-1, 1)
    ours = ZScoreScaler(with_mean=with_mean).fit(X)
    theirs = StandardScaler(with_mean=with_mean).fit(X)
    assert_allclose(ours.scale_, theirs.scale_, rtol=1e-6)
    assert (ours.scale_ == 1.0) == (theirs.scale_ == 1.0)


def test_the_rule_is_relative():
    rng = np.random.default_rng(0)
    X = np.column_stack(
        [1 + 1e-14 * rng.normal(size=500), 1e-14 * rng.normal(size=500)]
    )
    scaler = ZScoreScaler().fit(X)
    assert scaler.scale_[0] == 1.0  # rounding noise around 1: constant
    Xt = scaler.transform(X)
    assert np.abs(Xt[:, 0]).max() < 1e-12
    # A genuinely small feature (no offset) is still standardised.
    assert_allclose(Xt[:, 1].std(), 1.0, rtol=1e-10)


def test_constant_column_matches_scikit_learn():
    X = np.column_stack([np.full(10, 3.0), np.arange(10.0)])
    assert_allclose(ZScoreScaler().fit_transform(X), StandardScaler().fit_transform(X))


def test_integer_input_gives_float64():
    X = np.arange(12).reshape(6, 2)
    Xt = ZScoreScaler().fit_transform(X)
    assert Xt.dtype == np.float64
    assert_allclose(Xt, StandardScaler().fit_transform(X))


def test_bad_sample_weight_is_refused(make_data):
    X = make_data(n=10, p=2)
    with pytest.raises(ValueError, match="expected shape \\(10,\\)"):
        ZScoreScaler().fit(X, sample_weight=np.ones(9))
    with pytest.raises(ValueError, match="negative"):
        ZScoreScaler().fit(X, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="zero"):
        ZScoreScaler().fit(X, sample_weight=np.zeros(10))


def test_pickle_round_trip_keeps_partial_fit_state(make_data):
    X = make_data(n=100)
    scaler = ZScoreScaler().partial_fit(X[:50])
    restored = pickle.loads(pickle.dumps(scaler))
    restored.partial_fit(X[50:])
    assert_allclose(restored.var_, ZScoreScaler().fit(X).var_, rtol=1e-13)


@settings(max_examples=60, deadline=None)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(2, 30), st.integers(1, 5)),
        elements=st.floats(-1e6, 1e6, allow_nan=False),
    ),
    a=st.floats(1e-3, 1e3),
    b=st.floats(-1e4, 1e4),
)
def test_property_affine_change_of_input_leaves_output_unchanged(X, a, b):
    Xt = ZScoreScaler().fit_transform(X)
    Xt_changed = ZScoreScaler().fit_transform(a * X + b)
    informative = ZScoreScaler().fit(X).scale_ != 1.0
    informative &= ZScoreScaler().fit(a * X + b).scale_ != 1.0
    changed = a * X + b
    # the affine change itself rounds: keep columns whose spread survives it
    spread = np.ptp(X, axis=0) > 1e-6 * (np.abs(X).max(axis=0) + 1)
    spread &= np.ptp(changed, axis=0) > 1e-6 * np.abs(changed).max(axis=0)
    keep = informative & spread
    assert_allclose(Xt_changed[:, keep], Xt[:, keep], atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 40), st.integers(1, 4)),
        elements=st.one_of(st.floats(-1e9, 1e9), st.just(np.nan)),
    ),
    ddof=st.integers(0, 1),
)
def test_property_inverse_transform_round_trips(X, ddof):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scaler = ZScoreScaler(ddof=ddof).fit(X)
    back = scaler.inverse_transform(scaler.transform(X))
    assert_allclose(back, X, rtol=1e-9, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(2, 60), st.integers(1, 4)),
        elements=st.floats(-1e3, 1e3, allow_nan=False),
    ),
    data=st.data(),
)
def test_property_chunked_partial_fit_equals_fit(X, data):
    n = X.shape[0]
    cuts = sorted(data.draw(st.sets(st.integers(1, n - 1), max_size=5)))
    chunked = ZScoreScaler()
    for chunk in np.split(X, cuts):
        chunked.partial_fit(chunk)
    whole = ZScoreScaler().fit(X)
    assert_allclose(chunked.mean_, whole.mean_, rtol=1e-12, atol=1e-12)
    assert_allclose(chunked.var_, whole.var_, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("tiny", [2.22507386e-311, 5e-324, -3e-320])
def test_subnormal_values_stream_as_they_fit(kind, tiny):
    # hypothesis found [[2.2e-311], [0.0]] in two chunks: the first chunk's
    # unit was subnormal, its reciprocal inf, and merging gave NaN ("spans a
    # range beyond what float64 can scale")
    X = np.array([[tiny, 1.0], [0.0, 2.0], [tiny / 2, 3.0], [0.0, 4.0]])
    if kind == "sparse":
        X = sp.csr_matrix(X)
    chunked = ZScoreScaler(with_mean=kind == "dense")
    for start in range(4):
        chunked.partial_fit(X[start : start + 1])
    whole = ZScoreScaler(with_mean=kind == "dense").fit(X)
    dense = X.toarray() if kind == "sparse" else X
    assert np.isfinite(chunked.var_).all() and np.isfinite(chunked.mean_).all()
    assert_allclose(chunked.mean_, dense.mean(axis=0), rtol=1e-12, atol=0)
    assert_allclose(chunked.mean_, whole.mean_, rtol=1e-12, atol=0)
    assert_allclose(chunked.var_, whole.var_, rtol=1e-10, atol=0)
    assert_allclose(chunked.scale_, whole.scale_, rtol=1e-10)


def test_a_stream_near_1e301_keeps_an_exact_mean_and_scale():
    rng = np.random.default_rng(0)
    X = (1 + rng.random((20_000, 2))) * 1e301
    streamed = ZScoreScaler()
    for chunk in np.array_split(X, 37):
        streamed.partial_fit(chunk)
    for j in range(2):
        small = X[:, j] / 1e300  # exact: a power of ten is not, so compare relatively
        mean = math.fsum(small) / small.size
        std = math.sqrt(math.fsum((small - mean) ** 2) / small.size)
        assert streamed.mean_[j] / 1e300 == pytest.approx(mean, rel=1e-15)
        assert streamed.scale_[j] / 1e300 == pytest.approx(std, rel=1e-13)
    assert np.isinf(streamed.var_).all()  # 1e601 is beyond float64: stated, not wrapped
    out = streamed.transform(X)
    assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    assert_allclose(out.std(axis=0), 1, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = StandardScaler()
        for chunk in np.array_split(X, 37):
            reference.partial_fit(chunk)
    assert not np.isfinite(reference.var_).all()  # scikit-learn loses it here


@pytest.mark.parametrize(
    "name", ["zscore", "minmax", "pareto", "vast", "level", "range"]
)
def test_float16_stays_float16_with_float64_statistics(name):
    """As scikit-learn keeps float16: the statistics accumulate in float64 and
    only the output is rounded to float16."""
    from sklearn.preprocessing import MinMaxScaler as SklearnMinMaxScaler

    from skscale.preprocessing import candidate_scalers

    rng = np.random.default_rng(0)
    X = (rng.normal(size=(300, 3)) * [1, 100, 0.01] + [5, 1000, 0]).astype(np.float16)
    scaler = candidate_scalers(names=[name])[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # level scaling of a zero-mean column
        out = scaler.fit_transform(X)
        exact = clone(scaler).fit_transform(X.astype(np.float64))
    assert out.dtype == np.float16
    assert scaler.inverse_transform(out).dtype == np.float16
    # the float16 output is the float64 result rounded once
    assert_array_equal(out, exact.astype(np.float16))
    reference = {"zscore": StandardScaler(), "minmax": SklearnMinMaxScaler()}.get(name)
    if reference is not None:
        theirs = reference.fit_transform(X)
        assert theirs.dtype == np.float16
        assert_allclose(out, theirs, atol=4e-3)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_batches_without_stored_values_match_scikit_learn(fmt, weighted):
    """An all-NaN or all-zero sparse batch stores no value (or only NaN): the
    per-column sums of nothing are float, as scikit-learn's are."""
    from sklearn.preprocessing import StandardScaler

    X = sp.random(20, 4, density=0.5, format=fmt, random_state=0)
    nothing = sp.csr_matrix((5, 4)).asformat(fmt)
    all_nan = sp.csr_matrix(np.full((3, 4), np.nan)).asformat(fmt)
    for batch in (nothing, all_nan):
        w_first = np.linspace(0.5, 2, 20) if weighted else None
        w_batch = np.linspace(1, 2, batch.shape[0]) if weighted else None
        ours = ZScoreScaler(with_mean=False).fit(X, sample_weight=w_first)
        ours.partial_fit(batch, sample_weight=w_batch)
        theirs = StandardScaler(with_mean=False).fit(X, sample_weight=w_first)
        theirs.partial_fit(batch, sample_weight=w_batch)
        assert_allclose(ours.scale_, theirs.scale_, rtol=1e-12)
        alone = ZScoreScaler(with_mean=False).fit(batch, sample_weight=w_batch)
        assert_allclose(alone.scale_, 1.0)
