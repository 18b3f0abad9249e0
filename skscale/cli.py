"""The ``skscale`` command: an HTML report on which scaler to use, and why.

    skscale report DATA [--target COL] [--task auto|classification|regression]
                        [--scoring NAME] [--block NAME=REGEX ...]
                        [--scalers zscore,minmax,...] [--estimator knn|logistic|ridge]
                        [--normalize total|pqn|median_ratio|clr|quantile] [--log]
                        [--hvg N]
                        [--covariate COL ...] [--batch COL]
                        [--max-rows N] [--sep SEP] [--out report.html]
    skscale report --example nutrimouse|wine
    skscale --version

The command parses and checks the options, hands them to
:func:`skscale.report._analysis.analyse` (reading, the candidates,
:func:`skscale.diagnostics.compare_scalers`), writes the page it returns
(:mod:`skscale.report._writing`) and prints the progress and the verdict.
Errors are one line on stderr and a non-zero exit status, never a traceback.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

from skscale.report._analysis import (
    _NORMALIZERS,
    DEFAULT_MAX_ROWS,
    DEFAULT_MAX_VALUES,
    MIN_DEFAULT_ROWS,
    ReportError,
)

EXIT_USAGE = 2  # a ReportError: a problem with the user's input
EXIT_FAILURE = 1


def _say(text, file=None):
    """Print one line the user will read (stdout, or ``file``), with every
    character a terminal would act on written as its escape
    (:func:`skscale.utils._text.visible`): a column name can neither recolour
    the terminal, set its title, nor break or reverse the line."""
    from skscale.utils._text import visible

    print(visible(text), file=file or sys.stdout, flush=file is not None)


def _progress(message):
    _say(f"skscale: {message}", file=sys.stderr)


def _check_out(path):
    """The --out path, checked before any work: a new file, or a regular
    file the user may write (skscale.report._writing says why not)."""
    from skscale.report._writing import check_writable

    out = Path(path)
    try:
        check_writable(out)
    except ValueError as exc:
        raise ReportError(f"--out {exc}") from None
    return out


def _write_page(out, page):
    """Write the page to --out, checked again as it is written (what is
    there may have changed during the analysis)."""
    from skscale.report._writing import write_atomically

    try:
        write_atomically(out, page)
    except ValueError as exc:
        raise ReportError(f"--out {exc}") from None


def run_report(args):
    """Check the options, run the analysis and write the HTML report;
    returns the output path, the comparison (None when there was nothing to
    compare) and the message that says why."""
    from skscale.report._analysis import _is_annotated, analyse

    started = time.perf_counter()
    if args.example and args.data:
        raise ReportError("give DATA or --example, not both")
    if not (args.example or args.data):
        raise ReportError("give a DATA file to report on, or --example")
    if args.max_rows is not None and args.max_rows != 0 and args.max_rows < 3:
        raise ReportError(
            f"--max-rows {args.max_rows}: expected 3 or more (0 for every row)"
        )
    if args.sep is not None:
        # a tab typed as the two characters \t (shells pass them unchanged)
        sep = "\t" if args.sep in ("\\t", "tab") else args.sep
        if len(sep) != 1:
            raise ReportError(
                f"--sep {args.sep!r}: expected one character, such as ',' or ';' "
                "or a tab ('\\t'); or leave --sep out"
            )
        args.sep = sep
    if args.hvg is not None and args.hvg < 1:
        raise ReportError(f"--hvg {args.hvg}: expected a number of genes, 1 or more")
    if args.hvg and args.batch:
        raise ReportError(
            "--hvg with --batch: each batch would keep its own genes, and the "
            "batches could not be put back together; give one of them"
        )
    if args.estimator and not args.target and not args.example:
        raise ReportError("--estimator needs --target: cross-validation needs y")
    if (args.groups or args.cv == "time") and not args.target and not args.example:
        option = "--groups" if args.groups else "--cv time"
        raise ReportError(
            f"{option} needs --target: it shapes the cross-validation folds"
        )
    if args.groups and args.cv == "time":
        raise ReportError(
            "--groups with --cv time: give one of them (time-ordered folds keep "
            "the rows in order; grouped folds keep each group together)"
        )
    for option, names in (
        ("--batch", [args.batch]),
        ("--covariate", args.covariate),
        ("--groups", [args.groups]),
    ):
        if args.target is not None and args.target in (names or []):
            raise ReportError(
                f"{option} {args.target}: that column is the --target; a per-sample "
                "variable to read PCA against must be another column"
            )
    if args.layer is not None and not _is_annotated(args.data):
        raise ReportError(
            "--layer reads a layer of an .h5ad or .h5mu file; "
            f"{Path(args.data).name if args.data else 'the example'} has no layers"
        )
    out = _check_out(args.out)
    analysis = analyse(args, _progress)
    if analysis.comparison is not None:
        _progress("drawing the pictures and writing the report")
    _write_page(out, analysis.page())
    if analysis.comparison is not None:
        _progress(f"done in {time.perf_counter() - started:.1f} s")
    return out.resolve(), analysis.comparison, analysis.message


def _scaler_help():
    from skscale.preprocessing._candidates import candidate_descriptions

    lines = [f"{name} ({text})" for name, text in candidate_descriptions().items()]
    return (
        "comma-separated candidates (default: none, zscore, minmax, robust, pareto, "
        "and block_mfa with --block); choose from: " + "; ".join(lines)
    )


def _parser():
    from skscale import __version__

    parser = argparse.ArgumentParser(
        prog="skscale",
        description="Feature scaling that shows what it did.",
    )
    parser.add_argument("--version", action="version", version=f"skscale {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report",
        help="compare scalers on a table and write an HTML report",
        description="Compare candidate scalers on a table (CSV, TSV or Parquet) and "
        "write a self-contained HTML report: which scaler to use, and why.",
    )
    report.add_argument(
        "data",
        nargs="?",
        help="CSV, TSV or Parquet file, or an .h5ad (AnnData) or .h5mu (MuData) file",
    )
    report.add_argument(
        "--example",
        choices=["nutrimouse", "wine"],
        help="report on a data set shipped with skscale",
    )
    report.add_argument("--target", help="column to predict (left out of the features)")
    report.add_argument(
        "--task",
        choices=["auto", "classification", "regression"],
        default="auto",
        help="kind of target; auto: text or at most 20 distinct whole numbers are "
        "classes, other numbers a regression target (default: auto)",
    )
    report.add_argument(
        "--scoring",
        metavar="NAME",
        help="any scikit-learn scorer name (default: accuracy for classes, r2 for "
        "regression), e.g. balanced_accuracy, f1_macro, neg_mean_absolute_error",
    )
    report.add_argument(
        "--block",
        action="append",
        metavar="NAME=REGEX",
        help="a block of columns whose names match REGEX (repeatable)",
    )
    report.add_argument("--scalers", metavar="NAMES", help=_scaler_help())
    report.add_argument(
        "--normalize",
        choices=list(_NORMALIZERS),
        help="normalise each sample (row) before every candidate: total (total "
        "sum, to the median total), pqn (probabilistic quotient, for dilution), "
        "median_ratio (DESeq2's size factors, for counts), clr (centred "
        "log-ratio of X + 1, for compositions), quantile (onto a reference "
        "distribution); fitted inside each cross-validation fold",
    )
    report.add_argument(
        "--log",
        action="store_true",
        help="take log(x + 1) of every value before every candidate (after "
        "--normalize): the usual step for counts, fitted inside each fold",
    )
    report.add_argument(
        "--hvg",
        type=int,
        metavar="N",
        help="keep the N most variable columns (scanpy's highly variable genes, "
        "seurat flavour, on log expression) before every candidate, after "
        "--normalize and --log; chosen on the training rows of each fold",
    )
    report.add_argument(
        "--covariate",
        action="append",
        metavar="COL",
        help="a per-sample column (a batch, a diet) left out of the features; the "
        "report gives the share of PC1's variance it explains after each "
        "candidate (repeatable)",
    )
    report.add_argument(
        "--batch",
        metavar="COL",
        help="the batch column (a plate, a run, a site): every candidate scales each "
        "batch with its own statistics, fitted inside each fold, and the report "
        "gives the share of PC1's variance the batch explains",
    )
    report.add_argument(
        "--cv",
        choices=["shuffled", "time"],
        default="shuffled",
        help="the cross-validation folds: shuffled (stratified for classes, the "
        "default) or time (each fold tested on rows after those it was trained "
        "on, in the file's order: for rows ordered in time)",
    )
    report.add_argument(
        "--groups",
        metavar="COL",
        help="a column whose rows belong together (a patient, a country seen in "
        "several years): grouped folds keep each group on one side, so the score "
        "is that of new groups",
    )
    report.add_argument(
        "--estimator",
        choices=["knn", "logistic", "ridge"],
        help="cross-validate this estimator after each scaler (default: knn)",
    )
    report.add_argument(
        "--max-rows",
        type=int,
        metavar="N",
        default=None,
        help="above N rows, run the diagnostics and the cross-validation on N rows "
        "sampled at random, while the streaming scalers learn from every row "
        f"(default: {DEFAULT_MAX_ROWS:,}, fewer for a table of more than "
        f"{DEFAULT_MAX_VALUES // DEFAULT_MAX_ROWS:,} columns: at most "
        f"{DEFAULT_MAX_VALUES // 1_000_000} million values and at least "
        f"{MIN_DEFAULT_ROWS:,} rows; 0: use every row)",
    )
    report.add_argument(
        "--layer",
        metavar="NAME",
        help="for an .h5ad or .h5mu file: the layer to read, e.g. counts (default: X)",
    )
    report.add_argument(
        "--sep",
        metavar="SEP",
        help="column separator of a text file (default: , or tab)",
    )
    report.add_argument(
        "--out", default="report.html", help="output HTML file (default: report.html)"
    )
    return parser


def _report_warnings(caught):
    """Each warning once, on one line: those of a candidate were already said
    as progress (and are on the page)."""
    seen = set()
    for record in caught:
        text = str(record.message).strip().splitlines()
        line = text[0] if text else record.category.__name__
        if line.startswith("candidate ") or line in seen:
            continue
        seen.add(line)
        _progress(f"warning: {line}")


def main(argv=None):
    """Entry point of the ``skscale`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "report":
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    out, comparison, message = run_report(args)
                finally:
                    _report_warnings(caught)
            if comparison is None:
                _say(message)
            else:
                baseline = comparison.baseline
                if baseline is not None and not baseline.beaten:
                    _say(f"{baseline.headline()}.")
                    _say(f"By the diagnostics alone: {comparison.recommended}.")
                else:
                    _say(f"Recommended scaler: {comparison.recommended}.")
                if comparison.also_fine:
                    _say(f"Also fine: {', '.join(comparison.also_fine)}.")
                if comparison.metric:
                    _say(f"Metric: {comparison.metric}, {comparison.cv_description}.")
                _say(f"Why: {comparison.reason}")
            _say(f"Report written to {out}")
            return 0
    except ReportError as exc:
        _progress(f"error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _progress("interrupted")
        return EXIT_FAILURE
    except Exception as exc:  # never a traceback: one line, and a non-zero exit
        _progress(f"error: {type(exc).__name__}: {exc}")
        return EXIT_FAILURE
    return EXIT_USAGE  # pragma: no cover  (argparse rejects unknown commands)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
