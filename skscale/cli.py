"""The ``skscale`` command: an HTML report on which scaler to use, and why.

    skscale report DATA [--target COL] [--block NAME=REGEX ...]
                        [--scalers zscore,minmax,...] [--estimator knn|logistic|ridge]
                        [--max-rows N] [--out report.html]
    skscale report --example nutrimouse|wine

Errors are one line on stderr and a non-zero exit status, never a traceback.
"""

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

EXIT_USAGE = 2
EXIT_FAILURE = 1


class CommandError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


def _progress(message):
    print(f"skscale: {message}", file=sys.stderr, flush=True)


def _table_format(path):
    """``"parquet"``, ``"tsv"`` or ``"csv"``, after checking the path exists."""
    path = Path(path)
    if not path.exists():
        raise CommandError(f"no such file: {path}")
    if path.is_dir():
        raise CommandError(f"{path} is a folder; expected a CSV, TSV or Parquet file")
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".tsv", ".tab", ".tsv.gz", ".tab.gz")):
        return "tsv"
    if name.endswith((".csv", ".txt", ".csv.gz", ".txt.gz")):
        return "csv"
    raise CommandError(
        f"cannot tell the format of {path}: expected a .csv, .tsv or .parquet file"
    )


def _parquet():
    try:
        import pyarrow.parquet
    except ImportError as exc:
        raise CommandError(
            "reading Parquet needs pyarrow: pip install 'skscale[parquet]'"
        ) from exc
    return pyarrow.parquet


def read_table(path):
    """Read a CSV, TSV or Parquet file into a DataFrame."""
    kind = _table_format(path)
    try:
        if kind == "parquet":
            return _parquet().read_table(path).to_pandas()
        return pd.read_csv(path, sep="\t" if kind == "tsv" else ",")
    except CommandError:
        raise
    except Exception as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc


def iter_table_chunks(path, chunksize):
    """Read a CSV, TSV or Parquet file a chunk of rows at a time; the index of
    each chunk numbers its rows in the whole file."""
    kind = _table_format(path)
    start = 0
    try:
        if kind == "parquet":
            batches = _parquet().ParquetFile(path).iter_batches(batch_size=chunksize)
            chunks = (batch.to_pandas() for batch in batches)
        else:
            sep = "\t" if kind == "tsv" else ","
            chunks = pd.read_csv(path, sep=sep, chunksize=chunksize)
        for chunk in chunks:
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk
    except CommandError:
        raise
    except Exception as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc


def _split_columns(table, target):
    """The numeric feature columns, the target, and the columns left out."""
    if target is not None and target not in table.columns:
        shown = ", ".join(repr(str(c)) for c in list(table.columns)[:8])
        raise CommandError(
            f"no target column {target!r}; the columns are {shown}"
            + (" ..." if table.shape[1] > 8 else "")
        )
    y = table[target] if target is not None else None
    features = table.drop(columns=[target]) if target is not None else table
    numeric = [
        c
        for c in features.columns
        if pd.api.types.is_numeric_dtype(features[c])
        and not pd.api.types.is_bool_dtype(features[c])
    ]
    left_out = [str(c) for c in features.columns if c not in numeric]
    if not numeric:
        raise CommandError("the table has no numeric column to scale")
    X = features[numeric].astype("float64")
    X.columns = [str(c) for c in X.columns]
    if y is not None:
        keep = y.notna().to_numpy()
        if not keep.all():
            X, y = X[keep], y[keep]
    return X, y, left_out


def _parse_blocks(specs, columns):
    blocks = {}
    for spec in specs or []:
        name, sep, pattern = spec.partition("=")
        if not sep or not name or not pattern:
            raise CommandError(f"--block {spec!r}: expected NAME=REGEX")
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise CommandError(
                f"--block {spec!r}: bad regular expression: {exc}"
            ) from exc
        matched = [c for c in columns if regex.search(c)]
        if not matched:
            raise CommandError(
                f"--block {spec!r}: the pattern matches no numeric column"
            )
        blocks[name] = matched
    return blocks or None


def _is_classification(y):
    from sklearn.utils.multiclass import type_of_target

    return type_of_target(y.to_numpy()) in ("binary", "multiclass")


