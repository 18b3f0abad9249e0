"""Reading a user's table: CSV, TSV or Parquet, whole or a chunk at a time.

:func:`sample_table` is what ``skscale report`` runs on a file: one pass that
keeps a uniform random sample of rows for the diagnostics and hands each
chunk of feature values to a callable, so that statistics that stream (the
candidates' ``partial_fit``, in :mod:`skscale.report._analysis`) learn from
every row. Reading fits nothing itself.
"""

import difflib
import gzip
import re
import time
import zipfile
import zlib
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from skscale.utils._text import duration


class Layout(NamedTuple):
    """How a table file is stored, from its first bytes (and its name)."""

    kind: str  # "parquet", "tsv" or "csv"
    encoding: str | None = None  # of a text file; None: UTF-8
    compression: str | None = None  # "gzip" or "zip" for a text file
    note: str | None = None  # what the reader should know, for the page


# first bytes of the formats a person may pass by mistake, with what to do
_NOT_TABLES = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel workbook (.xls)",
        "save it as CSV (File > Save As > CSV UTF-8) and pass that file",
    ),
    (
        b"\x89HDF\r\n\x1a\n",
        "an HDF5 file",
        "if it holds an AnnData or a MuData, name it .h5ad or .h5mu",
    ),
    (b"%PDF", "a PDF document", "export the table it shows as CSV"),
)
_SNIFF_BYTES = 1 << 16


def _by_name(path, name):
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".tsv", ".tab", ".tsv.gz", ".tab.gz")):
        return "tsv"
    if name.endswith((".csv", ".txt", ".csv.gz", ".txt.gz")):
        return "csv"
    raise ValueError(
        f"cannot tell the format of {path}: expected a .csv, .tsv or .parquet file"
    )


def _text_encoding(path, head):
    """``(encoding, note)`` of text bytes: a byte-order mark says UTF-8 or
    UTF-16; text that is not UTF-8 is read as Latin-1, with a note; binary
    data is refused."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", f"{path.name} is UTF-16 text: read as UTF-16."
    # UTF-16 without a byte-order mark: Latin letters have a zero byte on
    # one side of every pair and none on the other (a dump of integers has
    # zeros on both)
    even, odd = head[0::2], head[1::2]
    for zeros, letters, encoding in ((odd, even, "le"), (even, odd, "be")):
        if head and zeros.count(0) > 0.9 * len(zeros) and letters.count(0) == 0:
            return f"utf-16-{encoding}", f"{path.name} is UTF-16 text: read as UTF-16."
    controls = sum(head.count(b) for b in (*range(9), 11, 12, *range(14, 32), 127))
    if controls > 0.05 * len(head):  # text has next to none; random bytes 1 in 8
        raise ValueError(
            f"{path} is not a text table: it holds binary data (first bytes "
            f"{head[:8].hex(' ')}); expected a CSV, TSV or Parquet file"
        )
    try:
        # a multi-byte character may be cut at the end of what was read
        head[: max(0, len(head) - 3)].decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1", (
            f"{path.name} is not UTF-8: read as Latin-1 (ISO-8859-1). Check the "
            "accented names on the page; saving the file as UTF-8 makes sure."
        )
    return None, None


def file_layout(path):
    """How the table at ``path`` is stored: Parquet or text (CSV or TSV), its
    encoding and compression, read from its first bytes, so that a gzip file
    or a Parquet file named ``.csv``, UTF-16 and UTF-8 with a byte-order mark
    are read as what they are; a workbook, an HDF5 file, a PDF or binary data
    is named in a ValueError that says what to do. The path is checked to be
    an existing file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise IsADirectoryError(
            f"{path} is a folder; expected a CSV, TSV or Parquet file"
        )
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    name = path.name.lower()
    for magic, what, todo in _NOT_TABLES:
        if head.startswith(magic):
            raise ValueError(f"{path} is {what}, not a table skscale reads: {todo}")
    if head.startswith(b"PAR1"):
        note = None
        if not name.endswith((".parquet", ".pq")):
            note = f"{path.name} is a Parquet file (whatever its name): read as one."
        return Layout("parquet", note=note)
    if head.startswith(b"PK\x03\x04"):
        return _zipped(path, name)
    if head.startswith(b"\x1f\x8b"):
        with gzip.open(path, "rb") as handle:
            inner = handle.read(_SNIFF_BYTES)
        kind = _by_name(path, name if name.endswith(".gz") else name + ".gz")
        encoding, note = _text_encoding(path, inner)
        if not name.endswith(".gz"):
            note = " ".join(
                filter(None, [f"{path.name} is gzip-compressed: read as such.", note])
            )
        return Layout(kind, encoding, "gzip", note)
    kind = _by_name(path, name)
    if kind == "parquet":
        raise ValueError(
            f"{path} is named as Parquet but is not a Parquet file (first bytes "
            f"{head[:8].hex(' ')}); expected a Parquet file, or a name that says "
            "what it is (.csv, .tsv)"
        )
    encoding, note = _text_encoding(path, head)
    return Layout(kind, encoding, None, note)


