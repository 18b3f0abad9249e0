"""The report's analysis: from the options of ``skscale report`` to one
:class:`Analysis` (the comparison, or why there is nothing to compare, and
the notes the page opens with).

It reads the data (an example, an AnnData/MuData file, or a table read by
:mod:`skscale.report._reading`), builds the candidates, fits those that
stream, and runs :func:`skscale.diagnostics.compare_scalers`; the
recommendation itself is made there (:mod:`skscale.diagnostics._verdict`).
Nothing here parses a command line, prints or writes a file: the options are
attributes of ``options`` (the parsed command line, or any object with the
same names), the progress goes to a callable, and a problem with the user's
input is a :class:`ReportError`.
"""

import re
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple


class ReportError(Exception):
    """A problem with the user's input, said in one line: the command prints
    it and exits with status 2."""


class Loaded(NamedTuple):
    """What a loader read: the features and the target, the blocks and the
    candidates, the page's description and notes, whether the candidates
    are fitted already (``prefit``), the per-sample columns (:class:`_Labels`)
    and the feature names of an ``X`` that has none."""

    X: object
    y: object
    blocks: object
    candidates: dict
    description: str
    notes: list
    prefit: bool
    labels: object
    feature_names: list | None = None


class Analysis(NamedTuple):
    """The analysis behind one page: its title and description, the notes it
    opens with, and the comparison (None when there is nothing to compare,
    ``message`` saying why)."""

    title: str
    description: str | None
    notes: list
    comparison: object = None
    message: str | None = None

    def page(self):
        """The HTML page of this analysis."""
        from skscale.report._html import render_notice

        if self.comparison is None:
            return render_notice(
                title=self.title, message=self.message, notes=self.notes
            )
        return self.comparison.to_html(
            title=self.title, description=self.description, notes=self.notes
        )


DEFAULT_MAX_ROWS = 20_000


# A wider table gets fewer rows by default: the k-NN diagnostics and the
# cross-validated k-NN grow with rows^2 x columns, and 20,000 rows of 2,000
# genes took six minutes. At most this many values, and never fewer than
# MIN_DEFAULT_ROWS rows (an explicit --max-rows is taken as it is).
DEFAULT_MAX_VALUES = 20_000_000


MIN_DEFAULT_ROWS = 5_000


def default_max_rows(n_columns):
    """The sample size when --max-rows is not given, for ``n_columns``
    features: 20,000 rows up to 1,000 columns, fewer beyond, at least 5,000."""
    by_width = DEFAULT_MAX_VALUES // max(1, n_columns)
    return max(MIN_DEFAULT_ROWS, min(DEFAULT_MAX_ROWS, by_width))


def _max_rows(args):
    """--max-rows for the readers: the number given, or the width's default."""
    return default_max_rows if args.max_rows is None else args.max_rows


def _max_rows_option(max_rows, given, n_columns):
    """How the page names the sample size: the option as given, or the
    default it came from."""
    if given is not None:
        return f"--max-rows {max_rows:,}"
    return f"--max-rows {max_rows:,}, the default for {n_columns:,} columns"


# Column names that suggest a target the user forgot to name.
_TARGET_NAMES = {"target", "label", "labels", "class", "y", "outcome", "response"}


def _parse_blocks(specs, columns):
    """Blocks from ``--block NAME=REGEX``, and the notes they need: the
    numeric columns no pattern matches form one more block, "other"."""
    from skscale.diagnostics._compare import rest_block

    blocks = {}
    for spec in specs or []:
        name, sep, pattern = spec.partition("=")
        if not sep or not name or not pattern:
            raise ReportError(f"--block {spec!r}: expected NAME=REGEX")
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ReportError(
                f"--block {spec!r}: bad regular expression: {exc}"
            ) from exc
        matched = [c for c in columns if regex.search(c)]
        if not matched:
            raise ReportError(
                f"--block {spec!r}: the pattern matches no numeric column"
            )
        blocks[name] = matched
    if not blocks:
        return None, []
    try:
        rest = rest_block(blocks, None, list(columns))
    except ValueError as exc:  # overlapping patterns
        raise ReportError(f"--block: {exc}") from exc
    if rest is None:
        return blocks, []
    name, others = rest
    note = (
        f"Block {name!r}: the {len(others):,} numeric columns that no --block "
        "pattern matches, so that they are balanced with the others rather than "
        "left unscaled."
    )
    return {**blocks, name: others}, [note]


