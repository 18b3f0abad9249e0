import html
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from skscale.cli import main
from skscale.preprocessing import ZScoreScaler


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


def _report_on(frame, tmp_path, capsys, *options, index=False):
    """Write ``frame`` to a CSV, run ``skscale report`` on it with a target
    column named "target"; returns the exit code, stdout, stderr and page."""
    data = tmp_path / "table.csv"
    frame.to_csv(data, index=index)
    out = tmp_path / "r.html"
    code, stdout, stderr = _run(
        ["report", str(data), "--target", "target", *options, "--out", str(out)],
        capsys,
    )
    page = out.read_text(encoding="utf-8") if out.exists() else ""
    return code, stdout, stderr, page


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
    assert "'block_mfa': scaling and diagnostics" in stderr  # progress on stderr
    page = out.read_text(encoding="utf-8")
    assert "Left out, not numeric: site (text)." in page
    assert "PC1 from genes" in page and "data:image/png;base64," in page
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
    assert ">zscore" in page and ">robust" not in page


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
        (
            lambda d: ["report", str(d), "--scalers", "zscore,magic"],
            "Unknown candidate scaler 'magic'",
        ),
        (
            lambda d: ["report", str(d), "--scalers", "block_mfa"],
            "add --block NAME=REGEX",
        ),
        (
            lambda d: ["report", str(d), "--out", str(d.parent / "no" / "r.html")],
            "does not exist",
        ),
        (
            lambda d: ["report", str(d), "--target", "label", "--scoring", "nope"],
            "scoring='nope'",
        ),
        (
            lambda d: [
                "report",
                str(d),
                "--target",
                "gene_1",
                "--estimator",
                "logistic",
            ],
            "needs a class target",
        ),
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
    big = pd.concat([table] * 5, ignore_index=True)  # 300 rows
    big["gene_1"] += np.arange(len(big))  # a trend: a sample has a different mean
    data = tmp_path / f"big{suffix}"
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
        big.to_parquet(data)
    else:
        big.to_csv(data, index=False)
    out = tmp_path / "r.html"
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
    assert "300 rows (50 sampled)" in page
    assert "Sample: 50 of 300 rows" in page
    assert "one chunked pass over all 300 rows" in page
    assert "; robust (no partial_fit) is fitted on the sample" in page
    # the sample note comes before the verdict
    assert page.index("Sample: 50 of 300 rows") < page.index('id="verdict"')


def test_max_rows_must_be_sensible(table, tmp_path, capsys):
    data = tmp_path / "t.csv"
    table.to_csv(data, index=False)
    code, _, stderr = _run(["report", str(data), "--max-rows", "1"], capsys)
    assert code == 2 and "expected 3 or more (0 for every row)" in stderr