def _zipped(path, name):
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.namelist() if not m.endswith("/")]
    if any(m.startswith("xl/") for m in members):
        raise ValueError(
            f"{path} is an Excel workbook (.xlsx), not a table skscale reads: save "
            "it as CSV (File > Save As > CSV UTF-8) and pass that file"
        )
    texts = [m for m in members if m.lower().endswith((".csv", ".tsv", ".txt"))]
    if len(members) != 1 or len(texts) != 1:
        raise ValueError(
            f"{path} is a ZIP archive of {len(members)} files; expected one table: "
            "unzip it and pass the CSV or TSV file"
        )
    kind = "tsv" if texts[0].lower().endswith(".tsv") else "csv"
    return Layout(kind, None, "zip", f"{path.name} is a ZIP archive: read {texts[0]}.")


def table_format(path):
    """``"parquet"``, ``"tsv"`` or ``"csv"``: :func:`file_layout`'s kind."""
    return file_layout(path).kind


def _text_options(layout):
    """pandas' read_csv options for a text layout: its encoding and
    compression (None: pandas' own defaults, UTF-8 and by the name)."""
    options = {}
    if layout.encoding is not None:
        options["encoding"] = layout.encoding
    if layout.compression is not None:
        options["compression"] = layout.compression
    return options


def _parquet():
    try:
        import pyarrow.parquet
    except ImportError as exc:
        raise ImportError(
            "reading Parquet needs pyarrow: pip install 'skscale[parquet]'"
        ) from exc
    return pyarrow.parquet


def _separator(kind, sep):
    if sep is not None:
        if kind == "parquet":
            raise ValueError("sep applies to CSV and TSV files, not to Parquet")
        return sep
    return "\t" if kind == "tsv" else ","


# bytes read from a text file's start to estimate its number of rows
_ESTIMATE_BYTES = 1 << 22


def _estimate_rows(path, layout=None):
    """``(rows, exact)``: the number of data rows of a table file, estimated
    cheaply. Exact for Parquet (its metadata) and for a text file read to its
    end within 4 MiB; otherwise the lines in its first 4 MiB scaled to the
    file's size (for a compressed file, the lines per compressed byte),
    rounded to three figures. A quoted field that spans lines counts as
    several; the estimate only sizes the work."""
    layout = layout or file_layout(path)
    path = Path(path)
    if layout.kind == "parquet":
        return int(_parquet().ParquetFile(path).metadata.num_rows), True
    size = path.stat().st_size
    if layout.compression == "zip":
        with zipfile.ZipFile(path) as archive:
            member = archive.infolist()[0]
            size = member.file_size  # the table's own bytes
            with archive.open(member) as handle:
                head = handle.read(_ESTIMATE_BYTES)
        compressed = len(head)
    elif layout.compression == "gzip":
        inflate = zlib.decompressobj(wbits=31)
        with path.open("rb") as handle:
            raw = handle.read(_ESTIMATE_BYTES)
        head = inflate.decompress(raw)
        compressed = len(raw)
    else:
        with path.open("rb") as handle:
            head = handle.read(_ESTIMATE_BYTES)
        compressed = len(head)
    lines = head.count(b"\n")
    if compressed >= size:  # read to the end: count, less the header
        return max(0, lines + (not head.endswith(b"\n")) - 1), True
    rows = max(1, round(lines * size / max(1, compressed)) - 1)
    return int(float(f"{rows:.3g}")), False


