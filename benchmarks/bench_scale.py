"""Beyond memory: dask arrays, a local cluster, float32 accuracy and sparse omics.

- ZScoreScaler.fit on a 4,000,000 x 50 float64 dask array in 100,000-row chunks
  (threaded scheduler) against scikit-learn's StandardScaler.fit on the same
  data in memory, and fit + transform().persist() on a two-worker LocalCluster;
  peak memory of the client process during the dask fit (tracemalloc);
- float32 dask input: skscale's mean and variance against a float64 reference,
  next to dask's own ``mean``/``var``;
- sparse: ZScoreScaler(with_mean=False) against StandardScaler(with_mean=False)
  on a 100,000 x 20,000 CSR matrix of density 0.05.

    python benchmarks/bench_scale.py [--rows 4000000] [--skip-sparse]
"""

import argparse
import gc
import time
import tracemalloc
from functools import partial

import dask
import dask.array as da
import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import StandardScaler

from skscale.preprocessing import ZScoreScaler


def timed(func):
    gc.collect()
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def lazy_data(rows, cols, chunk_rows, dtype=np.float64):
    offsets = np.linspace(0, 1e6, cols)
    X = da.random.default_rng(0).standard_normal(
        (rows, cols), chunks=(chunk_rows, cols)
    )
    return (X * 3.0 + offsets).astype(dtype)


def compare_in_memory(X, dask_fitted, t_dask):
    in_memory, t_load = timed(X.compute)
    _, t_sk = timed(lambda: StandardScaler().fit(in_memory))
    print(
        f"sklearn StandardScaler.fit, in memory {t_sk:7.2f} s (+ {t_load:.1f} s "
        f"to load the array); ratio sklearn/skscale-dask {t_sk / t_dask:.2f}"
    )
    exact, t_np = timed(lambda: ZScoreScaler().fit(in_memory))
    rel = np.max(np.abs(dask_fitted.var_ - exact.var_) / exact.var_)
    print(
        f"skscale fit in memory             {t_np:7.2f} s; dask vs in-memory "
        f"variance max rel. diff {rel:.1e}"
    )


def bench_dask(rows, cols=50, chunk_rows=100_000):
    X = lazy_data(rows, cols, chunk_rows)
    nbytes = rows * cols * 8
    print(
        f"# dask: {rows:,} x {cols} float64 ({nbytes / 2**30:.2f} GiB), "
        f"{chunk_rows:,}-row chunks"
    )
    with dask.config.set(scheduler="threads"):
        tracemalloc.start()
        scaler, t_dask = timed(lambda: ZScoreScaler().fit(X))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(
        f"skscale fit, threaded, chunks generated on the fly {t_dask:7.2f} s; peak "
        f"traced memory {peak / 2**20:.1f} MiB ({peak / nbytes:.3f}x the array)"
    )
    with dask.config.set(scheduler="threads"):
        persisted = X.persist()
        scaler, t_dask = timed(partial(ZScoreScaler().fit, persisted))
    print(f"skscale fit, threaded, chunks already in memory    {t_dask:7.2f} s")
    compare_in_memory(X, scaler, t_dask)

    from distributed import Client, LocalCluster, wait

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):

        def fit_and_transform():
            fitted = ZScoreScaler().fit(X)
            scaled = fitted.transform(X).persist()
            wait(scaled)
            return fitted, scaled

        tracemalloc.start()
        (_, scaled), t_cluster = timed(fit_and_transform)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        check = float(scaled[:1000].std(axis=0).mean().compute())
    print(
        f"LocalCluster (2 workers) fit + transform().persist() {t_cluster:7.2f} s; "
        f"client peak {peak / 2**20:.1f} MiB; std of a scaled slice {check:.3f}"
    )


def bench_float32(rows=2_000_000, cols=20):
    X64 = lazy_data(rows, cols, 200_000).persist()
    X32 = X64.astype(np.float32).persist()
    reference = ZScoreScaler().fit(X32.astype(np.float64))
    ours = ZScoreScaler().fit(X32)
    dask_mean, dask_var = dask.compute(X32.mean(axis=0), X32.var(axis=0))
    print(f"\n# float32 dask input, {rows:,} x {cols}, offsets up to 1e6")
    for label, mean, var in (
        ("skscale", ours.mean_, ours.var_),
        ("dask mean/var", dask_mean, dask_var),
    ):
        mean_err = np.max(
            np.abs(mean - reference.mean_) / np.abs(reference.mean_).clip(1)
        )
        var_err = np.max(np.abs(var - reference.var_) / reference.var_)
        print(
            f"{label:<14} mean rel. err {mean_err:9.2e}   var rel. err {var_err:9.2e}"
        )


def bench_sparse(rows=100_000, cols=20_000, density=0.05):
    # built row by row: scipy.sparse.random needs many GiB at this size
    rng = np.random.default_rng(0)
    per_row = round(density * cols)
    indices = np.sort(
        rng.integers(0, cols, size=(rows, per_row), dtype=np.int32), axis=1
    )
    indptr = np.arange(0, rows * per_row + 1, per_row, dtype=np.int64)
    data = rng.random(rows * per_row)
    X = sp.csr_matrix((data, indices.ravel(), indptr), shape=(rows, cols))
    X.sum_duplicates()
    X.data *= 100
    print(f"\n# sparse CSR {rows:,} x {cols:,}, density {density} ({X.nnz:,} stored)")
    ours, t_ours = timed(lambda: ZScoreScaler(with_mean=False).fit(X))
    theirs, t_sk = timed(lambda: StandardScaler(with_mean=False).fit(X))
    rel = np.max(np.abs(ours.var_ - theirs.var_) / theirs.var_)
    print(
        f"fit        skscale {t_ours:6.2f} s   sklearn {t_sk:6.2f} s   "
        f"ratio {t_sk / t_ours:.2f}   var max rel. diff {rel:.1e}"
    )
    out, t_ours = timed(lambda: ours.transform(X))
    _, t_sk = timed(lambda: theirs.transform(X))
    print(
        f"transform  skscale {t_ours:6.2f} s   sklearn {t_sk:6.2f} s   "
        f"ratio {t_sk / t_ours:.2f}   output sparse: {sp.issparse(out)}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--skip-sparse", action="store_true")
    args = parser.parse_args(argv)
    bench_dask(args.rows)
    bench_float32()
    if not args.skip_sparse:
        bench_sparse()


if __name__ == "__main__":
    main()