def _make_estimator(name, y):
    if name is None:
        return None
    classification = _is_classification(y)
    if name == "knn":
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        return KNeighborsClassifier() if classification else KNeighborsRegressor()
    if name == "logistic":
        if not classification:
            raise CommandError("--estimator logistic needs a class target")
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=2000)
    from sklearn.linear_model import Ridge, RidgeClassifier

    return RidgeClassifier() if classification else Ridge()


def _example(name):
    if name == "nutrimouse":
        from skscale.datasets import load_nutrimouse

        mice = load_nutrimouse()
        description = (
            "nutrimouse (Martin et al. 2007, shipped with skscale): hepatic gene "
            "expression (120 genes) and fatty acids (21 lipids) of 40 mice; the "
            "target is the genotype (wild type or PPAR-alpha knockout)."
        )
        return mice.data, mice.genotype, mice.blocks, description
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True)
    description = (
        "scikit-learn's wine data: 13 chemical measurements of 178 wines from three "
        "cultivars (the target)."
    )
    return wine.data, wine.target, None, description


def _candidates(blocks, scalers):
    from skscale.diagnostics._compare import default_scalers

    candidates = default_scalers(blocks)
    if scalers:
        wanted = [s.strip() for s in scalers.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in candidates]
        if unknown:
            raise CommandError(
                f"unknown scaler {unknown[0]!r}; choose from {', '.join(candidates)}"
            )
        candidates = {name: candidates[name] for name in wanted}
    return candidates


def _left_out_note(left_out):
    if not left_out:
        return []
    more = f" and {len(left_out) - 20} more." if len(left_out) > 20 else "."
    return [f"Left out, not numeric: {', '.join(left_out[:20])}{more}"]


def _load(args):
    """The table in memory: X, y, blocks, candidates, description, notes."""
    if args.example:
        X, y, blocks, description = _example(args.example)
        if args.block:
            blocks = _parse_blocks(args.block, list(X.columns))
        return X, y, blocks, _candidates(blocks, args.scalers), description, []
    _progress(f"reading {args.data}")
    X, y, left_out = _split_columns(read_table(args.data), args.target)
    blocks = _parse_blocks(args.block, list(X.columns))
    description = (
        f"{Path(args.data).name}: {X.shape[0]:,} rows, {X.shape[1]:,} numeric "
        "columns" + (f"; target {args.target!r}." if args.target else ".")
    )
    return (
        X,
        y,
        blocks,
        _candidates(blocks, args.scalers),
        description,
        (_left_out_note(left_out)),
    )


def _stream(args, chunksize=100_000):
    """One chunked pass over a file too large for memory.

    The candidates that can (``partial_fit``) learn their statistics from every
    row; a uniform random sample of ``--max-rows`` rows is kept for the
    diagnostics, the cross-validation, and the candidates that cannot stream.
    """
    from sklearn.base import clone

    rng = np.random.default_rng(0)
    columns = sample = keys = None
    n_rows = 0
    for chunk in iter_table_chunks(args.data, chunksize):
        if columns is None:
            first, _, left_out = _split_columns(chunk, args.target)
            columns = list(first.columns)
            blocks = _parse_blocks(args.block, columns)
            candidates = _candidates(blocks, args.scalers)
            streaming = {
                name: clone(scaler)
                for name, scaler in candidates.items()
                if hasattr(scaler, "partial_fit")
                and getattr(scaler, "quantile_range", None) is None
            }
        try:
            values = chunk[columns].astype("float64")
        except (KeyError, ValueError, TypeError) as exc:
            raise CommandError(
                f"rows {chunk.index[0]:,} to {chunk.index[-1]:,}: {exc}"
            ) from exc
        for scaler in streaming.values():
            scaler.partial_fit(values)
        chunk_keys = rng.random(len(chunk))
        sample = chunk if sample is None else pd.concat([sample, chunk])
        keys = chunk_keys if keys is None else np.concatenate([keys, chunk_keys])
        if len(sample) > args.max_rows:
            keep = np.sort(np.argpartition(keys, args.max_rows)[: args.max_rows])
            sample, keys = sample.iloc[keep], keys[keep]
        n_rows += len(chunk)
        _progress(f"read {n_rows:,} rows")
    if columns is None:
        raise CommandError(f"{args.data} has no rows")
    X, y, _ = _split_columns(sample, args.target)
    fitted = {
        name: streaming.get(name) or clone(scaler).fit(X)
        for name, scaler in candidates.items()
    }
    notes = _left_out_note(left_out)
    notes.append(
        f"Scaler statistics of {', '.join(streaming) or 'no candidate'} come from "
        f"one chunked pass over all {n_rows:,} rows; the diagnostics and the "
        f"cross-validation use {len(sample):,} rows sampled at random."
    )
    fitted_on_sample = [name for name in candidates if name not in streaming]
    if fitted_on_sample:
        names = ", ".join(fitted_on_sample)
        notes.append(f"Fitted on the sampled rows (no partial_fit): {names}.")
    description = (
        f"{Path(args.data).name}: {n_rows:,} rows ({len(sample):,} sampled for the "
        f"diagnostics), {len(columns):,} numeric columns"
        + (f"; target {args.target!r}." if args.target else ".")
    )
    return X, y, blocks, fitted, description, notes


