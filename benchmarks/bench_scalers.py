"""Speed, memory and accuracy of skscale's scalers against scikit-learn, in one run.

Every figure is a ratio measured in the same process on the same data, so the
table means the same on a fast or a slow machine. ``SKSCALE_NO_COMPILED=1``
measures the NumPy path instead of the compiled kernels (the header says
which). Times are the best of ``--repeat`` runs after a warm-up run, on both
sides (``_timing.py``); the cores, thread pools and versions are printed
first. Memory is the peak of tracemalloc (which sees NumPy's allocations)
above the input, as a fraction of the input's size.

    python benchmarks/bench_scalers.py [--rows 1000000] [--cols 50] [--repeat 5]
        [--sparse-rows 100000] [--sparse-cols 20000] [--density 0.05]
"""

import argparse
import gc
import math
import tracemalloc

import numpy as np
from sklearn.preprocessing import MinMaxScaler as SkMinMaxScaler
from sklearn.preprocessing import StandardScaler

from skscale.preprocessing import MinMaxScaler, ZScoreScaler

from _timing import best_of, print_environment


def best_time(func, repeat):
    return best_of(func, repeat)[1]


def peak_extra_memory(func):
    """Peak bytes allocated while ``func`` runs, beyond what existed before."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def bench_dtype(X, repeat):
    """Rows of the speed table for one input array."""
    kind = X.dtype.name
    nbytes = X.nbytes
    rows = []

    ours, theirs = ZScoreScaler(), StandardScaler()
    rows.append(
        (
            f"ZScoreScaler.fit {kind}",
            "StandardScaler.fit",
            best_time(lambda: ours.fit(X), repeat),
            best_time(lambda: theirs.fit(X), repeat),
            peak_extra_memory(lambda: ZScoreScaler().fit(X)) / nbytes,
            peak_extra_memory(lambda: StandardScaler().fit(X)) / nbytes,
        )
    )

    mean, scale = ours.mean_.astype(X.dtype), ours.scale_.astype(X.dtype)
    t_transform = best_time(lambda: ours.transform(X), repeat)
    rows.append(
        (
            f"ZScoreScaler.transform {kind}",
            "numpy (X - m) / s",
            t_transform,
            best_time(lambda: (X - mean) / scale, repeat),
            None,
            None,
        )
    )
    rows.append(
        (
            f"ZScoreScaler.transform {kind}",
            "StandardScaler.transform",
            t_transform,
            best_time(lambda: theirs.transform(X), repeat),
            None,
            None,
        )
    )

    floor_read = best_time(lambda: X.sum(axis=0), repeat)
    floor_write = best_time(lambda: X.copy(), repeat)
    rows.append(
        (
            f"ZScoreScaler.fit {kind}",
            "read floor X.sum(axis=0)",
            rows[0][2],
            floor_read,
            None,
            None,
        )
    )
    rows.append(
        (
            f"ZScoreScaler.transform {kind}",
            "read+write floor X.copy()",
            t_transform,
            floor_write,
            None,
            None,
        )
    )

    fitted_minmax, sk_minmax = MinMaxScaler().fit(X), SkMinMaxScaler().fit(X)
    t_minmax_transform = best_time(lambda: fitted_minmax.transform(X), repeat)
    rows.append(
        (
            f"MinMaxScaler.transform {kind}",
            "sklearn MinMaxScaler.transform",
            t_minmax_transform,
            best_time(lambda: sk_minmax.transform(X), repeat),
            None,
            None,
        )
    )
    rows.append(
        (
            f"MinMaxScaler.transform {kind}",
            "read+write floor X.copy()",
            t_minmax_transform,
            floor_write,
            None,
            None,
        )
    )

    t_minmax = best_time(lambda: MinMaxScaler().fit(X), repeat)
    m_minmax = peak_extra_memory(lambda: MinMaxScaler().fit(X)) / nbytes
    rows.append(
        (
            f"MinMaxScaler.fit {kind}",
            "numpy min and max",
            t_minmax,
            best_time(lambda: (X.min(axis=0), X.max(axis=0)), repeat),
            m_minmax,
            None,
        )
    )
    rows.append(
        (
            f"MinMaxScaler.fit {kind}",
            "sklearn MinMaxScaler.fit",
            t_minmax,
            best_time(lambda: SkMinMaxScaler().fit(X), repeat),
            m_minmax,
            peak_extra_memory(lambda: SkMinMaxScaler().fit(X)) / nbytes,
        )
    )
    rows.append(
        (
            f"MinMaxScaler.fit {kind}",
            "read floor X.sum(axis=0)",
            t_minmax,
            floor_read,
            None,
            None,
        )
    )
    return rows


def weighted_rows(X, repeat):
    """ZScoreScaler.fit with sample weights, without and with 1% NaN, against
    StandardScaler.fit with the same weights."""
    rng = np.random.default_rng(2)
    weights = rng.uniform(0.5, 2.0, size=X.shape[0])
    missing = X.copy()
    missing[rng.random(X.shape) < 0.01] = np.nan
    table = []
    for label, data in (("weighted", X), ("weighted, 1% NaN", missing)):
        table.append(
            (
                f"ZScoreScaler.fit {label}",
                "StandardScaler.fit",
                best_time(
                    lambda d=data: ZScoreScaler().fit(d, sample_weight=weights), repeat
                ),
                best_time(
                    lambda d=data: StandardScaler().fit(d, sample_weight=weights),
                    repeat,
                ),
                None,
                None,
            )
        )
    return table


def sparse_rows(n_rows, n_cols, density, repeat):
    """ZScoreScaler(with_mean=False) on CSR and CSC against StandardScaler."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    nnz = int(n_rows * n_cols * density)
    X = sp.csr_matrix(
        (
            rng.normal(size=nnz) * 10,
            (rng.integers(0, n_rows, nnz), rng.integers(0, n_cols, nnz)),
        ),
        shape=(n_rows, n_cols),
    )
    X.sum_duplicates()
    table = []
    for fmt in ("csr", "csc"):
        Y = X.asformat(fmt)
        ours = ZScoreScaler(with_mean=False).fit(Y)
        theirs = StandardScaler(with_mean=False).fit(Y)
        t_fit = best_time(lambda Y=Y: ZScoreScaler(with_mean=False).fit(Y), repeat)
        table.append(
            (
                f"{fmt.upper()} fit(with_mean=False)",
                "StandardScaler.fit",
                t_fit,
                best_time(lambda Y=Y: StandardScaler(with_mean=False).fit(Y), repeat),
                None,
                None,
            )
        )
        table.append(
            (
                f"{fmt.upper()} fit(with_mean=False)",
                "read floor X.sum(axis=0)",
                t_fit,
                best_time(lambda Y=Y: Y.sum(axis=0), repeat),
                None,
                None,
            )
        )
        weights = rng.uniform(0.5, 2.0, size=n_rows)
        table.append(
            (
                f"{fmt.upper()} fit weighted",
                "StandardScaler.fit",
                best_time(
                    lambda Y=Y, w=weights: ZScoreScaler(with_mean=False).fit(
                        Y, sample_weight=w
                    ),
                    repeat,
                ),
                best_time(
                    lambda Y=Y, w=weights: StandardScaler(with_mean=False).fit(
                        Y, sample_weight=w
                    ),
                    repeat,
                ),
                None,
                None,
            )
        )
        t_transform = best_time(lambda Y=Y, s=ours: s.transform(Y), repeat)
        table.append(
            (
                f"{fmt.upper()} transform",
                "StandardScaler.transform",
                t_transform,
                best_time(lambda Y=Y, s=theirs: s.transform(Y), repeat),
                None,
                None,
            )
        )
        table.append(
            (
                f"{fmt.upper()} transform",
                "read+write floor X.copy()",
                t_transform,
                best_time(lambda Y=Y: Y.copy(), repeat),
                None,
                None,
            )
        )
    return table