class _ReadingProgress:
    """The progress line of a chunked read: rows read, of about how many,
    and the time left at the pace so far."""

    def __init__(self, rows, exact):
        self.rows, self.exact = rows, exact
        self.started = time.perf_counter()

    def message(self, done):
        if not self.rows or done >= self.rows:
            return f"read {done:,} rows"
        elapsed = time.perf_counter() - self.started
        left = elapsed / max(1, done) * (self.rows - done)
        return (
            f"read {done:,} of {'' if self.exact else 'about '}{self.rows:,} rows "
            f"({done / self.rows:.0%}; {duration(left)} left)"
        )


def read_table(path, *, sep=None):
    """Read a CSV, TSV or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or path-like
        The file; the format comes from its name (``.csv``, ``.tsv``,
        ``.parquet``, optionally gzipped text).
    sep : str, default=None
        Column separator of a text file; ``None``: ``","`` for CSV, a tab for
        TSV.

    Returns
    -------
    pandas.DataFrame
        The table as read, one column per column of the file.
    """
    layout = file_layout(path)
    if layout.kind == "parquet":
        return _parquet().read_table(path).to_pandas()
    return pd.read_csv(path, sep=_separator(layout.kind, sep), **_text_options(layout))


def iter_table_chunks(path, chunksize, *, sep=None, layout=None):
    """Read a CSV, TSV or Parquet file a chunk of rows at a time; the index of
    each chunk numbers its rows in the whole file (from 0). ``layout``: the
    file's :func:`file_layout`, when the caller has it already."""
    layout = layout or file_layout(path)
    if layout.kind == "parquet":
        reader = _parquet().ParquetFile(path)
        chunks = (batch.to_pandas() for batch in reader.iter_batches(chunksize))
    else:
        reader = pd.read_csv(
            path,
            sep=_separator(layout.kind, sep),
            chunksize=chunksize,
            **_text_options(layout),
        )
        chunks = reader
    # the file is closed when the generator is, also when its reader stops
    # early (an error in the caller's loop): see sample_table
    with reader:
        start = 0
        for chunk in chunks:
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk


def renamed_headers(path, *, sep=None, layout=None):
    """The columns pandas renamed because the header repeats a name
    (``a,a,b`` is read as ``a, a.1, b``): ``{name read: name in the file}``
    for each renamed column, empty when every name is unique (and for
    Parquet, whose columns are unique)."""
    layout = layout or file_layout(path)
    if layout.kind == "parquet":
        return {}
    separator = _separator(layout.kind, sep)
    options = _text_options(layout)
    read = pd.read_csv(path, sep=separator, nrows=0, **options).columns
    raw = pd.read_csv(path, sep=separator, header=None, nrows=1, dtype=str, **options)
    written = [str(name) for name in raw.iloc[0].tolist()] if len(raw) else []
    if len(written) != len(read):
        return {}
    return {
        str(new): old
        for new, old in zip(read, written, strict=True)
        if str(new) != old and written.count(old) > 1
    }


def _is_number_column(series):
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(
        series
    )


def _why_left_out(series):
    if pd.api.types.is_bool_dtype(series):
        return "true/false"
    values = series.dropna()
    if values.empty:
        return "empty"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "dates"
    head = values.astype(str).head(20)
    dates = pd.to_datetime(head, errors="coerce", format="mixed")
    if dates.notna().all() and head.str.contains(r"\d[-/:.]\d", regex=True).all():
        return "dates"
    return "text"


def _is_identifier(series):
    """Whole numbers, a different one on every row (at least 20 rows): an
    identifier or a row number, not a measurement."""
    return (
        pd.api.types.is_integer_dtype(series) and len(series) >= 20 and series.is_unique
    )


