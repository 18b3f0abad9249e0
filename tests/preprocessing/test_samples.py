"""The per-sample normalisers against the tools analysts use today (their
stored outputs), against the formulas written out here, and on the inputs
that break them: zeros, NaN, sparse, weights, new rows."""

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skscale._backends import dense
from skscale.preprocessing import (
    CLRTransformer,
    MedianRatioNormalizer,
    PQNormalizer,
    QuantileNormalizer,
    SampleStandardizer,
    TotalSumNormalizer,
    ZScoreScaler,
)

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "tests" / "data" / "normalisers"


def _reference_inputs():
    """The fixed inputs the stored outputs were made from."""
    path = ROOT / "tools" / "make_reference_values.py"
    spec = importlib.util.spec_from_file_location("make_reference_values", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.inputs(), module.single_cell_inputs()


(COUNTS, COMPOSITIONS, INTENSITIES, TIES), CELLS = _reference_inputs()


def _stored(name):
    return pd.read_csv(STORED / f"{name}.csv").to_numpy()


# --- the tools analysts use today -------------------------------------------


def test_size_factors_are_pydeseq2s():
    assert (COUNTS == 0).any(axis=0).sum() > 5  # genes left out for their zeros
    factors = MedianRatioNormalizer().fit(COUNTS).size_factors(COUNTS)
    assert_allclose(factors, _stored("pydeseq2_size_factors")[:, 0], rtol=1e-12)


def test_clr_is_scikit_bios():
    assert_allclose(
        CLRTransformer().fit_transform(COMPOSITIONS), _stored("skbio_clr"), atol=1e-13
    )
    assert_allclose(
        CLRTransformer(pseudocount=1.0).fit_transform(COUNTS),
        _stored("skbio_clr_counts_plus_1"),
        atol=1e-13,
    )


@pytest.mark.parametrize("name", ["intensities", "ties"])
def test_quantile_normalisation_of_the_training_rows_is_qnorms(name):
    table = INTENSITIES if name == "intensities" else TIES
    out = QuantileNormalizer().fit_transform(table)
    assert_allclose(out, _stored(f"qnorm_{name}"), atol=1e-13)


def test_total_sum_normalisation_is_scanpys_normalize_total():
    out = TotalSumNormalizer().fit_transform(COUNTS)
    assert_allclose(out, _stored("scanpy_normalize_total"), rtol=1e-12)


def test_poscounts_size_factors_are_pydeseq2s():
    assert (CELLS == 0).any(axis=0).all()  # the ratio method has no gene
    with pytest.raises(ValueError, match="use method='poscounts'"):
        MedianRatioNormalizer().fit(CELLS)
    factors = MedianRatioNormalizer(method="poscounts").fit(CELLS).size_factors(CELLS)
    assert_allclose(
        factors, _stored("pydeseq2_poscounts_size_factors")[:, 0], rtol=1e-13
    )


def test_excluding_highly_expressed_genes_is_scanpys():
    step = TotalSumNormalizer(exclude_highly_expressed=True, max_fraction=0.05)
    out = step.fit_transform(CELLS)
    assert_array_equal(np.flatnonzero(step.highly_expressed_), [3, 11])
    expected = _stored("scanpy_normalize_total_exclude_highly_expressed")
    assert_allclose(out, expected, rtol=1e-13)
    assert_allclose(step.fit(CELLS).transform(CELLS), expected, rtol=1e-13)


@pytest.mark.parametrize("base", [None, 2])
def test_log1p_after_normalisation_is_scanpys(base):
    from skscale.preprocessing import LogTransformer

    normalised = TotalSumNormalizer().fit_transform(CELLS)
    out = LogTransformer(base=base).fit_transform(normalised)
    assert_allclose(out, _stored(f"scanpy_log1p_base_{base or 'e'}"), rtol=1e-15)


def _r_poscounts(counts):
    """R DESeq2's estimateSizeFactors(type = "poscounts"), written out:
    geoMeanNZ <- function(x) if (all(x == 0)) 0 else
        exp(sum(log(x[x > 0])) / length(x))
    sf <- apply(counts, 2, function(cnts) exp(median((log(cnts) -
        loggeomeans)[is.finite(loggeomeans) & cnts > 0])))
    sf / exp(mean(log(sf)))"""
    n_cells, n_genes = counts.shape
    loggeomeans = np.empty(n_genes)
    for j in range(n_genes):
        x = counts[:, j]
        loggeomeans[j] = (
            -np.inf if (x == 0).all() else np.sum(np.log(x[x > 0])) / len(x)
        )
    sf = np.empty(n_cells)
    for i in range(n_cells):
        cnts = counts[i]
        keep = np.isfinite(loggeomeans) & (cnts > 0)
        sf[i] = np.exp(np.median(np.log(cnts[keep]) - loggeomeans[keep]))
    return sf / np.exp(np.mean(np.log(sf)))


@pytest.mark.parametrize("kind", ["dense", "csr", "csc"])
def test_poscounts_is_r_deseq2_where_pydeseq2_differs(kind):
    # genes whose positive counts are all 1 have a log mean of 0: R keeps
    # them, pydeseq2 (logmeans > 0) leaves them out
    counts = CELLS.copy()
    counts[:, :40] = np.minimum(counts[:, :40], 1)
    counts[:, 50] = 0  # a gene with no count at all is left out by both
    X = counts if kind == "dense" else sp.csr_matrix(counts).asformat(kind)
    step = MedianRatioNormalizer(method="poscounts").fit(X)
    assert np.isnan(step.log_geo_means_[50])
    assert_allclose(step.size_factors(X), _r_poscounts(counts), rtol=1e-13)
    out = step.transform(X)
    out = out.toarray() if sp.issparse(out) else out
    assert_allclose(out, counts / _r_poscounts(counts)[:, None], rtol=1e-13)


def test_poscounts_new_samples_use_the_training_centre():
    train, test = CELLS[:30], CELLS[30:]
    step = MedianRatioNormalizer(method="poscounts").fit(train)
    # the training rows' factors have geometric mean 1; new samples are
    # compared with the training genes and centre, not re-centred
    assert_allclose(np.exp(np.mean(np.log(step.size_factors(train)))), 1.0)
    raw = np.exp(
        [np.median(np.log(row[row > 0]) - step.log_geo_means_[row > 0]) for row in test]
    )
    assert_allclose(step.size_factors(test), raw / np.exp(step.log_centre_))
    assert step.log_centre_ == pytest.approx(
        np.mean(
            np.log(
                [
                    np.exp(np.median(np.log(r[r > 0]) - step.log_geo_means_[r > 0]))
                    for r in train
                ]
            )
        )
    )


def test_poscounts_weights_repeat_rows():
    weights = np.arange(CELLS.shape[0]) % 3
    repeated = np.repeat(CELLS, weights, axis=0)
    a = MedianRatioNormalizer(method="poscounts").fit(CELLS, sample_weight=weights)
    b = MedianRatioNormalizer(method="poscounts").fit(repeated)
    assert_allclose(a.log_geo_means_, b.log_geo_means_, rtol=1e-13, equal_nan=True)
    assert a.log_centre_ == pytest.approx(b.log_centre_, rel=1e-13)


def test_excluding_every_feature_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"every feature is above max_fraction=0\.3"):
        TotalSumNormalizer(exclude_highly_expressed=True, max_fraction=0.3).fit(
            [[1.0, 2.0], [3.0, 1.0]]
        )