def test_diabetes_whole_number_target_is_a_regression(tmp_path, capsys):
    from sklearn.datasets import load_diabetes

    diabetes = load_diabetes(as_frame=True, scaled=False).frame
    data = tmp_path / "diabetes.csv"
    diabetes.to_csv(data, index=False)
    out = tmp_path / "r.html"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "least populated class" warnings
        code, stdout, stderr = _run(
            ["report", str(data), "--target", "target", "--out", str(out)], capsys
        )
    assert code == 0, stderr
    assert "Metric: R^2" in stdout
    assert "least populated" not in stderr
    page = out.read_text(encoding="utf-8")
    assert "R^2 (cross-validated)" in page and "KNeighborsRegressor" in page
    # any scikit-learn scorer, named on stdout
    code, stdout, _ = _run(
        [
            "report",
            str(data),
            "--target",
            "target",
            "--task",
            "regression",
            "--scoring",
            "neg_mean_absolute_error",
            "--scalers",
            "none,zscore",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0 and "Metric: negative mean absolute error" in stdout


@pytest.mark.parametrize("max_rows", [None, "40"])
def test_missing_values_and_targets(table, tmp_path, capsys, max_rows):
    holes = table.copy()
    holes.loc[[1, 7, 30], "gene_1"] = np.nan
    holes.loc[[4, 11], "label"] = np.nan
    data = tmp_path / "holes.csv"
    holes.to_csv(data, index=False)
    out = tmp_path / "r.html"
    argv = ["report", str(data), "--target", "label", "--out", str(out)]
    if max_rows:
        argv += ["--max-rows", max_rows]
    code, _, stderr = _run(argv, capsys)
    assert code == 0, stderr
    assert "failed" not in stderr
    page = out.read_text(encoding="utf-8")
    assert "2 rows with a missing target were left out." in page
    assert "cells are missing" in page and "inside each fold" in page


def test_identifier_text_and_date_columns_are_named_at_the_top(tmp_path, capsys):
    from sklearn.datasets import load_breast_cancer

    cancer = load_breast_cancer(as_frame=True).frame
    cancer["visit"] = pd.date_range("2020-01-01", periods=len(cancer)).astype(str)
    cancer["site"] = np.where(np.arange(len(cancer)) % 2, "oslo", "lima")
    # with the index: an "Unnamed: 0" column of row numbers
    code, _, stderr, page = _report_on(
        cancer, tmp_path, capsys, "--scalers", "none,zscore,minmax", index=True
    )
    assert code == 0, stderr
    top = page[: page.index('id="verdict"')]
    assert "Left out as identifiers (a different whole number on every row): " in top
    assert "Unnamed: 0" in top
    assert "visit (dates)" in top and "site (text)" in top
    assert "30 numeric columns" in top


def test_one_numeric_column_says_there_is_nothing_to_compare(tmp_path, capsys):
    data = tmp_path / "one.csv"
    pd.DataFrame({"x": [1.0, 5.0, 2.0, 8.0], "name": list("abcd")}).to_csv(
        data, index=False
    )
    out = tmp_path / "r.html"
    code, stdout, _ = _run(["report", str(data), "--out", str(out)], capsys)
    assert code == 0
    assert "one numeric column ('x')" in stdout and "nothing to compare" in stdout
    assert "Nothing to compare." in out.read_text(encoding="utf-8")


def test_sep_version_and_scaler_help(tmp_path, capsys, table):
    data = tmp_path / "semi.csv"
    table.to_csv(data, sep=";", index=False)
    out = tmp_path / "r.html"
    code, _, stderr = _run(
        [
            "report",
            str(data),
            "--sep",
            ";",
            "--scalers",
            "zscore,vast,level,range",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, stderr
    page = out.read_text(encoding="utf-8")
    assert all(f">{name}" in page for name in ("vast", "level", "range"))
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("skscale ")
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for name in ("vast", "level", "range", "block_mfa", "robust", "pareto"):
        assert name in help_text


def test_out_folder_is_checked_before_reading(tmp_path, capsys, table):
    data = tmp_path / "t.csv"
    table.to_csv(data, index=False)
    code, _, stderr = _run(
        ["report", str(data), "--out", str(tmp_path / "missing" / "r.html")], capsys
    )
    assert code == 2
    assert "reading" not in stderr  # nothing was computed
    assert "the folder" in stderr and "does not exist" in stderr


def test_digits_with_constant_pixels(tmp_path, capsys):
    from sklearn.datasets import load_digits

    digits = load_digits(as_frame=True).frame
    code, stdout, stderr, page = _report_on(
        digits, tmp_path, capsys, "--scalers", "none,zscore,minmax"
    )
    assert code == 0, stderr
    assert "Metric: accuracy" in stdout
    assert "No condition-number picture" in page  # constant pixels: singular


def test_one_block_leaves_the_rest_in_a_block_of_its_own(table, tmp_path, capsys):
    data = tmp_path / "t.csv"
    table.to_csv(data, index=False)
    out = tmp_path / "r.html"
    code, _, stderr = _run(
        [
            "report",
            str(data),
            "--target",
            "label",
            "--block",
            "genes=^gene_",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, stderr
    assert "Block 'other': the 2 numeric columns that no --block pattern" in stderr
    page = out.read_text(encoding="utf-8")
    assert "PC1 from genes" in page and "PC1 from other" in page
    assert "Warning" not in stderr and "warnings.warn" not in stderr


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--target", "gene_1", "--task", "classification"], "59 classes for 60 rows"),
        (["--target", "gene_1", "--scoring", "accuracy"], "a classification metric"),
        (["--target", "label", "--scoring", "r2"], "a regression metric"),
    ],
)
def test_settings_that_cannot_work_are_refused(table, tmp_path, capsys, argv, message):
    data = tmp_path / "t.csv"
    table["gene_1"] = np.arange(len(table))  # whole numbers, one per row
    table["gene_1"] = table["gene_1"] % 59 + 0.0  # not an identifier: a quantity
    table.to_csv(data, index=False)
    code, _, stderr = _run(["report", str(data), *argv], capsys)
    assert code == 2
    errors = [line for line in stderr.splitlines() if line.startswith("skscale: error")]
    assert len(errors) == 1 and message in errors[0], stderr


def test_one_class_and_a_wrong_separator_are_explained(table, tmp_path, capsys):
    data = tmp_path / "t.csv"
    table.assign(label="a").to_csv(data, index=False)
    code, _, stderr = _run(["report", str(data), "--target", "label"], capsys)
    assert code == 2 and "The target has one class ('a')" in stderr
    semi = tmp_path / "semi.csv"
    table.to_csv(semi, sep=";", index=False)
    code, _, stderr = _run(["report", str(semi), "--target", "label"], capsys)
    assert code == 2 and "look separated by ';'" in stderr and "--sep ';'" in stderr


def test_without_a_target_the_page_says_so(table, tmp_path, capsys):
    data = tmp_path / "t.csv"
    table.rename(columns={"label": "target"}).assign(
        target=lambda t: t["gene_1"] > 5000
    ).drop(columns="site").assign(target=lambda t: t["target"].astype(int)).to_csv(
        data, index=False
    )
    out = tmp_path / "r.html"
    code, _, stderr = _run(["report", str(data), "--out", str(out)], capsys)
    assert code == 0, stderr
    page = out.read_text(encoding="utf-8")
    assert "No --target" in page and "pass --target target" in page
    assert "No --target" in stderr  # the notes are on the terminal too


def test_a_candidate_failing_on_the_sample_is_one_line(
    table, tmp_path, capsys, monkeypatch
):
    from skscale.preprocessing._candidates import _RobustScaler as RobustScaler

    def broken(self, X, y=None):
        raise RuntimeError("no luck\nmore")

    monkeypatch.setattr(RobustScaler, "fit", broken)
    big = pd.concat([table] * 3, ignore_index=True)
    code, _, stderr, page = _report_on(
        big.rename(columns={"label": "target"}), tmp_path, capsys, "--max-rows", "50"
    )
    assert code == 0, stderr
    assert "candidate 'robust' failed: RuntimeError: no luck" in stderr
    assert "Candidate robust failed: RuntimeError: no luck" in page
    assert "Use " in page


@pytest.mark.parametrize(
    "normalize", ["total", "pqn", "median_ratio", "clr", "quantile"]
)
def test_normalize_puts_the_normaliser_before_every_candidate(
    normalize, tmp_path, capsys
):
    from skscale.datasets import make_multiomics

    table = make_multiomics(n_samples=45, n_genes=30, random_state=0, dilution=0.6)
    frame = table.data.assign(target=table.target)
    code, stdout, stderr, page = _report_on(
        frame, tmp_path, capsys, "--normalize", normalize, "--scalers", "zscore,pareto"
    )
    assert code == 0, stderr
    assert "Every candidate runs after" in page
    assert f"--normalize {normalize}" in page
    assert f"{normalize} only" in page  # the normalisation alone, not "none"
    assert "<td>none" not in page
    assert "Recommended scaler:" in stdout


def test_normalize_keeps_the_blocks_named_by_pattern(tmp_path, capsys):
    # the normaliser hands an array to BlockScaler: the blocks found by name
    # must still reach it (they failed as "X has no column names")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.poisson(5, (60, 6)).astype(float),
        columns=["g_1", "g_2", "g_3", "m_1", "m_2", "m_3"],
    )
    frame["target"] = rng.normal(size=60)
    code, _, stderr, page = _report_on(
        frame,
        tmp_path,
        capsys,
        "--normalize",
        "total",
        "--block",
        "g=^g_",
        "--block",
        "m=^m_",
    )
    assert code == 0, stderr
    assert "failed" not in stderr
    assert "block_mfa" in page


def test_log_puts_log1p_after_the_normaliser(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.negative_binomial(2, 0.1, (60, 8)).astype(float)
    frame = pd.DataFrame(X, columns=[f"g{j}" for j in range(8)])
    frame["target"] = np.arange(60) % 2
    code, _, stderr, page = _report_on(
        frame, tmp_path, capsys, "--normalize", "total", "--log", "--scalers", "zscore"
    )
    assert code == 0, stderr
    assert "then LogTransformer() (--log)" in page
    assert "total + log1p only" in page
    code, _, stderr, page = _report_on(
        frame, tmp_path, capsys, "--log", "--scalers", "zscore"
    )
    assert code == 0, stderr
    assert "&#x27;log1p only&#x27; is the log alone" in page


def test_log_of_values_at_or_below_minus_one_names_the_column(tmp_path, capsys):
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.5, -1.5, 2.0, 1.0]})
    frame["target"] = [0, 1, 0, 1]
    code, _, stderr, _ = _report_on(frame, tmp_path, capsys, "--log")
    assert code == 2
    assert (
        "skscale: error: --log: Negative values in data passed to LogTransformer"
        in stderr
    )
    assert "column 'b'" in stderr


def test_one_empty_row_is_warned_of_once(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.poisson(2, (120, 8)).astype(float)
    X[5] = 0
    frame = pd.DataFrame(X, columns=[f"g{j}" for j in range(8)])
    frame["target"] = np.arange(120) % 2
    code, _, stderr, page = _report_on(frame, tmp_path, capsys, "--normalize", "total")
    assert code == 0, stderr
    warned = [line for line in stderr.splitlines() if "warned" in line.split("/")[0]]
    assert len(warned) == 2, warned
    assert "leaves row 5 unchanged (1 of 120)" in warned[0]
    assert warned[1].startswith("skscale: candidates 'zscore', 'minmax'")
    assert page.count("TotalSumNormalizer leaves row") == 1


def test_normalize_with_a_negative_table_names_the_column(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    frame["target"] = np.arange(30) % 2
    code, _, stderr, _ = _report_on(frame, tmp_path, capsys, "--normalize", "pqn")
    assert code == 2
    errors = [line for line in stderr.splitlines() if "error" in line]
    assert errors == [
        "skscale: error: --normalize pqn: Negative values in data passed to "
        "PQNormalizer, in column 'a' (index 0), column 'b' (index 1), column 'c' "
        "(index 2); expected non-negative quantities (counts, intensities, "
        "concentrations)."
    ]


def test_covariates_are_left_out_of_the_features_and_reported(tmp_path, capsys):
    from skscale.datasets import make_multiomics

    table = make_multiomics(n_samples=45, n_genes=20, random_state=2, n_batches=3)
    frame = table.data.assign(target=table.target, run=table.batch)
    code, _, stderr, page = _report_on(
        frame, tmp_path, capsys, "--covariate", "run", "--scalers", "zscore"
    )
    assert code == 0, stderr
    assert "PC1 from run" in page
    assert "Covariate &#x27;run&#x27; explains" in page
    assert "Left out, not numeric: run" not in page  # a covariate, not dropped


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--covariate", "nope"], "--covariate: no column 'nope'"),
        (["--covariate", "targe"], "did you mean 'target'?"),
        (["--covariate", "target"], "--covariate target: that column is the --target"),
        (["--batch", "bb"], "--batch: no column 'bb'; did you mean 'b'?"),
        (["--batch", "target"], "--batch target: that column is the --target"),
    ],
)
def test_covariate_refusals(argv, message, tmp_path, capsys):
    frame = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) ** 2})
    frame["target"] = np.arange(20) % 2
    code, _, stderr, _ = _report_on(frame, tmp_path, capsys, *argv)
    assert code == 2 and message in stderr


