import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skscale.cli import main


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    n = 60
    label = np.repeat(["a", "b", "c"], n // 3)
    return pd.DataFrame(
        {
            "gene_1": rng.normal(5000, 800, n) + (label == "a") * 50,
            "gene_2": rng.normal(9000, 1500, n),
            "met_1": rng.normal(20, 2, n) + (label == "b") * 6,
            "met_2": rng.normal(10, 1, n) + (label == "c") * 3,
            "site": np.tile(["oslo", "lima"], n // 2),
            "label": label,
        }
    )


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_report_on_a_csv_with_target_blocks_and_text_columns(table, tmp_path, capsys):
    data = tmp_path / "omics.csv"
    table.to_csv(data, index=False)
    out = tmp_path / "report.html"
    code, stdout, stderr = _run(
        [
            "report",
            str(data),
            "--target",
            "label",
            "--block",
            "genes=^gene_",
            "--block",
            "metabolites=^met_",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    assert f"Report written to {out.resolve()}" in stdout
    assert "Recommended scaler:" in stdout
    assert "scaling with 'block_mfa'" in stderr  # progress on stderr
    page = out.read_text(encoding="utf-8")
    assert "Left out, not numeric: site." in page
    assert "pc1_share[genes]" in page and "data:image/png;base64," in page
    assert "KNeighborsClassifier" in page


@pytest.mark.parametrize("suffix", [".tsv", ".parquet"])
def test_tsv_and_parquet(table, tmp_path, capsys, suffix):
    data = tmp_path / f"table{suffix}"
    if suffix == ".tsv":
        table.to_csv(data, sep="\t", index=False)
    else:
        pytest.importorskip("pyarrow")
        table.to_parquet(data)
    out = tmp_path / "r.html"
    code, _, _ = _run(
        ["report", str(data), "--scalers", "zscore,minmax", "--out", str(out)], capsys
    )
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert ">zscore<" in page and ">robust<" not in page


def test_regression_target_with_ridge(table, tmp_path, capsys):
    data = tmp_path / "t.csv"
    table.drop(columns="label").to_csv(data, index=False)
    out = tmp_path / "r.html"
    code, _, _ = _run(
        [
            "report",
            str(data),
            "--target",
            "met_1",
            "--estimator",
            "ridge",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    assert "Ridge" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("example", ["wine", "nutrimouse"])
def test_examples(example, tmp_path, capsys):
    out = tmp_path / f"{example}.html"
    code, stdout, _ = _run(["report", "--example", example, "--out", str(out)], capsys)
    assert code == 0
    assert out.exists() and "Recommended scaler" in stdout


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda d: ["report", "missing.csv"], "no such file: missing.csv"),
        (lambda d: ["report", str(d), "--target", "nope"], "no target column 'nope'"),
        (
            lambda d: ["report", str(d), "--block", "x=^zzz"],
            "matches no numeric column",
        ),
        (lambda d: ["report", str(d), "--block", "broken"], "expected NAME=REGEX"),
        (lambda d: ["report", str(d), "--block", "x=("], "bad regular expression"),
        (lambda d: ["report", str(d), "--scalers", "zscore,magic"], "unknown scaler"),
        (
            lambda d: ["report", str(d), "--estimator", "knn"],
            "--estimator needs --target",
        ),
        (lambda d: ["report"], "give a DATA file"),
        (lambda d: ["report", str(d), "--example", "wine"], "not both"),
        (lambda d: ["report", str(d.parent)], "is a folder"),
        (lambda d: ["report", str(d.with_suffix(".xlsx"))], "no such file"),
    ],
)
def test_errors_are_one_line_on_stderr(table, tmp_path, capsys, make_args, message):
    data = tmp_path / "t.csv"
    table.to_csv(data, index=False)
    code, _, stderr = _run(make_args(data), capsys)
    assert code != 0
    lines = [line for line in stderr.splitlines() if line.startswith("skscale: error")]
    assert len(lines) == 1 and message in lines[0]


def test_unknown_format_and_text_only_tables(tmp_path, capsys):
    odd = tmp_path / "data.xlsx"
    odd.write_text("not really")
    code, _, stderr = _run(["report", str(odd)], capsys)
    assert code == 2 and "cannot tell the format" in stderr
    words = tmp_path / "words.csv"
    pd.DataFrame({"a": ["x", "y", "z"], "b": ["u", "v", "w"]}).to_csv(
        words, index=False
    )
    code, _, stderr = _run(["report", str(words)], capsys)
    assert code == 2 and "no numeric column" in stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, stderr = _run(["report", str(empty)], capsys)
    assert code == 2 and "cannot read" in stderr


def test_python_dash_m_runs_the_command(tmp_path):
    out = tmp_path / "wine.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "skscale",
            "report",
            "--example",
            "wine",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.exists()
    bad = subprocess.run(
        [sys.executable, "-m", "skscale", "report", "nowhere.csv"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_max_rows_streams_statistics_and_samples_diagnostics(
    table, tmp_path, capsys, suffix
):
    from skscale import cli

    big = pd.concat([table] * 5, ignore_index=True)  # 300 rows
    big["gene_1"] += np.arange(len(big))  # a trend: a sample has a different mean
    data = tmp_path / f"big{suffix}"
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
        big.to_parquet(data)
    else:
        big.to_csv(data, index=False)
    out = tmp_path / "r.html"
    chunks = list(cli.iter_table_chunks(data, 70))
    assert [len(c) for c in chunks] == [70, 70, 70, 70, 20]
    assert chunks[-1].index[0] == 280
    args = cli._parser().parse_args(
        [
            "report",
            str(data),
            "--target",
            "label",
            "--max-rows",
            "50",
            "--out",
            str(out),
        ]
    )
    X, y, _, fitted, _, notes = cli._stream(args, chunksize=70)
    assert len(X) == 50 and len(y) == 50
    numeric = big.drop(columns=["label", "site"])
    # streamed statistics are those of the whole file, not of the sample
    np.testing.assert_allclose(fitted["zscore"].mean_, numeric.mean(), rtol=1e-12)
    np.testing.assert_allclose(fitted["minmax"].data_max_, numeric.max())
    assert "one chunked pass over all 300 rows" in notes[-2]
    assert "robust" in notes[-1]
    code, _, stderr = _run(
        [
            "report",
            str(data),
            "--target",
            "label",
            "--max-rows",
            "50",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0 and "read 300 rows" in stderr
    page = out.read_text(encoding="utf-8")
    assert "300 rows (50 sampled for the diagnostics)" in page


def test_max_rows_must_be_sensible(table, tmp_path, capsys):
    data = tmp_path / "t.csv"
    table.to_csv(data, index=False)
    code, _, stderr = _run(["report", str(data), "--max-rows", "1"], capsys)
    assert code == 2 and "expected 3 or more" in stderr
