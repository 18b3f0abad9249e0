"""The per-sample normalisers against the functions analysts use today.

On a count table of ``--rows`` x ``--cols`` (default 10,000 x 20,000, float64,
negative-binomial counts with per-sample library sizes), each normaliser's
``fit_transform`` against:

- TotalSumNormalizer: scanpy's ``pp.normalize_total`` (``inplace=False``: a
  new array, as ``transform`` gives), and the NumPy one-liner
  ``X / X.sum(1) * median``;
- PQNormalizer: Dieterle's two steps written in NumPy (no library has it);
- MedianRatioNormalizer: pydeseq2's ``deseq2_norm``;
- CLRTransformer(pseudocount=1): scikit-bio's ``clr(X + 1)``;
- QuantileNormalizer: qnorm's ``quantile_normalize`` of the transposed table;
- SampleStandardizer: the NumPy row standardisation;
- BatchScaler: pandas' ``groupby(batch).transform`` z-score.

A tool that is not installed is skipped with a note (none is a dependency of
skscale: ``pip install scanpy pydeseq2 scikit-bio qnorm``). Times are the best
of ``--repeat`` after a warm-up on both sides (``_timing.py``); the speed-up is
their time / ours (above 1: skscale is faster).

    python benchmarks/bench_normalizers.py [--rows 10000] [--cols 20000] [--repeat 3]
"""

import argparse
import warnings

import numpy as np
import pandas as pd

from skscale.preprocessing import (
    BatchScaler,
    CLRTransformer,
    MedianRatioNormalizer,
    PQNormalizer,
    QuantileNormalizer,
    SampleStandardizer,
    TotalSumNormalizer,
)

from _timing import best_of, print_environment


def counts(rows, cols, seed=0):
    rng = np.random.default_rng(seed)
    means = rng.lognormal(3.0, 1.5, size=cols)
    library = rng.lognormal(0.0, 0.3, size=(rows, 1))
    return rng.poisson(means * library).astype(np.float64)


def numpy_total(X):
    totals = X.sum(axis=1, keepdims=True)
    return X / totals * np.median(totals)


def numpy_pqn(X):
    totals = X.sum(axis=1, keepdims=True)
    normalised = X / totals * np.median(totals)
    reference = np.median(normalised, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        quotients = normalised / reference
    quotients[~np.isfinite(quotients) | (quotients == 0)] = np.nan
    return normalised / np.nanmedian(quotients, axis=1, keepdims=True)


def numpy_rows(X):
    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


def theirs(name):
    """The tools' functions, or None when the tool is not installed."""
    try:
        if name == "scanpy":
            import anndata
            import scanpy

            def normalize_total(X):
                # a new array, as skscale's transform gives (inplace=True
                # would divide the benchmark's table itself)
                return scanpy.pp.normalize_total(anndata.AnnData(X), inplace=False)["X"]

            return normalize_total
        if name == "pydeseq2":
            from pydeseq2.preprocessing import deseq2_norm

            return lambda X: deseq2_norm(X)[0]
        if name == "scikit-bio":
            from skbio.stats.composition import clr

            return lambda X: clr(X + 1.0)
        if name == "qnorm":
            import qnorm

            return lambda X: qnorm.quantile_normalize(X.T, axis=1).T
    except ImportError:
        return None
    raise AssertionError(name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cols", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print_environment()
    X = counts(args.rows, args.cols)
    batch = np.repeat(np.arange(10), -(-args.rows // 10))[: args.rows]
    frame = pd.DataFrame(
        X[:, :200], columns=[f"g{j}" for j in range(min(200, args.cols))]
    )
    frame["batch"] = batch
    print(
        f"# {args.rows:,} x {args.cols:,} counts, best of {args.repeat} after a warm-up"
    )
    print(f"{'skscale':<34}{'against':<36}{'ours s':>8}{'theirs s':>10}{'speed-up':>9}")
    cases = [
        (TotalSumNormalizer(), "scanpy normalize_total", theirs("scanpy"), X),
        (TotalSumNormalizer(), "numpy X / X.sum(1) * median", numpy_total, X),
        (PQNormalizer(), "numpy, Dieterle's two steps", numpy_pqn, X),
        (MedianRatioNormalizer(), "pydeseq2 deseq2_norm", theirs("pydeseq2"), X),
        (
            CLRTransformer(pseudocount=1.0),
            "scikit-bio clr(X + 1)",
            theirs("scikit-bio"),
            X,
        ),
        (QuantileNormalizer(), "qnorm quantile_normalize(X.T)", theirs("qnorm"), X),
        (SampleStandardizer(), "numpy row (x - mean) / std", numpy_rows, X),
    ]
    for model, label, function, data in cases:
        name = type(model).__name__
        if function is None:
            print(f"{name:<34}{label:<36}  (not installed: skipped)")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours_out, ours = best_of(
                lambda m=model, d=data: m.fit_transform(d), args.repeat
            )
            their_out, their = best_of(lambda f=function, d=data: f(d), args.repeat)
        agree = np.allclose(
            np.asarray(ours_out), np.asarray(their_out), rtol=1e-6, atol=1e-9
        )
        print(
            f"{name:<34}{label:<36}{ours:>8.3f}{their:>10.3f}{their / ours:>8.2f}x"
            f"{'' if agree else '  (results differ!)'}"
        )

    def groupby_zscore(frame):
        values = frame.drop(columns="batch")
        grouped = values.groupby(frame["batch"])
        return (values - grouped.transform("mean")) / grouped.transform("std", ddof=0)

    _, ours = best_of(lambda: BatchScaler("batch").fit_transform(frame), args.repeat)
    _, their = best_of(lambda: groupby_zscore(frame), args.repeat)
    label = "pandas groupby z-score"
    print(
        f"{'BatchScaler (200 columns)':<34}{label:<36}{ours:>8.3f}{their:>10.3f}"
        f"{their / ours:>8.2f}x"
    )


if __name__ == "__main__":
    main()