def test_example_covariates(tmp_path, capsys):
    out = tmp_path / "r.html"
    code, _, stderr = _run(
        ["report", "--example", "nutrimouse", "--covariate", "diet", "--out", str(out)],
        capsys,
    )
    assert code == 0, stderr
    assert "PC1 from diet" in out.read_text(encoding="utf-8")
    code, _, stderr = _run(
        ["report", "--example", "wine", "--covariate", "diet", "--out", str(out)],
        capsys,
    )
    assert code == 2 and "the wine example has no such column" in stderr


def test_batch_scales_each_batch_and_reports_it(tmp_path, capsys):
    from skscale.datasets import make_multiomics

    table = make_multiomics(
        n_samples=60, n_genes=20, random_state=2, n_batches=3, batch_effect=1.5
    )
    frame = table.data.assign(target=table.target, run=table.batch)
    code, _, stderr, page = _report_on(
        frame,
        tmp_path,
        capsys,
        "--batch",
        "run",
        "--scalers",
        "zscore",
        "--max-rows",
        "40",
    )
    assert code == 0, stderr
    assert "Every candidate scales each batch of &#x27;run&#x27;" in page
    assert "PC1 from run" in page
    assert "with --batch every candidate is fitted on the sample" in page


def test_batch_on_an_example_is_refused(tmp_path, capsys):
    code, _, stderr = _run(
        [
            "report",
            "--example",
            "wine",
            "--batch",
            "x",
            "--out",
            str(tmp_path / "r.html"),
        ],
        capsys,
    )
    assert code == 2 and "the wine example has no batches" in stderr


