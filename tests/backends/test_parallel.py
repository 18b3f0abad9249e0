"""Elementwise maps and row divisions on several threads give the one-thread
answer: large enough inputs (over a million stored values) take the threaded
path; the formulas are written out here."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from skscale._backends import _parallel
from skscale.preprocessing import LogTransformer, TotalSumNormalizer

N_ROWS, N_COLS = 6_000, 2_000


def _counts(dtype, fmt="csr", seed=0):
    rng = np.random.default_rng(seed)
    n_stored = 1_300_000  # above _parallel._PARALLEL_FROM
    X = sp.coo_matrix(
        (
            (rng.poisson(3.0, n_stored) + 1.0).astype(dtype),
            (rng.integers(N_ROWS, size=n_stored), rng.integers(N_COLS, size=n_stored)),
        ),
        shape=(N_ROWS, N_COLS),
    ).tocsr()
    X.sum_duplicates()
    # one value of every 100th row far above 5% of that row's total
    X.data[X.indptr[:-1:100]] *= 1000.0
    return X.asformat(fmt)


def test_the_inputs_take_the_threaded_path():
    assert _counts(np.float64).nnz > _parallel._PARALLEL_FROM
    assert _parallel.workers() >= 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_log1p_on_threads_is_log1p(dtype, fmt):
    X = _counts(dtype, fmt)
    before = X.copy()
    out = LogTransformer().fit_transform(X)
    assert out.dtype == dtype and out.format == fmt
    assert_array_equal(out.indices, X.indices)
    assert_array_equal(out.data, np.log1p(X.data.astype(np.float64)).astype(dtype))
    assert_array_equal(X.data, before.data)  # the caller's matrix untouched
    assert not np.shares_memory(out.indices, X.indices)
    in_place = LogTransformer(copy=False).fit_transform(X)
    assert in_place is X or np.shares_memory(in_place.data, X.data)
    assert_array_equal(X.data, out.data)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("exclude", [False, True])
def test_total_sum_on_threads_is_the_formula(dtype, exclude):
    X = _counts(dtype)
    dense = X.toarray().astype(np.float64)
    kept = np.ones(N_COLS, dtype=bool)
    if exclude:  # scanpy's rule, written out
        share = dense / dense.sum(axis=1, keepdims=True)
        kept = ~(share > 0.05).any(axis=0)
        assert 0 < (~kept).sum() < 60
    totals = dense[:, kept].sum(axis=1)
    expected = dense / totals[:, None] * np.median(totals)
    normaliser = TotalSumNormalizer(exclude_highly_expressed=exclude)
    out = normaliser.fit_transform(X)
    assert out.dtype == dtype
    assert_array_equal(~normaliser.highly_expressed_ if exclude else kept, kept)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(out.toarray(), expected, rtol=rtol)
    # transform (a second pass over the rows) agrees with fit_transform
    np.testing.assert_allclose(normaliser.transform(X).toarray(), out.toarray())


def test_an_overflow_in_a_worker_thread_is_seen():
    X = _counts(np.float64)
    X.data[-3] = 800.0  # e**800 overflows, in the last block
    with pytest.raises(ValueError, match="too large to map back"):
        LogTransformer().fit(X).inverse_transform(X)


def test_an_error_in_a_block_reaches_the_caller(monkeypatch):
    calls = []

    def task(i):
        def run():
            calls.append(i)
            if i == 3:
                raise RuntimeError("block 3")

        return run

    with pytest.raises(RuntimeError, match="block 3"):
        _parallel.run_blocks([task(i) for i in range(8)], 1 << 24)
    assert 3 in calls


def test_a_forked_child_maps_on_threads_of_its_own():
    import multiprocessing

    X = _counts(np.float64)
    LogTransformer().fit_transform(X)  # the parent's pool exists now
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        total = pool.apply_async(_log_total, (X,)).get(timeout=60)
    assert total == pytest.approx(float(np.log1p(X.data).sum()))


def _log_total(X):
    return float(LogTransformer().fit_transform(X).data.sum())