def _make_estimator(name, task):
    classification = task == "classification"
    if name == "knn":
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        return KNeighborsClassifier() if classification else KNeighborsRegressor()
    if name == "logistic":
        if not classification:
            raise ReportError(
                "--estimator logistic needs a class target; this one is a "
                "regression target (use --task classification if it holds classes)"
            )
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
        covariates = {"diet": mice.diet, "genotype": mice.genotype}
        return mice.data, mice.genotype, mice.blocks, description, covariates
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True)
    description = (
        "scikit-learn's wine data: 13 chemical measurements of 178 wines from three "
        "cultivars (the target)."
    )
    return wine.data, wine.target, None, description, {}


def _candidate_names(scalers):
    if not scalers:
        return None
    return [s.strip() for s in scalers.split(",") if s.strip()]


# --normalize: the per-sample normalisation put before every candidate
_NORMALIZERS = {
    "total": ("TotalSumNormalizer", {}),
    "pqn": ("PQNormalizer", {}),
    "median_ratio": ("MedianRatioNormalizer", {}),
    "clr": ("CLRTransformer", {"pseudocount": 1.0}),
    "quantile": ("QuantileNormalizer", {}),
}


def _normalizer(name):
    import skscale.preprocessing

    cls_name, params = _NORMALIZERS[name]
    return getattr(skscale.preprocessing, cls_name)(**params)


def _preprocessing(normalize, log, hvg=None):
    """Fresh steps put before every candidate: the ``--normalize`` normaliser,
    then ``--log``'s log1p, then ``--hvg``'s gene selection."""
    from skscale.preprocessing import HighlyVariableGenes, LogTransformer

    steps = [] if normalize is None else [_normalizer(normalize)]
    steps += [LogTransformer()] if log else []
    return steps + ([HighlyVariableGenes(n_top_genes=hvg)] if hvg else [])


def _preprocessing_options(normalize, log, hvg=None):
    """The options of :func:`_preprocessing`'s steps, in their order."""
    options = [f"--normalize {normalize}"] if normalize else []
    options += ["--log"] if log else []
    return options + ([f"--hvg {hvg}"] if hvg else [])


def _preprocessing_label(normalize, log, hvg=None):
    """What the steps before every candidate are called ("total",
    "log1p", "total + log1p + hvg 2000"), or None."""
    parts = ([normalize] if normalize else []) + (["log1p"] if log else [])
    parts += [f"hvg {hvg}"] if hvg else []
    return " + ".join(parts) or None


def _candidates(
    blocks,
    names,
    normalize=None,
    columns=None,
    log=False,
    hvg=None,
    sparse=False,
    by_position=False,
):
    """The candidate scalers, each after the ``--normalize`` normaliser (a
    pipeline, so that the normaliser is fitted inside each fold too).

    After a normaliser (or the log) the blocks are given by position in
    ``columns`` (the table's numeric columns): those steps hand on an array,
    without names; and with ``by_position``, for a table handed on as an
    array. For a sparse matrix (``sparse``) the blocks are positions
    already, and the candidates are those that keep it sparse.
    """
    from sklearn.pipeline import make_pipeline

    from skscale.preprocessing import candidate_scalers

    if names and "block_mfa" in names and blocks is None:
        raise ReportError(
            "--scalers block_mfa scales blocks of columns: add --block NAME=REGEX "
            "(one per block)"
        )
    if hvg and blocks is not None:
        raise ReportError(
            "--hvg with --block: the genes kept are chosen in each fold, so a "
            "block's columns would change from fold to fold; give one of them"
        )
    label = _preprocessing_label(normalize, log, hvg)
    if (label is not None or by_position) and blocks is not None and not sparse:
        position = {column: j for j, column in enumerate(columns)}
        blocks = {
            block: [position[column] for column in members]
            for block, members in blocks.items()
        }
    try:
        candidates = candidate_scalers(blocks, names=names, sparse=sparse)
    except ValueError as exc:
        raise ReportError(f"--scalers: {exc}") from exc
    if label is None:
        return candidates

    def steps(scaler):
        before = _preprocessing(normalize, log, hvg)
        if scaler == "passthrough":
            return before[0] if len(before) == 1 else make_pipeline(*before)
        return make_pipeline(*before, scaler)

    # "none" becomes the normalisation (and log) alone, named for what it is
    return {
        f"{label} only" if scaler == "passthrough" else name: steps(scaler)
        for name, scaler in candidates.items()
    }