def _counts_frame(n=80, p=30, seed=2):
    rng = np.random.default_rng(seed)
    depth = rng.uniform(0.3, 3.0, n)[:, None]  # library sizes differ by 10x
    X = rng.poisson(depth * rng.gamma(0.5, 4.0, p))
    frame = pd.DataFrame(X, columns=[f"gene{j}" for j in range(p)])
    frame["target"] = np.arange(n) % 2
    return frame


def test_hvg_keeps_the_most_variable_columns_in_each_fold(tmp_path, capsys):
    frame = _counts_frame()
    code, _, stderr, page = _report_on(
        frame,
        tmp_path,
        capsys,
        "--normalize",
        "total",
        "--log",
        "--hvg",
        "10",
        "--scalers",
        "none,zscore",
    )
    assert code == 0, stderr
    assert "failed" not in stderr
    assert "HighlyVariableGenes(n_top_genes=10) (--hvg 10)" in page
    assert "total + log1p + hvg 10 only" in page
    # asked for steps: no count candidates are added on top
    assert "total + log1p + zscore" not in page


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--hvg", "0"], "--hvg 0: expected a number of genes, 1 or more"),
        (
            ["--hvg", "5", "--block", "a=gene1"],
            "--hvg with --block: the genes kept are chosen in each fold",
        ),
        (
            ["--hvg", "5", "--batch", "site"],
            "--hvg with --batch: each batch would keep its own genes",
        ),
    ],
)
def test_hvg_refuses_what_it_cannot_do_in_one_line(options, message, tmp_path, capsys):
    frame = _counts_frame()
    frame["site"] = np.tile(["a", "b"], len(frame) // 2)
    code, _, stderr, page = _report_on(frame, tmp_path, capsys, *options)
    assert code == 2
    assert stderr.strip().splitlines()[-1].startswith(f"skscale: error: {message}")
    assert page == ""


def test_a_count_table_is_said_to_be_one_and_gets_count_candidates(tmp_path, capsys):
    frame = _counts_frame()
    code, _, stderr, page = _report_on(frame, tmp_path, capsys)
    assert code == 0, stderr
    assert "The table looks like counts: every value in its 30 columns" in stderr
    for name in ("total + log1p", "total + log1p + zscore", "zscore", "none"):
        assert _has_row(page, name), name
    # with chosen candidates, only the advice
    code, _, stderr, page = _report_on(frame, tmp_path, capsys, "--scalers", "zscore")
    assert code == 0, stderr
    assert "--normalize total --log runs every candidate" in stderr
    assert not _has_row(page, "total + log1p")


def _has_row(page, name):
    """Whether the candidates table of ``page`` has a row for ``name``."""
    return re.search(f"<td>{re.escape(name)}( \\(| &#9733;|</td>)", page) is not None


def test_count_candidates_are_fitted_on_the_sample_too(tmp_path, capsys):
    frame = _counts_frame(n=400)
    code, _, stderr, page = _report_on(frame, tmp_path, capsys, "--max-rows", "200")
    assert code == 0, stderr
    assert "failed" not in stderr
    assert _has_row(page, "total + log1p + zscore")


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.assign(gene0=f["gene0"] + 0.5),  # a fraction
        lambda f: f.assign(gene0=f["gene0"] - 3),  # negative
        lambda f: f[[*f.columns[:8], "target"]],  # too few columns for counts
        lambda f: f.assign(**{c: (f[c] > 0).astype(int) for c in f.columns[:-1]}),
    ],
    ids=["fraction", "negative", "few columns", "flags"],
)
def test_tables_that_are_not_counts_get_no_count_note(change, tmp_path, capsys):
    code, _, stderr, page = _report_on(change(_counts_frame()), tmp_path, capsys)
    assert code == 0, stderr
    assert "looks like counts" not in stderr
    assert not _has_row(page, "total + log1p")


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("\x1b[31mRED\x1b]0;pwned\x07", "\\x1b[31mRED\\x1b]0;pwned\\x07"),
        ("nul\x00byte", "nul"),  # pandas' reader ends a name at a NUL byte
        ("two\nlines", "two\\nlines"),
        ("\u202eevil", "\\u202eevil"),
        ("poids\xa0total", "poids\xa0total"),  # a space of any width stays
    ],
    ids=["ansi-and-title", "nul", "newline", "rtl-override", "no-break-space"],
)
def test_user_strings_reach_the_terminal_printable(tmp_path, capsys, hostile, shown):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=40),
            "b": rng.normal(size=40) * 100,
            hostile: ["x", "y"] * 20,  # text: "Left out, not numeric: ..."
            "target": ["p", "q"] * 20,
        }
    )
    code, stdout, stderr, page = _report_on(frame, tmp_path, capsys)
    assert code == 0, stderr
    printed = stdout + stderr
    assert f"Left out, not numeric: {shown}" in stderr
    for raw in ("\x1b", "\x07", "\x00", "\u202e"):
        assert raw not in printed
    assert not any(line.startswith("lines") for line in printed.splitlines())
    # on the page too: a bidirectional override cannot reverse what follows
    assert "\u202e" not in page and "\x1b" not in page
    # (a line break is whitespace in HTML, and stays one)
    assert html.escape(shown.replace("\\n", "\n")) in page