class TableSample:
    """What :func:`sample_table` read: a sample of rows and what it learnt.

    Parameters
    ----------
    X : pandas.DataFrame
        The numeric feature columns of the sampled rows (float64, missing
        values as NaN), in file order.
    y : pandas.Series or None
        The target of the sampled rows.
    n_rows : int
        Rows in the file with a target (or all rows, without a target).
    n_target_missing : int
        Rows left out because their target was missing.
    left_out : dict of str -> str
        Columns that are not features, with why: ``"text"``, ``"dates"``,
        ``"true/false"``, ``"empty"`` or ``"identifier"`` (whole numbers, a
        different one on every row).
    covariates : pandas.DataFrame or None
        The covariate columns asked for, on the sampled rows (as read: text
        stays text).
    max_rows : int or None
        The sample size the rows were drawn under (None: every row).
    renamed : dict of str -> str
        Columns renamed because the header repeats a name: name read ->
        name in the file (``{"a.1": "a"}``).
    layout_note : str or None
        How the file was read when that is not what its name says (a gzip
        or Parquet file named ``.csv``, UTF-16, Latin-1).
    decimal_commas : list of str
        Columns whose numbers are written with a decimal comma (``"1,5"``),
        read as numbers.
    dates : pandas.DataFrame or None
        The columns left out as dates, on the sampled rows (as read), to tell
        whether a date orders the rows.
    """

    def __init__(
        self,
        *,
        X,
        y,
        n_rows,
        n_target_missing,
        left_out,
        covariates=None,
        max_rows=None,
        renamed=None,
        layout_note=None,
        decimal_commas=None,
        dates=None,
    ):
        self.X = X
        self.dates = dates
        self.decimal_commas = list(decimal_commas or [])
        self.layout_note = layout_note
        self.max_rows = max_rows
        self.renamed = dict(renamed or {})
        self.y = y
        self.covariates = covariates
        self.n_rows = n_rows
        self.n_target_missing = n_target_missing
        self.left_out = left_out

    @property
    def sampled(self):
        """Whether ``X`` is a sample of the rows rather than all of them."""
        return len(self.X) < self.n_rows


# A number written with a decimal comma ("1,5", "-0,25", "1.234,5": dots
# group thousands), or a whole number; the comma and the decimal digits are
# groups 2 and 3.
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(,(\d+))?\s*$")


def _decimal_comma_columns(chunk, target, covariates, separator):
    """The text columns of the first chunk whose every value is a number
    written with a decimal comma (some of them with one). In a file whose
    columns are not separated by commas, "1,234" is 1.234 (the European
    convention of ; and a decimal comma); in a comma-separated one it is left
    as it is when every comma has exactly three digits after it: the comma
    may as well group thousands there."""
    found = []
    for column in chunk.columns:
        series = chunk[column]
        # the target too: a regression target written 1,5 is a quantity
        if column in covariates or series.dtype != object:
            continue
        values = series.dropna().astype(str)
        if values.empty:
            continue
        if not values.str.fullmatch(_DECIMAL_COMMA).all():
            continue
        digits = values.str.extract(_DECIMAL_COMMA)[1].dropna()
        if digits.empty or (separator == "," and (digits.str.len() == 3).all()):
            continue
        found.append(column)
    return found


def _with_decimal_points(chunk, columns):
    """The chunk with ``columns`` (decimal commas) read as numbers; a value
    that is no such number is left as text, for the check that names it."""
    if not columns:
        return chunk
    chunk = chunk.copy()
    for column in columns:
        text = chunk[column].astype("string").str.strip()
        numbers = text.str.replace(".", "", regex=False).str.replace(
            ",", ".", regex=False
        )
        converted = pd.to_numeric(numbers, errors="coerce").astype("float64")
        bad = converted.isna() & text.notna()
        if bad.any():  # kept as text beside the numbers: the check names it
            mixed = converted.astype(object)
            mixed[bad] = chunk[column][bad]
            chunk[column] = mixed
        else:
            chunk[column] = converted
    return chunk


