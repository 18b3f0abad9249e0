"""Write the reference outputs the normaliser tests compare with.

    python tools/make_reference_values.py

Run it in an environment that has the tools analysts use today: pydeseq2,
scikit-bio, qnorm and scanpy (``pip install pydeseq2 scikit-bio qnorm
scanpy``). They are not test dependencies of skscale (pydeseq2 and scanpy
pull anndata, which pins pandas below 3): their outputs on small fixed inputs
are stored in ``tests/data/normalisers/`` instead, with the versions that
made them, and ``tests/preprocessing/test_samples.py`` checks skscale's
normalisers against them.
"""

from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "normalisers"


def inputs():
    """The fixed inputs (also rebuilt by the tests, from the same seed)."""
    rng = np.random.default_rng(2024)
    counts = rng.negative_binomial(3, 0.05, size=(10, 40))
    counts = (counts * rng.uniform(0.5, 3.0, size=(10, 1))).round()
    counts[rng.random(counts.shape) < 0.05] = 0  # some genes get a zero
    compositions = rng.uniform(0.05, 20.0, size=(8, 6))
    intensities = rng.normal(size=(9, 25))
    ties = rng.integers(0, 6, size=(9, 25)).astype(float)
    return counts, compositions, intensities, ties


def single_cell_inputs():
    """UMI-like counts with a zero in every gene (the ratio method has no gene
    to use) and a count of 2 or more in every gene (so that R's DESeq2 and
    pydeseq2 keep the same genes for poscounts), and one gene far above the
    rest (scanpy's highly expressed genes)."""
    rng = np.random.default_rng(2025)
    counts = rng.negative_binomial(1, 0.35, size=(40, 300)).astype(np.float64)
    genes = np.arange(300)
    counts[genes % 40, genes] = 0  # a zero in every gene
    counts[(genes + 7) % 40, genes] += 2  # a count of 2 or more in each
    counts[:, 3] *= 25  # highly expressed in most cells
    counts[5, 11] = 400  # highly expressed in one cell only
    return counts


def main():
    import anndata
    import qnorm
    import scanpy
    from pydeseq2.dds import DeseqDataSet
    from pydeseq2.preprocessing import deseq2_norm
    from skbio.stats.composition import clr

    counts, compositions, intensities, ties = inputs()
    OUT.mkdir(parents=True, exist_ok=True)
    _, size_factors = deseq2_norm(counts)
    pd.DataFrame({"size_factor": size_factors}).to_csv(
        OUT / "pydeseq2_size_factors.csv", index=False
    )
    pd.DataFrame(clr(compositions)).to_csv(OUT / "skbio_clr.csv", index=False)
    pd.DataFrame(clr(counts + 1.0)).to_csv(
        OUT / "skbio_clr_counts_plus_1.csv", index=False
    )
    for name, table in (("intensities", intensities), ("ties", ties)):
        normalised = qnorm.quantile_normalize(table.T, axis=1).T
        pd.DataFrame(normalised).to_csv(OUT / f"qnorm_{name}.csv", index=False)
    data = anndata.AnnData(counts.astype(np.float64))
    scanpy.pp.normalize_total(data)
    pd.DataFrame(data.X).to_csv(OUT / "scanpy_normalize_total.csv", index=False)
    # the steps of a single-cell analysis, on single_cell_inputs()
    cells = single_cell_inputs()
    dds = DeseqDataSet(
        counts=pd.DataFrame(cells.astype(int)),
        metadata=pd.DataFrame({"condition": ["a", "b"] * 20}),
        design="~condition",
        size_factors_fit_type="poscounts",
        quiet=True,
    )
    dds.fit_size_factors()
    pd.DataFrame({"size_factor": np.asarray(dds.obs["size_factors"])}).to_csv(
        OUT / "pydeseq2_poscounts_size_factors.csv", index=False
    )
    data = anndata.AnnData(cells.copy())
    scanpy.pp.normalize_total(data, exclude_highly_expressed=True, max_fraction=0.05)
    pd.DataFrame(data.X).to_csv(
        OUT / "scanpy_normalize_total_exclude_highly_expressed.csv", index=False
    )
    data = anndata.AnnData(cells.copy())
    scanpy.pp.normalize_total(data)
    normalised = data.X.copy()
    for base in (None, 2):
        data = anndata.AnnData(normalised.copy())
        scanpy.pp.log1p(data, base=base)
        pd.DataFrame(data.X).to_csv(
            OUT / f"scanpy_log1p_base_{base or 'e'}.csv", index=False
        )
    # highly variable genes of the log-normalised cells, each flavour with
    # its cutoffs and with n_top_genes; and seurat after a log1p in base 2
    for flavor, base, n_top in (
        ("seurat", None, None),
        ("seurat", None, 50),
        ("seurat", 2, 40),
        ("cell_ranger", None, None),
        ("cell_ranger", None, 50),
    ):
        data = anndata.AnnData(normalised.copy())
        scanpy.pp.log1p(data, base=base)
        found = scanpy.pp.highly_variable_genes(
            data, flavor=flavor, n_top_genes=n_top, inplace=False
        )
        columns = ["means", "dispersions", "dispersions_norm", "highly_variable"]
        found[columns].to_csv(
            OUT
            / f"scanpy_hvg_{flavor}_base_{base or 'e'}_top_{n_top or 'cutoffs'}.csv",
            index=False,
        )
    made_with = {
        name: version(name) for name in ("pydeseq2", "scikit-bio", "qnorm", "scanpy")
    }
    (OUT / "SOURCE.md").write_text(
        "# Reference outputs of the tools analysts use today\n\n"
        "Written by `tools/make_reference_values.py` from fixed random inputs "
        "(its `inputs()`, and `single_cell_inputs()` for the poscounts size "
        "factors, highly expressed genes, log1p and highly variable genes), with "
        + ", ".join(f"{name} {v}" for name, v in made_with.items())
        + ". Each CSV is one tool's output on those inputs; "
        "`tests/preprocessing/test_samples.py` compares skscale's normalisers "
        "with them.\n"
    )


if __name__ == "__main__":
    main()