def _normalize_note(normalize, log=False, hvg=None):
    label = _preprocessing_label(normalize, log, hvg)
    if label is None:
        return []
    said = []
    if normalize is not None:
        cls_name, params = _NORMALIZERS[normalize]
        shown = ", ".join(f"{k}={v}" for k, v in params.items())
        said.append(
            f"{cls_name}({shown}) (--normalize {normalize}), the per-sample "
            "normalisation"
        )
    if log:
        said.append("LogTransformer() (--log), log(x + 1)")
    if hvg:
        said.append(
            f"HighlyVariableGenes(n_top_genes={hvg}) (--hvg {hvg}), scanpy's "
            "seurat selection of the most variable columns"
        )
    what = (
        "these steps"
        if len(said) > 1
        else ("the log" if log else ("the selection" if hvg else "the normalisation"))
    )
    return [
        f"Every candidate runs after {', then '.join(said)}, "
        f"{'each ' if len(said) > 1 else ''}fitted on the "
        f"training rows of each fold; '{label} only' is {what} alone."
    ]


def _count_candidates(X, args, candidates, prefit, notes):
    """``candidates``, and normalise -> log1p (-> z-score) among them when
    the table looks like counts and no step was asked for; the note that says
    so goes into ``notes``."""
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

    from skscale._backends import is_sparse
    from skscale.diagnostics._compare import count_summary
    from skscale.preprocessing import (
        LogTransformer,
        TotalSumNormalizer,
        candidate_scalers,
    )

    summary = count_summary(X)
    if summary is None or args.normalize or args.log or args.hvg:
        return candidates
    seen = (
        f"The table looks like counts: every value in its {X.shape[1]:,} columns "
        f"is a whole number of at least 0 (up to {summary['largest']:,.0f}; "
        f"{summary['zeros']:.0%} are 0). Counts usually need each row normalised "
        "to a common total and logged first"
    )
    if args.scalers:
        notes.append(
            f"{seen}: --normalize total --log runs every candidate after those "
            "steps, fitted inside each fold."
        )
        return candidates
    added = {
        "total + log1p": make_pipeline(TotalSumNormalizer(), LogTransformer()),
        "total + log1p + zscore": make_pipeline(
            TotalSumNormalizer(),
            LogTransformer(),
            candidate_scalers(names=["zscore"], sparse=is_sparse(X))["zscore"],
        ),
    }
    if prefit:  # the other candidates were fitted on the sample: these too
        added = {name: clone(steps).fit(X) for name, steps in added.items()}
    notes.append(
        f"{seen}: the candidates 'total + log1p' and 'total + log1p + zscore' do "
        "so (TotalSumNormalizer, then LogTransformer's log(x + 1), fitted inside "
        "each fold); --normalize total --log runs every candidate after those "
        "steps."
    )
    return {**candidates, **added}


def _renamed_notes(renamed):
    """A note, first on the page, when the header repeats names: which, and
    what they were read as."""
    if not renamed:
        return []
    groups = {}
    for new, old in renamed.items():
        groups.setdefault(old, [old]).append(new)
    said = "; ".join(
        f"{old!r} {len(names)} times, read as {', '.join(map(repr, names))}"
        for old, names in groups.items()
    )
    return [
        f"The header repeats column names: {said}. Rename them in the file to "
        "say which is which; the page uses the names read."
    ]


def _decimal_notes(columns):
    if not columns:
        return []
    shown = ", ".join(map(repr, columns[:10]))
    more = f" and {len(columns) - 10} more" if len(columns) > 10 else ""
    return [
        f'Numbers written with a decimal comma ("1,5") in {shown}{more}: read '
        "as numbers (1.5), dots grouping thousands."
    ]


def _left_out_notes(left_out):
    notes = []
    identifiers = [
        f"{c} (a saved row index)" if c.startswith("Unnamed: ") else c
        for c, why in left_out.items()
        if why == "identifier"
    ]
    if identifiers:
        notes.append(
            f"Left out as identifiers (a different whole number on every row): "
            f"{', '.join(identifiers)}."
        )
    others = [f"{c} ({why})" for c, why in left_out.items() if why != "identifier"]
    if others:
        more = f" and {len(others) - 20} more" if len(others) > 20 else ""
        notes.append(f"Left out, not numeric: {', '.join(others[:20])}{more}.")
    return notes


def _example_covariates(args, available):
    missing = [c for c in args.covariate or [] if c not in available]
    if missing:
        offered = ", ".join(available) or "none"
        raise ReportError(
            f"--covariate {missing[0]!r}: the {args.example} example has no such "
            f"column (its covariates: {offered})"
        )
    if not args.covariate:
        return None
    return {name: available[name].reset_index(drop=True) for name in args.covariate}


def _covariate_names(args):
    """The per-sample columns to read beside the features: the covariates,
    the batch and the groups."""
    names = list(args.covariate or [])
    for column in (args.batch, args.groups):
        if column and column not in names:
            names.append(column)
    return names


class _Labels(NamedTuple):
    """The per-sample columns, split by use: the covariates to read PCA
    against, each row's batch and each row's group (each None when not
    asked for)."""

    covariates: object = None
    batch: object = None
    groups: object = None


