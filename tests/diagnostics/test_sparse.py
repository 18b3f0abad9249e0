"""The diagnostics on sparse matrices: dense float64's answer, never densified.

Each regime builds a dense table, runs a diagnostic on it and on the same
values as CSR, and compares every figure. The sparse path centres implicitly
(``S @ v - 1 (mu . v)``), holds the columns whose cross products would cancel
densely, and switches to Lanczos on the implicit covariance operator when
both sides are large (forced here on small data).
"""

import tracemalloc

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.spatial.distance import pdist
from sklearn.neighbors import KNeighborsClassifier

from skscale._backends import centred, centred_table
from skscale.diagnostics import compare_scalers, knn_distortion, pca_dominance
from skscale.preprocessing import ZScoreScaler, candidate_scalers


def _sparse_values(n, p, rng, density=0.3):
    """Continuous values (no tied distances) in a table that is mostly zero."""
    X = rng.gamma(2.0, 1.0, size=(n, p)) * rng.uniform(0.1, 10.0, size=p)
    X[rng.random((n, p)) > density] = 0.0
    return X


def _regime(name, rng):
    if name == "tall":  # covariance route
        return _sparse_values(200, 25, rng)
    if name == "wide":  # Gram route
        return _sparse_values(25, 200, rng)
    X = _sparse_values(150, 20, rng)
    if name == "offset":  # stored everywhere, tiny spread: cancels unless held
        X[:, 2] = 1e8 + rng.normal(size=150)
        X[:, 3] = 3.0  # constant, stored
        X[:, 4] = 0.0  # constant, not stored
        X[:, 5] = -7.5e6 + 1e-3 * rng.normal(size=150)
    elif name == "nan":
        X[rng.random(X.shape) < 0.03] = np.nan
        X[:, 6] = np.nan  # every value missing
    elif name == "huge":
        X *= 1e300
    elif name == "tiny":
        X *= 1e-300
    elif name == "mixed magnitudes":
        X[:, :5] *= 1e12
        X[:, 5:10] *= 1e-12
    return X


REGIMES = ["tall", "wide", "offset", "nan", "huge", "tiny", "mixed magnitudes"]


def _weights(p):
    return np.array([1.0 + (j % 4) for j in range(p)])


def _assert_pca_equal(dense, sparse):
    numbers = dense.components.select_dtypes("number").columns
    assert_allclose(
        sparse.components[numbers].to_numpy(dtype=float),
        dense.components[numbers].to_numpy(dtype=float),
        rtol=1e-9,
        atol=1e-12,
    )
    for column in ("top_feature_before", "top_feature_after"):
        assert (sparse.components[column] == dense.components[column]).all()
    features = dense.features.select_dtypes("number").columns
    # loadings up to a component's sign (fixed the same way, but a tie at the
    # largest entry may settle it differently)
    assert_allclose(
        np.abs(sparse.features[features].to_numpy(dtype=float)),
        np.abs(dense.features[features].to_numpy(dtype=float)),
        rtol=1e-8,
        atol=1e-10,
    )
    assert_allclose(
        np.abs(sparse.scores.to_numpy()),
        np.abs(dense.scores.to_numpy()),
        rtol=1e-8,
        atol=1e-10 * np.nanmax(np.abs(dense.scores.to_numpy())),
    )
    assert sparse.method == dense.method
    assert sparse.n_missing == dense.n_missing


@pytest.fixture(params=["sparse products", "dense blocks"])
def products(request, monkeypatch):
    """Both ways a sparse table multiplies: sparse products (very sparse
    tables) and dense blocks of rows (a few percent stored or more)."""
    share = 2.0 if request.param == "sparse products" else 0.0
    monkeypatch.setattr(centred, "_DENSE_PRODUCTS", share)
    return request.param


