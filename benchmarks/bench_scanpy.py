"""The single-cell workflow, skscale's steps against scanpy's, side by side.

normalise (total counts, median target) -> log1p -> highly variable genes
(seurat flavour) -> z-score (clipped at 10, after densifying the kept genes,
as ``sc.pp.scale`` does) -> PCA (50 components, scikit-learn's ARPACK, which
``sc.pp.pca`` also calls), on simulated UMI counts (negative binomial, per-cell
library sizes, CSR float32 as 10x data load):

- ``--cells 10000 --genes 1000`` (the default set) and
- ``--cells 100000 --genes 2000`` (``--large``).

For each step: the best time of ``--repeat`` runs after a warm-up, and the
peak memory the step allocates beyond its input (tracemalloc, which NumPy and
SciPy report to); the copy each run starts from is not timed. For
skscale's transformer (``copy=False``, in place, as scanpy's functions are
by default) and scanpy's function on an AnnData
holding the same matrix. The speed-up is scanpy's time / skscale's (above 1:
skscale is faster); the memory ratio is skscale's peak / scanpy's. The skscale
steps are fitted estimators (their statistics can be reused on held-out
cells); scanpy's are one-off functions.

scanpy is not a dependency of skscale: without it the skscale times alone are
printed (``pip install scanpy``).

    python benchmarks/bench_scanpy.py [--cells 10000] [--genes 1000] [--repeat 3]
    python benchmarks/bench_scanpy.py --large --repeat 1
"""

import argparse
import gc
import time
import tracemalloc
import warnings
from functools import partial

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import PCA

from skscale.preprocessing import (
    HighlyVariableGenes,
    LogTransformer,
    TotalSumNormalizer,
    ZScoreScaler,
)

from _timing import print_environment


def umi_counts(cells, genes, seed=0):
    """Negative binomial counts with per-cell library sizes, as CSR float32."""
    rng = np.random.default_rng(seed)
    means = rng.lognormal(-1.5, 1.6, size=genes)
    library = rng.lognormal(0.0, 0.5, size=(cells, 1))
    rows = []
    for start in range(0, cells, 5000):  # a block of cells at a time
        mu = means * library[start : start + 5000]
        counts = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(np.float32)
        rows.append(sp.csr_matrix(counts))
    return sp.vstack(rows, format="csr")


def peak_bytes(func):
    """Peak bytes allocated while ``func`` runs, beyond what it started with."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        func()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def skscale_steps(n_top):
    """The skscale steps, each ``(name, function of its input)``."""
    return [
        ("normalise", lambda X: TotalSumNormalizer(copy=False).fit_transform(X)),
        ("log1p", lambda X: LogTransformer(copy=False).fit_transform(X)),
        (
            "highly variable genes",
            lambda X: HighlyVariableGenes(n_top_genes=n_top).fit_transform(X),
        ),
        (
            "scale (densified)",
            lambda X: ZScoreScaler(ddof=1, max_value=10.0, copy=False).fit_transform(
                X.toarray()
            ),
        ),
        (
            "PCA, 50 components",
            lambda X: PCA(50, svd_solver="arpack", random_state=0).fit_transform(X),
        ),
    ]


def scanpy_steps(n_top):
    import anndata
    import scanpy as sc

    def hvg(adata):
        sc.pp.highly_variable_genes(adata, n_top_genes=n_top, subset=True)
        return adata

    def pca(adata):
        sc.pp.pca(adata, n_comps=50, svd_solver="arpack", random_state=0)
        return adata

    steps = [
        ("normalise", lambda a: sc.pp.normalize_total(a) or a),
        ("log1p", lambda a: sc.pp.log1p(a) or a),
        ("highly variable genes", hvg),
        ("scale (densified)", lambda a: sc.pp.scale(a, max_value=10.0) or a),
        ("PCA, 50 components", pca),
    ]
    return steps, anndata.AnnData


def timed(step, data, copy_input, repeat):
    """Best time of ``step`` on a fresh copy of ``data`` (the copy untimed),
    after one warm-up run."""
    step(copy_input(data))
    best = np.inf
    for _ in range(repeat):
        fresh = copy_input(data)
        gc.collect()
        start = time.perf_counter()
        step(fresh)
        best = min(best, time.perf_counter() - start)
    return best


def run_steps(steps, start, copy_input, repeat):
    """Time and peak memory of each step on the previous step's output."""
    rows, data = [], start
    for name, step in steps:
        seconds = timed(step, data, copy_input, repeat)
        fresh = copy_input(data)
        peak = peak_bytes(partial(step, fresh))
        data = step(copy_input(data))
        rows.append((name, seconds, peak))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--genes", type=int, default=1_000)
    parser.add_argument("--large", action="store_true", help="100,000 x 2,000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.large:
        args.cells, args.genes = 100_000, 2_000
    warnings.filterwarnings("ignore")
    print_environment()
    X = umi_counts(args.cells, args.genes)
    n_top = args.genes // 2
    print(
        f"# {args.cells:,} cells x {args.genes:,} genes, CSR float32, "
        f"{X.nnz / X.shape[0] / X.shape[1]:.1%} stored; {n_top:,} genes kept"
    )
    ours = run_steps(skscale_steps(n_top), X, lambda m: m.copy(), args.repeat)
    try:
        steps, AnnData = scanpy_steps(n_top)
    except ImportError:
        print(f"{'step':<24}{'skscale s':>10}{'peak MiB':>10}   (scanpy not installed)")
        for name, seconds, peak in ours:
            print(f"{name:<24}{seconds:>10.3f}{peak / 2**20:>10.1f}")
        return
    theirs = run_steps(steps, AnnData(X.copy()), lambda a: a.copy(), args.repeat)
    print(
        f"{'step':<24}{'skscale s':>10}{'scanpy s':>10}{'speed-up':>9}"
        f"{'skscale MiB':>13}{'scanpy MiB':>12}{'memory':>8}"
    )
    total_ours = total_theirs = 0.0
    for (name, ours_s, ours_peak), (_, theirs_s, theirs_peak) in zip(
        ours, theirs, strict=True
    ):
        total_ours += ours_s
        total_theirs += theirs_s
        print(
            f"{name:<24}{ours_s:>10.3f}{theirs_s:>10.3f}{theirs_s / ours_s:>8.2f}x"
            f"{ours_peak / 2**20:>13.1f}{theirs_peak / 2**20:>12.1f}"
            f"{ours_peak / max(theirs_peak, 1):>7.2f}x"
        )
    print(
        f"{'whole workflow':<24}{total_ours:>10.3f}{total_theirs:>10.3f}"
        f"{total_theirs / total_ours:>8.2f}x"
    )


if __name__ == "__main__":
    main()
