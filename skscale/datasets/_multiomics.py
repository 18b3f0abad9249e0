"""Multi-omics tables: nutrimouse (real, shipped) and make_multiomics (synthetic)."""

from importlib import resources
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from skscale.utils._sklearn_compat import Interval, validate_params

_NUTRIMOUSE = "data/nutrimouse"


def _nutrimouse_file(name):
    return resources.files("skscale.datasets").joinpath(_NUTRIMOUSE, name)


def load_nutrimouse():
    """Load the nutrimouse table: hepatic gene expression and lipids of 40 mice.

    A small, real multi-omics data set (Martin et al. 2007): 120 gene
    expression values (microarray log-ratios, column standard deviations 0.05
    to 0.32) and 21 hepatic fatty acids (percent of total, column standard
    deviations 0.14 to 8.8) measured on the same 40 mice of two genotypes fed
    five diets. The blocks differ in variance by about two orders of magnitude,
    so an unscaled PCA of the concatenated table is almost entirely the lipid
    block, and a column-wise z-score hands PC1 to the gene block by sheer
    number: the case that block scaling exists for. Shipped in the package,
    with its attribution (``DESCR``); nothing is downloaded.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        - ``gene``: DataFrame of shape (40, 120);
        - ``lipid``: DataFrame of shape (40, 21);
        - ``data``: DataFrame of shape (40, 141), the two blocks side by side;
        - ``blocks``: dict, block name (``"gene"``, ``"lipid"``) -> column names;
        - ``genotype``: Series of ``"wt"`` and ``"ppar"`` (20 each);
        - ``diet``: Series of ``"coc"``, ``"fish"``, ``"lin"``, ``"ref"``,
          ``"sun"`` (8 each);
        - ``DESCR``: the description and attribution of the data.

    References
    ----------
    Martin, P. G. P. et al. (2007). Novel aspects of PPAR-alpha-mediated
    regulation of lipid and xenobiotic metabolism revealed through a
    nutrigenomic study. Hepatology 45(3):767-777.

    Examples
    --------
    >>> from skscale.datasets import load_nutrimouse
    >>> nutrimouse = load_nutrimouse()
    >>> nutrimouse.data.shape
    (40, 141)
    >>> {name: len(columns) for name, columns in nutrimouse.blocks.items()}
    {'gene': 120, 'lipid': 21}
    >>> nutrimouse.genotype.value_counts().to_dict()
    {'wt': 20, 'ppar': 20}
    """

    def read(name):
        with _nutrimouse_file(name).open("r", encoding="utf-8") as handle:
            return pd.read_csv(handle)

    gene = read("gene.csv")
    lipid = read("lipid.csv")
    genotype = read("genotype.csv")["genotype"].astype(str)
    diet = read("diet.csv")["diet"].astype(str)
    descr = _nutrimouse_file("SOURCE.md").read_text(encoding="utf-8")
    return Bunch(
        gene=gene,
        lipid=lipid,
        data=pd.concat([gene, lipid], axis=1),
        blocks={"gene": list(gene.columns), "lipid": list(lipid.columns)},
        genotype=genotype.rename("genotype"),
        diet=diet.rename("diet"),
        DESCR=descr,
    )


@validate_params(
    {
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        "n_genes": [Interval(Integral, 1, None, closed="left")],
        "n_metabolites": [Interval(Integral, 1, None, closed="left")],
        "n_groups": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_multiomics(
    n_samples=60, n_genes=200, n_metabolites=20, n_groups=3, random_state=None
):
    """Make a two-block table where the block that matters is the small one.

    After the textbook example of why omics blocks must be scaled: gene
    expression in TPM-like units (2,000 to 15,000) with a large variance and no
    group structure (each gene varies with a shared library-size factor and its
    own noise), next to metabolite concentrations (5 to 50 uM) that carry the
    sample groups (each group shifts every metabolite by its own fold change).
    An unscaled PCA sees only the genes and misses the groups; scaling within
    and between blocks reveals them.

    Parameters
    ----------
    n_samples : int, default=60
        Number of samples (rows), spread evenly over the groups.
    n_genes : int, default=200
        Number of gene-expression columns.
    n_metabolites : int, default=20
        Number of metabolite columns.
    n_groups : int, default=3
        Number of sample groups.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        - ``data``: DataFrame of shape (n_samples, n_genes + n_metabolites),
          columns ``gene_000``... then ``met_00``...;
        - ``target``: ndarray of shape (n_samples,), the group of each sample
          (0 to n_groups - 1);
        - ``blocks``: dict, ``"genes"`` and ``"metabolites"`` -> column names;
        - ``DESCR``: a description.

    Examples
    --------
    >>> from skscale.datasets import make_multiomics
    >>> table = make_multiomics(random_state=0)
    >>> table.data.shape
    (60, 220)
    >>> genes = table.data[table.blocks["genes"]]
    >>> metabolites = table.data[table.blocks["metabolites"]]
    >>> bool(genes.to_numpy().min() >= 2000 and metabolites.to_numpy().max() <= 50)
    True
    """
    rng = check_random_state(random_state)
    target = np.arange(n_samples) % n_groups
    rng.shuffle(target)

    level = rng.uniform(3000, 12000, size=n_genes)
    library = rng.normal(0.0, 0.15, size=(n_samples, 1))
    noise = rng.normal(0.0, 0.2, size=(n_samples, n_genes))
    genes = np.clip(level * np.exp(library + noise), 2000, 15000)

    base = rng.uniform(8, 25, size=n_metabolites)
    fold = rng.normal(0.0, 0.3, size=(n_groups, n_metabolites))
    noise = rng.normal(0.0, 0.1, size=(n_samples, n_metabolites))
    metabolites = np.clip(base * np.exp(fold[target] + noise), 5, 50)

    gene_names = [f"gene_{j:03d}" for j in range(n_genes)]
    metabolite_names = [f"met_{j:02d}" for j in range(n_metabolites)]
    data = pd.DataFrame(
        np.hstack([genes, metabolites]), columns=gene_names + metabolite_names
    )
    return Bunch(
        data=data,
        target=target,
        blocks={"genes": gene_names, "metabolites": metabolite_names},
        DESCR=(
            f"Synthetic multi-omics table: {n_samples} samples in {n_groups} "
            f"groups; {n_genes} genes (TPM-like, 2,000 to 15,000, no group "
            f"structure) and {n_metabolites} metabolites (5 to 50 uM, shifted "
            "by group)."
        ),
    )
