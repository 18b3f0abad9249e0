"""The scalers on array API input (array-api-strict with its device checks,
PyTorch on the CPU) under scikit-learn's ``array_api_dispatch``: the same
numbers as the NumPy path, in the input's namespace, device and dtype.

scikit-learn needs ``SCIPY_ARRAY_API=1`` set before scipy is imported for
dispatch (``make test`` sets it); without it, or without a namespace, these
tests skip.
"""

import os
import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.base import clone

from skscale._backends.array_api import to_host
from skscale.preprocessing import (
    BlockScaler,
    LevelScaler,
    MinMaxScaler,
    ParetoScaler,
    RangeScaler,
    VastScaler,
    ZScoreScaler,
)

if os.environ.get("SCIPY_ARRAY_API") != "1":
    pytest.skip(
        "array API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported "
        "(make test sets it)",
        allow_module_level=True,
    )


def _strict():
    xps = pytest.importorskip("array_api_strict")
    device = xps.Device("device1")  # not the default: kept, or the test fails
    return "array_api_strict", lambda a: xps.asarray(a, device=device), device


def _torch():
    torch = pytest.importorskip("torch")
    return "torch", lambda a: torch.asarray(a), torch.device("cpu")


NAMESPACES = [_strict, _torch]

ON_DEVICE = [
    ZScoreScaler(),
    ZScoreScaler(with_mean=False),
    ZScoreScaler(with_std=False),
    ZScoreScaler(ddof=1, max_value=2.0),
    ParetoScaler(),
    VastScaler(),
    LevelScaler(),
    RangeScaler(),
    MinMaxScaler(),
    MinMaxScaler(feature_range=(-1, 3), clip=True),
    MinMaxScaler(quantile_range=(5, 90)),
    MinMaxScaler(quantile_range=(0, 100), clip=True),
]

BLOCKS = {"a": [0, 1], "b": [2, 3]}  # column 4 passes through
BLOCK_SCALERS = [
    BlockScaler(BLOCKS),
    BlockScaler(BLOCKS, weighting="total_variance"),
    BlockScaler(BLOCKS, weighting="sqrt_features", scaler=MinMaxScaler()),
    BlockScaler({"b": [3, 2], "a": [1, 0, 4]}, scaler=ParetoScaler()),
]


def _table(dtype, nan, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 5)) * [1.0, 10.0, 1e3, 1e-3, 2.0]
    X += [1e8, 5.0, -3.0, 7.0, 40.0]  # a large offset in the first column
    if nan:
        X[rng.random(X.shape) < 0.1] = np.nan
    return X.astype(dtype)


def _weights(kind, n, seed=1):
    rng = np.random.default_rng(seed)
    if kind is None:
        return None
    weights = rng.uniform(0.5, 2.0, size=n)
    if kind == "some zero":
        weights[::7] = 0.0
    return weights


