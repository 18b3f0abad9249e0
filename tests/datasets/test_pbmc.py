"""The shipped pbmc counts: whole numbers, the shapes and labels SOURCE.md states."""

import numpy as np
import pytest
import scipy.sparse as sp

from skscale.datasets import load_pbmc


def test_pbmc_is_the_count_matrix_source_md_describes():
    pbmc = load_pbmc()
    counts = pbmc.counts
    assert sp.issparse(counts) and counts.format == "csr"
    assert counts.shape == (700, 765) and counts.dtype == np.float64
    assert counts.nnz == 174_400
    # UMI counts: every stored value a whole number of at least 1
    assert (counts.data >= 1).all() and (counts.data == np.round(counts.data)).all()
    assert counts.data.max() == 259
    totals = np.asarray(counts.sum(axis=1)).ravel()
    assert (totals.min(), totals.max()) == (342, 1654)
    # each cell's total over these genes is below its total over every gene
    assert (totals < pbmc.obs["n_counts"].to_numpy()).all()
    assert pbmc.obs.shape[0] == 700 and len(pbmc.feature_names) == 765
    assert pbmc.obs["bulk_labels"].nunique() == 10
    assert pbmc.obs["louvain"].nunique() == 11
    assert len(set(pbmc.feature_names)) == 765
    assert "Zheng" in pbmc.DESCR and "CC BY 4.0" in pbmc.DESCR


def test_pbmc_as_anndata_keeps_cells_genes_and_counts():
    pytest.importorskip("anndata")
    adata = load_pbmc(as_anndata=True)
    pbmc = load_pbmc()
    assert adata.shape == (700, 765)
    assert list(adata.var_names) == list(pbmc.feature_names)
    assert list(adata.obs_names) == list(pbmc.obs.index)
    assert (adata.X != pbmc.counts).nnz == 0
    assert (adata.layers["counts"] != pbmc.counts).nnz == 0
    # the layer is its own copy: normalising X in place leaves the counts
    adata.X.data[:] = 0.0
    assert adata.layers["counts"].data.min() >= 1
