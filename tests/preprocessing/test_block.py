import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import make_column_selector
from sklearn.preprocessing import Normalizer, StandardScaler

from skscale.datasets import load_nutrimouse
from skscale.preprocessing import BlockScaler, ParetoScaler, ZScoreScaler


@pytest.fixture
def nutrimouse():
    return load_nutrimouse()


def _two_blocks(n=50, seed=0):
    rng = np.random.default_rng(seed)
    big = rng.normal(size=(n, 12)) @ rng.normal(size=(12, 12)) * 100 + 1e4
    small = rng.normal(size=(n, 3)) * [0.1, 2, 5]
    return np.hstack([big, small])


def _first_eigenvalue(block):
    centred = block - block.mean(axis=0)
    return np.linalg.svd(centred, compute_uv=False)[0] ** 2 / block.shape[0]


def _pc1_block_shares(X, blocks):
    centred = X - X.mean(axis=0)
    loadings = np.linalg.svd(centred, full_matrices=False)[2][0]
    return {name: float(np.sum(loadings[cols] ** 2)) for name, cols in blocks.items()}


BLOCKS = {"big": slice(0, 12), "small": slice(12, 15)}


def test_mfa_weight_is_one_over_the_first_singular_value():
    X = _two_blocks()
    scaler = BlockScaler(BLOCKS).fit(X)
    for name, cols in (("big", slice(0, 12)), ("small", slice(12, 15))):
        z = StandardScaler().fit_transform(X[:, cols])
        s1 = np.linalg.svd(z / np.sqrt(len(z)), compute_uv=False)[0]
        assert scaler.block_weights_[name] == pytest.approx(1 / s1, rel=1e-10)
    Xt = scaler.transform(X)
    assert _first_eigenvalue(Xt[:, :12]) == pytest.approx(1.0, rel=1e-10)
    assert _first_eigenvalue(Xt[:, 12:]) == pytest.approx(1.0, rel=1e-10)


def test_mfa_weight_matches_an_iterative_solver_on_wide_blocks(monkeypatch):
    from skscale._backends import dense as dense_backend

    X = _two_blocks()
    dense = BlockScaler(BLOCKS).fit(X).block_weights_
    monkeypatch.setattr(dense_backend, "_DENSE_EIGEN_LIMIT", 2)
    iterative = BlockScaler(BLOCKS).fit(X).block_weights_
    assert_allclose(iterative, dense, rtol=1e-8)


def test_total_variance_and_sqrt_features_weights():
    X = _two_blocks()
    Xt = BlockScaler(BLOCKS, weighting="total_variance").fit_transform(X)
    for cols in (slice(0, 12), slice(12, 15)):
        assert Xt[:, cols].var(axis=0).sum() == pytest.approx(1.0, rel=1e-12)
    scaler = BlockScaler(BLOCKS, weighting="sqrt_features").fit(X)
    assert_allclose(scaler.block_weights_, [1 / np.sqrt(12), 1 / np.sqrt(3)])
    plain = BlockScaler(BLOCKS, weighting=None).fit(X)
    assert_allclose(plain.block_weights_, [1.0, 1.0])
    assert_allclose(plain.transform(X), ZScoreScaler().fit_transform(X), rtol=1e-12)


def test_nutrimouse_lipids_own_pc1_raw_and_mfa_balances_the_blocks(nutrimouse):
    X = nutrimouse.data.to_numpy()
    positions = {
        name: [nutrimouse.data.columns.get_loc(c) for c in cols]
        for name, cols in nutrimouse.blocks.items()
    }
    raw = _pc1_block_shares(X, positions)
    assert raw["lipid"] > 0.95
    # column-wise z-scores hand PC1 to the 120 genes by sheer number
    assert _pc1_block_shares(ZScoreScaler().fit_transform(X), positions)["gene"] > 0.9

    scaler = BlockScaler(nutrimouse.blocks).fit(nutrimouse.data)
    Xt = scaler.transform(nutrimouse.data)
    for cols in positions.values():
        assert _first_eigenvalue(Xt[:, cols]) == pytest.approx(1.0, rel=1e-10)
    shares = _pc1_block_shares(Xt, positions)
    assert 0.35 <= shares["gene"] <= 0.65
    assert 0.35 <= shares["lipid"] <= 0.65


