import re

import numpy as np
import pandas as pd
import pytest

from skscale.datasets import read_table, sample_table
from skscale.preprocessing import MinMaxScaler, ZScoreScaler, candidate_scalers
from skscale.report._analysis import _StreamedFits
from skscale.report._reading import iter_table_chunks


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 300
    return pd.DataFrame(
        {
            "row": np.arange(n),
            "x": rng.normal(100, 10, n) + np.arange(n),  # a trend along the file
            "y": rng.lognormal(3, 1, n),
            "when": pd.date_range("2021-03-01", periods=n).astype(str),
            "site": rng.choice(["a", "b"], n),
            "flag": rng.random(n) > 0.5,
            "label": rng.choice(["p", "q", "r"], n),
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_chunks_number_rows_through_the_file(frame, tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
        frame.to_parquet(path)
    else:
        frame.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    chunks = list(iter_table_chunks(path, 70))
    assert [len(c) for c in chunks] == [70, 70, 70, 70, 20]
    assert chunks[-1].index[0] == 280
    pd.testing.assert_frame_equal(
        pd.concat(chunks)[["x", "y"]], read_table(path)[["x", "y"]]
    )


def test_sample_is_uniform_and_streamed_statistics_see_every_row(frame, tmp_path):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    streams = _StreamedFits(candidate_scalers())
    chunks = []
    with streams:
        table = sample_table(
            path,
            target="label",
            max_rows=50,
            chunksize=70,
            on_chunk=lambda values: (chunks.append(len(values)), streams(values)),
        )
    assert table.sampled and table.n_rows == 300 and len(table.X) == 50
    assert list(table.X.columns) == ["x", "y"]
    assert table.y.name == "label" and len(table.y) == 50
    # the sample's rows are the file's rows, the target aligned with them
    rows = table.X.index.to_numpy()
    assert np.all(np.diff(rows) > 0)
    np.testing.assert_allclose(table.X["x"], frame.loc[rows, "x"])
    assert list(table.y) == list(frame.loc[rows, "label"])
    # uniform over the file: rows from every chunk
    assert len(np.unique(rows // 70)) == 5
    # every row went through on_chunk, chunk by chunk: the streaming
    # candidates learnt the whole file, not the sample
    assert chunks == [70, 70, 70, 70, 20]
    numeric = frame[["x", "y"]]
    fitted = streams.fitted
    assert set(fitted) == {"zscore", "minmax", "pareto"}
    np.testing.assert_allclose(fitted["zscore"].mean_, numeric.mean())
    np.testing.assert_allclose(fitted["zscore"].var_, numeric.var(ddof=0), rtol=1e-12)
    np.testing.assert_allclose(fitted["minmax"].data_max_, numeric.max())
    assert table.left_out == {
        "row": "identifier",
        "when": "dates",
        "site": "text",
        "flag": "true/false",
    }


def test_small_tables_are_kept_whole(frame, tmp_path):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    table = sample_table(path, max_rows=1000)
    assert not table.sampled and len(table.X) == 300
    everything = sample_table(path, max_rows=0)
    assert len(everything.X) == 300 and not everything.sampled


def test_streams_may_start_once_the_columns_are_known(frame, tmp_path):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    seen = []
    streams = _StreamedFits()

    def start(n_rows, columns, every_row):
        seen.append(columns)
        streams.start(
            {"minmax": MinMaxScaler(quantile_range=(5, 95)), "z": ZScoreScaler()}
        )

    with streams:
        sample_table(
            path, max_rows=20, chunksize=100, before_reading=start, on_chunk=streams
        )
    assert seen == [["x", "y"]]  # called once, with the feature names
    assert list(streams.fitted) == ["z"]  # percentiles cannot stream
    assert streams.fitted["z"].n_samples_seen_ == 300


def test_missing_targets_are_dropped_and_counted(frame, tmp_path):
    frame.loc[[3, 150, 299], "label"] = np.nan
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    table = sample_table(path, target="label", max_rows=100, chunksize=70)
    assert table.n_target_missing == 3 and table.n_rows == 297
    assert table.y.notna().all()


def test_text_after_numbers_names_the_row(tmp_path):
    path = tmp_path / "t.csv"
    values = [str(v % 7) for v in range(1, 151)]
    values[120] = "n/a?"
    pd.DataFrame({"a": np.arange(150.0) * 0.5, "b": values}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"column 'b' holds 'n/a\?' on row 121"):
        sample_table(path, max_rows=10, chunksize=100)


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        sample_table(tmp_path / "none.csv")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        read_table(tmp_path)
    odd = tmp_path / "t.xlsx"
    odd.write_text("x")
    with pytest.raises(ValueError, match="cannot tell the format"):
        read_table(odd)
    path = tmp_path / "t.csv"
    pd.DataFrame({"a": [1.5, 2.5], "t": ["u", "v"]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="no target column 'zz'"):
        sample_table(path, target="zz")
    with pytest.raises(ValueError, match="no numeric column"):
        sample_table(path, target="a")
    header = tmp_path / "h.csv"
    header.write_text("a,b\n")
    with pytest.raises(ValueError, match="has no rows"):
        sample_table(header)


def test_sample_table_returns_the_covariates_of_the_sampled_rows(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            # short decimals: pandas 2's default parser reads 17-digit
            # floats to within an ulp, and the rows are matched on "a"
            "a": np.round(rng.normal(size=500), 6),
            "b": rng.normal(size=500),
            "run": np.repeat(["r1", "r2"], 250),
            "age": rng.uniform(20, 80, size=500),
        }
    )
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    table = sample_table(path, max_rows=100, covariates=["run", "age"], chunksize=64)
    assert list(table.X.columns) == ["a", "b"]
    assert list(table.covariates.columns) == ["run", "age"]
    assert len(table.covariates) == len(table.X) == 100
    # each sampled row keeps its own covariates
    merged = table.X.reset_index(drop=True).join(table.covariates)
    original = frame.set_index(["a"]).loc[merged["a"]]
    assert (original["run"].to_numpy() == merged["run"].to_numpy()).all()
    assert np.allclose(original["age"].to_numpy(), merged["age"].to_numpy())


def _awkward_table():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "a": rng.normal(size=30),
            "bé": rng.normal(size=30) * 100,  # an accent: the encoding shows
            "label": ["p", "q", "r"] * 10,
        }
    )


def _written(kind, path):
    """The awkward table written as a person might hand it over."""
    import gzip
    import zipfile

    text = _awkward_table().to_csv(index=False)
    if kind == "utf-16":
        path.write_text(text, encoding="utf-16")
    elif kind == "utf-8 with a BOM":
        path.write_text(text, encoding="utf-8-sig")
    elif kind == "latin-1":
        path.write_text(text, encoding="latin-1")
    elif kind == "gzip named .csv":
        path.write_bytes(gzip.compress(text.encode()))
    elif kind == "parquet named .csv":
        pytest.importorskip("pyarrow")
        _awkward_table().to_parquet(path)
    elif kind == "one csv zipped":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("table.csv", text)
    return path


@pytest.mark.parametrize(
    ("kind", "note"),
    [
        ("utf-16", "is UTF-16 text: read as UTF-16."),
        ("utf-8 with a BOM", None),
        ("latin-1", "is not UTF-8: read as Latin-1 (ISO-8859-1)."),
        ("gzip named .csv", "is gzip-compressed: read as such."),
        ("parquet named .csv", "is a Parquet file (whatever its name): read as one."),
        ("one csv zipped", "is a ZIP archive: read table.csv."),
    ],
)
def test_files_are_read_as_what_their_first_bytes_say(tmp_path, kind, note):
    path = _written(kind, tmp_path / "table.csv")
    sample = sample_table(path, target="label")
    assert list(sample.X.columns) == ["a", "bé"]  # no BOM, no mojibake
    pd.testing.assert_frame_equal(
        sample.X.reset_index(drop=True),
        _awkward_table()[["a", "bé"]],
        check_exact=False,
        rtol=1e-12,
    )
    assert sample.y.tolist() == _awkward_table()["label"].tolist()
    if note is None:
        assert sample.layout_note is None
    else:
        assert sample.layout_note.startswith(f"table.csv {note}")


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("xlsx", "is an Excel workbook (.xlsx), not a table skscale reads: save it"),
        ("xls", "is an Excel workbook (.xls)"),
        ("hdf5", "is an HDF5 file, not a table skscale reads: if it holds an AnnData"),
        ("junk", "is not a text table: it holds binary data (first bytes"),
        ("zip of two", "is a ZIP archive of 2 files; expected one table"),
        ("not parquet", "is named as Parquet but is not a Parquet file"),
    ],
)
def test_files_that_are_not_tables_are_named(tmp_path, content, said):
    import zipfile

    path = tmp_path / ("t.parquet" if content == "not parquet" else "t.csv")
    if content == "xlsx":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("xl/workbook.xml", "<workbook/>")
    elif content == "zip of two":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("a.csv", "x\n1\n")
            archive.writestr("b.csv", "x\n2\n")
    elif content == "xls":
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    elif content == "hdf5":
        path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(500))
    elif content == "junk":
        path.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 2000)))
    else:
        path.write_text("a,b\n1,2\n", encoding="utf-8")
    for read in (read_table, sample_table):
        with pytest.raises(ValueError, match=re.escape(said)):
            read(path)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf_16_without_a_byte_order_mark_is_recognised(tmp_path, encoding):
    path = tmp_path / "t.csv"
    path.write_bytes(_awkward_table().to_csv(index=False).encode(encoding))
    sample = sample_table(path, target="label")
    assert list(sample.X.columns) == ["a", "bé"]
    assert "is UTF-16 text" in sample.layout_note


