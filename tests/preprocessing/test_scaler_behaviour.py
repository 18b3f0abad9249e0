"""Promises every skscale scaler keeps, checked on each of them."""

import pickle
import re
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.utils import get_tags

from skscale.preprocessing import MinMaxScaler, ZScoreScaler
from skscale.preprocessing._base import _AffineScaler
from tests._registry import reference_instances

# Every per-feature scaler from the registry (a new one joins by itself), and
# two configurations worth their own run.
SCALERS = [
    *(
        scaler
        for scaler in reference_instances().values()
        if isinstance(scaler, _AffineScaler)
    ),
    ZScoreScaler(ddof=1),
    MinMaxScaler((-1, 1), quantile_range=(5, 95)),
]


def test_every_per_feature_scaler_is_here():
    names = {type(scaler).__name__ for scaler in SCALERS}
    assert {
        "ZScoreScaler",
        "MinMaxScaler",
        "ParetoScaler",
        "VastScaler",
        "LevelScaler",
        "RangeScaler",
    } <= names


@pytest.fixture(params=SCALERS, ids=repr)
def scaler(request):
    return request.param.__sklearn_clone__()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dtype_is_preserved_by_transform_and_inverse(scaler, make_data, dtype):
    X = make_data(dtype=dtype, nan_fraction=0.1)
    Xt = scaler.fit(X).transform(X)
    back = scaler.inverse_transform(Xt)
    assert Xt.dtype == dtype and back.dtype == dtype
    assert_array_equal(np.isnan(Xt), np.isnan(X))
    tol = 1e-6 if dtype == np.float32 else 1e-13
    assert_allclose(back, X, rtol=0, atol=tol * np.nanmax(np.abs(X)))


def test_float32_and_float64_agree_to_float32_rounding(scaler, make_data):
    X = make_data(nan_fraction=0.1).astype(np.float32)
    single = scaler.fit(X).transform(X)
    double = scaler.fit(X.astype(np.float64)).transform(X.astype(np.float64))
    assert_allclose(single, double, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinity_is_refused_naming_the_column(scaler, make_data, value):
    X = make_data(n=20, p=4)
    X[7, 3] = value
    with pytest.raises(ValueError, match="infinity in column 3"):
        scaler.fit(X)
    df = pd.DataFrame(X, columns=["a", "b", "c", "dose"])
    with pytest.raises(ValueError, match=r"'dose' \(index 3\)"):
        scaler.fit(df)
    scaler.fit(make_data(n=20, p=4))
    with pytest.raises(ValueError, match="column 3"):
        scaler.transform(X)
    with pytest.raises(ValueError, match="inverse_transform contains infinity"):
        scaler.inverse_transform(X)


def test_in_place_transform_refused_before_anything_changes(scaler, make_data):
    scaler.set_params(copy=False).fit(make_data(n=50_000, p=3))
    X = make_data(n=50_000, p=3, seed=1)
    X[-1, 2] = np.inf
    before = X.copy()
    with pytest.raises(ValueError, match="column 2"):
        scaler.transform(X)
    assert_array_equal(X, before)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.empty((0, 3)), "0 sample"),
        (np.empty((3, 0)), "0 feature"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), "could not convert"),
        (np.array([[1 + 2j, 3.0]]), "[Cc]omplex"),
        (pd.DataFrame({"x": [1.0, 2.0], "city": ["Oslo", "Lima"]}), "'city'"),
        (pd.DataFrame({"x": [1.0, 2.0], "k": pd.Categorical(["a", "b"])}), "'k'"),
    ],
)
def test_bad_input_is_refused_clearly(scaler, X, message):
    with pytest.raises((ValueError, TypeError), match=message):
        scaler.fit(X)


def test_wrong_width_is_refused_at_transform_and_inverse(scaler, make_data):
    scaler.fit(make_data(n=10, p=4))
    with pytest.raises(ValueError, match="expecting 4 features"):
        scaler.transform(make_data(n=10, p=3))
    with pytest.raises(ValueError, match="expecting 4 features"):
        scaler.inverse_transform(make_data(n=10, p=5))


def test_all_nan_column_warns_stays_nan_and_leaves_others_alone(scaler, make_data):
    X = make_data(n=50, p=3)
    with_nan = np.column_stack([X[:, 0], np.full(50, np.nan), X[:, 1:]])
    with pytest.warns(UserWarning, match="column 1 held only NaN"):
        Xt = scaler.fit(with_nan).transform(with_nan)
    assert np.isnan(Xt[:, 1]).all()
    reference = scaler.__sklearn_clone__().fit_transform(X)
    assert_allclose(np.delete(Xt, 1, axis=1), reference, rtol=1e-14)


def test_pandas_nullable_missing_values_are_nan(scaler, make_data):
    values = make_data(n=30, p=2, nan_fraction=0.2)
    values[0, 0] = np.nan
    nullable = pd.DataFrame(
        {"a": pd.array(values[:, 0], dtype="Float64"), "b": values[:, 1]}
    )
    nullable.loc[0, "a"] = pd.NA
    Xt = scaler.fit(nullable).transform(nullable)
    reference = scaler.__sklearn_clone__().fit(values).transform(values)
    assert_allclose(Xt, reference)