def test_block_specifications_resolve_to_the_same_columns():
    df = pd.DataFrame(_two_blocks(), columns=[f"g{j}" for j in range(12)] + list("xyz"))
    by_name = {"big": [f"g{j}" for j in range(12)], "small": ["x", "y", "z"]}
    by_index = {"big": list(range(12)), "small": [-3, -2, -1]}
    by_mask = {"big": np.arange(15) < 12, "small": np.arange(15) >= 12}
    by_selector = {
        "big": make_column_selector(pattern="^g"),
        "small": make_column_selector(pattern="^[xyz]$"),
    }
    reference = BlockScaler(BLOCKS).fit(df)
    for blocks in (by_name, by_index, by_mask, by_selector):
        scaler = BlockScaler(blocks).fit(df)
        for name in ("big", "small"):
            assert_array_equal(scaler.blocks_[name], reference.blocks_[name])
        assert_allclose(scaler.transform(df), reference.transform(df))
    single = BlockScaler({"one": "x", "rest": slice(0, 12)})
    with pytest.warns(UserWarning, match="'y' \\(index 13\\), column 'z'"):
        single.fit(df)
    assert_array_equal(single.blocks_["one"], [12])


@pytest.mark.parametrize(
    "blocks, message",
    [
        ({"a": [0, 1, 2], "b": [2, 3]}, "column 2 is in block 'a' and in block 'b'"),
        ({"a": [0, 15]}, "column index 15, but X has 15 columns"),
        ({"a": ["x"]}, "no column names"),
        ({"a": np.ones(4, dtype=bool)}, "mask of length 4; expected one entry per"),
        ({"a": [1, 1]}, "more than once"),
        ({"a": make_column_selector(pattern="x")}, "needs a DataFrame"),
    ],
)
def test_bad_blocks_are_refused_clearly(blocks, message):
    with pytest.raises(ValueError, match=message):
        BlockScaler(blocks).fit(_two_blocks())


def test_unknown_column_names_are_listed():
    df = pd.DataFrame(_two_blocks(), columns=[f"c{j}" for j in range(15)])
    with pytest.raises(ValueError, match="columns not in X: 'nope', 'gone'"):
        BlockScaler({"a": ["c0", "nope", "gone"]}).fit(df)


def test_overlap_names_the_column_by_name():
    df = pd.DataFrame(_two_blocks(), columns=[f"c{j}" for j in range(15)])
    with pytest.raises(ValueError, match="column 'c3' \\(index 3\\) is in block"):
        BlockScaler({"a": ["c0", "c3"], "b": ["c3"]}).fit(df)


def test_columns_in_no_block_pass_through_with_a_warning():
    X = _two_blocks()
    with pytest.warns(UserWarning, match=r"column 12, column 13 are in no block"):
        scaler = BlockScaler({"big": slice(0, 12), "z": [14]}).fit(X)
    Xt = scaler.transform(X)
    assert_array_equal(Xt[:, 12:14], X[:, 12:14])
    assert_array_equal(scaler.passthrough_, [12, 13])


def test_empty_block_is_ignored_with_a_warning():
    X = _two_blocks()
    with pytest.warns(UserWarning, match="Block 'none' selects no column"):
        scaler = BlockScaler({**BLOCKS, "none": []}).fit(X)
    assert scaler.scalers_["none"] is None
    assert_allclose(scaler.transform(X), BlockScaler(BLOCKS).fit_transform(X))


def test_each_block_gets_its_own_fitted_clone():
    X = _two_blocks()
    template = ParetoScaler()
    scaler = BlockScaler(BLOCKS, scaler=template).fit(X)
    assert not hasattr(template, "mean_")
    assert scaler.scalers_["big"] is not scaler.scalers_["small"]
    assert scaler.scalers_["big"].n_features_in_ == 12
    expected_small = (
        ParetoScaler().fit_transform(X[:, 12:]) * (scaler.block_weights_["small"])
    )
    assert_allclose(scaler.transform(X)[:, 12:], expected_small)