def test_block_patterns_match_anywhere_in_a_name(tmp_path, capsys):
    # a pattern without ^ finds the columns whose names hold it in the
    # middle (re.search): a re.match would find no column and refuse
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            name: rng.normal(size=40) * scale
            for name, scale in (
                ("C16.0", 10.0),
                ("C18.0", 20.0),
                ("C16.1", 5.0),
                ("gene_a", 0.1),
                ("gene_b", 0.2),
            )
        }
    )
    frame["target"] = ["p", "q"] * 20
    code, _, stderr, page = _report_on(
        frame,
        tmp_path,
        capsys,
        "--block",
        "lipids=16",
        "--block",
        r"stearic=18\.0$",
        "--block",
        "genes=ne_",
    )
    assert code == 0, stderr
    assert "no --block pattern matches" not in stderr  # every column placed
    for block in ("lipids", "stearic", "genes"):
        assert f"PC1 from {block}" in page
    cells = re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td>", page)
    assert {"lipids": "2", "stearic": "1", "genes": "2"}.items() <= dict(cells).items()


def test_repeated_header_names_are_said_first(tmp_path, capsys):
    rng = np.random.default_rng(2)
    rows = [",".join(["a", "a", "b", "b", "label"])] + [
        ",".join(f"{v:.4f}" for v in rng.normal(size=4) * [1, 10, 100, 1000])
        + (",p" if i % 2 else ",q")
        for i in range(40)
    ]
    data = tmp_path / "dup.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "r.html"
    code, _, stderr = _run(
        ["report", str(data), "--target", "label", "--out", str(out)], capsys
    )
    assert code == 0, stderr
    said = (
        "The header repeats column names: 'a' 2 times, read as 'a', 'a.1'; "
        "'b' 2 times, read as 'b', 'b.1'."
    )
    assert said in stderr
    page = out.read_text(encoding="utf-8")
    notes = page[page.index("<ul") :]
    # first among the notes at the top of the page
    assert notes.index("The header repeats column names") < notes.index("</li>")


def test_unique_headers_and_parquet_say_nothing(tmp_path):
    from skscale.report._reading import renamed_headers

    plain = tmp_path / "plain.csv"
    plain.write_text("a,a.1,b\n1,2,3\n", encoding="utf-8")  # a.1 is its own name
    assert renamed_headers(plain) == {}
    tab = tmp_path / "t.tsv"
    tab.write_text("x\tx\n1\t2\n", encoding="utf-8")
    assert renamed_headers(tab) == {"x.1": "x"}


