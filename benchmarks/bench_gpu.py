"""skscale's scalers on array API input (torch, CuPy) against scikit-learn's
array API StandardScaler and MinMaxScaler, on the same device, in one run.

Under ``sklearn.config_context(array_api_dispatch=True)`` both libraries keep
a torch tensor (or a CuPy array) on its device. This script times ``fit`` and
``transform`` of a float32 table on every device it finds: torch's CPU always
(when torch is installed), CUDA and MPS when present, and CuPy when installed
with a GPU; and the NumPy CPU time of both for reference. It also times the
``PCADominance`` report on the device array: its scaler runs on the device,
the report itself on NumPy (the array is copied to the host once). Times are
the best of ``--repeat`` runs after a warm-up; a GPU is synchronised before a
clock is read. Their time over ours: above 1, skscale is faster.

scikit-learn's array API support needs ``SCIPY_ARRAY_API=1`` before scipy is
imported; this script sets it when it is not set.

    python benchmarks/bench_gpu.py [--rows 10000000] [--cols 100] [--repeat 3]
"""

import argparse
import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before scipy is imported

import numpy as np
import sklearn
from sklearn.preprocessing import MinMaxScaler as SkMinMaxScaler
from sklearn.preprocessing import StandardScaler

from skscale.diagnostics import PCADominance
from skscale.preprocessing import MinMaxScaler, ZScoreScaler

from _timing import best_of, print_environment


def devices():
    """``(label, make, sync)`` per device found: ``make(numpy array)`` puts
    the table there, ``sync()`` waits for the device."""
    found = []
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        found.append(("torch cpu", lambda a: torch.asarray(a), lambda: None))
        if torch.cuda.is_available():
            found.append(
                (
                    "torch cuda",
                    lambda a: torch.asarray(a, device="cuda"),
                    torch.cuda.synchronize,
                )
            )
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            found.append(
                ("torch mps", lambda a: torch.asarray(a, device="mps"), lambda: None)
            )
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            found.append(
                ("cupy", cupy.asarray, lambda: cupy.cuda.Device().synchronize())
            )
    except Exception:  # not installed, or no GPU
        pass
    return found


def timed(func, sync, repeat):
    def run():
        out = func()
        sync()
        return out

    return best_of(run, repeat)[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print_environment()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.rows, args.cols), dtype=np.float32)
    X *= rng.uniform(0.1, 100.0, size=args.cols).astype(np.float32)
    X += rng.uniform(-50.0, 50.0, size=args.cols).astype(np.float32)
    print(f"# {args.rows:,} x {args.cols} float32, best of {args.repeat}")
    pairs = [
        ("ZScoreScaler vs StandardScaler", ZScoreScaler, StandardScaler),
        ("MinMaxScaler vs MinMaxScaler", MinMaxScaler, SkMinMaxScaler),
    ]
    header = f"{'where':<12}{'operation':<44}{'ours s':>9}{'theirs s':>10}{'ratio':>8}"
    print(header)

    def row(where, label, ours, theirs):
        print(
            f"{where:<12}{label:<44}{ours:>9.3f}{theirs:>10.3f}{theirs / ours:>7.2f}x"
        )

    for label, ours_cls, theirs_cls in pairs:  # NumPy on the CPU, for reference
        ours, theirs = ours_cls().fit(X), theirs_cls().fit(X)
        row(
            "numpy cpu",
            f"{label}: fit",
            timed(lambda c=ours_cls: c().fit(X), lambda: None, args.repeat),
            timed(lambda c=theirs_cls: c().fit(X), lambda: None, args.repeat),
        )
        row(
            "numpy cpu",
            f"{label}: transform",
            timed(lambda m=ours: m.transform(X), lambda: None, args.repeat),
            timed(lambda m=theirs: m.transform(X), lambda: None, args.repeat),
        )
    for where, make, sync in devices():
        on_device(where, make(X), sync, pairs, row, args.rows, args.repeat)


def on_device(where, data, sync, pairs, row, n_rows, repeat):
    """The rows of one device (``data``: the table there)."""
    sync()
    with sklearn.config_context(array_api_dispatch=True):
        for label, ours_cls, theirs_cls in pairs:
            ours, theirs = ours_cls().fit(data), theirs_cls().fit(data)
            row(
                where,
                f"{label}: fit",
                timed(lambda c=ours_cls: c().fit(data), sync, repeat),
                timed(lambda c=theirs_cls: c().fit(data), sync, repeat),
            )
            row(
                where,
                f"{label}: transform",
                timed(lambda m=ours: m.transform(data), sync, repeat),
                timed(lambda m=theirs: m.transform(data), sync, repeat),
            )
        # the report: the scaler on the device, PCA and the report on the
        # host (a sample of rows keeps it to seconds)
        rows = min(n_rows, 100_000)
        sample = data[:rows, ...]
        report = timed(lambda: PCADominance(ZScoreScaler()).fit(sample), sync, 1)
    print(
        f"{where:<12}PCADominance(ZScoreScaler()).fit on {rows:,} rows: "
        f"{report:.3f} s (scaler on the device; PCA and report on NumPy)"
    )


if __name__ == "__main__":
    main()