@pytest.mark.parametrize("kind", ["csr", "csc"])
def test_excluding_highly_expressed_genes_on_sparse_input(kind):
    X = sp.csr_matrix(CELLS).asformat(kind)
    step = TotalSumNormalizer(exclude_highly_expressed=True).fit(X)
    dense = TotalSumNormalizer(exclude_highly_expressed=True).fit(CELLS)
    assert_array_equal(step.highly_expressed_, dense.highly_expressed_)
    assert step.target_sum_ == dense.target_sum_
    out = step.transform(X)
    assert sp.issparse(out) and out.format == kind
    assert_allclose(out.toarray(), dense.transform(CELLS), rtol=1e-14)


def test_highly_expressed_genes_are_learnt_from_the_training_rows():
    train, test = CELLS.copy(), CELLS[:5].copy()
    test[0, 20] = 1e4  # highly expressed in a new cell only: still counted
    step = TotalSumNormalizer(exclude_highly_expressed=True).fit(train)
    assert not step.highly_expressed_[20]
    kept = ~step.highly_expressed_
    expected = test * step.target_sum_ / test[:, kept].sum(axis=1, keepdims=True)
    assert_allclose(step.transform(test), expected, rtol=1e-14)
    # a row of weight 0 marks no gene
    heavy = train.copy()
    heavy[0, 20] = 1e4
    weights = np.ones(len(heavy))
    weights[0] = 0
    assert (
        not TotalSumNormalizer(exclude_highly_expressed=True)
        .fit(heavy, sample_weight=weights)
        .highly_expressed_[20]
    )
    assert (
        TotalSumNormalizer(exclude_highly_expressed=True)
        .fit(heavy)
        .highly_expressed_[20]
    )


# --- the formulas ------------------------------------------------------------


def _positive_table(n=40, p=12, seed=0):
    rng = np.random.default_rng(seed)
    profile = rng.lognormal(2.0, 1.0, size=p)
    dilution = rng.uniform(0.2, 5.0, size=n)
    noise = rng.lognormal(0.0, 0.1, size=(n, p))
    return dilution, dilution[:, None] * profile * noise


def test_total_sum_rows_sum_to_the_median_total():
    _, X = _positive_table()
    model = TotalSumNormalizer().fit(X)
    assert model.target_sum_ == np.median(X.sum(axis=1))
    assert_allclose(model.transform(X).sum(axis=1), model.target_sum_, rtol=1e-13)
    cpm = TotalSumNormalizer(target_sum=1e6).fit_transform(X)
    assert_allclose(cpm, X / X.sum(axis=1, keepdims=True) * 1e6, rtol=1e-14)


def test_pqn_is_dieterles_two_steps():
    """Total-sum normalise, take the median spectrum, divide each row by its
    median quotient: written out here, step by step."""
    _, X = _positive_table()
    X[3, 5] = 0.0  # a zero is left out of that row's quotients
    totals = X.sum(axis=1)
    target = np.median(totals)
    normalised = X / totals[:, None] * target
    reference = np.median(normalised, axis=0)
    quotients = normalised / reference
    quotients[3, 5] = np.nan
    expected = normalised / np.nanmedian(quotients, axis=1)[:, None]
    model = PQNormalizer().fit(X)
    assert model.target_sum_ == target
    assert_allclose(model.reference_, reference, rtol=1e-14)
    assert_allclose(model.transform(X), expected, rtol=1e-12)
    mean_model = PQNormalizer(reference="mean").fit(X)
    assert_allclose(mean_model.reference_, normalised.mean(axis=0), rtol=1e-14)


def test_pqn_recovers_the_dilution_that_a_total_confuses():
    """One feature that rises tenfold in half the samples moves every total;
    the median quotient follows the true dilution."""
    dilution, X = _positive_table(n=60, p=15, seed=1)
    X[::2, 0] *= 10.0
    factors = PQNormalizer().fit(X).dilution_factors(X)
    totals = X.sum(axis=1)
    pqn_r = np.corrcoef(np.log(factors), np.log(dilution))[0, 1]
    total_r = np.corrcoef(np.log(totals), np.log(dilution))[0, 1]
    assert pqn_r > 0.995
    assert total_r < pqn_r - 0.05


def test_median_ratio_formula_on_counts_with_zeros():
    X = COUNTS.astype(float)
    logs = np.log(np.where(X > 0, X, np.nan))
    kept = (X > 0).all(axis=0)
    means = logs[:, kept].mean(axis=0)
    expected = np.exp(np.median(logs[:, kept] - means, axis=1))
    model = MedianRatioNormalizer().fit(X)
    assert_array_equal(np.isnan(model.log_geo_means_), ~kept)
    assert_allclose(model.log_geo_means_[kept], means, rtol=1e-13)
    assert_allclose(model.transform(X), X / expected[:, None], rtol=1e-12)


def test_median_ratio_skips_a_new_samples_zero_counts():
    model = MedianRatioNormalizer().fit(COUNTS)
    new = COUNTS[:1].astype(float).copy()
    kept = np.flatnonzero(~np.isnan(model.log_geo_means_))
    new[0, kept[:3]] = 0.0
    use = kept[3:]
    expected = np.exp(np.median(np.log(new[0, use]) - model.log_geo_means_[use]))
    assert_allclose(model.size_factors(new), [expected], rtol=1e-13)