def _split_columns(args, covariates):
    """The :class:`_Labels` of the per-sample columns read: the batch and the
    groups are taken out of the covariates unless also asked for with
    ``--covariate``."""
    batch = groups = None
    if covariates is not None:
        if args.batch:
            batch = covariates[args.batch]
        if args.groups:
            groups = covariates[args.groups].reset_index(drop=True)
        own = [
            c
            for c in (args.batch, args.groups)
            if c and c not in (args.covariate or [])
        ]
        covariates = covariates.drop(columns=own)
        if not covariates.shape[1]:
            covariates = None
    return _Labels(covariates, batch, groups)


# A date column orders the rows when at least this share of its values read
# as dates and they never go back (or never forward).
_DATES_READ = 0.9


def _ordering_date(dates):
    """``(column, first, last)`` of the first date column whose dates order
    the rows, or None."""
    import pandas as pd

    for column in [] if dates is None else dates.columns:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            when = pd.to_datetime(dates[column], errors="coerce", format="mixed")
        read = when.dropna()
        if len(read) < 3 or len(read) < _DATES_READ * len(when) or read.nunique() < 3:
            continue
        if read.is_monotonic_increasing or read.is_monotonic_decreasing:
            first, last = (str(dates[column][when.notna()].iloc[i]) for i in (0, -1))
            return column, first, last
    return None


def _time_notes(args, dates):
    """What the page says of time: a date that orders the rows makes
    shuffled folds train on the future; ``--cv time`` keeps the order."""
    from skscale.utils._text import visible

    ordering = _ordering_date(dates)
    if ordering is None:
        if args.cv == "time":
            return ["Time-ordered folds (--cv time): the rows in the file's order."]
        return []
    column, first, last = ordering
    span = f"{visible(column)!r} orders the rows ({visible(first)} to {visible(last)})"
    if args.cv == "time":
        return [f"Time-ordered folds (--cv time): {span}."]
    if args.groups:
        return []
    return [
        f"The date column {span}: shuffled folds train on later rows to score "
        "earlier ones, which flatters any target that follows time. Pass --cv "
        "time to test each fold on rows after those it was trained on."
    ]


def _load_example(args):
    X, y, blocks, description, available = _example(args.example)
    if args.batch:
        raise ReportError(
            f"--batch: the {args.example} example has no batches (its covariates: "
            f"{', '.join(available) or 'none'}; try --covariate)"
        )
    if args.groups:
        raise ReportError(
            f"--groups: the {args.example} example has no groups (its covariates: "
            f"{', '.join(available) or 'none'})"
        )
    labels = _Labels(_example_covariates(args, available))
    notes = []
    if args.block:
        blocks, notes = _parse_blocks(args.block, list(X.columns))
    names = _candidate_names(args.scalers)
    candidates = _candidates(
        blocks, names, args.normalize, list(X.columns), log=args.log, hvg=args.hvg
    )
    notes += _normalize_note(args.normalize, args.log, args.hvg)
    return Loaded(X, y, blocks, candidates, description, notes, False, labels)


_ANNOTATED_SUFFIXES = (".h5ad", ".h5mu")


# A sample read sparse is held dense for the comparison when that takes at
# most this many bytes and this share of its values is stored: BLAS on dense
# rows then beats sparse products (the diagnostics' distances and the
# estimator's), and the file itself is still read row by row, never dense.
_DENSE_SAMPLE_BYTES = 1 << 30


_DENSE_SAMPLE_SHARE = 0.02


def _dense_if_cheaper(X):
    """``(X, note)``: the sampled cells as a dense array (and a sentence
    saying so) when that is small and the matrix not very sparse, else
    ``(X, None)``."""
    n_values = X.shape[0] * X.shape[1]
    share = X.nnz / max(1, n_values)
    size = n_values * 8
    if size > _DENSE_SAMPLE_BYTES or share < _DENSE_SAMPLE_SHARE:
        return X, None
    note = (
        f"The {X.shape[0]:,} cells read are held dense for the comparison "
        f"({size / 2**20:,.0f} MiB; {share:.0%} of their values are stored): "
        "the distances and the cross-validated estimator are faster on dense "
        "rows. The file itself is read row by row, never made dense."
    )
    return X.toarray(), note


