"""Speed of the diagnostics, against scikit-learn in the same run.

Every time is the best of ``--repeat`` runs after one warm-up run, on both
sides; the BLAS and OpenMP thread counts are printed (threadpoolctl).

- pca_dominance on a wide 200 x 50,000 omics-like table (the report computes
  two PCAs, before and after) against one PCA of scikit-learn with its default
  solver and with the full SVD;
- knn_distortion on 100,000 x 50 with max_samples=2000, and its overlap
  against the exact overlap over all 100,000 points (scikit-learn's
  NearestNeighbors on both spaces).

    python benchmarks/bench_diagnostics.py [--skip-exact] [--repeat 3]
"""

import argparse

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from skscale.diagnostics import knn_distortion, pca_dominance
from skscale.preprocessing import ZScoreScaler

from _timing import best_of, print_environment


def bench_pca(repeat):
    rng = np.random.default_rng(0)
    X = rng.lognormal(mean=8, sigma=1, size=(200, 50_000))
    scaled = ZScoreScaler().fit_transform(X)
    _, t_ours = best_of(lambda: pca_dominance(X, scaled), repeat)
    print(f"# pca_dominance, 200 x 50,000 (two PCAs: before, after), best of {repeat}")
    print(f"skscale pca_dominance (two PCAs)   {t_ours:7.3f} s")
    for solver in ("auto", "full"):
        pca = PCA(n_components=5, svd_solver=solver)
        _, t_sk = best_of(lambda pca=pca: pca.fit(X), repeat)
        print(
            f"sklearn PCA(svd_solver={solver!r}).fit {t_sk:7.3f} s   "
            f"(ours / theirs: {t_ours / t_sk:.2f})"
        )


def exact_overlap(before, after, k):
    neighbours = [
        NearestNeighbors(n_neighbors=k, algorithm="brute", n_jobs=-1)
        .fit(X)
        .kneighbors(return_distance=False)
        for X in (before, after)
    ]
    shared = (neighbours[0][:, :, None] == neighbours[1][:, None, :]).any(axis=2)
    return shared.sum(axis=1).mean() / k


def bench_knn(skip_exact, repeat):
    rng = np.random.default_rng(1)
    n, p, k = 100_000, 50, 10
    latent = rng.normal(size=(n, 5))
    X = latent @ rng.normal(size=(5, p)) + rng.normal(size=(n, p))
    X *= rng.lognormal(sigma=2, size=p)
    scaled = ZScoreScaler().fit_transform(X)
    report, t_ours = best_of(
        lambda: knn_distortion(
            X, scaled, n_neighbors=k, max_samples=2000, random_state=0
        ),
        repeat,
    )
    m = report.metrics
    print(f"\n# knn_distortion, {n:,} x {p}, max_samples=2000, k={k}, best of {repeat}")
    print(f"skscale knn_distortion       {t_ours:7.3f} s")
    print(
        f"overlap {m['overlap']:.4f} +/- {m['overlap_se']:.4f} (s.e.), "
        f"trustworthiness {m['trustworthiness']:.4f}, continuity {m['continuity']:.4f}"
    )
    if skip_exact:
        return
    # the reference, not a race: one cold run
    exact, t_exact = best_of(lambda: exact_overlap(X, scaled, k), 1, warmup=0)
    print(
        f"exact overlap (all {n:,} points, NearestNeighbors) {exact:.4f} "
        f"in {t_exact:.1f} s (one run); "
        f"|sampled - exact| = {abs(m['overlap'] - exact):.4f}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-exact", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print_environment()
    bench_pca(args.repeat)
    bench_knn(args.skip_exact, args.repeat)


if __name__ == "__main__":
    main()