def _same_place(result, array, device):
    assert type(result) is type(array)
    assert str(result.device) == str(device)


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("model", ON_DEVICE, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weights", [None, "positive", "some zero"])
@pytest.mark.parametrize("nan", [False, True])
@pytest.mark.parametrize("chunks", [1, 3])
def test_on_device_equals_numpy(namespace, model, dtype, weights, nan, chunks):
    _, convert, device = namespace()
    X = _table(dtype, nan)
    w = _weights(weights, X.shape[0])
    expected = clone(model).fit(X, sample_weight=w)
    fitted = clone(model)
    Xa = convert(X)
    percentiles = getattr(model, "quantile_range", None) is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # vast/level zero means
        with sklearn.config_context(array_api_dispatch=True):
            if percentiles:  # exact percentiles: no partial_fit
                fitted.fit(Xa, sample_weight=w)
            for rows in np.array_split(np.arange(X.shape[0]), chunks):
                if percentiles:
                    break
                fitted.partial_fit(
                    convert(X[rows]), sample_weight=None if w is None else w[rows]
                )
            out = fitted.transform(Xa)
            back = fitted.inverse_transform(out)
    # the statistics: float64 on the device, the same as NumPy's to rounding
    for name in fitted._fitted_attributes:
        value, reference = getattr(fitted, name), getattr(expected, name)
        if reference is None:
            assert value is None
            continue
        _same_place(value, Xa, device)
        assert_allclose(to_host(value), reference, rtol=1e-12, atol=0)
    _same_place(out, Xa, device)
    _same_place(back, Xa, device)
    assert to_host(out).dtype == dtype and to_host(back).dtype == dtype
    rtol = 1e-12 if dtype == np.float64 else 3e-7
    reference = expected.transform(X)
    scale = np.nanmax(np.abs(reference), axis=0)
    scale[~(scale > 0)] = 1.0  # a column of zeros (or all NaN)
    assert_allclose(to_host(out) / scale, reference / scale, rtol=0, atol=rtol)
    # back to the data (clipped values stay clipped), within rounding of
    # each column's largest value
    data = X if model._clip_bounds() is None else expected.inverse_transform(reference)
    size = np.nanmax(np.abs(X.astype(np.float64)), axis=0)
    assert_allclose(to_host(back) / size, data / size, rtol=0, atol=2 * rtol)
    assert np.array_equal(np.isnan(to_host(out)), np.isnan(X))


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("weights", ["none", "below one in all"])
def test_device_percentiles_at_their_edges(namespace, weights):
    # a column with one counted value (its percentiles are that value), one
    # with none (NaN, with a warning), and weights whose total is below 1 (the
    # position in the sorted column clipped at the first counted value, not a
    # smaller one of weight 0), against the NumPy kernel
    _, convert, _ = namespace()
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 4)) * [1.0, 3.0, 1.0, 1.0] + [0.0, 10.0, 0.0, 0.0]
    X[1:, 2] = np.nan  # one value left
    X[:, 3] = np.nan  # none left
    w = None
    if weights == "below one in all":
        w = rng.uniform(0.001, 0.02, size=40)
        w[np.argsort(X[:, 0])[:3]] = 0.0  # the smallest values do not count
    model = MinMaxScaler(quantile_range=(10, 80))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected = clone(model).fit(X, sample_weight=w)
        with sklearn.config_context(array_api_dispatch=True):
            fitted = clone(model).fit(convert(X), sample_weight=w)
    for name in ("data_min_", "data_max_"):
        value = to_host(getattr(fitted, name))
        assert_allclose(value, getattr(expected, name), rtol=1e-12, equal_nan=True)
    low, high = to_host(fitted.data_min_), to_host(fitted.data_max_)
    assert low[2] == high[2] == X[0, 2]
    assert np.isnan(low[3]) and np.isnan(high[3])
    if w is not None:  # every position is 0: the smallest counted value
        assert low[0] == high[0] == X[w > 0, 0].min()


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("weights", [None, "some zero"])
@pytest.mark.parametrize("nan", [False, True])
def test_extreme_columns_on_device(namespace, weights, nan):
    # columns near 1e300 (squares overflow) or 1e-300 (squares underflow) are
    # redone on the host with their weights, on the plain path and on the
    # missing-value path (NaN present): the same moments as NumPy's, and the
    # exact ones written out here
    _, convert, _ = namespace()
    rng = np.random.default_rng(8)
    noise = rng.normal(size=(60, 3))
    X = np.column_stack(
        [1e300 + 1e299 * noise[:, 0], 1e-300 * (2 + noise[:, 1]), 5 + noise[:, 2]]
    )
    if nan:
        X[rng.random(X.shape) < 0.15] = np.nan
    w = _weights(weights, 60)
    if w is not None:
        w[np.nanargmax(X[:, 0])] = 0.0  # its largest value does not count
    expected = ZScoreScaler().fit(X, sample_weight=w)
    with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("error")  # quiet, as the NumPy kernel
        fitted = ZScoreScaler().fit(convert(X), sample_weight=w)
    # (the variance of the first column, about 1e598, is inf in float64: its
    # standard deviation, the scale, is what is kept exactly)
    mean, scale = to_host(fitted.mean_), to_host(fitted.scale_)
    assert_allclose(mean, expected.mean_, rtol=1e-12)
    assert_allclose(scale, expected.scale_, rtol=1e-9)
    weight = np.ones(60) if w is None else w
    for j in range(3):
        seen = ~np.isnan(X[:, j])
        values, wj = X[seen, j], weight[seen]
        unit = np.abs(values).max()  # computed in units of the column
        exact_mean = np.average(values / unit, weights=wj) * unit
        assert_allclose(mean[j], exact_mean, rtol=1e-12)
        exact_var = np.average((values / unit - exact_mean / unit) ** 2, weights=wj)
        assert_allclose(scale[j] / unit, np.sqrt(exact_var), rtol=1e-9)


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("weights", [None, "positive"])
def test_device_moments_through_drift_and_blocks_of_no_weight(
    namespace, weights, monkeypatch
):
    # blocks of 10 rows: a block far from the running mean (1e6 spreads away:
    # the one-pass sum of squares would cancel, so those columns are summed
    # again around their block mean), and, with weights, blocks whose rows
    # all have weight 0 (they add nothing), over two partial_fit calls
    from skscale._backends import array_api as _array_api

    monkeypatch.setattr(_array_api, "_DEVICE_BLOCK_ELEMENTS", 30)
    _, convert, _ = namespace()
    rng = np.random.default_rng(9)
    first = rng.normal(size=(50, 3)) + np.array([0.0, 5.0, -2.0])
    second = rng.normal(size=(70, 3)) * [1.0, 2.0, 0.5] + [1e6, 5.0, 3e5]
    w1, w2 = _weights(weights, 50), _weights(weights, 70, seed=2)
    if weights is not None:
        w2[50:] = 0.0  # the last two blocks count nowhere
        second[50:] += 1e3  # (and would move the mean if they did)
    expected, fitted = ZScoreScaler(), ZScoreScaler()
    with sklearn.config_context(array_api_dispatch=True):
        for chunk, w in ((first, w1), (second, w2)):
            expected.partial_fit(chunk, sample_weight=w)
            fitted.partial_fit(convert(chunk), sample_weight=w)
    mean, var = to_host(fitted.mean_), to_host(fitted.var_)
    assert_allclose(mean, expected.mean_, rtol=1e-12)
    assert_allclose(var, expected.var_, rtol=1e-9)
    # the exact weighted moments of the rows that count
    X = np.vstack([first, second])
    w = np.ones(120) if weights is None else np.concatenate([w1, w2])
    exact_mean = np.average(X, axis=0, weights=w)
    exact_var = np.average((X - exact_mean) ** 2, axis=0, weights=w)
    assert_allclose(mean, exact_mean, rtol=1e-12)
    assert_allclose(var, exact_var, rtol=1e-9)


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda f: f.__name__[1:])
def test_exact_at_a_large_offset_on_device(namespace):
    _, convert, _ = namespace()
    rng = np.random.default_rng(3)
    noise = rng.normal(size=(20_000, 2))
    X = 1e9 + noise
    with sklearn.config_context(array_api_dispatch=True):
        model = ZScoreScaler().fit(convert(X))
    exact_mean = 1e9 + noise.mean(axis=0)
    assert_allclose(to_host(model.mean_), exact_mean, rtol=1e-16)
    assert_allclose(to_host(model.var_), noise.var(axis=0), rtol=1e-9)


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda f: f.__name__[1:])
def test_infinity_on_device_is_named(namespace):
    _, convert, _ = namespace()
    X = _table(np.float64, False)
    X[4, 2] = np.inf
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match=r"Input X contains infinity in column 2"):
            ZScoreScaler().fit(convert(X))
        model = ZScoreScaler().fit(convert(_table(np.float64, False)))
        with pytest.raises(ValueError, match=r"contains infinity in column 2"):
            model.transform(convert(X))


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("model", BLOCK_SCALERS, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("nan", [False, True])
def test_block_scaler_on_device_equals_numpy(namespace, model, dtype, nan):
    _, convert, device = namespace()
    X = _table(dtype, nan)
    Xa = convert(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the passthrough column
        expected = clone(model).fit(X)
        with sklearn.config_context(array_api_dispatch=True):
            fitted = clone(model).fit(Xa)
            out = fitted.transform(Xa)
            back = fitted.inverse_transform(out)
    # float32 blocks are mapped in float32 (NumPy's strided blocks in
    # float64): within two float32 units, which moves the weights by as much
    rtol = 1e-12 if dtype == np.float64 else 3e-7
    assert_allclose(fitted.block_weights_, expected.block_weights_, rtol=10 * rtol)
    _same_place(out, Xa, device)
    _same_place(back, Xa, device)
    assert to_host(out).dtype == dtype
    reference = expected.transform(X)
    assert_allclose(to_host(out), reference, rtol=rtol, atol=rtol)
    size = np.nanmax(np.abs(X.astype(np.float64)), axis=0)
    assert_allclose(to_host(back) / size, X / size, rtol=0, atol=2 * rtol)


def test_without_dispatch_numpy_paths_are_unchanged():
    torch = pytest.importorskip("torch")
    X = _table(np.float64, True)
    out = ZScoreScaler().fit(torch.asarray(X)).transform(torch.asarray(X))
    assert isinstance(out, np.ndarray)
    assert_allclose(out, ZScoreScaler().fit_transform(X), rtol=1e-15)
    # NumPy input under dispatch takes the NumPy path too
    with sklearn.config_context(array_api_dispatch=True):
        model = ZScoreScaler().fit(X)
    assert isinstance(model.mean_, np.ndarray)


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("multi", [False, True])
def test_target_scaling_on_device(namespace, multi):
    from sklearn.linear_model import Ridge

    from skscale.compose import ScaledTargetRegressor

    _, convert, device = namespace()
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 3))
    y = X @ [3.0, -2.0, 0.5] * 1e4 + 5e5 + rng.normal(size=120)
    if multi:
        y = np.column_stack([y, -0.5 * y + 7.0])
    w = rng.uniform(0.5, 2.0, size=120)
    expected = ScaledTargetRegressor(Ridge(alpha=1.0)).fit(X, y, sample_weight=w)
    with sklearn.config_context(array_api_dispatch=True):
        model = ScaledTargetRegressor(Ridge(alpha=1.0, solver="svd"))
        model.fit(convert(X), convert(y), sample_weight=convert(w))
        pred = model.predict(convert(X))
    _same_place(model.scaler_.mean_, convert(X), device)
    _same_place(pred, convert(X), device)
    assert tuple(pred.shape) == y.shape
    assert_allclose(to_host(model.scaler_.mean_), expected.scaler_.mean_, rtol=1e-12)
    assert_allclose(to_host(pred), expected.predict(X), rtol=1e-9)


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda f: f.__name__[1:])
def test_diagnostics_take_device_input_and_report_on_numpy(namespace):
    from skscale.diagnostics import (
        KNNDistortion,
        PCADominance,
        compare_scalers,
        knn_distortion,
        pca_dominance,
    )

    _, convert, device = namespace()
    X = _table(np.float64, False)[:120]
    Xa = convert(X)
    Z = ZScoreScaler().fit_transform(X)
    with sklearn.config_context(array_api_dispatch=True):
        diagnostic = PCADominance(ZScoreScaler()).fit(Xa)
        out = diagnostic.transform(Xa)
        pca = pca_dominance(Xa, ZScoreScaler().fit_transform(Xa))
        knn = KNNDistortion(ZScoreScaler()).fit(Xa).report_
        knn_direct = knn_distortion(Xa, convert(Z))
        recommended = compare_scalers(Xa, random_state=0).recommended
    _same_place(out, Xa, device)  # the scaler ran on the device
    assert_allclose(to_host(out), Z, rtol=1e-12)
    expected = pca_dominance(X, Z)
    assert diagnostic.report_.summary() == expected.summary()
    assert pca.summary() == expected.summary()
    reference = knn_distortion(X, Z)
    assert knn_direct.summary() == reference.summary()
    # fitted on the device, the z-scores differ from NumPy's in the last bit,
    # which can reorder features tied at 20% each: the numbers agree
    assert_allclose(
        knn.metrics.to_numpy(dtype=float),
        reference.metrics.to_numpy(dtype=float),
        rtol=1e-9,
    )
    numeric = reference.features.select_dtypes("number").columns
    assert_allclose(
        knn.features[numeric].to_numpy(dtype=float),
        reference.features[numeric].to_numpy(dtype=float),
        rtol=1e-9,
    )
    assert recommended == compare_scalers(X, random_state=0).recommended


