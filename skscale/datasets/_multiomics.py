"""Multi-omics tables: nutrimouse (real, shipped) and make_multiomics (synthetic)."""

from importlib import resources
from numbers import Integral, Real

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


def _batched(block, batch, shift, stretch, *, counts):
    """A positive block with a batch effect on the log scale (log1p for counts,
    which stay whole numbers)."""
    logs = np.log1p(block) if counts else np.log(block)
    centre, spread = logs.mean(axis=0), logs.std(axis=0)
    logs = centre + (logs - centre) * stretch[batch] + shift[batch] * spread
    if counts:
        return np.round(np.maximum(np.expm1(logs), 0.0))
    return np.exp(logs)


@validate_params(
    {
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        "n_genes": [Interval(Integral, 1, None, closed="left")],
        "n_metabolites": [Interval(Integral, 1, None, closed="left")],
        "n_groups": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
        "dilution": [Interval(Real, 0, None, closed="left")],
        "library_size": [Interval(Real, 0, None, closed="left"), None],
        "n_batches": [Interval(Integral, 1, None, closed="left")],
        "batch_effect": [Interval(Real, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def make_multiomics(
    n_samples=60,
    n_genes=200,
    n_metabolites=20,
    n_groups=3,
    random_state=None,
    *,
    dilution=0.0,
    library_size=None,
    n_batches=1,
    batch_effect=0.0,
):
    """Make a two-block table where the block that matters is the small one.

    After the textbook example of why omics blocks must be scaled: gene
    expression in TPM-like units (2,000 to 15,000) with a large variance and no
    group structure (each gene varies with a shared library-size factor and its
    own noise), next to metabolite concentrations (5 to 50 uM) that carry the
    sample groups (each group shifts every metabolite by its own fold change).
    An unscaled PCA sees only the genes and misses the groups; scaling within
    and between blocks reveals them.

    Knobs add the per-sample effects that normalisation exists for, each
    returned with its truth: a dilution of each sample's metabolites (urine,
    serum), gene counts with per-sample library sizes (RNA-seq), and a batch
    effect (a shift and a scale of every feature per batch). With the knobs at
    their defaults the table is the same as without them, seed for seed.

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
    dilution : float >= 0, default=0.0
        Each sample's metabolites are multiplied by a dilution factor
        ``exp(N(0, dilution))`` (the factors have geometric mean 1); 0 leaves
        them undiluted.
    library_size : float >= 0 or None, default=None
        When given, the genes are counts: Poisson draws around each gene's
        mean count (log-normal, from a few to a few thousand) times the
        sample's size factor ``exp(N(0, library_size))`` (geometric mean 1).
        None keeps the TPM-like genes.
    n_batches : int, default=1
        Number of batches the samples are spread over (evenly, at random).
    batch_effect : float >= 0, default=0.0
        On the log scale (values stay positive; counts stay counts), each
        batch shifts every feature by ``N(0, batch_effect)`` times the
        feature's standard deviation and scales its spread by
        ``exp(N(0, batch_effect / 2))``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        - ``data``: DataFrame of shape (n_samples, n_genes + n_metabolites),
          columns ``gene_000``... then ``met_00``...;
        - ``target``: ndarray of shape (n_samples,), the group of each sample
          (0 to n_groups - 1);
        - ``blocks``: dict, ``"genes"`` and ``"metabolites"`` -> column names;
        - ``dilution``: ndarray of shape (n_samples,), the true dilution
          factors (all 1 without ``dilution``);
        - ``size_factors``: ndarray of shape (n_samples,), the true library
          size factors, or None without ``library_size``;
        - ``batch``: ndarray of shape (n_samples,), each sample's batch
          (``"batch1"``, ...);
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

    # the knobs draw after everything above: the defaults change nothing
    size_factors = None
    if library_size is not None:
        mean_counts = rng.lognormal(3.0, 1.5, size=n_genes)
        log_factors = rng.normal(0.0, library_size, size=n_samples)
        size_factors = np.exp(log_factors - log_factors.mean())
        expression = np.exp(rng.normal(0.0, 0.2, size=(n_samples, n_genes)))
        genes = rng.poisson(mean_counts * size_factors[:, None] * expression)
        genes = genes.astype(np.float64)
    factors = np.ones(n_samples)
    if dilution:
        log_dilution = rng.normal(0.0, dilution, size=n_samples)
        factors = np.exp(log_dilution - log_dilution.mean())
        metabolites = metabolites * factors[:, None]
    batch = np.arange(n_samples) % n_batches
    if n_batches > 1:
        rng.shuffle(batch)
    if batch_effect:
        n_features = n_genes + n_metabolites
        shift = rng.normal(0.0, batch_effect, size=(n_batches, n_features))
        stretch = np.exp(rng.normal(0.0, batch_effect / 2, size=(n_batches, 1)))
        counts = library_size is not None
        genes = _batched(genes, batch, shift[:, :n_genes], stretch, counts=counts)
        metabolites = _batched(
            metabolites, batch, shift[:, n_genes:], stretch, counts=False
        )

    gene_names = [f"gene_{j:03d}" for j in range(n_genes)]
    metabolite_names = [f"met_{j:02d}" for j in range(n_metabolites)]
    data = pd.DataFrame(
        np.hstack([genes, metabolites]), columns=gene_names + metabolite_names
    )
    return Bunch(
        data=data,
        target=target,
        blocks={"genes": gene_names, "metabolites": metabolite_names},
        dilution=factors,
        size_factors=size_factors,
        batch=np.array([f"batch{b + 1}" for b in batch]),
        DESCR=(
            f"Synthetic multi-omics table: {n_samples} samples in {n_groups} "
            f"groups; {n_genes} genes (TPM-like, 2,000 to 15,000, no group "
            f"structure) and {n_metabolites} metabolites (5 to 50 uM, shifted "
            "by group)."
        ),
    )