def test_pandas_output_names_order_and_inverse(nutrimouse):
    scaler = BlockScaler(nutrimouse.blocks).set_output(transform="pandas")
    Xt = scaler.fit_transform(nutrimouse.data)
    assert isinstance(Xt, pd.DataFrame)
    assert list(Xt.columns) == list(nutrimouse.data.columns)
    back = scaler.inverse_transform(Xt)
    assert isinstance(back, pd.DataFrame)
    assert_allclose(back.to_numpy(), nutrimouse.data.to_numpy(), rtol=1e-12, atol=1e-12)
    assert list(scaler.get_feature_names_out()) == list(nutrimouse.data.columns)


def test_missing_values_are_kept_and_add_no_variance(nutrimouse):
    X = nutrimouse.data.to_numpy().copy()
    X[::5, 3] = np.nan
    X[::7, 130] = np.nan
    scaler = BlockScaler(nutrimouse.blocks)
    scaler.fit(pd.DataFrame(X, columns=nutrimouse.data.columns))
    Xt = scaler.transform(pd.DataFrame(X, columns=nutrimouse.data.columns))
    assert_array_equal(np.isnan(Xt), np.isnan(X))
    assert np.isfinite(scaler.block_weights_).all()


def test_infinity_is_named_in_the_whole_table():
    X = _two_blocks()
    X[4, 13] = np.inf
    with pytest.raises(ValueError, match="infinity in column 13"):
        BlockScaler(BLOCKS).fit(X)
    scaler = BlockScaler(BLOCKS).fit(_two_blocks())
    with pytest.raises(ValueError, match="inverse_transform contains infinity in col"):
        scaler.inverse_transform(X)


def test_copy_semantics_and_dtype():
    X = _two_blocks().astype(np.float32)
    before = X.copy()
    scaler = BlockScaler(BLOCKS).fit(X)
    Xt = scaler.transform(X)
    assert Xt.dtype == np.float32
    assert_array_equal(X, before)
    assert scaler.transform(X, copy=False) is X
    assert_allclose(X, Xt)


def test_block_without_variance_gets_weight_one():
    X = _two_blocks()
    X[:, 12:] = 3.0
    with pytest.warns(UserWarning, match="block 'small' has no variance"):
        scaler = BlockScaler(BLOCKS).fit(X)
    assert scaler.block_weights_["small"] == 1.0
    assert_array_equal(scaler.transform(X)[:, 12:], 0.0)


def test_inverse_needs_scalers_that_can_invert():
    X = np.abs(_two_blocks()) + 1
    scaler = BlockScaler(BLOCKS, scaler=Normalizer(), weighting=None).fit(X)
    with pytest.raises(ValueError, match="Normalizer has no inverse_transform"):
        scaler.inverse_transform(scaler.transform(X))


def test_fit_does_not_warn_on_clean_blocks(nutrimouse):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BlockScaler(nutrimouse.blocks).fit(nutrimouse.data)


# blocks whose columns interleave, out of order, with columns in no block
INTERLEAVED = {"a": [7, 0, 12, 3], "b": [1, 14, 5], "c": [9, 2]}


@pytest.mark.parametrize("weighting", ["mfa", "total_variance", "sqrt_features", None])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize(
    "blocks", [BLOCKS, INTERLEAVED], ids=["in-order", "interleaved"]
)
@pytest.mark.filterwarnings("ignore:BlockScaler.*pass through unchanged")
def test_sparse_blocks_stay_sparse_and_match_dense(weighting, fmt, blocks):
    import scipy.sparse as sp

    X = sp.random(120, 15, density=0.2, format=fmt, random_state=0) * 100
    X = X @ sp.diags(np.arange(1.0, 16.0))  # every column on its own scale
    X = X.asformat(fmt)
    scaler = BlockScaler(
        blocks, scaler=ZScoreScaler(with_mean=False), weighting=weighting
    )
    out = scaler.fit(X).transform(X)
    assert sp.issparse(out) and out.format == fmt and out.nnz == X.nnz
    dense = BlockScaler(
        blocks, scaler=ZScoreScaler(with_mean=False), weighting=weighting
    ).fit(X.toarray())
    # each column, written out: divided by its own std and its block's weight
    expected = X.toarray().copy()
    for name, columns in scaler.blocks_.items():
        expected[:, columns] *= scaler.block_weights_[name] / X.toarray()[
            :, columns
        ].std(axis=0)
    assert_allclose(out.toarray(), expected, rtol=1e-8, atol=1e-12)
    assert_allclose(scaler.block_weights_, dense.block_weights_, rtol=1e-8)
    assert_allclose(out.toarray(), dense.transform(X.toarray()), rtol=1e-8, atol=1e-12)
    back = scaler.inverse_transform(out)
    assert sp.issparse(back)
    assert_allclose(back.toarray(), X.toarray(), rtol=1e-10, atol=1e-10)