ON_DEVICE_CLASSES = (
    "ZScoreScaler",
    "MinMaxScaler",
    "ParetoScaler",
    "VastScaler",
    "LevelScaler",
    "RangeScaler",
    "BlockScaler",
    "ScaledTargetRegressor",
    "PCADominance",
    "KNNDistortion",
)


def _reference_instances():
    from tests._registry import reference_instances

    return list(reference_instances().values())


@pytest.mark.parametrize(
    "estimator", _reference_instances(), ids=lambda e: type(e).__name__
)
def test_every_estimator_runs_on_device_or_says_it_does_not(estimator):
    # from the registry: a new estimator is in this test on the day it is added
    _, convert, device = _strict()
    X = np.abs(_table(np.float64, False)[:60]) + 1.0  # positive: normalisers too
    y = X @ np.arange(1.0, 6.0)
    Xa, ya = convert(X), convert(y)
    name = type(estimator).__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with sklearn.config_context(array_api_dispatch=True):
            if name not in ON_DEVICE_CLASSES:
                with pytest.raises(TypeError) as caught:
                    clone(estimator).fit(Xa, ya)
                assert str(caught.value).startswith(
                    f"{name} does not take array API input "
                    "(array_api_strict._array_object.Array, with array_api_dispatch "
                    "on) yet; pass a NumPy array"
                )
                return
            fitted = clone(estimator).fit(Xa, ya)
            out = fitted.predict(Xa) if name == "ScaledTargetRegressor" else None
            if out is None:
                out = fitted.transform(Xa)
    _same_place(out, Xa, device)


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda f: f.__name__[1:])
def test_numpy_input_to_a_model_fitted_on_the_device(namespace):
    # under dispatch, refused as scikit-learn's scalers refuse it (the
    # fitted attributes live on the device); without dispatch, mapped with
    # host copies of them, the same numbers as a NumPy fit
    from sklearn.linear_model import Ridge

    from skscale.compose import ScaledTargetRegressor
    from skscale.diagnostics import PCADominance

    _, convert, _ = namespace()
    X = _table(np.float64, True)
    with sklearn.config_context(array_api_dispatch=True):
        model = ZScoreScaler().fit(convert(X))
        for method in ("transform", "inverse_transform"):
            message = f"Inputs passed to ZScoreScaler.{method}\\(\\) must use"
            with pytest.raises(ValueError, match=message):
                getattr(model, method)(X)
        block = BlockScaler(BLOCKS).fit(convert(X))
        with pytest.raises(ValueError, match=r"BlockScaler.transform\(\) must"):
            block.transform(X)
        clean = np.nan_to_num(X[:, 1:])
        report = PCADominance(ZScoreScaler()).fit(convert(clean))
        with pytest.raises(ValueError, match=r"PCADominance.transform\(\) must"):
            report.transform(clean)
        target = ScaledTargetRegressor(Ridge(solver="svd"))
        target.fit(convert(clean), convert(clean[:, 0]))
        with pytest.raises(ValueError, match=r"Regressor.predict\(\) must"):
            target.predict(clean)
    out = model.transform(X)  # dispatch off: NumPy in, NumPy out
    assert isinstance(out, np.ndarray)
    assert_allclose(out, ZScoreScaler().fit(X).transform(X), rtol=1e-12)


