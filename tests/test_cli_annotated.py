"""``skscale report`` on .h5ad and .h5mu files: cells read from disk, a sparse
matrix kept sparse, target, batch and covariates from obs, modalities as
blocks."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from skscale.cli import main

ad = pytest.importorskip("anndata")
md = pytest.importorskip("mudata")


def _cells(n=120, p=30, seed=0):
    rng = np.random.default_rng(seed)
    kind = np.tile(["T", "B"], n // 2)
    depth = rng.uniform(0.4, 2.5, n)[:, None]
    means = rng.gamma(0.6, 3.0, p) * np.where(np.arange(p) < 5, 4.0, 1.0)
    counts = rng.poisson(depth * means * np.where(kind[:, None] == "B", 1.8, 1.0))
    obs = pd.DataFrame(
        {"cell_type": kind, "sample": np.repeat(["s1", "s2", "s3"], n // 3)},
        index=[f"cell{i}" for i in range(n)],
    )
    adata = ad.AnnData(
        sp.csr_matrix(np.log1p(counts).astype(np.float32)),
        obs=obs,
        var=pd.DataFrame(index=[f"gene{j}" for j in range(p)]),
    )
    adata.layers["counts"] = sp.csr_matrix(counts.astype(np.float32))
    return adata


def _report(argv, tmp_path, capsys):
    out = tmp_path / "r.html"
    code = main(["report", *map(str, argv), "--out", str(out)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    page = out.read_text(encoding="utf-8") if out.exists() else ""
    return code, captured.out, captured.err, page


def test_report_on_an_h5ad_layer_with_target_and_batch(tmp_path, capsys):
    path = tmp_path / "cells.h5ad"
    _cells().write_h5ad(path)
    code, stdout, stderr, page = _report(
        [
            path,
            "--target",
            "cell_type",
            "--layer",
            "counts",
            "--batch",
            "sample",
            "--max-rows",
            "90",
        ],
        tmp_path,
        capsys,
    )
    assert code == 0, stderr
    assert "failed" not in stderr
    assert "Recommended scaler:" in stdout
    assert "Sample: 90 of 120 cells, drawn at random and read from the file" in page
    assert "layers[&#x27;counts&#x27;] of cells.h5ad, read as a sparse matrix" in page
    assert "The table looks like counts" in page
    # 90 x 30, half stored: held dense for the comparison, read sparse
    assert "The 90 cells read are held dense for the comparison" in page
    # the genes are named
    assert "gene" in page and ">x0<" not in page
    assert "total + log1p + zscore" in page
    assert "PC1 from sample" in page


def test_a_very_sparse_h5ad_stays_sparse_through_the_comparison(tmp_path, capsys):
    rng = np.random.default_rng(3)
    n, p = 200, 400
    X = sp.random(n, p, density=0.01, format="csr", random_state=3)
    X.data = np.ceil(X.data * 5.0)
    obs = pd.DataFrame(
        {"cell_type": rng.choice(["T", "B"], n)}, index=[f"c{i}" for i in range(n)]
    )
    path = tmp_path / "sparse.h5ad"
    ad.AnnData(X, obs=obs).write_h5ad(path)
    code, _, stderr, page = _report([path, "--target", "cell_type"], tmp_path, capsys)
    assert code == 0, stderr
    assert "failed" not in stderr
    assert "the candidates scale without centring, so that it stays sparse" in page
    assert "held dense" not in page
    assert "maxabs" in page and "total + log1p + zscore" in page


def test_report_on_an_h5mu_uses_the_modalities_as_blocks(tmp_path, capsys):
    rna = _cells(n=60)
    prot = ad.AnnData(
        np.random.default_rng(1).normal(200.0, 40.0, (60, 4)), obs=rna.obs.copy()
    )
    path = tmp_path / "cells.h5mu"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        md.MuData({"rna": rna, "prot": prot}).write(path)
    code, _, stderr, page = _report(
        [path, "--target", "rna:cell_type"], tmp_path, capsys
    )
    assert code == 0, stderr
    assert "Blocks: the 2 modalities of the MuData (rna, prot)." in page
    assert "block_mfa" in page
    assert "rna:gene" in page


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--layer", "raw"], "layer 'raw' is not a layer of"),
        (["--target", "donor"], "--target 'donor' is not a column of obs"),
        (["--sep", ";"], "--sep: cells.h5ad is not a text file"),
    ],
)
def test_h5ad_refusals_are_one_line(argv, message, tmp_path, capsys):
    path = tmp_path / "cells.h5ad"
    _cells(n=30).write_h5ad(path)
    code, _, stderr, page = _report([path, *argv], tmp_path, capsys)
    assert code == 2
    assert stderr.strip().splitlines()[-1].startswith(f"skscale: error: {message}")
    assert page == ""


def test_layer_needs_an_annotated_file_and_blocks_of_h5mu_are_modalities(
    tmp_path, capsys
):
    table = tmp_path / "t.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}).to_csv(table)
    code, _, stderr, _ = _report([table, "--layer", "counts"], tmp_path, capsys)
    assert code == 2
    assert "--layer reads a layer of an .h5ad or .h5mu file; t.csv has no" in stderr
    rna = _cells(n=30)
    path = tmp_path / "cells.h5mu"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        md.MuData({"rna": rna}).write(path)
    code, _, stderr, _ = _report([path, "--block", "g=gene"], tmp_path, capsys)
    assert code == 2
    assert "--block: the blocks of a .h5mu file are its modalities" in stderr


def test_the_default_sample_shrinks_with_the_width(tmp_path, capsys, monkeypatch):
    import skscale.report._analysis as cli

    assert cli.default_max_rows(141) == 20_000
    assert cli.default_max_rows(1_000) == 20_000
    assert cli.default_max_rows(2_000) == 10_000
    assert cli.default_max_rows(30_000) == 5_000
    # scaled down: 120 cells of 30 genes, at most 2,400 values -> 80 cells
    monkeypatch.setattr(cli, "DEFAULT_MAX_VALUES", 2_400)
    monkeypatch.setattr(cli, "MIN_DEFAULT_ROWS", 10)
    path = tmp_path / "cells.h5ad"
    _cells().write_h5ad(path)
    code, _, stderr, page = _report([path, "--target", "cell_type"], tmp_path, capsys)
    assert code == 0, stderr
    assert "Sample: 80 of 120 cells" in page
    assert "--max-rows 80, the default for 30 columns" in page
    # a number given is taken as it is
    code, _, stderr, page = _report(
        [path, "--target", "cell_type", "--max-rows", "100"], tmp_path, capsys
    )
    assert code == 0, stderr
    assert "Sample: 100 of 120 cells" in page and "(--max-rows 100;" in page
    # a table file the same way, from its number of feature columns
    table = tmp_path / "cells.csv"
    frame = pd.DataFrame(
        _cells().layers["counts"].toarray(), columns=[f"g{j}" for j in range(30)]
    )
    frame["cell_type"] = np.tile(["T", "B"], 60)
    frame.to_csv(table, index=False)
    code, _, stderr, page = _report([table, "--target", "cell_type"], tmp_path, capsys)
    assert code == 0, stderr
    assert "Sample: 80 of 120 rows" in page
    assert "--max-rows 80, the default for 30 columns" in page