def test_sparse_needs_a_scaler_that_keeps_sparsity():
    import scipy.sparse as sp

    with pytest.raises(TypeError, match=r"[Ss]parse"):
        BlockScaler(BLOCKS).fit(sp.random(20, 15, density=0.3, format="csr"))


@pytest.mark.parametrize("weighting", ["mfa", "total_variance", "sqrt_features"])
def test_dask_blocks_equal_in_memory(weighting, monkeypatch):
    da = pytest.importorskip("dask.array")
    from skscale._backends import dense

    X = _two_blocks(n=400)
    X[::9, 13] = np.nan
    lazy = da.from_array(X, chunks=(70, 5))
    scaler = BlockScaler(BLOCKS, weighting=weighting).fit(lazy)
    eager = BlockScaler(BLOCKS, weighting=weighting).fit(X)
    assert_allclose(scaler.block_weights_, eager.block_weights_, rtol=1e-9)
    out = scaler.transform(lazy)
    assert isinstance(out, da.Array) and out.chunks == lazy.chunks
    assert_allclose(out.compute(), eager.transform(X), rtol=1e-9, equal_nan=True)
    assert_allclose(
        scaler.inverse_transform(out).compute(), X, rtol=1e-9, equal_nan=True
    )
    if weighting == "mfa":  # the power iterations of wide blocks
        monkeypatch.setattr(dense, "_DENSE_EIGEN_LIMIT", 2)
        wide = BlockScaler(BLOCKS).fit(lazy)
        assert_allclose(wide.block_weights_, eager.block_weights_, rtol=1e-6)


def test_dask_needs_skscale_scalers():
    da = pytest.importorskip("dask.array")
    with pytest.raises(TypeError, match="needs skscale scalers"):
        BlockScaler(BLOCKS, scaler=StandardScaler()).fit(
            da.from_array(_two_blocks(), chunks=10)
        )