def _feature_columns(chunk, path, target, covariates=()):
    """The feature columns of a table, from its first chunk, and the columns
    left out with why; refuses a table that was read with the wrong
    separator, lacks the target, or has nothing to scale."""
    if chunk.empty:
        raise ValueError(f"{path} has no rows")
    if chunk.shape[1] == 1:
        header = str(chunk.columns[0])
        for other in (";", "\t", "|", ","):
            if other in header:
                shown = "a tab" if other == "\t" else repr(other)
                raise ValueError(
                    f"{path} reads as one column named {header[:60]!r}: its "
                    f"columns look separated by {shown}; pass sep={other!r} "
                    f"(the command's --sep {other!r})"
                )
    if target is not None and target not in chunk.columns:
        shown = ", ".join(repr(str(c)) for c in list(chunk.columns)[:8])
        more = " ..." if chunk.shape[1] > 8 else ""
        raise ValueError(f"no target column {target!r}; the columns are {shown}{more}")
    absent = [c for c in covariates if c not in chunk.columns]
    if absent:
        names = [str(c) for c in chunk.columns]
        close = difflib.get_close_matches(absent[0], names, n=1)
        if close:
            hint = f"did you mean {close[0]!r}?"
        else:
            more = f" and {len(names) - 8} more" if len(names) > 8 else ""
            hint = "the columns are " + ", ".join(map(repr, names[:8])) + more
        raise ValueError(f"no column {absent[0]!r} to keep as a covariate; {hint}")
    if target is not None and target in covariates:
        raise ValueError(f"{target!r} is the target; it cannot be a covariate too")
    left_out = {}
    features = []
    for column in chunk.columns:
        if column == target or column in covariates:
            continue
        series = chunk[column]
        if not _is_number_column(series) or series.isna().all():
            left_out[str(column)] = _why_left_out(series)
        elif _is_identifier(series):
            left_out[str(column)] = "identifier"
        else:
            features.append(column)
    if not features:
        raise ValueError("the table has no numeric column to scale")
    return features, left_out