def speed_rows(rows, cols, repeat):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(rows, cols)) * rng.uniform(0.5, 100, size=cols)
    table = []
    for dtype in (np.float64, np.float32):
        table.extend(bench_dtype(base.astype(dtype), repeat))
    table.extend(weighted_rows(base, repeat))
    return table


def exact_mean_var(column):
    mean = math.fsum(column) / len(column)
    return mean, math.fsum((column - mean) ** 2) / len(column)


def accuracy_rows(rows, cols, n_chunks=100):
    rng = np.random.default_rng(1)
    X = 1e8 + rng.normal(size=(rows, cols))
    exact = [exact_mean_var(X[:, j]) for j in range(cols)]
    exact_mean = np.array([m for m, _ in exact])
    exact_var = np.array([v for _, v in exact])
    results = []
    for label, make in (("skscale", ZScoreScaler), ("scikit-learn", StandardScaler)):
        whole = make().fit(X)
        chunked = make()
        for chunk in np.array_split(X, n_chunks):
            chunked.partial_fit(chunk)
        results.append(
            (
                label,
                np.max(np.abs(whole.mean_ - exact_mean) / exact_mean),
                np.max(np.abs(whole.var_ - exact_var) / exact_var),
                np.max(np.abs(chunked.var_ - whole.var_) / whole.var_),
                np.max(np.abs(chunked.var_ - exact_var) / exact_var),
            )
        )
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sparse-rows", type=int, default=100_000)
    parser.add_argument("--sparse-cols", type=int, default=20_000)
    parser.add_argument("--density", type=float, default=0.05)
    args = parser.parse_args(argv)

    print_environment()
    print(
        f"# Speed and memory: dense {args.rows:,} x {args.cols}, "
        f"best of {args.repeat} after a warm-up"
    )
    print(
        f"{'skscale':<34} {'against':<26} {'ours s':>8} {'theirs s':>9} "
        f"{'speed-up':>8} {'our mem':>8} {'their mem':>9}"
    )
    for name, other, t_ours, t_other, m_ours, m_other in speed_rows(
        args.rows, args.cols, args.repeat
    ):
        mem_ours = "" if m_ours is None else f"{m_ours:.3f}x"
        mem_other = "" if m_other is None else f"{m_other:.3f}x"
        print(
            f"{name:<34} {other:<26} {t_ours:8.3f} {t_other:9.3f} "
            f"{t_other / t_ours:7.2f}x {mem_ours:>8} {mem_other:>9}"
        )
    print("(speed-up > 1: skscale is faster; memory is the peak extra allocation")
    print(" as a multiple of the input's size; against a floor, the speed-up is")
    print(" floor time / our time: 0.4 means 2.5x the floor)")

    print(
        f"\n# Sparse: {args.sparse_rows:,} x {args.sparse_cols:,} at density "
        f"{args.density}, best of {args.repeat}"
    )
    for name, other, t_ours, t_other, _, _ in sparse_rows(
        args.sparse_rows, args.sparse_cols, args.density, args.repeat
    ):
        print(
            f"{name:<34} {other:<26} {t_ours:8.3f} {t_other:9.3f} "
            f"{t_other / t_ours:7.2f}x"
        )

    acc_rows = min(args.rows, 1_000_000)
    print(f"\n# Accuracy: 1e8 + N(0, 1), {acc_rows:,} x 5, partial_fit in 100 chunks")
    print(
        f"{'library':<14} {'mean rel err':>13} {'var rel err':>12} "
        f"{'chunked vs fit':>15} {'chunked var err':>16}"
    )
    for label, mean_err, var_err, drift, chunk_err in accuracy_rows(acc_rows, 5):
        print(
            f"{label:<14} {mean_err:13.2e} {var_err:12.2e} {drift:15.2e} "
            f"{chunk_err:16.2e}"
        )


if __name__ == "__main__":
    main()
