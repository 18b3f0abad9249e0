"""skscale.scverse: an analyst's glue (layer in, layer out, batch from obs,
MuData blocks) replaced by one call each, checked against that glue written
out here."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline

from skscale import scverse
from skscale.preprocessing import (
    BatchScaler,
    BlockScaler,
    HighlyVariableGenes,
    LogTransformer,
    TotalSumNormalizer,
    ZScoreScaler,
    candidate_scalers,
)
from tests._registry import reference_instances

ad = pytest.importorskip("anndata")
md = pytest.importorskip("mudata")


def _cells(n=60, p=40, seed=0, sparse=False):
    rng = np.random.default_rng(seed)
    depth = rng.uniform(0.5, 2.0, n)[:, None]
    counts = rng.poisson(depth * rng.gamma(0.6, 3.0, p)).astype(np.float32)
    obs = pd.DataFrame(
        {
            "sample": np.repeat(["s1", "s2", "s3"], n // 3),
            "cell_type": np.tile(["T", "B"], n // 2),
        },
        index=[f"cell{i}" for i in range(n)],
    )
    var = pd.DataFrame(index=[f"gene{j}" for j in range(p)])
    X = sp.csr_matrix(counts) if sparse else counts
    adata = ad.AnnData(X, obs=obs, var=var)
    adata.layers["counts"] = X.copy()
    return adata


@pytest.mark.parametrize("sparse", [False, True])
def test_a_layer_in_a_layer_out_names_kept(sparse):
    adata = _cells(sparse=sparse)
    before = adata.layers["counts"].copy()
    step = scverse.fit_transform(
        adata, TotalSumNormalizer(), layer="counts", key_added="normalised"
    )
    expected = TotalSumNormalizer().fit_transform(before)
    out = adata.layers["normalised"]
    assert sp.issparse(out) == sparse  # sparse stays sparse
    dense = out.toarray() if sparse else out
    assert_allclose(dense, expected.toarray() if sparse else expected, rtol=1e-6)
    assert (abs(adata.layers["counts"] - before)).max() == 0  # input untouched
    assert list(adata.obs_names[:2]) == ["cell0", "cell1"]
    assert list(adata.var_names[:2]) == ["gene0", "gene1"]
    assert isinstance(step, TotalSumNormalizer) and hasattr(step, "target_sum_")
    record = adata.uns["skscale"]["layers:normalised"]
    assert record["input"] == "layers:counts"
    assert record["estimator"] == "TotalSumNormalizer()"


def test_without_key_added_the_result_replaces_what_was_read():
    adata = _cells()
    X = adata.X.copy()
    scverse.fit_transform(adata, LogTransformer())
    assert_allclose(adata.X, np.log1p(X), rtol=1e-6)
    scverse.fit_transform(adata, LogTransformer(), layer="counts")
    assert_allclose(adata.layers["counts"], np.log1p(X), rtol=1e-6)
    assert set(adata.uns["skscale"]) == {"X", "layers:counts"}


def test_the_batch_comes_from_obs_and_sparse_stays_sparse():
    adata = _cells(sparse=True)
    X = adata.X.copy()
    labels = adata.obs["sample"].to_numpy()
    step = scverse.fit_transform(
        adata, ZScoreScaler(with_mean=False), batch_key="sample", key_added="scaled"
    )
    assert isinstance(step, BatchScaler)
    assert sp.issparse(adata.layers["scaled"])
    # the glue: each sample's cells scaled by their own statistics
    expected = np.empty(X.shape)
    for sample in np.unique(labels):
        rows = labels == sample
        expected[rows] = ZScoreScaler(with_mean=False).fit_transform(X[rows]).toarray()
    assert_allclose(adata.layers["scaled"].toarray(), expected, rtol=1e-6)
    assert adata.uns["skscale"]["layers:scaled"]["batch_key"] == "sample"
    # held-out cells of the same samples: the fitted statistics
    other = _cells(seed=1, sparse=True)
    scverse.transform(other, step, batch_key="sample", key_added="scaled")
    assert_allclose(
        other.layers["scaled"].toarray(),
        step.transform(other.X, batch_labels=other.obs["sample"]).toarray(),
    )


def test_gene_selection_is_a_var_column_and_subset_keeps_those_genes():
    adata = _cells(p=60)
    scverse.fit_transform(adata, TotalSumNormalizer())
    scverse.fit_transform(adata, LogTransformer())
    logged = adata.X.copy()
    step = scverse.fit_transform(adata, HighlyVariableGenes(n_top_genes=10))
    expected = HighlyVariableGenes(n_top_genes=10).fit(logged)
    assert adata.var["highly_variable"].dtype == bool
    assert_array_equal(adata.var["highly_variable"], expected.highly_variable_)
    assert_allclose(adata.var["dispersions_norm"], expected.dispersions_norm_)
    assert adata.shape == (60, 60)  # annotated, not subset
    assert "var:highly_variable" in adata.uns["skscale"]
    kept = adata.var_names[step.highly_variable_]
    scverse.transform(adata, step, subset=True)
    assert list(adata.var_names) == list(kept)


def test_another_shape_of_output_goes_to_obsm():
    adata = _cells()
    scverse.fit_transform(adata, make_pipeline(ZScoreScaler(), PCA(3)))
    assert adata.obsm["X_zscorescaler+pca"].shape == (60, 3)
    scverse.fit_transform(adata, PCA(2), key_added="X_pca")
    assert adata.obsm["X_pca"].shape == (60, 2)


def test_the_whole_analysis_from_counts():
    adata = _cells(p=60, sparse=True)
    pipe = make_pipeline(
        TotalSumNormalizer(),
        LogTransformer(),
        HighlyVariableGenes(n_top_genes=20),
        ZScoreScaler(with_mean=False),
    )
    scverse.fit_transform(adata, pipe, layer="counts", key_added="X_scaled")
    assert adata.obsm["X_scaled"].shape == (60, 20)
    assert adata.layers["counts"].nnz == _cells(p=60, sparse=True).X.nnz


def test_a_supervised_step_gets_its_target_from_obs():
    from sklearn.feature_selection import SelectKBest, f_classif

    adata = _cells()
    step = scverse.fit_transform(adata, SelectKBest(f_classif, k=5), y_key="cell_type")
    assert adata.var["SelectKBest_selected"].sum() == 5
    assert step.get_support().sum() == 5


def test_mudata_modalities_are_the_blocks_written_back():
    rna = _cells(p=40)
    rng = np.random.default_rng(3)
    prot = ad.AnnData(
        rng.normal(100, 30, (60, 5)),
        obs=rna.obs.copy(),
        var=pd.DataFrame(index=[f"p{j}" for j in range(5)]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mdata = md.MuData({"rna": rna, "prot": prot})
    X_rna, X_prot = np.asarray(rna.X, dtype=float).copy(), prot.X.copy()
    fitted = scverse.block_scaler(mdata, key_added="block_scaled")
    # the glue: the two tables side by side, one BlockScaler, split back
    both = np.hstack([X_rna, X_prot])
    expected = BlockScaler(
        {"rna": list(range(40)), "prot": list(range(40, 45))}
    ).fit_transform(both)
    assert_allclose(
        mdata.mod["rna"].layers["block_scaled"], expected[:, :40], rtol=1e-5
    )
    assert_allclose(mdata.mod["prot"].layers["block_scaled"], expected[:, 40:])
    assert set(fitted.block_weights_.index) == {"rna", "prot"}
    assert mdata.mod["prot"].uns["skscale"]["layers:block_scaled"]["block"] == "prot"


def test_mudata_of_different_cells_is_refused_with_the_fix():
    rna = _cells()
    prot = ad.AnnData(np.ones((30, 3)), obs=rna.obs.iloc[:30].copy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mdata = md.MuData({"rna": rna, "prot": prot})
    with pytest.raises(ValueError, match=r"mudata.pp.intersect_obs"):
        scverse.block_scaler(mdata)


def test_compare_scalers_takes_obs_columns_by_name():
    adata = _cells()
    scverse.fit_transform(adata, TotalSumNormalizer())
    comparison = scverse.compare_scalers(
        adata,
        target="cell_type",
        covariate_keys=["sample"],
        scalers={"z": ZScoreScaler(), "log": LogTransformer()},
        random_state=0,
    )
    assert set(comparison.table.index) == {"z", "log"}
    assert "pc1_r2[sample]" in comparison.table.columns or any(
        "sample" in c for c in comparison.table.columns
    )
    frame = pd.DataFrame(adata.X, columns=adata.var_names)
    direct = pd.Series(adata.obs["cell_type"].to_numpy())
    from skscale.diagnostics import compare_scalers

    alone = compare_scalers(
        frame, direct, scalers={"z": ZScoreScaler()}, random_state=0
    )
    assert_allclose(
        comparison.table.loc["z", "pc1_top_share"],
        alone.table.loc["z", "pc1_top_share"],
    )
    assert comparison.table.loc["z", "pc1_top_feature"].startswith("gene")


def test_compare_scalers_on_mudata_uses_the_modalities_as_blocks():
    rna = _cells(p=20)
    prot = ad.AnnData(
        np.random.default_rng(1).normal(50, 10, (60, 4)), obs=rna.obs.copy()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mdata = md.MuData({"rna": rna, "prot": prot})
    comparison = scverse.compare_scalers(mdata, random_state=0)
    assert {"pc1_share[rna]", "pc1_share[prot]"} <= set(comparison.table.columns)


def test_compare_scalers_on_sparse_cells_keeps_them_sparse_and_names_genes():
    from skscale.diagnostics import compare_scalers as by_hand

    adata = _cells(sparse=True)
    adata.X[0, 3] = 1e4  # gene3 owns PC1 unscaled
    comparison = scverse.compare_scalers(
        adata, target="cell_type", batch_key="sample", random_state=0
    )
    assert list(comparison.table.index) == ["none", "zscore", "maxabs", "robust"]
    assert comparison.table.loc["none", "pc1_top_feature"] == "gene3"
    assert "pc1_r2[sample]" in comparison.table.columns
    # the glue an analyst would write, densified
    dense = by_hand(
        pd.DataFrame(adata.X.toarray(), columns=list(adata.var_names)),
        pd.Series(adata.obs["cell_type"].to_numpy(), name="cell_type"),
        scalers=candidate_scalers(sparse=True),
        batch=pd.Series(adata.obs["sample"].to_numpy(), name="sample"),
        random_state=0,
    )
    pca = ["pc1_evr", "pc1_top_share", "pc1_effective_features", "pc1_r2[sample]"]
    np.testing.assert_allclose(
        comparison.table[pca].to_numpy(dtype=float),
        dense.table[pca].to_numpy(dtype=float),
        rtol=1e-6,  # float32 cells
    )


def _written(tmp_path, adata, name="cells.h5ad"):
    path = tmp_path / name
    adata.write_h5ad(path)
    return path


def test_read_sample_reads_the_sampled_rows_of_a_layer(tmp_path):
    adata = _cells(n=90, sparse=True)
    adata.obs.loc[adata.obs_names[4], "cell_type"] = None
    path = _written(tmp_path, adata)
    sample = scverse.read_sample(
        path, target="cell_type", layer="counts", covariates=["sample"], max_rows=30
    )
    assert sample.X.format == "csr" and sample.sampled and sample.n_rows == 90
    assert sample.feature_names == list(adata.var_names)
    assert sample.source == "layers['counts']"
    rows = np.sort(np.random.default_rng(0).choice(90, size=30, replace=False))
    kept = rows[adata.obs["cell_type"].iloc[rows].notna().to_numpy()]
    assert sample.n_target_missing == 30 - kept.size
    np.testing.assert_array_equal(
        sample.X.toarray(), adata.layers["counts"][kept].toarray()
    )
    assert sample.y.tolist() == adata.obs["cell_type"].iloc[kept].tolist()
    assert sample.covariates["sample"].tolist() == (
        adata.obs["sample"].iloc[kept].tolist()
    )
    whole = scverse.read_sample(_written(tmp_path, _cells(), "dense.h5ad"), max_rows=0)
    assert isinstance(whole.X, np.ndarray) and not whole.sampled


def test_read_sample_of_a_mudata_puts_modalities_side_by_side(tmp_path):
    rna = _cells(p=20, sparse=True)
    prot = ad.AnnData(
        np.random.default_rng(1).normal(50, 10, (60, 4)), obs=rna.obs.copy()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mdata = md.MuData({"rna": rna, "prot": prot})
        mdata.write(tmp_path / "cells.h5mu")
    sample = scverse.read_sample(tmp_path / "cells.h5mu", target="rna:cell_type")
    assert sample.blocks == {"rna": list(range(20)), "prot": list(range(20, 24))}
    assert sample.feature_names[0] == "rna:gene0"
    assert sample.X.format == "csr" and sample.X.shape == (60, 24)
    np.testing.assert_allclose(sample.X[:, 20:].toarray(), prot.X)
    assert sample.y.tolist() == rna.obs["cell_type"].tolist()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layer": "raw"}, "layer 'raw' is not a layer of .* \\(layers: 'counts'\\)"),
        ({"target": "donor"}, "--target 'donor' is not a column of obs"),
        ({"covariates": ["age"]}, "--covariate 'age' is not a column of obs"),
    ],
)
def test_read_sample_says_what_is_missing(tmp_path, kwargs, message):
    path = _written(tmp_path, _cells())
    with pytest.raises((KeyError, ValueError), match=message):
        scverse.read_sample(path, **kwargs)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda a: scverse.fit_transform(a, ZScoreScaler(), layer="raw"),
            "layer='raw' is not a layer of this AnnData (layers: 'counts')",
        ),
        (
            lambda a: scverse.fit_transform(a, ZScoreScaler(), batch_key="plate"),
            "batch_key='plate' is not a column of obs (columns: 'sample', 'cell_type')",
        ),
        (
            lambda a: scverse.fit_transform(a.X, ZScoreScaler()),
            "fit_transform takes an AnnData object; got ndarray",
        ),
    ],
)
def test_mistakes_are_named(call, message):
    with pytest.raises((KeyError, TypeError)) as caught:
        call(_cells())
    assert message in str(caught.value)


def test_missing_batch_labels_are_counted():
    adata = _cells()
    adata.obs.loc[adata.obs_names[:4], "sample"] = None
    with pytest.raises(ValueError, match="missing for 4 of the cells"):
        scverse.fit_transform(adata, ZScoreScaler(), batch_key="sample")


@pytest.mark.parametrize(
    "estimator", list(reference_instances().values()), ids=lambda e: type(e).__name__
)
def test_an_anndata_passed_to_an_estimator_names_the_function(estimator):
    from sklearn.base import clone, is_regressor

    adata = _cells()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mdata = md.MuData({"rna": adata})
    for data, function in ((adata, "fit_transform"), (mdata, "block_scaler")):
        with pytest.raises(TypeError, match=f"skscale.scverse.{function}"):
            if is_regressor(estimator):
                clone(estimator).fit(data, np.arange(60.0))
            else:
                clone(estimator).fit(data)


def test_the_record_survives_writing_h5ad(tmp_path):
    adata = _cells(sparse=True)
    scverse.fit_transform(adata, TotalSumNormalizer(), key_added="normalised")
    path = tmp_path / "cells.h5ad"
    adata.write_h5ad(path)
    back = ad.read_h5ad(path)
    assert back.uns["skscale"]["layers:normalised"]["estimator"] == (
        "TotalSumNormalizer()"
    )
