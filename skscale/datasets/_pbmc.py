"""pbmc: a small, real single-cell UMI count matrix, shipped as a sparse matrix."""

from importlib import resources

import pandas as pd
import scipy.sparse as sp
from sklearn.utils import Bunch

_PBMC = "data/pbmc"


def _pbmc_file(name):
    return resources.files("skscale.datasets").joinpath(_PBMC, name)


def load_pbmc(*, as_anndata=False):
    """Load the pbmc counts: UMI counts of 765 genes in 700 blood cells.

    A small, real single-cell data set (10x Genomics' "Fresh 68k PBMCs",
    Zheng et al. 2017; the 700-cell subset scanpy ships as
    ``pbmc68k_reduced``), as the sequencer counted it: whole numbers in a
    sparse matrix, 33% of them stored, with totals per cell that differ by a
    factor of about five. The cells carry their type (``bulk_labels``, 10
    types), a clustering (``louvain``) and their cell-cycle phase. Shipped in
    the package, with its attribution (``DESCR``); nothing is downloaded.

    Parameters
    ----------
    as_anndata : bool, default=False
        Return an ``anndata.AnnData`` (cells in ``obs``, genes in
        ``var_names``, the counts in ``X`` and in the layer ``"counts"``)
        instead of a Bunch. Needs the ``scverse`` extra.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or AnnData
        The Bunch holds:

        - ``counts``: CSR matrix of shape (700, 765), float64 whole numbers;
        - ``obs``: DataFrame of the 700 cells (index: barcodes), with
          ``bulk_labels``, ``louvain``, ``phase`` (categorical), ``n_counts``,
          ``n_genes`` (over every gene of the original data) and
          ``percent_mito``;
        - ``feature_names``: the 765 gene symbols, as an array of str;
        - ``DESCR``: the description and attribution of the data.

    References
    ----------
    Zheng, G. X. Y. et al. (2017). Massively parallel digital transcriptional
    profiling of single cells. Nature Communications 8:14049.

    Examples
    --------
    >>> from skscale.datasets import load_pbmc
    >>> pbmc = load_pbmc()
    >>> pbmc.counts.shape, pbmc.counts.format
    ((700, 765), 'csr')
    >>> bool((pbmc.counts.data == pbmc.counts.data.round()).all())
    True
    >>> pbmc.obs["bulk_labels"].nunique()
    10
    """
    with _pbmc_file("counts.npz").open("rb") as handle:
        counts = sp.csr_matrix(sp.load_npz(handle), dtype="float64")
    with _pbmc_file("cells.csv").open("r", encoding="utf-8") as handle:
        obs = pd.read_csv(handle, index_col="cell")
    for column in ("bulk_labels", "louvain", "phase"):
        obs[column] = obs[column].astype(str).astype("category")
    with _pbmc_file("genes.csv").open("r", encoding="utf-8") as handle:
        genes = pd.read_csv(handle)["gene"].astype(str).to_numpy()
    descr = _pbmc_file("SOURCE.md").read_text(encoding="utf-8")
    if not as_anndata:
        return Bunch(counts=counts, obs=obs, feature_names=genes, DESCR=descr)
    try:
        import anndata
    except ImportError as error:
        raise ImportError(
            "load_pbmc(as_anndata=True) needs anndata: pip install 'skscale[scverse]'"
        ) from error
    adata = anndata.AnnData(
        X=counts, obs=obs, var=pd.DataFrame(index=pd.Index(genes, name="gene"))
    )
    adata.layers["counts"] = counts.copy()
    adata.uns["description"] = descr
    return adata