def _decimal_comma_file(path, sep, quote, chunks_of=None):
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=30), rng.normal(size=30) * 5000
    q = '"' if quote else ""
    rows = [sep.join(["a", "b", "thousands", "label"])]
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        cells = [
            f"{x:.4f}".replace(".", ","),
            f"{y:,.2f}".replace(",", " ").replace(".", ",").replace(" ", "."),
            f"{1000 + i:,}",  # "1,000": a comma that may group thousands
            "pq"[i % 2],
        ]
        rows.append(sep.join(q + c + q for c in cells))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return a, b


@pytest.mark.parametrize(("sep", "quote"), [(",", True), (";", False)])
@pytest.mark.parametrize("chunksize", [7, 100_000])
def test_decimal_commas_are_read_as_numbers(tmp_path, sep, quote, chunksize):
    path = tmp_path / "decimal.csv"
    a, b = _decimal_comma_file(path, sep, quote)
    sample = sample_table(
        path, target="label", sep=None if sep == "," else sep, chunksize=chunksize
    )
    np.testing.assert_allclose(sample.X["a"], np.round(a, 4), rtol=0, atol=1e-12)
    # "1.234,56": the dots group thousands
    np.testing.assert_allclose(sample.X["b"], np.round(b, 2), rtol=0, atol=1e-9)
    if sep == ",":
        # every comma followed by three digits, in a comma file: left as the
        # text it may be (the comma may group thousands)
        assert sample.decimal_commas == ["a", "b"]
        assert sample.left_out == {"thousands": "text"}
    else:  # with ; between columns, "1,000" is 1.000
        assert sample.decimal_commas == ["a", "b", "thousands"]
        np.testing.assert_allclose(sample.X["thousands"], (1000 + np.arange(30)) / 1000)