@pytest.fixture
def awkward(tmp_path):
    """60 rows: numbers, a class target, an empty column and dates."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=60),
            "b": rng.normal(size=60) * 100,
            "c": rng.normal(size=60),
            "y": ["p", "q", "r"] * 20,
            "nan_y": np.nan,
            "when": pd.date_range("2020-01-01", periods=60).astype(str),
        }
    )
    path = tmp_path / "awkward.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (
            ["--target", "nan_y"],
            "the target column 'nan_y' has no values: all 60 rows are empty",
        ),
        (
            ["--target", "when"],
            "--target when: the column holds dates ('2020-01-01', ...)",
        ),
        (
            ["--target", "y", "--max-rows", "3"],
            "The sample holds 3 rows (--max-rows 3): 5-fold cross-validation needs "
            "at least 5 rows of each class; raise --max-rows.",
        ),
        (
            ["--target", "y", "--sep", ""],
            "--sep '': expected one character, such as ',' or ';' or a tab",
        ),
        (["--target", "y", "--sep", ",,"], "--sep ',,': expected one character"),
    ],
    ids=["all-missing-target", "date-target", "sample-too-small", "empty-sep", "sep"],
)
def test_awkward_targets_and_options_get_one_clear_line(
    awkward, tmp_path, capsys, options, said
):
    out = tmp_path / "r.html"
    code, _, stderr = _run(
        ["report", str(awkward), *options, "--out", str(out)], capsys
    )
    assert code != 0
    errors = [line for line in stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and said in errors[0], stderr
    assert "Found array with 0 sample" not in stderr and "Py_UCS4" not in stderr
    assert not out.exists()


def test_a_tab_typed_as_backslash_t_is_a_tab(tmp_path, capsys):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(40, 3)) * [1, 10, 100], columns=list("abc"))
    frame["label"] = ["p", "q"] * 20
    data = tmp_path / "t.txt"  # a name that does not say TSV
    frame.to_csv(data, sep="\t", index=False)
    out = tmp_path / "r.html"
    code, _, stderr = _run(
        ["report", str(data), "--target", "label", "--sep", "\\t", "--out", str(out)],
        capsys,
    )
    assert code == 0, stderr
    assert "python' engine" not in stderr and "Falling back" not in stderr


def test_a_latin_1_file_is_read_and_the_page_says_how(tmp_path, capsys):
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {"poids": rng.normal(size=40), "taille_é": rng.normal(size=40) * 50}
    )
    frame["label"] = ["p", "q"] * 20
    data = tmp_path / "latin.csv"
    data.write_text(frame.to_csv(index=False), encoding="latin-1")
    out = tmp_path / "r.html"
    code, _, stderr = _run(
        ["report", str(data), "--target", "label", "--out", str(out)], capsys
    )
    assert code == 0, stderr
    page = out.read_text(encoding="utf-8")
    assert "latin.csv is not UTF-8: read as Latin-1 (ISO-8859-1)." in page
    assert "taille_é" in page


@pytest.mark.parametrize(("sep", "options"), [(",", []), (";", ["--sep", ";"])])
def test_decimal_commas_are_compared_not_dropped(tmp_path, capsys, sep, options):
    # quoted "1,5" in a comma file, and 1,5 in a ;-separated one: both gave
    # "nothing to compare" or "no numeric column" before
    rng = np.random.default_rng(6)
    rows = [sep.join(["a", "b", "c", "label"])]
    for i in range(40):
        values = rng.normal(size=3) * [1, 10, 100]
        # three decimals are taken as decimals in a ;-separated file only
        digits = 4 if sep == "," else 3
        cells = [f"{v:.{digits}f}".replace(".", ",") for v in values]
        cells = [f'"{c}"' for c in cells] if sep == "," else cells
        rows.append(sep.join([*cells, "pq"[i % 2]]))
    data = tmp_path / "eu.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "r.html"
    code, stdout, stderr = _run(
        ["report", str(data), "--target", "label", *options, "--out", str(out)],
        capsys,
    )
    assert code == 0, stderr
    assert "By the diagnostics alone:" in stdout  # random labels: no signal
    said = "Numbers written with a decimal comma (\"1,5\") in 'a', 'b', 'c'"
    assert said in stderr
    assert "Nothing to compare" not in out.read_text(encoding="utf-8")


def test_classes_with_one_row_are_said_and_the_folds_stay_valid(tmp_path, capsys):
    # mtcars' carb: 7, 10, 3, 10 cars and a single car with 6 and with 8
    rng = np.random.default_rng(8)
    carb = [1] * 7 + [2] * 10 + [3] * 3 + [4] * 10 + [6, 8]
    frame = pd.DataFrame(rng.normal(size=(32, 3)) * [1, 10, 100], columns=list("abc"))
    frame["target"] = carb
    code, _, stderr, page = _report_on(frame, tmp_path, capsys)
    assert code == 0, stderr
    said = "2 of the target's classes have a single row (6, 8)"
    assert said in stderr
    assert html.escape(said[0].upper() + said[1:]) in page
    assert "The least populated class" not in stderr  # scikit-learn's, unexplained


def test_a_small_smallest_class_gets_fewer_folds_and_says_so(tmp_path, capsys):
    rng = np.random.default_rng(9)
    frame = pd.DataFrame(rng.normal(size=(40, 3)) * [1, 10, 100], columns=list("abc"))
    frame["target"] = ["p"] * 20 + ["q"] * 17 + ["r"] * 3
    code, _, stderr, page = _report_on(frame, tmp_path, capsys)
    assert code == 0, stderr
    said = (
        "the smallest class of the target ('r') has 3 rows: 3-fold "
        "cross-validation, so that every fold holds one."
    )
    assert said in stderr
    assert html.escape("The smallest class of the target ('r') has 3 rows") in page


def test_a_file_that_stops_being_utf_8_late_says_so(tmp_path, capsys):
    # the encoding is read from the first 64 KiB: a Latin-1 byte far below
    # them is said in one line, not as a codec's traceback
    rows = ["a,b,target"] + [f"{i},{i % 7},{'pq'[i % 2]}" for i in range(20_000)]
    rows[-1] = "1,2,caf\xe9"
    data = tmp_path / "late.csv"
    data.write_bytes("\n".join(rows).encode("latin-1"))
    out = tmp_path / "r.html"
    code, _, stderr = _run(
        ["report", str(data), "--target", "target", "--out", str(out)], capsys
    )
    assert code == 2
    assert "it is UTF-8 at first but not throughout" in stderr
    assert not out.exists()


# --- folds that respect time and groups -------------------------------------


def _economics(n=120, shuffled=False):
    """economics' shape: a monthly date column orders the rows, and the
    target follows time."""
    rng = np.random.default_rng(11)
    t = np.arange(n)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("1967-07-01", periods=n, freq="MS").strftime(
                "%Y-%m-%d"
            ),
            "pce": t * 10 + rng.normal(size=n) * 50,
            "pop": 200_000 + t * 200 + rng.normal(size=n) * 100,
            "psavert": rng.normal(8, 2, n),
        }
    )
    frame["target"] = t * 20 + rng.normal(size=n) * 200
    return frame.sample(frac=1, random_state=0) if shuffled else frame


def test_a_date_that_orders_the_rows_is_said_and_time_folds_are_offered(
    tmp_path, capsys
):
    code, stdout, stderr, page = _report_on(
        _economics(), tmp_path, capsys, "--estimator", "ridge"
    )
    assert code == 0, stderr
    said = (
        "The date column 'date' orders the rows (1967-07-01 to 1977-06-01): "
        "shuffled folds train on later rows to score earlier ones"
    )
    assert said in stderr and said in html.unescape(page)
    assert "Pass --cv time" in stderr
    code, stdout, stderr, page = _report_on(
        _economics(), tmp_path, capsys, "--estimator", "ridge", "--cv", "time"
    )
    assert code == 0, stderr
    assert "Time-ordered folds (--cv time): 'date' orders the rows" in stderr
    assert "time-ordered cross-validation (5 splits" in stdout
    assert "shuffled folds train on later rows" not in page
    # rows in no date order: nothing to say, and --cv time keeps the file order
    code, _, stderr, _ = _report_on(
        _economics(shuffled=True), tmp_path, capsys, "--estimator", "ridge"
    )
    assert code == 0, stderr
    assert "orders the rows" not in stderr


def test_time_folds_train_on_the_past_only():
    from skscale.diagnostics import compare_scalers
    from skscale.report._analysis import _time_folds

    frame = _economics()
    X, y = frame[["pce", "pop", "psavert"]], frame["target"]
    folds = _time_folds(len(X))
    for train, test in folds.split(X):
        assert train.max() < test.min()
    comparison = compare_scalers(
        X, y, estimator=Ridge(), cv=folds, scalers={"zscore": ZScoreScaler()}
    )
    assert comparison.cv_description.startswith("time-ordered cross-validation")
    assert comparison.fold_scores.shape == (1, 5)


def _repeated_countries(n_countries=30, years=6):
    """hfi's shape: each country seen in several years, its rows alike."""
    rng = np.random.default_rng(12)
    rows = []
    for i in range(n_countries):
        base = rng.normal(size=3)
        for _ in range(years):
            x = base + rng.normal(scale=0.2, size=3)
            rows.append(
                {
                    "country": f"country {i}",
                    "a": x[0],
                    "b": x[1] * 100,
                    "c": x[2] * 1000,
                    "target": base.sum() + rng.normal(scale=0.1),
                }
            )
    return pd.DataFrame(rows)


