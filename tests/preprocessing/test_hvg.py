"""HighlyVariableGenes against scanpy's stored outputs
(tests/data/normalisers, made by tools/make_reference_values.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline

from skscale.preprocessing import (
    HighlyVariableGenes,
    LogTransformer,
    TotalSumNormalizer,
    ZScoreScaler,
)

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "tests" / "data" / "normalisers"


def _cells():
    path = ROOT / "tools" / "make_reference_values.py"
    spec = importlib.util.spec_from_file_location("make_reference_values", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.single_cell_inputs()


CELLS = _cells()
NORMALISED = TotalSumNormalizer().fit_transform(CELLS)


def _logged(base=None):
    return LogTransformer(base=base).fit_transform(NORMALISED)


@pytest.mark.parametrize(
    ("flavor", "base", "n_top"),
    [
        ("seurat", None, None),
        ("seurat", None, 50),
        ("seurat", 2, 40),
        ("cell_ranger", None, None),
        ("cell_ranger", None, 50),
    ],
)
def test_the_genes_and_their_statistics_are_scanpys(flavor, base, n_top):
    stored = pd.read_csv(
        STORED / f"scanpy_hvg_{flavor}_base_{base or 'e'}_top_{n_top or 'cutoffs'}.csv"
    )
    step = HighlyVariableGenes(flavor, n_top_genes=n_top, log_base=base)
    step.fit(_logged(base))
    # scanpy's dense variance is E[x**2] - E[x]**2: agreement to its rounding
    assert_allclose(step.means_, stored["means"], rtol=1e-14)
    assert_allclose(step.dispersions_, stored["dispersions"], rtol=1e-13)
    assert_allclose(
        step.dispersions_norm_, stored["dispersions_norm"], rtol=1e-10, atol=1e-12
    )
    assert_array_equal(step.highly_variable_, stored["highly_variable"])
    if n_top is not None:
        assert step.highly_variable_.sum() == n_top


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("flavor", ["seurat", "cell_ranger"])
def test_sparse_input_gives_the_dense_answer_and_stays_sparse(fmt, flavor):
    X = _logged()
    S = sp.csr_matrix(X).asformat(fmt)
    before = S.copy()
    dense = HighlyVariableGenes(flavor, n_top_genes=30).fit(X)
    step = HighlyVariableGenes(flavor, n_top_genes=30).fit(S)
    assert_array_equal(step.highly_variable_, dense.highly_variable_)
    assert_allclose(
        step.dispersions_norm_, dense.dispersions_norm_, rtol=1e-12, atol=1e-13
    )
    out = step.transform(S)
    assert sp.issparse(out) and out.shape == (X.shape[0], 30)
    assert_array_equal(out.toarray(), X[:, dense.highly_variable_])
    assert_array_equal(S.toarray(), before.toarray())  # expm1 on a copy


def test_the_genes_are_learnt_from_the_training_cells_only():
    X = _logged()
    train, test = X[:30], X[30:]
    step = HighlyVariableGenes(n_top_genes=25).fit(train)
    assert_array_equal(step.transform(test), test[:, step.highly_variable_])
    on_all = HighlyVariableGenes(n_top_genes=25).fit(X)
    # the held-out cells change the choice when they take part in it
    assert (on_all.highly_variable_ != step.highly_variable_).any()


def test_more_genes_asked_for_than_have_a_dispersion_keeps_them_all():
    X = _logged()[:, :10].copy()
    X[:, 0] = 0.0  # no expression: no dispersion (seurat: NaN)
    with pytest.warns(UserWarning, match="only 9 genes have a normalised dispersion"):
        step = HighlyVariableGenes(n_top_genes=50).fit(X)
    assert_array_equal(step.highly_variable_, np.arange(10) > 0)


def test_names_are_those_of_the_kept_genes():
    X = _logged()
    genes = [f"gene{j}" for j in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=genes)
    step = HighlyVariableGenes(n_top_genes=5).set_output(transform="pandas")
    out = step.fit_transform(frame)
    kept = [g for g, keep in zip(genes, step.highly_variable_, strict=True) if keep]
    assert list(out.columns) == kept
    assert list(step.get_feature_names_out()) == kept


def test_the_analysis_runs_as_one_pipeline():
    pipe = make_pipeline(
        TotalSumNormalizer(),
        LogTransformer(),
        HighlyVariableGenes(n_top_genes=50),
        ZScoreScaler(),
        PCA(n_components=5),
    )
    scores = pipe.fit_transform(CELLS)
    assert scores.shape == (CELLS.shape[0], 5)
    assert np.isfinite(scores).all()


def test_values_whose_expm1_overflows_are_computed_in_log_space():
    # expm1(50 + d) is exp(50 + d) to float64 rounding (e**-50 is below an
    # ulp), so a gene 400 higher has its logged mean and dispersion 400 higher:
    # exactly what scanpy's formula gives when it does not overflow
    rng = np.random.default_rng(3)
    low = 50 + rng.normal(size=(40, 3))
    X = np.column_stack([low, low + 400.0, np.zeros(40)])
    X[::4, 3:6] = 0.0  # zeros among the huge values count as expm1(0) = 0
    X[::4, :3] = 0.0
    step = HighlyVariableGenes(min_mean=-np.inf, min_disp=-np.inf).fit(X)
    assert np.isfinite(step.means_[:6]).all()
    assert_allclose(step.means_[3:6] - step.means_[:3], 400.0, rtol=1e-13)
    assert_allclose(step.dispersions_[3:6] - step.dispersions_[:3], 400.0, rtol=1e-13)
    # the ordinary genes are scanpy's formula, written out
    values = np.expm1(X[:, :3])
    mean = values.mean(axis=0)
    assert_allclose(step.means_[:3], np.log1p(mean), rtol=1e-14)
    dispersion = values.var(axis=0, ddof=1) / mean
    assert_allclose(step.dispersions_[:3], np.log(dispersion), rtol=1e-13)
    # and the same on sparse input, which stores no zero
    sparse = HighlyVariableGenes(min_mean=-np.inf, min_disp=-np.inf).fit(
        sp.csr_matrix(X)
    )
    assert_allclose(sparse.means_, step.means_, rtol=1e-14, equal_nan=True)
    assert_allclose(sparse.dispersions_, step.dispersions_, rtol=1e-14, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_narrow_floats_are_selected_as_float64_selects_them(dtype):
    # expm1 of float16 log values above 11 overflows float16: the statistics
    # are float64 whatever the input's dtype
    X = (_logged() * 3).astype(dtype)
    narrow = HighlyVariableGenes(n_top_genes=30).fit(X)
    wide = HighlyVariableGenes(n_top_genes=30).fit(X.astype(np.float64))
    assert_array_equal(narrow.highly_variable_, wide.highly_variable_)
    assert_allclose(narrow.dispersions_norm_, wide.dispersions_norm_, rtol=1e-12)
    out = narrow.transform(X)
    assert out.dtype == dtype
    assert_array_equal(out, X[:, wide.highly_variable_])


def test_repeated_quantile_edges_do_not_fail_cell_ranger():
    # many genes of one mean: scanpy's pd.cut raises "Bin edges must be
    # unique"; the repeated edges are dropped, one bin holding them all
    X = _logged()[:, :40].copy()
    X[:, :30] = np.tile([0.0, 1.0], 20)[:, None]  # 30 genes of mean 0.5
    step = HighlyVariableGenes("cell_ranger", n_top_genes=5).fit(X)
    assert step.highly_variable_.sum() >= 5
    # the 30 identical genes share one bin, their MAD is 0: no dispersion
    assert np.isnan(step.dispersions_norm_[:30]).all()
    assert not step.highly_variable_[:30].any()


def test_rows_in_any_order_select_the_same_genes():
    X = _logged()
    order = np.random.default_rng(0).permutation(X.shape[0])
    for flavor in ("seurat", "cell_ranger"):
        plain = HighlyVariableGenes(flavor, n_top_genes=40).fit(X)
        permuted = HighlyVariableGenes(flavor, n_top_genes=40).fit(X[order])
        assert_array_equal(permuted.highly_variable_, plain.highly_variable_)
        assert_allclose(
            permuted.dispersions_norm_, plain.dispersions_norm_, rtol=1e-12, atol=1e-13
        )


def test_no_gene_selected_says_so_and_inverts_to_zeros():
    X = _logged()
    step = HighlyVariableGenes(min_mean=100.0).fit(X)
    assert not step.highly_variable_.any()
    with pytest.warns(UserWarning, match="selected no gene"):
        out = step.transform(X)
    assert out.shape == (X.shape[0], 0)
    assert_array_equal(step.inverse_transform(out), np.zeros(X.shape))
    with pytest.raises(ValueError, match=r"expected \(n_samples, 0\)"):
        step.inverse_transform(X[:, :2])


def test_infinity_is_refused_naming_its_gene():
    frame = pd.DataFrame(_logged()[:, :5], columns=list("abcde"))
    frame.loc[3, "c"] = np.inf
    with pytest.raises(ValueError, match="infinity in column 'c'"):
        HighlyVariableGenes(n_top_genes=2).fit(frame)
    fitted = HighlyVariableGenes(n_top_genes=2).fit(frame.replace(np.inf, 1.0))
    with pytest.raises(ValueError, match="infinity in column 'c'"):
        fitted.transform(frame)