def _load_annotated(args, progress):
    """A random sample of the cells of an ``.h5ad``/``.h5mu`` file, read
    from disk row by row (sparse stays sparse); a MuData's modalities are
    the blocks."""
    from skscale._backends import is_sparse
    from skscale.scverse import read_sample

    name = Path(args.data).name
    if args.sep is not None:
        raise ReportError(f"--sep: {name} is not a text file")
    if args.block and args.data.lower().endswith(".h5mu"):
        raise ReportError(
            "--block: the blocks of a .h5mu file are its modalities; leave --block out"
        )
    progress(f"reading {args.data}")
    try:
        sample = read_sample(
            args.data,
            target=args.target,
            layer=args.layer,
            covariates=_covariate_names(args),
            max_rows=_max_rows(args),
        )
    except ImportError as exc:
        raise ReportError(
            f"reading {name} needs anndata: pip install 'skscale[scverse]' ({exc})"
        ) from exc
    except KeyError as exc:
        raise ReportError(exc.args[0] if exc.args else str(exc)) from exc
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read {args.data}: {exc}") from exc
    X, names = sample.X, sample.feature_names
    notes = []
    if is_sparse(X):
        X, held_dense = _dense_if_cheaper(X)
        if held_dense:
            notes.append(held_dense)
    sparse = is_sparse(X)
    blocks = sample.blocks
    if args.block:
        by_name, notes = _parse_blocks(args.block, names)
        position = {column: j for j, column in enumerate(names)}
        blocks = {
            block: [position[column] for column in members]
            for block, members in by_name.items()
        }
    elif blocks is not None:
        notes.append(
            f"Blocks: the {len(blocks)} modalities of the MuData ({', '.join(blocks)})."
        )
    labels = _split_columns(args, sample.covariates)
    candidates = _candidates(
        blocks,
        _candidate_names(args.scalers),
        args.normalize,
        names,
        log=args.log,
        hvg=args.hvg,
        sparse=sparse,
    )
    read = sample.X
    stored = (
        f"a sparse matrix with {read.nnz:,} stored values "
        f"({read.nnz / max(1, read.shape[0] * read.shape[1]):.1%} of the cells)"
        if is_sparse(read)
        else "a dense matrix"
    )
    notes.append(
        f"Values: {sample.source} of {name}, read as {stored}"
        + (
            "; the candidates scale without centring, so that it stays sparse "
            "(which changes no diagnostic, and no estimator that fits an "
            "intercept)."
            if sparse
            else "."
        )
    )
    n_read = X.shape[0] + sample.n_target_missing
    if sample.sampled:
        notes.insert(
            0,
            f"Sample: {n_read:,} of {sample.n_rows:,} cells, drawn at random and "
            "read from the file without loading the others, are used for the "
            "diagnostics and the cross-validation "
            f"({_max_rows_option(sample.max_rows, args.max_rows, X.shape[1])}; "
            "--max-rows 0 uses every cell).",
        )
    notes += _normalize_note(args.normalize, args.log, args.hvg)
    if args.target:
        notes += _time_notes(args, None)
    if sample.n_target_missing:
        notes.append(
            f"{sample.n_target_missing:,} cells with a missing target were left out."
        )
    target = f"; target {args.target!r}" if args.target else ""
    cells = (
        f"{sample.n_rows:,} cells ({n_read:,} sampled)"
        if sample.sampled
        else f"{sample.n_rows:,} cells"
    )
    description = f"{name}: {cells}, {X.shape[1]:,} features{target}."
    return Loaded(
        X, sample.y, blocks, candidates, description, notes, False, labels, names
    )


# Peak memory of a report that keeps every row, measured on 300,000 and
# 1,000,000 rows of 18 columns: about 270 MB, plus 7.3 float64 copies of each
# cell (the table, its centred copy, a fold's training rows and the copies
# the scaler, imputer and estimator make of them); 8 copies are counted.
_BASE_BYTES = 300e6


_BYTES_PER_CELL = 8 * 8


def _memory_needed(n_rows, n_columns):
    """Bytes a report on every one of ``n_rows`` rows (``n_columns``
    features and the target) needs at its peak, about."""
    return _BASE_BYTES + n_rows * (n_columns + 1) * _BYTES_PER_CELL


def _check_memory(args, progress, n_rows, features, every_row):
    """Before the whole file is read with --max-rows 0: refuse a table whose
    report would not fit in the memory available, naming the sample size
    that would; otherwise say how much it will take."""
    from skscale.utils._memory import available_memory, size_text

    if not every_row:
        return
    needed = _memory_needed(n_rows, len(features))
    available = available_memory()
    shape = f"about {n_rows:,} rows x {len(features):,} columns"
    if available is None:
        progress(f"every row: {shape}, about {size_text(needed)} of memory")
        return
    if needed > 0.9 * available:
        fits = int((0.9 * available - _BASE_BYTES) / ((len(features) + 1) * 8 * 8))
        if fits >= 100:  # two figures, rounded down
            step = 10 ** (len(str(fits)) - 2)
            fits = fits // step * step
        hint = f"--max-rows {fits:,} would fit" if fits >= 3 else "no sample would fit"
        raise ReportError(
            f"--max-rows 0: every row of {Path(args.data).name} ({shape}) needs "
            f"about {size_text(needed)} of memory and {size_text(available)} is "
            f"available; {hint} (or leave --max-rows out: a random sample for the "
            "diagnostics and the cross-validation, the streaming scalers' "
            "statistics from every row)"
        )
    progress(
        f"every row: {shape}, about {size_text(needed)} of the "
        f"{size_text(available)} of memory available"
    )