def test_grouped_folds_keep_each_group_on_one_side(tmp_path, capsys):
    from skscale.diagnostics import compare_scalers

    frame = _repeated_countries()
    code, stdout, stderr, page = _report_on(
        frame, tmp_path, capsys, "--estimator", "ridge", "--groups", "country"
    )
    assert code == 0, stderr
    assert "5-fold cross-validation by group" in stdout
    assert "by group (no group is both trained and tested on)" in page
    assert "'country'" not in stderr.split("Left out")[-1]  # not a left-out column
    groups = frame["country"]
    comparison = compare_scalers(
        frame[["a", "b", "c"]],
        frame["target"],
        estimator=Ridge(),
        groups=groups,
        scalers={"zscore": ZScoreScaler()},
        random_state=0,
    )
    shuffled = compare_scalers(
        frame[["a", "b", "c"]],
        frame["target"],
        estimator=Ridge(),
        scalers={"zscore": ZScoreScaler()},
        random_state=0,
    )
    # the same country in training and test rows flatters the score
    assert (
        comparison.table.loc["zscore", "cv_score_mean"]
        < shuffled.table.loc["zscore", "cv_score_mean"]
    )


def test_grouped_folds_are_disjoint_by_group():
    from skscale.diagnostics._compare import grouped_cv

    groups = np.repeat(np.arange(12), 4)
    for task in ("classification", "regression"):
        y = groups % 2 if task == "classification" else groups * 1.5
        cv = grouped_cv(task, 12, 0)
        for train, test in cv.split(np.zeros((48, 1)), y, groups):
            assert not set(groups[train]) & set(groups[test])
    with pytest.raises(ValueError, match="needs at least 2 groups"):
        grouped_cv("regression", 1, 0)


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--groups", "nation"], "--groups: no column 'nation'"),
        (
            ["--groups", "country", "--cv", "time"],
            "--groups with --cv time: give one of them",
        ),
        (["--groups", "target"], "--groups target: that column is the --target"),
    ],
)
def test_bad_fold_options_get_one_line(tmp_path, capsys, options, said):
    code, _, stderr, _ = _report_on(
        _repeated_countries(), tmp_path, capsys, "--estimator", "ridge", *options
    )
    assert code != 0
    assert said in stderr