@pytest.mark.parametrize("regime", REGIMES)
def test_pca_dominance_sparse_equals_dense(regime, products):
    rng = np.random.default_rng(REGIMES.index(regime))
    X = _regime(regime, rng)
    scaled = X * _weights(X.shape[1])
    batch = np.repeat(["a", "b", "c"], -(-X.shape[0] // 3))[: X.shape[0]]
    dense = pca_dominance(X, scaled, covariates={"batch": batch})
    sparse = pca_dominance(
        sp.csr_matrix(X), sp.csc_matrix(scaled), covariates={"batch": batch}
    )
    _assert_pca_equal(dense, sparse)
    assert_allclose(
        sparse.covariates.to_numpy(), dense.covariates.to_numpy(), atol=1e-9
    )


def test_a_stored_near_constant_column_is_held_densely(products):
    # without holding, S.T @ S / n - mu mu^T loses the column's spread
    rng = np.random.default_rng(3)
    X = _regime("offset", rng)
    table = centred.SparseCentred(sp.csr_matrix(X))
    assert set(table.held.tolist()) == {2, 3, 5}
    dense = centred.DenseCentred(X)
    assert_allclose(table.variance(), dense.variance(), rtol=1e-12, atol=0)
    assert_allclose(
        table.second_moments("covariance"),
        dense.second_moments("covariance"),
        rtol=1e-9,
        atol=1e-12 * dense.variance().max(),
    )
    rows = np.array([0, 7, 42])
    assert_allclose(table.rows(rows), dense.rows(rows), rtol=1e-12, atol=1e-9)


def test_large_sparse_tables_use_the_implicit_operator(monkeypatch):
    rng = np.random.default_rng(5)
    X = _sparse_values(300, 120, rng)
    X[:, 1] = 2e7 + rng.normal(size=300)  # a held column in the operator too
    dense = pca_dominance(X, X * _weights(120))
    monkeypatch.setattr(centred, "_MATRIX_LIMIT", 50)
    sparse = pca_dominance(sp.csr_matrix(X), sp.csr_matrix(X * _weights(120)))
    assert sparse.method == "operator" and dense.method == "covariance"
    numbers = dense.components.select_dtypes("number").columns
    assert_allclose(
        sparse.components[numbers].to_numpy(dtype=float),
        dense.components[numbers].to_numpy(dtype=float),
        rtol=1e-8,
    )
    table = centred.SparseCentred(sp.csr_matrix(X))
    largest, smallest = centred.spectrum_ends(table)
    expected = np.linalg.eigvalsh(centred.DenseCentred(X).second_moments("covariance"))
    assert largest == pytest.approx(expected[-1], rel=1e-10)
    assert smallest == pytest.approx(expected[0], rel=1e-6)


@pytest.mark.parametrize("regime", ["tall", "wide", "offset", "nan", "huge", "tiny"])
def test_knn_distortion_sparse_equals_dense(regime, products):
    rng = np.random.default_rng(10 + REGIMES.index(regime))
    X = _regime(regime, rng)
    scaled = X * _weights(X.shape[1])
    y = rng.integers(0, 3, size=X.shape[0])
    dense = knn_distortion(X, scaled, y=y, n_neighbors=5, random_state=0)
    sparse = knn_distortion(
        sp.csr_matrix(X), sp.csr_matrix(scaled), y=y, n_neighbors=5, random_state=0
    )
    assert_allclose(
        sparse.metrics.to_numpy(), dense.metrics.to_numpy(), rtol=1e-9, atol=1e-12
    )
    assert_allclose(
        sparse.features.to_numpy(dtype=float),
        dense.features.to_numpy(dtype=float),
        rtol=1e-8,
        atol=1e-12,
    )


def test_knn_with_sampled_queries_and_pairs_matches_dense():
    rng = np.random.default_rng(21)
    X = _sparse_values(2500, 30, rng, density=0.2)  # sampled pairs beyond 2000
    scaled = X * _weights(30)
    kwargs = {"n_neighbors": 7, "max_samples": 300, "random_state": 4}
    dense = knn_distortion(X, scaled, **kwargs)
    sparse = knn_distortion(sp.csr_matrix(X), sp.csr_matrix(scaled), **kwargs)
    assert_allclose(sparse.metrics.to_numpy(), dense.metrics.to_numpy(), rtol=1e-9)


def test_compare_scalers_on_sparse_keeps_it_sparse_and_agrees_with_dense():
    rng = np.random.default_rng(30)
    X = _sparse_values(240, 30, rng)
    X[:, 0] *= 1e4  # one feature owns PC1 unscaled
    y = (X[:, 1] > np.median(X[:, 1])).astype(int)
    seen = []

    class Recorder(ZScoreScaler):
        def transform(self, X, copy=None):
            seen.append(type(X).__name__)
            return super().transform(X, copy=copy)

    candidates = candidate_scalers(sparse=True)
    assert list(candidates) == ["none", "zscore", "maxabs", "robust"]
    candidates["recorded"] = Recorder(with_mean=False)
    kwargs = {"estimator": KNeighborsClassifier(), "random_state": 0}
    dense = compare_scalers(X, y, scalers=candidates, **kwargs)
    sparse = compare_scalers(sp.csr_matrix(X), y, scalers=candidates, **kwargs)
    assert seen and set(seen[len(seen) // 2 :]) == {"csr_matrix"}
    numbers = dense.table.select_dtypes("number").columns
    assert_allclose(
        sparse.table[numbers].to_numpy(dtype=float),
        dense.table[numbers].to_numpy(dtype=float),
        rtol=1e-9,
        atol=1e-12,
    )
    assert sparse.recommended == dense.recommended
    assert sparse.table.loc["none", "pc1_top_feature"] == "x0"
    # the defaults for a sparse matrix are those that keep it sparse
    default = compare_scalers(sp.csr_matrix(X), y, random_state=0)
    assert list(default.table.index) == ["none", "zscore", "maxabs", "robust"]


def test_compare_scalers_sparse_with_missing_targets_and_selection():
    from sklearn.pipeline import make_pipeline

    from skscale.preprocessing import HighlyVariableGenes, LogTransformer

    rng = np.random.default_rng(31)
    counts = rng.poisson(rng.gamma(0.6, 3.0, size=40), size=(150, 40)).astype(float)
    y = pd.Series(rng.integers(0, 2, size=150), dtype=float)
    y[[3, 9]] = np.nan
    candidates = {
        "log": LogTransformer(),
        "log + hvg": make_pipeline(
            LogTransformer(), HighlyVariableGenes(n_top_genes=10)
        ),
    }
    dense = compare_scalers(counts, y, scalers=candidates, random_state=0)
    sparse = compare_scalers(
        sp.csr_matrix(counts), y, scalers=candidates, random_state=0
    )
    assert sparse.n_target_missing == dense.n_target_missing == 2
    numbers = list(dense.table.select_dtypes("number").columns)
    pca = [c for c in numbers if c.startswith(("pc1", "condition", "max_gd"))]
    assert_allclose(
        sparse.table[pca].to_numpy(dtype=float),
        dense.table[pca].to_numpy(dtype=float),
        rtol=1e-8,
        atol=1e-12,
    )
    # counts tie distances: a tie may pick another of the equal neighbours
    knn = ["knn_overlap", "trustworthiness", "purity"]
    assert_allclose(
        sparse.table[knn].to_numpy(dtype=float),
        dense.table[knn].to_numpy(dtype=float),
        atol=0.01,
    )


def test_candidates_that_centre_are_refused_for_sparse_data():
    with pytest.raises(ValueError, match=r"'pareto' centres each column.*sparse"):
        candidate_scalers(names=["zscore", "pareto"], sparse=True)
    blocks = {"a": [0, 1], "b": [2, 3]}
    mfa = candidate_scalers(blocks, sparse=True)["block_mfa"]
    assert (
        mfa.fit_transform(sp.random(20, 4, density=0.5, format="csr")).format == "csr"
    )


def test_sparse_diagnostics_never_densify():
    # 30,000 x 6,000 holds 1.44 GB dense (and its covariance 288 MB); its
    # 0.2% stored values take 4 MB: PCA goes through the implicit operator
    n_samples, n_features = 30_000, 6_000
    rng = np.random.default_rng(0)
    n_stored = n_samples * n_features // 500
    X = sp.csr_matrix(
        (
            rng.integers(1, 10, size=n_stored).astype(float),
            (
                rng.integers(n_samples, size=n_stored),
                rng.integers(n_features, size=n_stored),
            ),
        ),
        shape=(n_samples, n_features),
    )
    scaled = X @ sp.diags(_weights(n_features))
    dense_bytes = n_samples * n_features * 8
    tracemalloc.start()
    report = pca_dominance(X, scaled)
    pca_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    knn = knn_distortion(X, scaled, n_neighbors=5, max_samples=200, random_state=0)
    knn_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.method == "operator"
    assert knn.metrics["n_queries"] == 200
    # the components and a few blocks of 4 million distances, never the table
    assert pca_peak < 40e6, pca_peak
    assert knn_peak < dense_bytes / 8, knn_peak


@pytest.mark.parametrize("diagnostic", ["pca", "knn"])
def test_feature_names_name_the_columns_of_a_sparse_matrix(diagnostic):
    rng = np.random.default_rng(7)
    X = _sparse_values(60, 6, rng)
    X[:, 0] *= 100.0  # the column PCA and distances belong to
    genes = ["CD3E", "LYZ", "MS4A1", "NKG7", "GNLY", "FTL"]
    blocks = {"first": genes[:3], "rest": genes[3:]}
    run = pca_dominance if diagnostic == "pca" else knn_distortion
    dense = run(
        pd.DataFrame(X, columns=genes),
        pd.DataFrame(X / X.std(0), columns=genes),
        blocks=blocks,
    )
    named = run(
        sp.csr_matrix(X),
        sp.csr_matrix(X / X.std(0)),
        blocks=blocks,
        feature_names=genes,
    )
    assert list(named.features.index) == genes
    assert_allclose(named.blocks.to_numpy(float), dense.blocks.to_numpy(float))
    if diagnostic == "pca":
        assert named.components.loc["PC1", "top_feature_before"] == "CD3E"
    with pytest.raises(ValueError, match="feature_names has 5 names; expected one"):
        run(sp.csr_matrix(X), sp.csr_matrix(X), feature_names=genes[:5])
    with pytest.raises(ValueError, match="this X is a DataFrame with its own names"):
        run(pd.DataFrame(X, columns=genes), X, feature_names=genes)


@pytest.mark.parametrize("products", ["sparse", "dense blocks"])
def test_every_pair_distance_of_a_sparse_table_is_dense_pdist(products, monkeypatch):
    # the Gram matrix gives the distances, differences the pairs it would
    # cancel on: near-duplicate rows, and rows far out along one column
    monkeypatch.setattr(
        centred, "_DENSE_PRODUCTS", 0.0 if products != "sparse" else 2.0
    )
    rng = np.random.default_rng(3)
    X = _sparse_values(40, 30, rng)
    X[:, 9] = 1e8 + rng.normal(size=40)  # held densely
    X[1] = X[0]
    X[2] = X[0]
    X[2, 5] += 1e-7  # 1e-7 apart: the Gram formula loses it entirely
    X[3, :] = 0.0
    X[3, 7] = 1e6
    X[4] = X[3]
    X[4, 8] = 1e-3
    expected = pdist(centred_table(X).values)
    got = centred_table(sp.csr_matrix(X)).all_pair_distances()
    assert_allclose(got, expected, rtol=1e-10, atol=0)
    assert got[0] == 0.0  # rows 0 and 1
    assert_allclose(got[1], 1e-7, rtol=1e-6)  # rows 0 and 2


@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_second_moments_are_computed_once_and_kept_read_only(kind, monkeypatch):
    X = _sparse_values(50, 8, np.random.default_rng(5))
    table = centred_table(X if kind == "dense" else sp.csr_matrix(X))
    calls = []
    compute = table._second_moments
    monkeypatch.setattr(
        table, "_second_moments", lambda route: calls.append(route) or compute(route)
    )
    first = table.second_moments("covariance")
    assert table.second_moments("covariance") is first and calls == ["covariance"]
    with pytest.raises(ValueError, match="read-only"):
        first[0, 0] = 1.0
    # what PCA and the condition number read agree with a fresh computation
    centred.spectrum_ends(table)
    centred.top_eigenpairs(table, 2)
    assert calls == ["covariance"]
    assert_allclose(first, np.cov(X.T, bias=True), rtol=1e-12, atol=1e-12)
    table.second_moments("gram")
    assert calls == ["covariance", "gram"]


def test_largest_magnitude_reads_both_signs_and_skips_nan():
    assert centred._largest_magnitude(np.array([[1.0, -7.0], [np.nan, 3.0]])) == 7.0
    assert centred._largest_magnitude(np.array([[2.0, 5.0]])) == 5.0
    assert np.isnan(centred._largest_magnitude(np.full((2, 2), np.nan)))
    assert centred._largest_magnitude(np.empty((0, 3))) == 0.0