def test_inverse_transform_keeps_the_index_and_honours_copy_false():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        rng.normal(size=(8, 4)) * [1, 10, 100, 1000],
        columns=list("abcd"),
        index=[f"s{i}" for i in range(8)],
    )
    scaler = BlockScaler({"x": ["a", "b"], "y": ["c", "d"]}).set_output(
        transform="pandas"
    )
    scaled = scaler.fit_transform(frame)
    back = scaler.inverse_transform(scaled)
    assert list(back.index) == list(frame.index)
    assert_allclose(back.to_numpy(), frame.to_numpy(), rtol=1e-12)
    # copy=False writes into the caller's float array, as scikit-learn's do
    plain = BlockScaler({"x": [0, 1], "y": [2, 3]}).fit(frame.to_numpy())
    Z = plain.transform(frame.to_numpy())
    restored = plain.inverse_transform(Z, copy=False)
    assert np.shares_memory(restored, Z)
    assert_allclose(Z, frame.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_blocks_keep_the_format_and_float32(fmt):
    import scipy.sparse as sp

    rng = np.random.default_rng(4)
    dense = rng.normal(size=(30, 5)) * (rng.random((30, 5)) < 0.4)
    X = sp.csr_matrix(dense.astype(np.float32)).asformat(fmt)
    scaler = BlockScaler(
        {"x": [3, 0], "y": [1, 4]}, scaler=ZScoreScaler(with_mean=False)
    ).fit(X)
    out = scaler.transform(X)
    assert out.format == fmt and out.dtype == np.float32
    reference = BlockScaler(
        {"x": [3, 0], "y": [1, 4]}, scaler=ZScoreScaler(with_mean=False)
    ).fit_transform(dense)
    assert_allclose(out.toarray(), reference, rtol=1e-5, atol=1e-6)


def test_block_scaler_messages_name_the_estimator_and_the_call():
    import dask.array as da

    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.normal(size=(10, 3)), columns=["a", "b", "c"])
    with pytest.raises(
        TypeError,
        match=r"^BlockScaler on dask input needs skscale scalers, which reduce dask "
        r"chunks on the workers; StandardScaler would load the data into memory\.",
    ):
        BlockScaler({"x": [0, 1, 2]}, scaler=StandardScaler()).fit(
            da.from_array(frame.to_numpy(), chunks=5)
        )
    with pytest.raises(ValueError, match="BlockScaler"):
        BlockScaler({"x": ["a", "b"]}).fit(frame.assign(c=["t"] * 10))
    scaler = BlockScaler({"x": ["a", "b", "c"]}).fit(frame)
    bad = frame.copy()
    bad.loc[3, "b"] = np.inf
    with pytest.raises(ValueError, match=r"^Input X contains infinity in column 'b'"):
        scaler.transform(bad)
    with pytest.raises(
        ValueError,
        match=r"^Input X passed to inverse_transform contains infinity in column 'b'",
    ):
        scaler.inverse_transform(bad)
    with pytest.raises(ValueError, match="X has 2 features, but BlockScaler"):
        scaler.transform(frame.to_numpy()[:, :2])


def test_transform_leaves_the_callers_array_alone():
    X = np.random.default_rng(6).normal(size=(20, 4)) * [1, 10, 100, 1000]
    before = X.copy()
    scaler = BlockScaler({"x": [0, 1], "y": [2, 3]}).fit(X)
    out = scaler.transform(X)
    assert not np.shares_memory(out, X)
    assert_array_equal(X, before)


def test_nan_tag_follows_the_block_scaler():
    from sklearn.utils import get_tags

    assert get_tags(
        BlockScaler({"x": [0]}, scaler=StandardScaler())
    ).input_tags.allow_nan
    assert not get_tags(
        BlockScaler({"x": [0]}, scaler=Normalizer())
    ).input_tags.allow_nan


def test_a_block_smaller_than_one_is_weighted_by_its_size():
    # Pareto scaling leaves a block of tiny spread with a total variance below 1
    X = np.random.default_rng(7).normal(size=(50, 4)) * [1e-3, 2e-3, 10, 20]
    scaler = BlockScaler(
        {"small": [0, 1], "large": [2, 3]},
        scaler=ParetoScaler(),
        weighting="total_variance",
    ).fit(X)
    small = ParetoScaler().fit_transform(X[:, :2])
    size = small.var(axis=0).sum()
    assert size < 1
    assert_allclose(scaler.block_weights_["small"], 1 / np.sqrt(size), rtol=1e-10)


def test_blocks_by_name_after_a_normaliser_in_a_pipeline():
    # the normaliser hands on an array: the error says how to keep the names,
    # and set_output(transform="pandas") does keep them
    from sklearn.pipeline import make_pipeline

    from skscale.preprocessing import TotalSumNormalizer

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.uniform(1, 5, (8, 4)), columns=["g_a", "g_b", "m_a", "m_b"]
    )
    blocks = {"g": ["g_a", "g_b"], "m": ["m_a", "m_b"]}
    pipe = make_pipeline(TotalSumNormalizer(), BlockScaler(blocks))
    with pytest.raises(ValueError, match=r"set_output\(transform='pandas'\)"):
        pipe.fit(frame)
    out = pipe.set_output(transform="pandas").fit_transform(frame)
    expected = BlockScaler(blocks).fit_transform(
        TotalSumNormalizer().set_output(transform="pandas").fit_transform(frame)
    )
    assert list(out.columns) == list(frame.columns)
    assert_allclose(out.to_numpy(), expected)