def test_set_output_pandas_applies_to_inverse_transform(scaler, make_data):
    X = pd.DataFrame(make_data(n=12, p=3), columns=["x", "y", "z"], index=range(5, 17))
    scaler.set_output(transform="pandas").fit(X)
    Xt = scaler.transform(X)
    back = scaler.inverse_transform(Xt)
    for frame in (Xt, back):
        assert isinstance(frame, pd.DataFrame)
        assert list(frame.columns) == ["x", "y", "z"]
        assert_array_equal(frame.index, X.index)
    assert_allclose(back.to_numpy(), X.to_numpy(), rtol=1e-12)
    assert list(scaler.get_feature_names_out()) == ["x", "y", "z"]


def test_copy_true_never_modifies_the_caller(scaler, make_data):
    X = make_data(n=20, p=3)
    before = X.copy()
    scaler.fit(X)
    scaler.transform(X)
    scaler.inverse_transform(X)
    scaler.fit_transform(X)
    assert_array_equal(X, before)
    df = pd.DataFrame(make_data(n=20, p=3), columns=["a", "b", "c"])
    df_before = df.copy()
    scaler.fit(df)
    scaler.transform(df)
    scaler.inverse_transform(df)
    pd.testing.assert_frame_equal(df, df_before)


def test_copy_false_works_in_place_and_read_only_input_is_copied(scaler, make_data):
    X = make_data(n=20, p=3)
    expected = scaler.fit(X).transform(X)
    assert scaler.transform(X, copy=False) is X
    assert_allclose(X, expected)
    scaler.set_params(copy=False)
    Y = make_data(n=20, p=3)
    Y.setflags(write=False)
    out = scaler.transform(Y)
    assert out is not Y and not Y.flags.writeable


def test_integer_input_gives_float64(scaler):
    X = np.arange(24).reshape(8, 3) ** 2
    before = X.copy()
    Xt = scaler.fit(X).transform(X)
    assert Xt.dtype == np.float64
    assert_array_equal(X, before)


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_fitted_scaler_survives_persistence(scaler, make_data, dump, tmp_path):
    X = make_data(nan_fraction=0.05)
    scaler.fit(X)
    if dump == "pickle":
        restored = pickle.loads(pickle.dumps(scaler))
    else:
        joblib.dump(scaler, tmp_path / "scaler.joblib")
        restored = joblib.load(tmp_path / "scaler.joblib")
    assert_array_equal(restored.transform(X), scaler.transform(X))


@pytest.mark.parametrize(
    "scaler",
    [s for s in SCALERS if not get_tags(s).input_tags.sparse],
    ids=repr,
)
def test_sparse_input_is_refused_with_the_reason(scaler):
    import scipy.sparse as sp

    X = sp.random(20, 3, density=0.5, format="csr", random_state=0)
    with pytest.raises((TypeError, ValueError), match=r"center.*sparse"):
        clone(scaler).fit(X)


@pytest.mark.parametrize("scaler", SCALERS, ids=lambda s: type(s).__name__)
def test_data_beyond_what_float64_can_subtract_is_refused_clearly(scaler):
    """Values 3e308 apart (each finite) have no float64 range, but a mean and
    a spread that float64 holds: either the exact finite map (the mean and
    the spread are taken around a value near the data's middle, in a unit)
    or one ValueError naming the column, with nothing fitted; never a
    RuntimeWarning or inf."""
    X = np.array([[-1.5e308, 1.0], [1.5e308, 2.0], [0.0, 3.0], [1e307, 4.0]])
    scaler = clone(scaler)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = scaler.fit_transform(X)
        except ValueError as exc:
            assert re.search(r"column 0 spans a range beyond .*float64", str(exc))
            assert not hasattr(scaler, "scale_")
            return
    assert np.isfinite(out).all()
    center, scale = scaler._center_scale()
    center = 0.0 if center is None else center
    expected = (X / 2 - center / 2) / (scale / 2)  # halved: no overflow
    assert_allclose(out, expected, rtol=1e-12)


@pytest.mark.parametrize("scaler", SCALERS, ids=lambda s: type(s).__name__)
def test_data_near_the_float64_limit_scales_exactly(scaler):
    """+/-8e307 (1.6e308 apart) still has a float64 range and spread: the map
    is applied exactly, or (vast scaling, whose variance / mean is 3.6e308)
    refused clearly."""
    X = np.array([[-8e307], [8e307], [0.0], [4e307]])
    scaler = clone(scaler)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if type(scaler).__name__ == "VastScaler":
            with pytest.raises(ValueError, match="scale overflows"):
                scaler.fit(X)
            return
        out = scaler.fit_transform(X)
    assert np.isfinite(out).all()
    center, scale = scaler._center_scale()
    center = 0.0 if center is None else center
    expected = (X / 2 - center / 2) / (scale / 2)  # halved: no overflow
    assert_allclose(out, expected, rtol=1e-12)