def sample_table(
    path,
    *,
    target=None,
    max_rows=20_000,
    sep=None,
    chunksize=100_000,
    random_state=0,
    progress=None,
    covariates=(),
    before_reading=None,
    on_chunk=None,
):
    """Read a table in one chunked pass, keeping a random sample of rows.

    A uniform random sample of rows is kept for the diagnostics, and each
    chunk of every row's feature values can be handed on (``on_chunk``), for
    statistics that stream over the whole file.

    Numeric columns are the features; text, dates, true/false and empty
    columns are left out, and so is a column of whole numbers that differ on
    every row (an identifier, such as a saved DataFrame index), each named in
    ``left_out``. Rows whose target is missing are dropped and counted.

    Parameters
    ----------
    path : str or path-like
        A CSV, TSV or Parquet file.
    target : str, default=None
        The target column (left out of the features).
    max_rows : int or callable, default=20_000
        Size of the uniform random sample kept in memory; ``0`` or ``None``
        keeps every row. A callable is given the number of feature columns
        and returns the size, for a sample that depends on the width.
    sep : str, default=None
        Column separator of a text file.
    chunksize : int, default=100_000
        Rows read at a time.
    random_state : int, default=0
        Seed of the sample.
    progress : callable, default=None
        Called with a short message after each chunk: the rows read, of how
        many (estimated from the file's size and first rows, exact for
        Parquet), and the time left.
    covariates : sequence of str, default=()
        Columns kept out of the features and returned, on the sampled rows,
        as ``covariates`` (a batch, a diet: to read PCA against).
    before_reading : callable, default=None
        Called once the first chunk has been read, before the rest is:
        ``before_reading(n_rows, features, every_row)`` with the number of
        rows (estimated from the file's size and first rows, exact for
        Parquet), the feature column names and
        whether every row will be kept. It may raise to stop (a table too
        large for memory, say) before the rest of the file is read.
    on_chunk : callable, default=None
        Called with the feature values of each chunk of rows (a float64
        DataFrame of the rows with a target, named as the features), in file
        order: every row passes through it once, sampled or not (for example
        a scaler's ``partial_fit``).

    Returns
    -------
    TableSample
        The sampled rows (features and target), the counts and the columns
        left out.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from skscale.datasets import sample_table
    >>> from skscale.preprocessing import ZScoreScaler
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> frame = pd.DataFrame({"x": [i / 2 for i in range(100)], "site": ["a"] * 100})
    >>> frame.to_csv(path, index=False)
    >>> scaler = ZScoreScaler()
    >>> table = sample_table(path, max_rows=10, chunksize=30,
    ...                      on_chunk=scaler.partial_fit)
    >>> table.X.shape, table.n_rows, table.left_out
    ((10, 1), 100, {'site': 'text'})
    >>> float(scaler.mean_[0])  # learnt from every row, not the sample
    24.75
    """
    keep_all = not callable(max_rows) and not max_rows
    # the file's first bytes, read once: its kind, encoding and compression
    layout = file_layout(path)
    separator = None if layout.kind == "parquet" else _separator(layout.kind, sep)
    covariates = [str(c) for c in covariates]
    rng = np.random.default_rng(random_state)
    features = left_out = decimal = None
    dates = []
    sample = keys = None
    parts = []
    n_rows = n_target_missing = 0
    reading = _ReadingProgress(*_estimate_rows(path, layout))
    # closing the reader closes the file, also when a chunk raises
    with closing(iter_table_chunks(path, chunksize, sep=sep, layout=layout)) as chunks:
        for chunk in chunks:
            if features is None:
                decimal = _decimal_comma_columns(chunk, target, covariates, separator)
            chunk = _with_decimal_points(chunk, decimal)
            if features is None:
                features, left_out = _feature_columns(chunk, path, target, covariates)
                dates = [c for c, why in left_out.items() if why == "dates"]
                if callable(max_rows):
                    max_rows = max_rows(len(features))
                    keep_all = not max_rows
                if before_reading is not None:
                    before_reading(reading.rows, list(map(str, features)), keep_all)
            if target is not None:
                missing = chunk[target].isna().to_numpy()
                n_target_missing += int(missing.sum())
                chunk = chunk[~missing]
            for column in features:
                if not _is_number_column(chunk[column]):
                    bad = chunk[column][
                        pd.to_numeric(chunk[column], errors="coerce").isna()
                        & chunk[column].notna()
                    ]
                    raise ValueError(
                        f"column {str(column)!r} holds {str(bad.iloc[0])!r} on row "
                        f"{bad.index[0] + 1:,}, after numbers on the rows before; "
                        "expected numbers throughout (or leave the column out)"
                    )
            values = chunk[features].astype("float64")
            values.columns = [str(c) for c in features]
            if on_chunk is not None and len(values):
                on_chunk(values)  # (a chunk whose every target is missing: none)
            kept = ([] if target is None else [target]) + list(covariates)
            kept += [c for c in dates if c not in kept]
            part = values if not kept else pd.concat([values, chunk[kept]], axis=1)
            n_rows += len(chunk)
            if keep_all:  # joined once at the end: no copy of all rows per chunk
                parts.append(part)
            else:
                sample = part if sample is None else pd.concat([sample, part])
                chunk_keys = rng.random(len(part))
                keys = (
                    chunk_keys if keys is None else np.concatenate([keys, chunk_keys])
                )
                if len(sample) > max_rows:
                    keep = np.sort(np.argpartition(keys, max_rows)[:max_rows])
                    sample, keys = sample.iloc[keep], keys[keep]
            if progress is not None:
                progress(reading.message(n_rows + n_target_missing))
    if features is None:
        raise ValueError(f"{path} has no rows")
    if keep_all:
        sample = pd.concat(parts) if len(parts) > 1 else parts[0]
        del parts
    if target is not None and n_rows == 0:
        raise ValueError(
            f"the target column {target!r} has no values: all "
            f"{n_target_missing:,} rows are empty; expected a label or a number "
            "on most rows"
        )
    y = None
    if target is not None:
        y = sample.pop(target)
    date_table = None
    if dates:
        date_table = sample[dates].reset_index(drop=True)
        sample = sample.drop(columns=[c for c in dates if c not in covariates])
    covariate_table = None
    if covariates:
        covariate_table = sample[list(covariates)].reset_index(drop=True)
        sample = sample.drop(columns=list(covariates))
    return TableSample(
        X=sample,
        y=y,
        n_rows=n_rows,
        n_target_missing=n_target_missing,
        left_out=left_out,
        covariates=covariate_table,
        max_rows=max_rows or None,
        renamed=renamed_headers(path, sep=sep, layout=layout),
        layout_note=layout.note,
        decimal_commas=[str(c) for c in decimal or []],
        dates=date_table,
    )