def run_report(args):
    """Build the comparison and write the HTML report; returns the output path."""
    from skscale.diagnostics import compare_scalers

    started = time.perf_counter()
    if args.example and args.data:
        raise CommandError("give DATA or --example, not both")
    if not (args.example or args.data):
        raise CommandError("give a DATA file to report on, or --example")
    if args.max_rows is not None and args.max_rows < 3:
        raise CommandError(f"--max-rows {args.max_rows}: expected 3 or more")
    streaming = args.max_rows is not None and not args.example
    X, y, blocks, candidates, description, notes = (
        _stream(args) if streaming else _load(args)
    )
    if X.shape[0] < 3:
        raise CommandError(
            f"the table has {X.shape[0]} usable rows; expected 3 or more"
        )
    estimator_name = args.estimator or ("knn" if y is not None else None)
    if estimator_name and y is None:
        raise CommandError("--estimator needs --target: cross-validation needs y")
    estimator = _make_estimator(estimator_name, y) if y is not None else None
    n_folds = 5
    if y is not None and _is_classification(y):
        n_folds = max(2, min(5, int(y.value_counts().min())))
    if estimator is not None:
        notes.append(
            f"Cross-validated estimator: {type(estimator).__name__}, {n_folds} folds, "
            "the scaler fitted inside each fold."
        )
    comparison = compare_scalers(
        X,
        y,
        scalers=candidates,
        blocks=blocks,
        estimator=estimator,
        cv=n_folds,
        random_state=0,
        progress=_progress,
        prefit=streaming,
    )
    title = args.example or Path(args.data).name
    comparison.context.update(title=title, description=description, notes=notes)
    _progress("drawing the pictures and writing the report")
    out = Path(args.out)
    comparison.to_html(out)
    _progress(f"done in {time.perf_counter() - started:.1f} s")
    return out.resolve(), comparison


def _parser():
    parser = argparse.ArgumentParser(
        prog="skscale",
        description="Feature scaling that shows what it did.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report",
        help="compare scalers on a table and write an HTML report",
        description="Compare candidate scalers on a table (CSV, TSV or Parquet) and "
        "write a self-contained HTML report: which scaler to use, and why.",
    )
    report.add_argument("data", nargs="?", help="CSV, TSV or Parquet file")
    report.add_argument(
        "--example",
        choices=["nutrimouse", "wine"],
        help="report on a data set shipped with skscale",
    )
    report.add_argument("--target", help="column to predict (left out of the features)")
    report.add_argument(
        "--block",
        action="append",
        metavar="NAME=REGEX",
        help="a block of columns whose names match REGEX (repeatable)",
    )
    report.add_argument(
        "--scalers", help="comma-separated candidates, e.g. zscore,minmax"
    )
    report.add_argument(
        "--estimator",
        choices=["knn", "logistic", "ridge"],
        help="cross-validate this estimator after each scaler",
    )
    report.add_argument(
        "--max-rows",
        type=int,
        metavar="N",
        help="for a table larger than memory: read it in chunks, learn the scalers' "
        "statistics from every row, run the diagnostics on N rows sampled at random",
    )
    report.add_argument("--out", default="report.html", help="output HTML file")
    return parser


def main(argv=None):
    """Entry point of the ``skscale`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "report":
            out, comparison = run_report(args)
            print(f"Recommended scaler: {comparison.recommended}. {comparison.reason}")
            print(f"Report written to {out}")
            return 0
    except CommandError as exc:
        print(f"skscale: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("skscale: interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # never a traceback: one line, and a non-zero exit
        print(f"skscale: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_USAGE  # pragma: no cover  (argparse rejects unknown commands)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