def _can_stream(scaler):
    return (
        scaler != "passthrough"
        and hasattr(scaler, "partial_fit")
        and getattr(scaler, "quantile_range", None) is None
    )


class _StreamedFits:
    """Fresh clones of the candidates that can stream (``partial_fit``, no
    quantiles), fitted chunk by chunk as the file is read: called with each
    chunk's feature values. Used as a context manager: each candidate's pass
    is one fit task of its callbacks (one ``ProgressBar``, a sub-task per
    chunk), ended when the reading is, also when it fails."""

    def __init__(self, candidates=None):
        self.fitted = {}
        self._fits = {}
        self._tasks = ExitStack()
        if candidates:
            self.start(candidates)

    def start(self, candidates):
        """Begin streaming those of ``candidates`` that can."""
        from sklearn.base import clone

        from skscale.utils._sklearn_compat import streamed_fit_task

        for name, scaler in candidates.items():
            if _can_stream(scaler):
                self.fitted[name] = fitted = clone(scaler)
                self._fits[name] = self._tasks.enter_context(streamed_fit_task(fitted))

    def __call__(self, values):
        for partial_fit in self._fits.values():
            partial_fit(values)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._tasks.__exit__(*exc)


def _load_file(args, progress):
    """One chunked pass over the file: a sample for the diagnostics, the
    streaming candidates' statistics from every row."""
    import numpy as np
    import pandas as pd
    from sklearn.base import clone

    from skscale.datasets import sample_table
    from skscale.diagnostics._compare import first_line

    names = _candidate_names(args.scalers)
    chosen = {}
    streams = _StreamedFits()

    def before_reading(n_rows, columns, every_row):
        _check_memory(args, progress, n_rows, columns, every_row)
        chosen["blocks"], chosen["block_notes"] = _parse_blocks(args.block, columns)
        chosen["candidates"] = _candidates(
            chosen["blocks"],
            names,
            args.normalize,
            columns,
            log=args.log,
            hvg=args.hvg,
            by_position=True,
        )
        # every row kept: each fold fits its own; per-batch scaling fits each
        # candidate per batch: nothing streams
        if not (every_row or args.batch):
            streams.start(chosen["candidates"])

    progress(f"reading {args.data}")
    try:
        with streams:
            table = sample_table(
                args.data,
                target=args.target,
                max_rows=_max_rows(args),
                sep=args.sep,
                progress=progress,
                covariates=_covariate_names(args),
                before_reading=before_reading,
                on_chunk=streams,
            )
    except ReportError:
        raise
    except UnicodeDecodeError as exc:  # its first 64 KiB read as UTF-8
        raise ReportError(
            f"cannot read {args.data}: it is UTF-8 at first but not throughout "
            f"({exc}); save it as UTF-8"
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as exc:
        raise ReportError(f"cannot read {args.data}: {exc}") from exc
    except (OSError, ValueError, ImportError) as exc:
        message = str(exc)
        if args.batch and message.startswith(f"no column {args.batch!r}"):
            message = "--batch: " + message.replace(" to keep as a covariate", "")
        elif args.groups and message.startswith(f"no column {args.groups!r}"):
            message = "--groups: " + message.replace(" to keep as a covariate", "")
        elif message.startswith("no column ") and "covariate" in message:
            message = "--covariate: " + message.replace(" to keep as a covariate", "")
        raise ReportError(message) from exc
    except Exception as exc:  # pandas' parser errors and the like
        raise ReportError(f"cannot read {args.data}: {exc}") from exc
    X, y = table.X, table.y
    labels = _split_columns(args, table.covariates)
    notes = (
        ([table.layout_note] if table.layout_note else [])
        + _renamed_notes(table.renamed)
        + _decimal_notes(table.decimal_commas)
        + _left_out_notes(table.left_out)
        + chosen["block_notes"]
        + _normalize_note(args.normalize, args.log, args.hvg)
        + (_time_notes(args, table.dates) if args.target else [])
    )
    if args.target is None:
        named = [c for c in X.columns if c.lower() in _TARGET_NAMES]
        notes.append(
            "No --target: the recommendation rests on the diagnostics alone, with no "
            "cross-validated score."
            + (
                f" The column {named[0]!r} is scaled as a feature; if it is what "
                f"you want to predict, pass --target {named[0]}."
                if named
                else ""
            )
        )
    name = Path(args.data).name
    target = f"; target {args.target!r}" if args.target else ""
    if table.sampled and args.batch:
        notes.insert(
            0,
            f"Sample: {len(X):,} of {table.n_rows:,} rows, drawn at random, are used "
            "for the diagnostics and the cross-validation; with --batch every "
            "candidate is fitted on the sample, batch by batch "
            f"({_max_rows_option(table.max_rows, args.max_rows, X.shape[1])}; "
            "--max-rows 0 uses every row).",
        )
        description = (
            f"{name}: {table.n_rows:,} rows ({len(X):,} sampled), "
            f"{X.shape[1]:,} numeric columns{target}."
        )
        candidates_now = chosen["candidates"]
    elif table.sampled:
        notes.insert(
            0,
            f"Sample: {len(X):,} of {table.n_rows:,} rows, drawn at random, are used "
            "for the diagnostics and the cross-validation "
            f"({_max_rows_option(table.max_rows, args.max_rows, X.shape[1])}; "
            "--max-rows 0 uses every row).",
        )
        streamed = ", ".join(streams.fitted) or "no candidate"
        on_sample = [
            n
            for n, s in chosen["candidates"].items()
            if n not in streams.fitted and s != "passthrough"
        ]
        notes.insert(
            1,
            f"The statistics of {streamed} come from one chunked pass over all "
            f"{table.n_rows:,} rows"
            + (
                f"; {', '.join(on_sample)} (no partial_fit) "
                f"{'is' if len(on_sample) == 1 else 'are'} fitted on the sample."
                if on_sample
                else "."
            ),
        )
        description = (
            f"{name}: {table.n_rows:,} rows ({len(X):,} sampled), "
            f"{X.shape[1]:,} numeric columns{target}."
        )
        candidates_now = {}
        for n, s in chosen["candidates"].items():
            if n in streams.fitted or s == "passthrough":
                candidates_now[n] = streams.fitted.get(n, s)
                continue
            try:
                candidates_now[n] = clone(s).fit(X)
            except Exception as exc:  # one failing candidate never stops the others
                line = first_line(exc)
                progress(f"candidate {n!r} failed: {line}")
                notes.append(f"Candidate {n} failed: {line}")
        if not candidates_now:
            raise ReportError("every candidate scaler failed on the sample")
    else:
        description = (
            f"{name}: {len(X):,} rows, {X.shape[1]:,} numeric columns{target}."
        )
        candidates_now = chosen["candidates"]
    if table.n_target_missing:
        notes.append(
            f"{table.n_target_missing:,} rows with a missing target were left out."
        )
    prefit = table.sampled and not args.batch
    names = None
    if not prefit:
        # an array with its names beside it: scikit-learn checks a
        # DataFrame's dtypes column by column on every fit and transform of
        # every fold (58 of 150 s on 20,000 columns); the candidates' blocks
        # are positions, and nothing was fitted on the names
        names = [str(c) for c in X.columns]
        X = X.to_numpy(dtype=np.float64)
    return Loaded(
        X,
        y,
        chosen["blocks"],
        candidates_now,
        description,
        notes,
        prefit,
        labels,
        names,
    )


def _compared(notes, compare, *args, **kwargs):
    """``compare(*args, **kwargs)``, with what it warns about the whole
    comparison (not one candidate: those are on the page already) added to
    the page's notes, and warned again for the progress."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        comparison = compare(*args, **kwargs)
    for record in said:
        line = str(record.message).strip()
        if line and not line.startswith("candidate "):
            note = line[0].upper() + line[1:]
            if note not in notes:
                notes.append(note)
        warnings.warn_explicit(
            record.message, record.category, record.filename, record.lineno
        )
    return comparison


def _refuse_date_target(y, name):
    """A target of dates is neither classes (every day its own) nor a
    quantity the estimators read: refused in one line."""
    import pandas as pd

    from skscale.report._reading import _why_left_out

    y = pd.Series(y).reset_index(drop=True)
    if _why_left_out(y) == "dates":
        first = str(y.dropna().iloc[0])
        raise ReportError(
            f"--target {name}: the column holds dates ({first!r}, ...): a date is "
            "not a class to predict nor a number; give a number made from it "
            "(days since a start) for a regression target, or another column"
        )


def _time_folds(n_rows):
    """Five time-ordered splits (fewer on a short table), each trained on the
    rows before its test rows."""
    from sklearn.model_selection import TimeSeriesSplit

    if n_rows < 6:
        raise ReportError(
            f"--cv time: {n_rows} rows; time-ordered folds need at least 6"
        )
    return TimeSeriesSplit(n_splits=min(5, n_rows // 3))


def _is_annotated(data):
    return bool(data) and data.lower().endswith(_ANNOTATED_SUFFIXES)


def analyse(args, progress):
    """The :class:`Analysis` the options ``args`` ask for (checked already
    by the command), with ``progress`` called with each step."""
    import numpy as np
    import pandas as pd

    from skscale.diagnostics import compare_scalers
    from skscale.diagnostics._common import covariate_column
    from skscale.diagnostics._compare import detect_task

    if args.example:
        loaded = _load_example(args)
    elif _is_annotated(args.data):
        loaded = _load_annotated(args, progress)
    else:
        loaded = _load_file(args, progress)
    X, y, blocks, candidates, description, notes, prefit, labels, names = loaded
    title = args.example or Path(args.data).name
    candidates = _count_candidates(X, args, candidates, prefit, notes)
    if args.normalize or args.log or args.hvg:  # one clear error, not one per
        data = X  # candidate; an array with names is checked under them
        if names is not None and isinstance(X, np.ndarray):
            data = pd.DataFrame(X, columns=names, copy=False)
        options = _preprocessing_options(args.normalize, args.log, args.hvg)
        steps = _preprocessing(args.normalize, args.log, args.hvg)
        for option, step in zip(options, steps, strict=True):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    data = step.fit_transform(data)
            except ValueError as exc:
                raise ReportError(f"{option}: {exc}") from exc
    for note in notes:
        progress(note)
    if X.shape[1] == 1:
        column = (names or list(X.columns))[0]
        message = (
            f"The table has one numeric column ({column!r}): scaling "
            "multiplies it by a constant and shifts it, which changes no principal "
            "component, no ranking of distances and no neighbour, so there is "
            "nothing to compare."
        )
        return Analysis(title, description, notes, message=message)
    if X.shape[0] < 3:
        raise ReportError(f"the table has {X.shape[0]} usable rows; expected 3 or more")
    estimator = None
    task = None
    if y is not None:
        _refuse_date_target(y, args.target)
        task = detect_task(y) if args.task == "auto" else args.task
        estimator = _make_estimator(args.estimator or "knn", task)
    try:
        comparison = _compared(
            notes,
            compare_scalers,
            X,
            y,
            scalers=candidates,
            blocks=blocks,
            estimator=estimator,
            task=task or "auto",
            scoring=args.scoring,
            random_state=0,
            progress=progress,
            prefit=prefit,
            covariates=labels.covariates,
            batch=labels.batch,
            feature_names=names,
            cv=_time_folds(X.shape[0]) if args.cv == "time" else None,
            groups=None if estimator is None else labels.groups,
        )
    except ValueError as exc:
        message = str(exc)
        if message.startswith("The target has") and args.max_rows:
            message += (
                f" The sample holds {X.shape[0]:,} rows (--max-rows "
                f"{args.max_rows:,}): 5-fold cross-validation needs at least 5 "
                "rows of each class; raise --max-rows."
            )
        raise ReportError(message) from exc
    if args.batch:
        label = _preprocessing_label(args.normalize, args.log, args.hvg)
        none = (
            f"'{label} only' is the normalisation alone, batch by batch"
            if label
            else "'none' is unscaled"
        )
        notes.append(
            f"Every candidate scales each batch of {args.batch!r} with its own "
            f"statistics (BatchScaler, fitted inside each fold); {none}."
        )
    reported = [] if labels.covariates is None else list(labels.covariates)
    for covariate in reported + ([args.batch] if args.batch else []):
        shares = comparison.table[covariate_column(covariate)]
        unscaled = (
            f"{shares['none']:.0%} of PC1's variance in the unscaled data and "
            if "none" in shares.index and not (args.normalize or args.log or args.hvg)
            else ""
        )
        notes.append(
            f"Covariate {covariate!r} explains {unscaled}"
            f"{shares[comparison.recommended]:.0%} of PC1's variance after "
            f"{comparison.recommended} (column 'PC1 from {covariate}')."
        )
    sampling = {knn.sampling for _, knn in comparison.reports.values()} - {None}
    if sampling:  # a long table: the k-NN columns come from a sample of rows
        notes.append(
            f"k-NN columns: {sampling.pop()}; PCA"
            + (" and the cross-validation use" if estimator is not None else " uses")
            + " every row."
        )
    if estimator is not None:
        notes.append(
            f"Cross-validated estimator: {type(estimator).__name__} after each "
            f"scaler, {comparison.cv_description}."
        )
    return Analysis(title, description, notes, comparison)