def test_a_later_value_that_is_no_number_is_named(tmp_path):
    path = tmp_path / "decimal.csv"
    _decimal_comma_file(path, ";", False)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[25] = "oops;" + lines[25].split(";", 1)[1]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"column 'a' holds 'oops' on row 25"):
        sample_table(path, target="label", sep=";", chunksize=7)


def test_a_target_written_with_decimal_commas_is_a_quantity(tmp_path):
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=30), rng.normal(size=30) * 3
    rows = ["x;y"] + [
        f"{a:.4f};{b:.3f}".replace(".", ",") for a, b in zip(x, y, strict=True)
    ]
    path = tmp_path / "target.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    sample = sample_table(path, target="y", sep=";")
    assert sample.y.dtype == np.float64
    np.testing.assert_allclose(sample.y, np.round(y, 3), atol=1e-12)
    assert sample.decimal_commas == ["x", "y"]


def _numbered_csv(path, n_rows):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=n_rows).round(6), "y": rng.integers(0, 9, n_rows)}
    )
    frame.to_csv(path, index=False)
    return frame


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_row_estimate_is_exact_on_a_small_file_and_close_on_a_large_one(
    tmp_path, compression
):
    from skscale.report._reading import _estimate_rows

    suffix = ".csv.gz" if compression else ".csv"
    small = tmp_path / f"small{suffix}"
    _numbered_csv(small, 1234).to_csv(small, index=False, compression=compression)
    assert _estimate_rows(small) == (1234, True)
    large = tmp_path / f"large{suffix}"
    # past the 4 MiB read: about 14 bytes a row, some 6 compressed
    n_rows = 2_000_000 if compression else 600_000
    _numbered_csv(large, n_rows).to_csv(large, index=False, compression=compression)
    rows, exact = _estimate_rows(large)
    assert not exact and abs(rows - n_rows) < 0.02 * n_rows