def test_median_ratio_without_a_zero_free_feature_says_so():
    X = np.array([[0.0, 1.0], [2.0, 0.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="at least one feature that is positive"):
        MedianRatioNormalizer().fit(X)


def test_clr_rows_sum_to_zero_and_invert_to_the_closure():
    X = COMPOSITIONS.copy()
    X[1, 2] = np.nan
    clr = CLRTransformer().fit(X)
    Z = clr.transform(X)
    assert_allclose(np.nansum(Z, axis=1), 0.0, atol=1e-13)
    assert np.isnan(Z[1, 2]) and not np.isnan(Z).sum() > 1
    closure = X / np.nansum(X, axis=1, keepdims=True)
    assert_allclose(clr.inverse_transform(Z), closure, rtol=1e-13)


def test_clr_is_exact_far_below_the_pseudocount():
    X = np.array([[1e-300, 2e-300, 4e-300]])
    Z = CLRTransformer(pseudocount=1.0).fit_transform(X)
    # log(1 + x) ~ x: the log-ratios are x minus their mean
    assert_allclose(Z, X - X.mean(), rtol=1e-12)


@pytest.mark.parametrize(
    ("pseudocount", "value", "message"),
    [
        (0.0, 0.0, r"zeros in column 'b' \(index 1\) and pseudocount=0; set pseudo"),
        (1.0, -1.0, r"Negative values in data passed to CLRTransformer"),
        (0.0, -2.0, r"Negative values in data passed to CLRTransformer"),
    ],
)
def test_clr_names_the_column_it_cannot_take_the_log_of(pseudocount, value, message):
    X = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, value]})
    with pytest.raises(ValueError, match=message):
        CLRTransformer(pseudocount=pseudocount).fit(X)


def test_quantile_reference_is_the_mean_of_sorted_rows_and_maps_new_rows():
    model = QuantileNormalizer().fit(INTENSITIES)
    assert_allclose(model.reference_, np.sort(INTENSITIES, axis=1).mean(axis=0))
    new = np.random.default_rng(5).normal(size=(3, INTENSITIES.shape[1])) * 50
    out = model.transform(new)
    for row, mapped in zip(new, out, strict=True):
        assert_allclose(mapped, model.reference_[np.argsort(np.argsort(row))])


def test_sample_standardizer_standardises_rows_and_blocks():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6, 7)) * [1, 1, 1, 100, 100, 100, 5] + 20
    out = SampleStandardizer().fit_transform(X)
    assert_allclose(out.mean(axis=1), 0, atol=1e-14)
    assert_allclose(out.std(axis=1), 1, rtol=1e-13)
    blocks = {"small": [0, 1, 2], "large": [3, 4, 5]}
    grouped = SampleStandardizer(blocks=blocks).fit_transform(X)
    for columns in blocks.values():
        part = X[:, columns]
        expected = (part - part.mean(axis=1, keepdims=True)) / part.std(
            axis=1, keepdims=True
        )
        assert_allclose(grouped[:, columns], expected, rtol=1e-12)
    assert_array_equal(grouped[:, 6], X[:, 6])  # in no block: unchanged
    # one group over mixed variances crushes the small features: their spread
    # within a row is at most a tenth or so of the group-wise one (here 0.01-0.10)
    assert (out[:, :3].std(axis=1) < 0.2 * grouped[:, :3].std(axis=1)).all()


def test_sample_standardizer_centres_a_constant_row_only():
    out = SampleStandardizer().fit_transform([[5.0, 5.0, 5.0], [1.0, 2.0, 3.0]])
    assert_array_equal(out[0], 0.0)


# --- weights, sparse, dtypes, new rows -----------------------------------------

WEIGHTED = [TotalSumNormalizer, PQNormalizer, MedianRatioNormalizer, QuantileNormalizer]
EVERY = [
    TotalSumNormalizer(),
    PQNormalizer(),
    MedianRatioNormalizer(),
    CLRTransformer(pseudocount=1.0),
    QuantileNormalizer(),
    SampleStandardizer(),
]


@pytest.mark.parametrize("cls", WEIGHTED)
def test_integer_weights_are_repeated_rows(cls):
    _, X = _positive_table(n=15, p=6, seed=4)
    weights = np.arange(15) % 3  # 0, 1 or 2
    weighted = cls().fit(X, sample_weight=weights)
    repeated = cls().fit(np.repeat(X, weights, axis=0))
    assert_allclose(weighted.transform(X), repeated.transform(X), rtol=1e-12)


@pytest.mark.parametrize(
    "cls", [TotalSumNormalizer, PQNormalizer, MedianRatioNormalizer]
)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_dense_result_and_stays_sparse(cls, fmt):
    X = COUNTS.astype(float)
    X[2, 7] = np.nan
    dense = cls().fit(X)
    matrix = sp.csr_matrix(X).asformat(fmt)
    model = cls().fit(matrix)
    out = model.transform(matrix)
    assert sp.issparse(out) and out.format == fmt
    assert_allclose(out.toarray(), dense.transform(X), rtol=1e-12)
    assert_array_equal(matrix.toarray(), X)  # the input is not touched


