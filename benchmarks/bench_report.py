"""Wall time of ``skscale report`` on a 300,000 x 40 CSV with a target.

The design asks for under a minute by default on a 2-core machine: above
20,000 rows the diagnostics and the cross-validation run on a 20,000-row
random sample while the streaming scalers learn from every row. The table has
features on scales from 1 to 10,000, 1% missing cells, a text column, and a
class or a regression target; each run is a fresh process, as a user runs it,
so it is timed once and cold (imports included); the CSV was just written, so
it is read from the page cache either way. No scikit-learn counterpart exists.

    python benchmarks/bench_report.py [--rows 300000] [--all-rows]

``--all-rows`` also times ``--max-rows 0`` (every row through the k-NN
cross-validation): minutes, which is why the sample is the default.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _timing import print_environment


def make_table(n_rows, n_features=40, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.logspace(0, 4, n_features)
    latent = rng.normal(size=(n_rows, 3))
    mixing = rng.normal(size=(3, n_features))
    X = (latent @ mixing + rng.normal(size=(n_rows, n_features))) * scales
    X[rng.random(X.shape) < 0.01] = np.nan
    table = pd.DataFrame(X, columns=[f"f{j:02d}" for j in range(n_features)])
    signal = latent[:, 0] + 0.5 * rng.normal(size=n_rows)
    table["label"] = np.digitize(signal, [-0.5, 0.5])  # three classes
    # a regression target driven by another latent factor (no leak of the class)
    table["amount"] = 100 + 10 * latent[:, 1] + 5 * rng.normal(size=n_rows)
    table["site"] = rng.choice(["oslo", "lima", "pune"], size=n_rows)
    return table


def run(data, out, *extra):
    command = [sys.executable, "-m", "skscale", "report", str(data), *extra]
    command += ["--out", str(out)]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr}")
    verdict = result.stdout.splitlines()[0]
    return elapsed, verdict


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--all-rows", action="store_true")
    args = parser.parse_args()
    print_environment()
    print(f"# skscale report, {args.rows:,} x 40 CSV, one run per case")
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "big.csv"
        start = time.perf_counter()
        make_table(args.rows).to_csv(data, index=False)
        size = data.stat().st_size / 2**20
        print(
            f"(writing the {size:.0f} MiB CSV took {time.perf_counter() - start:.1f} s)"
        )
        out = Path(folder) / "report.html"
        cases = [
            ("class target, default", ["--target", "label"]),
            ("regression target, default", ["--target", "amount"]),
        ]
        if args.all_rows:
            cases.append(
                ("class target, --max-rows 0", ["--target", "label", "--max-rows", "0"])
            )
        for name, extra in cases:
            elapsed, verdict = run(data, out, *extra)
            flag = "ok" if elapsed < 60 else "OVER the one-minute bar"
            print(f"{name:32s} {elapsed:7.1f} s  {flag}   {verdict}")


if __name__ == "__main__":
    main()