def test_host_copies_of_device_attributes_leave_the_model_alone():
    # the NumPy map of a model fitted on the device reads host copies of its
    # attributes from a shallow copy: the model itself is never changed, so
    # threads (dask's threaded scheduler) can transform at once
    torch = pytest.importorskip("torch")
    X = _table(np.float64, False)
    with sklearn.config_context(array_api_dispatch=True):
        model = ZScoreScaler().fit(torch.asarray(X))
    seen = []
    original = ZScoreScaler._center_scale

    def spy(self):
        seen.append((type(model.mean_), type(self.mean_), self is model))
        return original(self)

    try:
        ZScoreScaler._center_scale = spy
        out = model.transform(X)
    finally:
        ZScoreScaler._center_scale = original
    assert seen and set(seen) == {(torch.Tensor, np.ndarray, False)}
    assert_allclose(out, ZScoreScaler().fit_transform(X), rtol=1e-12)


def test_tensors_that_require_grad():
    torch = pytest.importorskip("torch")
    X = _table(np.float64, False)
    Xt = torch.asarray(X).requires_grad_(True)
    with sklearn.config_context(array_api_dispatch=True):
        model = ZScoreScaler().fit(Xt)
        out = model.transform(Xt)
        blocks = BlockScaler(BLOCKS).fit(Xt).transform(Xt)
    assert_allclose(to_host(model.mean_), X.mean(axis=0), rtol=1e-12)
    assert_allclose(to_host(out), ZScoreScaler().fit_transform(X), rtol=1e-12)
    assert_allclose(to_host(blocks), BlockScaler(BLOCKS).fit_transform(X), rtol=1e-9)
    assert not model.mean_.requires_grad  # statistics carry no graph


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda f: f.__name__[1:])
def test_class_labels_on_the_device(namespace):
    from skscale.diagnostics import KNNDistortion, knn_distortion

    _, convert, _ = namespace()
    X = _table(np.float64, False)[:150]
    y = (X[:, 2] > np.median(X[:, 2])).astype(np.int64)
    expected = KNNDistortion(random_state=0).fit(X, y).report_.metrics
    with sklearn.config_context(array_api_dispatch=True):
        got = KNNDistortion(random_state=0).fit(convert(X), convert(y)).report_
        direct = knn_distortion(
            convert(X), ZScoreScaler().fit_transform(convert(X)), y=convert(y)
        )
    purity = [row for row in expected.index if "purity" in str(row)]
    assert purity and not expected.loc[purity].isna().to_numpy().any()
    assert_allclose(
        got.metrics.loc[purity].to_numpy(dtype=float),
        expected.loc[purity].to_numpy(dtype=float),
        rtol=1e-9,
    )
    assert_allclose(
        direct.metrics.loc[purity].to_numpy(dtype=float),
        expected.loc[purity].to_numpy(dtype=float),
        rtol=1e-9,
    )


def test_tags_say_which_estimators_run_on_the_device():
    from sklearn.utils import get_tags

    for estimator in _reference_instances():
        name = type(estimator).__name__
        assert get_tags(estimator).array_api_support == (name in ON_DEVICE_CLASSES), (
            name
        )