@pytest.mark.parametrize("model", EVERY, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_the_floating_dtype_is_kept(model, dtype):
    X = COUNTS[:, :10].astype(float) + 1.0
    out = model.fit(X.astype(dtype)).transform(X.astype(dtype))
    assert out.dtype == dtype
    reference = model.fit(X).transform(X)
    tolerance = 1e-6 if dtype == np.float32 else 2e-3
    scale = np.abs(reference).max()
    assert np.abs(out.astype(float) - reference).max() <= tolerance * scale * 4


@pytest.mark.parametrize(
    "cls", [TotalSumNormalizer, PQNormalizer, MedianRatioNormalizer]
)
def test_a_row_that_cannot_be_normalised_is_left_and_named(cls):
    X = COUNTS[:5].astype(float)
    model = cls().fit(X)
    new = np.vstack([X[:1], np.zeros((1, X.shape[1]))])
    with pytest.warns(UserWarning, match=r"leaves row 1 unchanged \(1 of 2\): no "):
        out = model.transform(new)
    assert_array_equal(out[1], 0.0)
    assert_allclose(out[0], model.transform(X[:1])[0])


@pytest.mark.parametrize(
    "cls", [TotalSumNormalizer, PQNormalizer, MedianRatioNormalizer]
)
def test_negative_values_are_refused_naming_the_column(cls):
    X = pd.DataFrame({"gene1": [1.0, 2.0, 3.0], "gene2": [4.0, -1.0, 6.0]})
    with pytest.raises(ValueError, match=r"in column 'gene2' \(index 1\)"):
        cls().fit(X)


def test_copy_false_normalises_in_place():
    X = COUNTS.astype(float)
    model = TotalSumNormalizer().fit(X)
    expected = model.transform(X)
    assert model.transform(X, copy=False) is X
    assert_allclose(X, expected)


def test_the_reference_is_learnt_from_the_training_rows_only():
    """Inside cross-validation the reference comes from each training fold:
    a test fold made a hundred times larger does not move it."""
    _, X = _positive_table(n=30, p=8, seed=6)
    train, test = X[:20], X[20:] * 100
    model = PQNormalizer().fit(train)
    before = model.reference_.copy()
    model.transform(test)
    assert_array_equal(model.reference_, before)
    assert not np.allclose(
        PQNormalizer().fit(np.vstack([train, test])).reference_, before
    )


def test_a_normaliser_in_a_pipeline_in_grouped_cross_validation():
    from sklearn.linear_model import LogisticRegression

    _, X = _positive_table(n=60, p=8, seed=7)
    y = (X[:, 0] / X.sum(axis=1) > np.median(X[:, 0] / X.sum(axis=1))).astype(int)
    groups = np.arange(60) // 10
    pipe = make_pipeline(PQNormalizer(), ZScoreScaler(), LogisticRegression())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = cross_val_score(pipe, X, y, groups=groups, cv=GroupKFold(3))
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_dask_input_is_refused_with_advice():
    da = pytest.importorskip("dask.array")
    X = da.from_array(COUNTS.astype(float), chunks=5)
    with pytest.raises(TypeError, match=r"does not take dask collections.*compute"):
        TotalSumNormalizer().fit(X)


def test_pandas_output_keeps_the_names():
    X = pd.DataFrame(COUNTS[:, :3] + 1.0, columns=["x", "y", "z"])
    out = TotalSumNormalizer().set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == ["x", "y", "z"]


def test_standardised_rows_near_the_largest_float64():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the overflowing first try is quiet
        out = SampleStandardizer().fit_transform(
            [[1e308, 0.0, 0.0], [-1.7e308, 1e308, 0.0], [1.7e308, 1.7e308, 0.0]]
        )
    assert np.isfinite(out).all()
    rows = ([1.0, 0.0, 0.0], [-1.7, 1.0, 0.0], [1.7, 1.7, 0.0])
    for row, values in zip(out, rows, strict=True):
        expected = np.array(values) - np.mean(values)  # the row in units of 1e308
        assert_allclose(row, expected / expected.std(), rtol=1e-12)


def test_clr_refuses_negative_values_whatever_the_pseudocount():
    with pytest.raises(ValueError, match="Negative values in data passed to CLR"):
        CLRTransformer(pseudocount=1.0).fit([[-0.5, 1.0], [2.0, 3.0]])


def test_pqn_is_quiet_where_the_reference_is_zero():
    X = COUNTS.astype(float)
    X[:, 3] = 0.0  # a feature whose reference is zero
    X[:7, 5] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = PQNormalizer().fit(X)
        factors = model.dilution_factors(X)
    assert model.reference_[3] == 0.0 and np.isfinite(factors).all()


@pytest.mark.parametrize("reference", ["median", "mean"])
@pytest.mark.parametrize("weighted", [False, True])
def test_pqn_reference_of_an_all_nan_column_is_nan_and_quiet(reference, weighted):
    X = COUNTS[:12, :6].astype(float) + 1.0
    X[:, 2] = np.nan
    X[3, 4] = np.nan
    weights = np.arange(len(X)) % 4 + 1.0 if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = PQNormalizer(reference=reference).fit(X, sample_weight=weights)
    without = PQNormalizer(reference=reference).fit(
        np.delete(X, 2, axis=1), sample_weight=weights
    )
    assert np.isnan(model.reference_[2])
    assert_allclose(np.delete(model.reference_, 2), without.reference_, rtol=1e-13)


@pytest.mark.parametrize("block_elements", [None, 7])  # one block, or 1-2 rows
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("weighted", [False, True])
def test_quantile_fit_transform_is_fit_then_transform(
    weighted, dtype, order, block_elements, monkeypatch
):
    # fit_transform sorts each block in the output's memory and maps from
    # there; fit then transform sorts a copy and gathers: the same numbers
    if block_elements is not None:
        monkeypatch.setattr(dense, "_BLOCK_ELEMENTS", block_elements)
    rng = np.random.default_rng(3)
    X = np.vstack([TIES, rng.integers(0, 4, size=(9, TIES.shape[1]))])
    X = np.asarray(X, dtype=dtype, order=order)
    before = X.copy()
    weights = np.arange(len(X)) % 3 if weighted else None
    one = QuantileNormalizer()
    out = one.fit_transform(X, sample_weight=weights)
    two = QuantileNormalizer().fit(X, sample_weight=weights)
    assert out.dtype == dtype
    assert_array_equal(one.reference_, two.reference_)
    assert_array_equal(out, two.transform(X))
    assert_array_equal(X, before)  # sorted in the output, not in X
    # and against the rule written out: the reference at each value's ranks
    # (ties: the mean over the run), rounded once to the dtype
    expected = np.empty(X.shape)
    for i, row in enumerate(X.astype(np.float64)):
        for j, value in enumerate(row):
            below, equal = np.sum(row < value), np.sum(row == value)
            expected[i, j] = two.reference_[below : below + equal].mean()
    assert_allclose(
        out, expected.astype(dtype), rtol=1e-6 if dtype != np.float16 else 1e-3
    )


# --- written out: CLR, sparse geometric means, widths ---------------------------


def _clr_formula(X, pseudocount):
    logs = np.log(np.asarray(X, dtype=np.float64) + pseudocount)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the all-NaN row
        return logs - np.nanmean(logs, axis=1, keepdims=True)


@pytest.mark.parametrize("pseudocount", [0.0, 0.5, 3.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clr_is_the_formula_with_nan_rows_in_float64(pseudocount, dtype):
    # values near 1e6 that differ by units: their log-ratios (about 1e-6) are
    # lost in float32 logarithms, so the exact answer needs float64 inside
    rng = np.random.default_rng(0)
    X = 1e6 + rng.integers(1, 50, size=(6, 5)).astype(np.float64)
    X[0, 1] = np.nan
    X[3, [0, 4]] = np.nan  # two rows with NaN, of different means
    X[5] = np.nan  # and a row of nothing
    X = X.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = CLRTransformer(pseudocount=pseudocount).fit(X).transform(X)
    expected = _clr_formula(X, pseudocount)
    assert out.dtype == dtype
    assert np.isnan(out[5]).all() and np.isnan(out[0, 1])
    assert_allclose(out, expected.astype(dtype), rtol=1e-6, atol=0)
    sums = np.nansum(out[:5].astype(np.float64), axis=1)
    assert_allclose(sums, 0.0, atol=1e-12 if dtype == np.float64 else 1e-10)


def test_clr_inverse_is_the_closure_even_beyond_exp_overflow():
    ratios = np.array(
        [[-450.0, -450.0, 900.0], [0.0, 0.0, 0.0], [1.0, np.nan, -1.0]]
    )  # exp(900) overflows; the first and second rows differ in scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = CLRTransformer().fit(np.ones((1, 3))).inverse_transform(ratios)
    e = np.e
    assert_allclose(back[0], [0.0, 0.0, 1.0], atol=1e-300)
    assert_allclose(back[1], [1 / 3, 1 / 3, 1 / 3], rtol=1e-15)
    assert_allclose(back[2, [0, 2]], [e / (e + 1 / e), (1 / e) / (e + 1 / e)])
    assert np.isnan(back[2, 1])
    # integers are log-ratios too; float32 stays float32, computed in float64
    model = CLRTransformer().fit(np.ones((1, 3)))
    assert model.inverse_transform(np.array([[1, 0, -1]])).dtype == np.float64
    small = np.array([[1e-7, 0.0, -1e-7]], dtype=np.float32)
    closed = model.inverse_transform(small)
    exact = np.exp(small.astype(np.float64))
    assert closed.dtype == np.float32
    assert_allclose(closed, (exact / exact.sum()).astype(np.float32), rtol=0, atol=0)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_geometric_means_are_the_dense_ones(fmt, weighted):
    # stored zeros, a feature never stored (the last), NaN, weights: the
    # sparse geometric means, size factors and output are the dense ones
    X = COUNTS[:10, :9].astype(float) + 1.0
    X[:, -1] = 0.0  # never stored: every row has a zero
    X[4, 2] = np.nan
    X[:, 3] = np.nan  # no value at all
    X[7, 5] = 0.0
    X[1:, 6] = np.nan  # one value: a geometric mean of that value alone
    matrix = sp.csr_matrix(X)
    matrix.data[np.isnan(matrix.data)] = np.nan
    # a zero stored explicitly, as sums of sparse matrices leave them
    row_start = matrix.indptr[1]
    matrix.data[row_start] = 0.0  # row 1's first stored value
    X[1, matrix.indices[row_start]] = 0.0
    assert (matrix.data == 0).sum() == 1
    matrix = matrix.asformat(fmt)
    weights = np.arange(1, 11) % 3 + 0.5 if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no log of zero, no 0 / 0
        dense = MedianRatioNormalizer().fit(X, sample_weight=weights)
        sparse = MedianRatioNormalizer().fit(matrix, sample_weight=weights)
        sparse_factors = sparse.size_factors(matrix)
        sparse_out = sparse.transform(matrix).toarray()
    assert_array_equal(np.isnan(sparse.log_geo_means_), np.isnan(dense.log_geo_means_))
    assert np.isnan(dense.log_geo_means_[[-1, 3, 5]]).all()
    assert sparse.log_geo_means_[6] == dense.log_geo_means_[6] == np.log(X[0, 6])
    kept = ~np.isnan(dense.log_geo_means_)
    # the formula: a weighted mean of the logs over the rows with a value
    logs = np.log(X[:, kept])
    w = np.ones(10) if weights is None else weights
    present = ~np.isnan(logs)
    expected = (np.where(present, logs, 0.0) * w[:, None]).sum(axis=0) / (
        present * w[:, None]
    ).sum(axis=0)
    assert_allclose(sparse.log_geo_means_[kept], expected, rtol=1e-13)
    assert_allclose(dense.log_geo_means_[kept], expected, rtol=1e-13)
    assert_allclose(sparse_factors, dense.size_factors(X), rtol=1e-13)
    assert_allclose(sparse_out, dense.transform(X), rtol=1e-13)


@pytest.mark.parametrize("model", EVERY, ids=lambda m: type(m).__name__)
def test_another_width_is_refused_and_the_fit_kept(model):
    X = COUNTS[:8, :6].astype(float) + 1.0
    model.fit(X)
    wide = np.hstack([X, X[:, :1]])
    methods = [model.transform]
    if hasattr(model, "inverse_transform"):
        methods.append(model.inverse_transform)
    for method in methods:
        with pytest.raises(
            ValueError, match=r"X has 7 features, but .* is expecting 6"
        ):
            method(wide)
    assert model.n_features_in_ == 6
    model.transform(X)  # still the fitted width


# --- messages in full, and the helpers' edges ------------------------------------


@pytest.mark.parametrize(
    ("cls", "lacking"),
    [
        (TotalSumNormalizer, "positive finite total"),
        (PQNormalizer, "positive feature shared with the reference"),
        (MedianRatioNormalizer, "positive count among the features kept in fit"),
    ],
)
@pytest.mark.parametrize(
    ("bad_rows", "described"),
    [
        ([2], "row 2"),
        ([0, 3], "rows 0, 3"),
        ([0, 1, 2, 3, 4], "rows 0, 1, 2, 3, 4"),
        ([0, 1, 2, 3, 4, 5, 6], "rows 0, 1, 2, 3, 4 and 2 more"),
    ],
)
def test_the_rows_left_unchanged_are_named_in_full(cls, lacking, bad_rows, described):
    X = COUNTS[:8].astype(float) + 1.0
    model = cls().fit(X)
    new = X.copy()
    new[bad_rows] = 0.0
    with pytest.warns(UserWarning) as caught:
        out = model.transform(new)
    assert [str(w.message) for w in caught] == [
        f"{cls.__name__} leaves {described} unchanged ({len(bad_rows)} of 8): "
        f"no {lacking}."
    ]
    assert_array_equal(out[bad_rows], 0.0)


def test_a_nan_refusal_names_the_columns_in_full():
    X = pd.DataFrame({"g1": [1.0, 2.0, 3.0], "g2": [1.0, 2.0, 3.0]})
    X.loc[1, "g2"] = np.nan
    with pytest.raises(ValueError) as caught:
        QuantileNormalizer().fit(X)
    assert str(caught.value) == (
        "QuantileNormalizer needs every value, but found NaN in column 'g2' "
        "(index 1); impute the missing values first (for example with "
        "sklearn.impute.SimpleImputer)."
    )


@pytest.mark.parametrize("sparse", [False, True])
def test_a_negative_refusal_names_only_the_negative_columns(sparse):
    # a zero (allowed) in one column, negatives in two others, all in row 0
    X = np.array([[0.0, 5.0, -1.0, 2.0, -3.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
    data = sp.csr_matrix(X) if sparse else pd.DataFrame(X, columns=list("abcde"))
    with pytest.raises(ValueError) as caught:
        TotalSumNormalizer().fit(data)
    named = "column 'c' (index 2), column 'e' (index 4)"
    if sparse:
        named = "column 2, column 4"
    assert str(caught.value) == (
        f"Negative values in data passed to TotalSumNormalizer, in {named}; "
        "expected non-negative quantities (counts, intensities, concentrations)."
    )


def test_nan_row_medians_are_numpys():
    from skscale._backends.dense import nan_row_medians as _nan_row_medians

    rng = np.random.default_rng(0)
    values = rng.normal(size=(40, 7))
    # every count of values from none to all, odd and even
    for i, n_missing in enumerate(np.arange(40) % 8):
        values[i, rng.permutation(7)[:n_missing]] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's all-NaN rows
        expected = np.nanmedian(values, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_array_equal(_nan_row_medians(values), expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_size_factors_of_tall_tables_new_zeros_and_partial_rows(dtype):
    # more rows than features (the blocks are of rows), zeros in new rows
    # (skipped), NaN in several rows (each its own median), float32 values
    # near 1e6 read in float64: the median of log ratios, written out
    rng = np.random.default_rng(5)
    X = 1e6 + rng.integers(0, 40, size=(60, 4)).astype(float)
    model = MedianRatioNormalizer().fit(X.astype(dtype))
    new = X[:6].copy()
    new[0, 1] = 0.0
    new[1, [0, 2]] = np.nan
    new[2, 3] = np.nan
    new = new.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        factors = model.size_factors(new)
    values = new.astype(np.float64)
    logs = np.log(np.where(values > 0, values, np.nan)) - model.log_geo_means_
    expected = np.exp(np.nanmedian(logs, axis=1))
    assert_allclose(factors, expected, rtol=1e-13)
    # sparse: a zero stored explicitly is skipped as the dense zero is
    stored = sp.csr_matrix(np.where(new == 0, 1.0, new).astype(dtype))
    stored.data[(stored.indptr[0] + 1)] = 0.0  # row 0, column 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_allclose(model.size_factors(stored), expected, rtol=1e-13)
    logs_fit = np.log(X.astype(dtype).astype(np.float64))
    assert_allclose(model.log_geo_means_, logs_fit.mean(axis=0), rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_totals_of_an_empty_last_row_and_float32(dtype):
    # the last row has no stored value; float32 values whose float32 sum
    # would round: the totals are float64 sums
    X = np.zeros((4, 3))
    X[:3] = [[16777216.0, 1.0, 1.0], [1.0, 2.0, 3.0], [4.0, 0.0, 5.0]]
    matrix = sp.csr_matrix(X.astype(dtype))
    with pytest.warns(UserWarning, match=r"leaves row 3 unchanged \(1 of 4\)"):
        model = TotalSumNormalizer(target_sum=1.0).fit(matrix)
        out = model.transform(matrix)
    totals = X.astype(dtype).astype(np.float64).sum(axis=1)
    expected = X.astype(dtype).astype(np.float64)[:3] / totals[:3, None]
    assert_allclose(out.toarray()[:3], expected.astype(dtype), rtol=1e-7)
    assert out.toarray()[0, 1] == np.asarray(1.0 / 16777218.0, dtype=dtype)


@pytest.mark.parametrize(
    "cls", [TotalSumNormalizer, PQNormalizer, MedianRatioNormalizer]
)
def test_copy_at_transform_overrides_the_parameter(cls):
    X = COUNTS[:6].astype(float) + 1.0
    model = cls().fit(X)
    kept = X.copy()
    out = model.transform(kept, copy=True)
    assert out is not kept
    assert_array_equal(kept, X)
    model.set_params(copy=True)
    inplace = X.copy()
    out = model.transform(inplace, copy=False)
    assert out is inplace and not np.array_equal(inplace, X)
    model.set_params(copy=False)
    other = X.copy()
    out = model.transform(other, copy=True)
    assert out is not other
    assert_array_equal(other, X)


def _standardised_rows(X, with_mean, with_std):
    """Each row standardised, written out: NaN skipped, population standard
    deviation, a row whose spread is rounding (n * eps * |mean|) only
    centred; computed on the row divided by a power of two near its largest
    value, which changes nothing exactly, so tiny and huge rows stay exact."""
    eps = np.finfo(np.float64).eps
    out = np.full(X.shape, np.nan)
    for i, row in enumerate(np.asarray(X, dtype=np.float64)):
        present = ~np.isnan(row)
        if not present.any():
            continue
        values = row[present]
        largest = np.abs(values).max()
        unit = 1.0 if largest == 0 else np.ldexp(0.5, np.frexp(largest)[1])
        scaled = values / unit
        mean, std, n = scaled.mean(), scaled.std(), values.size
        constant = std <= n * eps * abs(mean) / np.sqrt(1 - n * eps) or std == 0
        result = scaled - mean if with_mean else scaled.copy()
        if with_std and not constant:
            result /= std
        else:
            result *= unit
        out[i, present] = result
    return out


@pytest.mark.parametrize("with_mean", [True, False])
@pytest.mark.parametrize("with_std", [True, False])
def test_sample_standardizer_is_the_formula_at_every_scale(with_mean, with_std):
    rng = np.random.default_rng(8)
    base = rng.normal(3.0, 2.0, size=(40, 6))  # more rows than columns
    X = base.copy()
    X[1] *= 1e-200  # spreads below 1e-150 and above 1e150 take the
    X[2] *= 1e200  # power-of-two path
    X[3] = 5.0  # constant
    X[4] = 0.0
    X[5, 2] = np.nan
    X[6] = np.nan
    X[7] *= 1e250
    X[7, 0] = np.nan
    X[8] = 1.0 + 1e-15 * rng.normal(size=6)  # rounding noise: constant
    X[9] = 1e-14 * rng.normal(size=6)  # small, not constant
    # huge, with a NaN, and a spread of rounding for its five values (not
    # for one): the count of values, not of NaN, sets the tolerance
    X[10] = 1e200 * (1.0 + 6e-16 * np.array([1.0, -1.0, 1.0, -1.0, 0.0, 0.0]))
    X[10, 5] = np.nan
    # and one whose spread is above rounding for its own five values, though
    # not for all the values of the rows taken that way together
    X[11] = 1e200 * (1.0 + 3e-15 * np.array([1.0, -1.0, 1.0, -1.0, 0.0, 0.0]))
    X[11, 5] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = SampleStandardizer(with_mean=with_mean, with_std=with_std).fit_transform(
            X
        )
    expected = _standardised_rows(X, with_mean, with_std)
    assert_allclose(out, expected, rtol=1e-13, atol=0)
    assert_array_equal(np.isnan(out), np.isnan(X))


def test_sample_standardizer_blocks_of_one_column_and_uncovered_columns():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(30, 6)) * [1, 10, 10, 10, 100, 1000]
    X[4, 2] = np.nan
    blocks = {"one": [0], "three": [1, 2, 3], "two": [4, 5]}
    out = SampleStandardizer(blocks=blocks).fit_transform(X)
    for columns in blocks.values():
        assert_allclose(
            out[:, columns], _standardised_rows(X[:, columns], True, True), rtol=1e-13
        )
    assert_array_equal(out[:, 0], 0.0)  # a single value is its own mean
    before = X.copy()
    partial = SampleStandardizer(blocks={"three": [1, 2, 3]}).fit_transform(X)
    assert_array_equal(X, before)  # the output is a copy, not X
    assert_array_equal(partial[:, [0, 4, 5]], X[:, [0, 4, 5]])  # left as given
    assert_allclose(partial[:, 1:4], out[:, 1:4], rtol=1e-15)
    # float32 rows far from zero: a float32 mean would lose the spread
    X[:, 1:4] += 1e4
    f32 = SampleStandardizer(blocks=blocks).fit_transform(X.astype(np.float32))
    assert f32.dtype == np.float32
    expected = np.hstack(
        [
            _standardised_rows(X.astype(np.float32)[:, c], True, True)
            for c in blocks.values()
        ]
    )
    assert_allclose(f32, expected.astype(np.float32), rtol=1e-6, atol=1e-7)


# --- the learnt references against their definitions ------------------------------


@pytest.mark.parametrize("block_elements", [None, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_quantile_reference_is_the_mean_of_the_sorted_rows(
    weighted, block_elements, monkeypatch
):
    if block_elements is not None:  # a row or two per block
        monkeypatch.setattr(dense, "_BLOCK_ELEMENTS", block_elements)
    rng = np.random.default_rng(2)
    X = rng.normal(size=(9, 4)).astype(np.float32) * 1e4 + 1e5
    weights = rng.uniform(0.2, 3.0, size=9) if weighted else None
    ordered = np.sort(X.astype(np.float64), axis=1)
    expected = np.average(ordered, axis=0, weights=weights)
    for model in (QuantileNormalizer().fit(X, sample_weight=weights),):
        assert_allclose(model.reference_, expected, rtol=1e-15)
    fitted = QuantileNormalizer()
    fitted.fit_transform(X, sample_weight=weights)
    assert_allclose(fitted.reference_, expected, rtol=1e-15)


def test_total_sum_target_is_the_median_of_the_positive_totals():
    X = np.array([[1.0, 2.0], [0.0, 0.0], [3.0, 4.0], [5.0, 6.0], [0.0, 0.0]])
    model = TotalSumNormalizer().fit(X)
    assert model.target_sum_ == 7.0  # of 3, 7 and 11; the zero rows left out
    weights = np.array([2.0, 1.0, 1.0, 3.0, 1.0])
    weighted = TotalSumNormalizer().fit(X, sample_weight=weights)
    # numpy's median of the rows repeated by weight: 3, 3, 7, 11, 11, 11
    assert weighted.target_sum_ == 9.0
    # PQN's reference, likewise of the rows with a positive total only
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pqn = PQNormalizer().fit(X)
    assert_allclose(pqn.reference_, PQNormalizer().fit(X[[0, 2, 3]]).reference_)


def test_pqn_of_small_values_and_nan_against_dieterles_steps():
    # values far below 1 (the reference too), NaN in training rows: the
    # reference is the feature-wise median of the total-sum normalised rows,
    # NaN skipped; each factor the median of the row's own quotients to it
    rng = np.random.default_rng(6)
    X = rng.uniform(1e-6, 1e-4, size=(12, 8))
    X[2, 3] = X[5, 0] = X[5, 6] = np.nan
    model = PQNormalizer().fit(X)
    totals = np.nansum(X, axis=1, keepdims=True)
    normalised = X / totals * np.median(totals)
    assert_allclose(model.reference_, np.nanmedian(normalised, axis=0), rtol=1e-14)
    quotients = X / model.reference_
    assert_allclose(
        model.dilution_factors(X), np.nanmedian(quotients, axis=1), rtol=1e-14
    )


def test_a_row_left_unchanged_keeps_its_values():
    # a row whose counts are all in features left out in fit (they had a
    # zero): no size factor, so its values stay as they are, not halved
    X = COUNTS[:8].astype(float) + 1.0
    X[0, :3] = 0.0  # features 0-2 left out
    model = MedianRatioNormalizer().fit(X)
    new = np.zeros((2, X.shape[1]))
    new[0, :3] = [5.0, 6.0, 7.0]
    new[1] = X[1]
    with pytest.warns(UserWarning, match="leaves row 0 unchanged"):
        out = model.transform(new)
    assert_array_equal(out[0], new[0])
    with pytest.warns(UserWarning, match="leaves row 0 unchanged"):
        sparse_out = model.transform(sp.csr_matrix(new))
    assert_array_equal(sparse_out.toarray()[0], new[0])


@pytest.mark.parametrize(
    "cls", [TotalSumNormalizer, PQNormalizer, MedianRatioNormalizer]
)
def test_sparse_copy_false_divides_in_place(cls):
    X = sp.csr_matrix(COUNTS[:6].astype(float) + 1.0)
    model = cls().fit(X)
    expected = model.transform(X).toarray()
    out = model.transform(X, copy=False)
    assert out is X
    assert_allclose(X.toarray(), expected, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_row_medians_of_empty_and_float32_rows(dtype):
    # PQN's quotients of sparse rows: a last row with no stored value, a row
    # of values near 1e6 whose float32 quotients would round
    rng = np.random.default_rng(3)
    X = 1e6 + rng.integers(0, 30, size=(6, 5)).astype(float)
    model = PQNormalizer().fit(X.astype(dtype))
    new = np.vstack([X[:3], np.zeros((1, 5))]).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sparse = model.dilution_factors(sp.csr_matrix(new))
        dense = model.dilution_factors(new)
    values = new.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        quotients = values / model.reference_
        expected = np.nanmedian(np.where(values > 0, quotients, np.nan), axis=1)
    assert_allclose(dense, expected, rtol=1e-14)
    assert_allclose(sparse, expected, rtol=1e-14)
    assert np.isnan(sparse[3]) and np.isnan(dense[3])


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            CLRTransformer(pseudocount=1.0),
            "CLRTransformer gives every implicit zero of a sparse matrix a value "
            "(its log-ratio), so its output is dense; pass X.toarray() (with a "
            "pseudocount for the zeros).",
        ),
        (
            QuantileNormalizer(),
            "QuantileNormalizer does not take sparse input: it gives every value "
            "of a row, zeros included, a reference value, so its output is "
            "dense; pass X.toarray().",
        ),
        (
            SampleStandardizer(),
            "SampleStandardizer centres each row, which would give every implicit "
            "zero of a sparse matrix a value; pass X.toarray().",
        ),
    ],
    ids=lambda m: type(m).__name__ if not isinstance(m, str) else "",
)
def test_sparse_refusals_in_full(model, message):
    with pytest.raises(TypeError) as caught:
        model.fit(sp.csr_matrix(np.ones((3, 2))))
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("pseudocount", "X", "message"),
    [
        (
            0.0,
            [[1.0, 0.0, 2.0, 0.0], [1.0, 1.0, 1.0, 3.0]],
            "CLRTransformer takes log(X + pseudocount), but found zeros in "
            "column 'b' (index 1), column 'd' (index 3) and pseudocount=0; set "
            "pseudocount above zero (1 for counts, or half the smallest positive "
            "value).",
        ),
        (
            0.0,
            [[1.0, -2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]],
            "Negative values in data passed to CLRTransformer, in column 'b' "
            "(index 1); expected compositions (proportions, abundances, counts).",
        ),
        (
            0.5,
            [[1.0, -0.25, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]],
            "Negative values in data passed to CLRTransformer, in column 'b' "
            "(index 1); expected compositions (proportions, abundances, counts).",
        ),
    ],
)
def test_clr_refusals_in_full(pseudocount, X, message):
    frame = pd.DataFrame(X, columns=list("abcd"))
    with pytest.raises(ValueError) as caught:
        CLRTransformer(pseudocount=pseudocount).fit(frame)
    assert str(caught.value) == message


def test_clr_accepts_zeros_with_a_pseudocount_and_small_positive_values():
    # zeros are fine above a pseudocount, and tiny positive values without
    X = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 1.0]])
    out = CLRTransformer(pseudocount=0.5).fit_transform(X)
    assert_allclose(out, _clr_formula(X, 0.5), rtol=1e-14)
    tiny = np.array([[1e-300, 0.5, 2.0]])
    assert_allclose(
        CLRTransformer().fit_transform(tiny), _clr_formula(tiny, 0.0), rtol=1e-14
    )


@pytest.mark.parametrize("with_mean", [True, False])
def test_sample_standardizer_rows_of_rounding_noise_among_ordinary_rows(with_mean):
    # every row ordinary (the fast path), one of them constant within
    # rounding: only centred, so without centring it keeps its values
    rng = np.random.default_rng(11)
    X = rng.normal(size=(5, 6)) * 3.0 + 2.0
    X[2] = 1.0 + 1e-16 * np.array([1.0, -1.0, 2.0, -2.0, 0.0, 1.0])
    out = SampleStandardizer(with_mean=with_mean).fit_transform(X)
    assert_allclose(out, _standardised_rows(X, with_mean, True), rtol=1e-13, atol=0)
    if not with_mean:
        assert_array_equal(out[2], X[2])


def test_geometric_means_of_values_below_one():
    # normalised abundances: logs of values in (0, 1) are negative
    rng = np.random.default_rng(12)
    X = rng.uniform(0.05, 0.95, size=(15, 6))
    X[:, 4] *= 10.0
    model = MedianRatioNormalizer().fit(X)
    assert_allclose(model.log_geo_means_, np.log(X).mean(axis=0), rtol=1e-14)
    factors = np.exp(np.median(np.log(X) - model.log_geo_means_, axis=1))
    assert_allclose(model.size_factors(X), factors, rtol=1e-13)


def test_median_total_of_small_totals_and_factors_from_one_value():
    # totals below one count as any positive total; a sparse row with a single
    # shared positive value has that quotient as its dilution factor
    X = np.array([[0.1, 0.2], [0.0, 0.0], [0.3, 0.4], [0.5, 0.6]])
    assert TotalSumNormalizer().fit(X).target_sum_ == 0.7
    model = PQNormalizer().fit(X)
    one = sp.csr_matrix(np.array([[0.0, 0.8], [0.3, 0.4]]))
    factors = model.dilution_factors(one)
    assert factors[0] == 0.8 / model.reference_[1]
    assert_allclose(factors, model.dilution_factors(one.toarray()), rtol=1e-15)


def test_quantile_reference_of_values_near_the_float64_limit_is_exact():
    X = np.array([[1e308, 1.0], [9e307, 2.0], [8e307, 3.0]])
    out = QuantileNormalizer().fit_transform(X)
    # each row sorted is (small, large): the reference is their column means
    assert_allclose(out[:, 0], 9e307, rtol=1e-15)
    assert_allclose(out[:, 1], 2.0, rtol=1e-15)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("kind", ["dense", "dense_in_place", "csr", "csr_in_place"])
def test_a_normalised_value_beyond_float64_is_refused_before_anything_changes(kind):
    X = np.array([[1.7e308, 1.0], [1.5e308, 2.0], [1.7e308, 3.0]])
    data = sp.csr_matrix(X) if kind.startswith("csr") else X.copy()
    before = data.copy()
    scaler = MedianRatioNormalizer(copy=not kind.endswith("in_place")).fit(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(
            ValueError, match=r"sample 0 divided by its factor .* takes column 0 beyond"
        ):
            scaler.transform(data)
    if sp.issparse(data):
        assert_array_equal(data.data, before.data)
    else:
        assert_array_equal(data, before)