def test_fold_options_need_a_target_and_a_group_for_every_row(tmp_path, capsys):
    frame = _repeated_countries()
    data = tmp_path / "t.csv"
    frame.to_csv(data, index=False)
    for options in (["--groups", "country"], ["--cv", "time"]):
        code, _, stderr = _run(
            ["report", str(data), *options, "--out", str(tmp_path / "r.html")], capsys
        )
        assert code != 0 and "needs --target" in stderr
    frame.loc[[3, 40], "country"] = np.nan
    code, _, stderr, _ = _report_on(
        frame, tmp_path, capsys, "--estimator", "ridge", "--groups", "country"
    )
    assert code != 0
    assert "The groups 'country' is missing in 2 rows (positions [3, 40])" in stderr


def test_every_row_is_refused_before_reading_when_it_would_not_fit(
    table, tmp_path, capsys, monkeypatch
):
    import skscale.utils._memory as memory

    big = pd.concat([table] * 50, ignore_index=True)  # 3,000 rows
    data = tmp_path / "big.csv"
    big.to_csv(data, index=False)
    out = tmp_path / "r.html"
    argv = ["report", str(data), "--target", "label", "--max-rows", "0"]
    # 3,000 rows x 4 columns need about 300 MB and the base; 301 MB is free
    monkeypatch.setattr(memory, "available_memory", lambda: 301e6)
    code, stdout, stderr = _run([*argv, "--out", str(out)], capsys)
    assert code == 2 and not out.exists() and stdout == ""
    line = stderr.strip().splitlines()[-1]
    assert line.startswith(
        "skscale: error: --max-rows 0: every row of big.csv (about 3,000 rows x 4 "
        "columns) needs about 301 MB of memory and 301 MB is available; "
    ), line
    assert "no sample would fit" in line
    assert "read " not in stderr  # refused before the rest of the file
    monkeypatch.setattr(memory, "available_memory", lambda: 334e6)
    code, _, stderr = _run([*argv, "--out", str(out)], capsys)
    # 0.9 x 334 MB leaves 0.6 MB past the base: 1,875 rows of 5 x 64 bytes
    assert code == 2 and "--max-rows 1,800 would fit" in stderr
    # with room, it says what it will take, and runs
    monkeypatch.setattr(memory, "available_memory", lambda: 8e9)
    code, _, stderr = _run([*argv, "--out", str(out)], capsys)
    assert code == 0 and out.exists()
    assert (
        "every row: about 3,000 rows x 4 columns, about 301 MB of the 8.0 GB of "
        "memory available" in stderr
    )
    # a sample is not checked: it is small by construction
    monkeypatch.setattr(memory, "available_memory", lambda: 1.0)
    code, _, stderr = _run(
        ["report", str(data), "--target", "label", "--out", str(out)], capsys
    )
    assert code == 0 and "every row" not in stderr


def test_a_long_table_says_its_knn_columns_come_from_a_sample(
    table, tmp_path, capsys, monkeypatch
):
    import skscale.diagnostics._compare as compare

    monkeypatch.setattr(compare, "KNN_MAX_ROWS", 100)
    big = pd.concat([table] * 5, ignore_index=True)  # 300 rows
    big = big.rename(columns={"label": "target"})
    code, _, _, page = _report_on(big, tmp_path, capsys, "--max-rows", "0")
    page = html.unescape(page)
    assert code == 0
    assert (
        "k-NN columns: neighbours searched among 100 of the 300 rows, sampled at "
        "random; PCA and the cross-validation use every row." in page
    )