def test_row_estimate_of_parquet_is_its_metadata(tmp_path):
    pytest.importorskip("pyarrow")
    from skscale.report._reading import _estimate_rows

    path = tmp_path / "t.parquet"
    _numbered_csv(tmp_path / "t.csv", 777).to_parquet(path)
    assert _estimate_rows(path) == (777, True)


def test_progress_says_rows_of_how_many_and_the_time_left(tmp_path):
    path = tmp_path / "t.csv"
    _numbered_csv(path, 1000)
    messages = []
    sample_table(path, max_rows=100, chunksize=300, progress=messages.append)
    assert messages[0].startswith("read 300 of 1,000 rows (30%; about ")
    assert messages[0].endswith(" left)")
    assert messages[-1] == "read 1,000 rows"


def test_before_reading_sees_the_size_and_can_stop_the_read(tmp_path):
    path = tmp_path / "t.csv"
    _numbered_csv(path, 1000)
    seen, messages = [], []

    def refuse(n_rows, features, every_row):
        seen.append((n_rows, features, every_row))
        raise MemoryError("too large")

    with pytest.raises(MemoryError, match="too large"):
        sample_table(
            path,
            max_rows=0,
            chunksize=300,
            progress=messages.append,
            before_reading=refuse,
        )
    assert seen == [(1000, ["x", "y"], True)]
    assert messages == []  # stopped after the first chunk, before any more
    sample_table(path, max_rows=50, before_reading=lambda *size: seen.append(size))
    assert seen[-1] == (1000, ["x", "y"], False)


def test_every_row_is_kept_in_file_order(frame, tmp_path):
    path = tmp_path / "t.csv"
    big = pd.concat([frame] * 7, ignore_index=True)
    big.to_csv(path, index=False)
    table = sample_table(path, target="label", max_rows=0, chunksize=13)
    # "row" repeats once the frame is stacked: a feature, not an identifier
    expected = big[["row", "x", "y"]].astype("float64")
    pd.testing.assert_frame_equal(table.X.reset_index(drop=True), expected)
    assert table.y.tolist() == big["label"].tolist()
