"""Beyond memory: dask arrays, a local cluster, float32 accuracy and sparse omics.

- ZScoreScaler.fit on a 4,000,000 x 50 float64 dask array in 100,000-row chunks:
  once with the chunks generated on the fly (the beyond-memory case; peak
  memory of the process, tracemalloc; no scikit-learn counterpart, which needs
  the array in memory), then like for like: the chunks already in memory,
  dask's threaded scheduler on all of this machine's cores, against
  scikit-learn's StandardScaler.fit and skscale's own in-memory fit on the same
  numbers as one NumPy array, on the same cores (both in-memory fits are
  single-threaded NumPy reductions: that difference is the point of dask, and
  it is printed, not hidden); fit + transform().persist() on a two-worker
  LocalCluster;
- float32 dask input: skscale's mean and variance against a float64 reference,
  next to dask's own ``mean``/``var``;
- sparse: ZScoreScaler(with_mean=False) against StandardScaler(with_mean=False)
  on a 100,000 x 20,000 CSR matrix of density 0.05.

Times of repeatable runs are the best of ``--repeat`` after a warm-up, on
both sides (``_timing.py``); the cores and thread pools are printed first.

    python benchmarks/bench_scale.py [--rows 4000000] [--repeat 3] [--skip-sparse]
"""

import argparse
import os
import tracemalloc

import dask
import dask.array as da
import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import StandardScaler

from skscale.preprocessing import ZScoreScaler

from _timing import best_of, print_environment


def lazy_data(rows, cols, chunk_rows, dtype=np.float64):
    offsets = np.linspace(0, 1e6, cols)
    X = da.random.default_rng(0).standard_normal(
        (rows, cols), chunks=(chunk_rows, cols)
    )
    return (X * 3.0 + offsets).astype(dtype)


def bench_dask(rows, repeat, cols=50, chunk_rows=100_000):
    X = lazy_data(rows, cols, chunk_rows)
    nbytes = rows * cols * 8
    cores = os.cpu_count()
    print(
        f"# dask: {rows:,} x {cols} float64 ({nbytes / 2**30:.2f} GiB), "
        f"{chunk_rows:,}-row chunks"
    )
    with dask.config.set(scheduler="threads", num_workers=cores):
        tracemalloc.start()
        _, t_lazy = best_of(lambda: ZScoreScaler().fit(X), 1, warmup=0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"skscale fit, chunks generated on the fly (one run) {t_lazy:7.2f} s; "
            f"peak traced memory {peak / 2**20:.1f} MiB ({peak / nbytes:.3f}x "
            "the array)"
        )
    like_for_like(X, repeat, cores)
    bench_cluster(X)


def like_for_like(X, repeat, cores):
    with dask.config.set(scheduler="threads", num_workers=cores):
        persisted = X.persist()
        scaler, t_dask = best_of(lambda: ZScoreScaler().fit(persisted), repeat)
    in_memory = persisted.compute()
    _, t_sk = best_of(lambda: StandardScaler().fit(in_memory), repeat)
    exact, t_np = best_of(lambda: ZScoreScaler().fit(in_memory), repeat)
    rel = np.max(np.abs(scaler.var_ - exact.var_) / exact.var_)
    print(
        f"\n# like for like: the same numbers in memory, {cores} cores, "
        f"best of {repeat} after a warm-up"
    )
    print(f"skscale fit, dask threaded ({cores} threads) {t_dask:7.2f} s")
    print(
        f"sklearn StandardScaler.fit, NumPy      {t_sk:7.2f} s   "
        f"(sklearn / skscale-dask {t_sk / t_dask:.2f})"
    )
    print(
        f"skscale fit, NumPy                     {t_np:7.2f} s   "
        f"(sklearn / skscale-NumPy {t_sk / t_np:.2f}); dask vs NumPy "
        f"variance max rel. diff {rel:.1e}"
    )


def bench_cluster(X):
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
        (_, scaled), t_cluster = best_of(fit_and_transform, 1, warmup=0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        check = float(scaled[:1000].std(axis=0).mean().compute())
    print(
        f"\nLocalCluster (2 workers x 1 thread), chunks generated on the fly, "
        f"fit + transform().persist() (one run) {t_cluster:7.2f} s; client peak "
        f"{peak / 2**20:.1f} MiB; std of a scaled slice {check:.3f}"
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


def bench_sparse(repeat, rows=100_000, cols=20_000, density=0.05):
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
    print(
        f"\n# sparse CSR {rows:,} x {cols:,}, density {density} ({X.nnz:,} stored), "
        f"best of {repeat} after a warm-up"
    )
    ours, t_ours = best_of(lambda: ZScoreScaler(with_mean=False).fit(X), repeat)
    theirs, t_sk = best_of(lambda: StandardScaler(with_mean=False).fit(X), repeat)
    rel = np.max(np.abs(ours.var_ - theirs.var_) / theirs.var_)
    print(
        f"fit        skscale {t_ours:6.2f} s   sklearn {t_sk:6.2f} s   "
        f"ratio {t_sk / t_ours:.2f}   var max rel. diff {rel:.1e}"
    )
    out, t_ours = best_of(lambda: ours.transform(X), repeat)
    _, t_sk = best_of(lambda: theirs.transform(X), repeat)
    print(
        f"transform  skscale {t_ours:6.2f} s   sklearn {t_sk:6.2f} s   "
        f"ratio {t_sk / t_ours:.2f}   output sparse: {sp.issparse(out)}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-sparse", action="store_true")
    args = parser.parse_args(argv)
    print_environment()
    bench_dask(args.rows, args.repeat)
    bench_float32()
    if not args.skip_sparse:
        bench_sparse(args.repeat)


if __name__ == "__main__":
    main()
