"""The shared template of the per-feature scalers (``preprocessing/_base.py``):
its messages name the estimator, the column and the call; its constant-feature
rule is the bound written out below; its edge cases stay quiet."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skscale._backends._statistics import near_constant
from skscale.preprocessing import (
    LevelScaler,
    MinMaxScaler,
    ParetoScaler,
    RangeScaler,
    VastScaler,
    ZScoreScaler,
)

EPS = np.finfo(np.float64).eps
TINY = np.finfo(np.float64).tiny
SCALERS = [
    ZScoreScaler,
    MinMaxScaler,
    ParetoScaler,
    VastScaler,
    LevelScaler,
    RangeScaler,
]


def _frame():
    return pd.DataFrame({"a": [1.0, 2.0, 4.0, 8.0], "b": [3.0, 5.0, 4.0, 9.0]})


@pytest.mark.parametrize("cls", SCALERS)
def test_text_columns_are_refused_naming_the_estimator(cls):
    X = _frame().assign(c=["x", "y", "z", "w"])
    with pytest.raises(ValueError, match=rf"^{cls.__name__} needs numeric columns"):
        cls().fit(X)


@pytest.mark.parametrize("cls", [MinMaxScaler, ParetoScaler, RangeScaler])
def test_sparse_input_to_a_centring_scaler_names_it(cls):
    with pytest.raises(
        TypeError, match=rf"^{cls.__name__} subtracts a per-feature center"
    ):
        cls().fit(sp.csr_matrix(np.eye(3)))


def test_a_centring_zscore_scaler_refuses_sparse_input_at_transform():
    scaler = ZScoreScaler().fit(np.eye(3))
    with pytest.raises(ValueError, match=r"^ZScoreScaler cannot center a sparse"):
        scaler.transform(sp.csr_matrix(np.eye(3)))


@pytest.mark.parametrize("cls", SCALERS)
def test_an_all_nan_column_is_named_in_the_warning(cls):
    X = _frame().assign(b=np.nan)
    with pytest.warns(UserWarning, match=rf"^{cls.__name__}: column 'b'.*only NaN"):
        cls().fit(X)


@pytest.mark.parametrize("cls", SCALERS)
@pytest.mark.parametrize(
    ("method", "what"),
    [("transform", "X"), ("inverse_transform", "X passed to inverse_transform")],
)
def test_infinity_at_transform_names_the_column_and_the_call(cls, method, what):
    scaler = cls().fit(_frame())
    X = _frame()
    X.loc[2, "b"] = -np.inf
    with pytest.raises(
        ValueError, match=rf"^Input {what} contains infinity in column 'b' \(index 1\)"
    ):
        getattr(scaler, method)(X)


@pytest.mark.parametrize("cls", SCALERS)
def test_a_range_beyond_float64_is_refused_quietly_naming_the_column(cls):
    """A column 3e308 wide: the range scalers have no float64 range and
    refuse it, naming the column; the moment scalers take the mean and the
    spread around the middle value (0 here), which float64 holds, and scale
    it exactly. Either way no RuntimeWarning and no inf."""
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [-1.5e308, 0.0, 1.5e308]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)  # level/vast: a zero mean
        if getattr(cls, "_uses_range", False) or cls is RangeScaler:
            with pytest.raises(
                ValueError,
                match=rf"^{cls.__name__}: column 'b' \(index 1\) spans a range",
            ):
                cls().fit(X)
            return
        out = cls().fit_transform(X)
    assert np.isfinite(out).all()
    assert out[1, 1] == 0.0 and out[0, 1] == -out[2, 1]


@pytest.mark.parametrize("cls", [VastScaler, LevelScaler])
def test_a_zero_mean_is_autoscaled_with_its_own_warning_only(cls):
    X = np.array([[-1.0, 1.0], [1.0, 2.0], [0.0, 3.0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler = cls().fit(X)
    assert [str(w.message).split(" divides")[0] for w in caught] == [cls.__name__]
    assert_allclose(scaler.scale_[0], np.std(X[:, 0], ddof=getattr(scaler, "ddof", 0)))


def test_clipping_applies_to_transform_only():
    scaler = MinMaxScaler(clip=True).fit([[0.0], [10.0]])
    assert_array_equal(scaler.transform([[20.0]]), [[1.0]])
    assert_array_equal(scaler.inverse_transform([[2.0]]), [[20.0]])


@pytest.mark.parametrize("cls", SCALERS)
def test_inverse_transform_copy_overrides_the_parameter(cls):
    scaler = cls(copy=False).fit(_frame().to_numpy())
    Z = np.array([[0.5, 0.25], [0.1, 0.2]])
    before = Z.copy()
    scaler.inverse_transform(Z, copy=True)
    assert_array_equal(Z, before)
    scaler.transform(Z, copy=True)
    assert_array_equal(Z, before)
    scaler.inverse_transform(Z)  # copy=False: written in place
    assert not np.array_equal(Z, before)


@pytest.mark.parametrize("cls", SCALERS)
def test_samples_seen_is_a_plain_integer(cls):
    seen = cls().fit(_frame()).n_samples_seen_
    assert type(seen) in (int, np.int64) and seen == 4
    assert np.ndim(seen) == 0 and not isinstance(seen, np.ndarray)


@pytest.mark.parametrize("cls", [ZScoreScaler, ParetoScaler, VastScaler])
def test_statistics_given_as_integers_are_stored_as_float64(cls):
    scaler = cls.from_stats(5, [1, 2], [4, 9])
    for name in ("mean_", "var_", "scale_"):
        value = getattr(scaler, name, None)
        if value is not None:
            assert value.dtype == np.float64, name
    assert_allclose(
        scaler.transform([[3, 8]]),
        [[1.0, 2.0]]
        if cls is ZScoreScaler
        else scaler.transform(np.array([[3.0, 8.0]])),
    )


def _bound(mean, count):
    """scikit-learn's bound, solved for the standard deviation."""
    n_eps = count * EPS
    return n_eps * abs(mean) / np.sqrt(1.0 - n_eps)


@pytest.mark.parametrize("count", [10, 1e6, 1e13, 1e14, 2e15])
@pytest.mark.parametrize("mean", [1.0, -3e5, 1e-200])
def test_the_constant_rule_is_the_accumulation_bound(count, mean):
    """Just above the bound is a feature, just below it a constant; the
    ``1 / sqrt(1 - n eps)`` factor matters once ``n eps`` is not tiny."""
    bound = max(_bound(mean, count), TINY)  # and never below the smallest normal
    assert near_constant(bound * (1 - 1e-9), mean, count)
    assert near_constant(bound, mean, count)  # "below or at" the bound
    assert not near_constant(bound * (1 + 1e-9), mean, count)
    if bound**2 < TINY:
        return  # the variance form underflows
    # the same rule as the variance form, var <= n eps var + (n eps mean)**2
    var = (bound * (1 + 1e-6)) ** 2
    assert var > count * EPS * var + (count * EPS * mean) ** 2
    assert not near_constant(np.sqrt(var), mean, count)


def test_the_constant_rule_at_its_edges_is_quiet():
    spread = np.array([1.0, 1.0, np.nan, TINY, TINY / 4, 1e-300, 1.0, 5.0])
    magnitude = np.array([0.0, np.inf, np.nan, 0.0, 0.0, 0.0, 1e308, 1e308])
    count = np.array([1e16, 0.0, 3.0, 3.0, 3.0, 3.0, 10.0, 1e15])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        constant = near_constant(spread, magnitude, count)
    # n eps >= 1: nothing is distinguishable; no value: constant; the
    # smallest normal and anything below it: constant; a tiny genuine spread
    # at magnitude 0 is not.
    assert_array_equal(constant, [True, True, True, True, True, False, True, True])


def test_the_constant_rule_holds_in_the_fitted_scale():
    """The rule decides ``scale_``: a relative spread of 1e-7 is scaled, one
    of 1e-14 over 500 rows is constant (scale 1)."""
    rng = np.random.default_rng(0)
    noise = rng.normal(size=500)
    X = np.column_stack([1 + 1e-7 * noise, 1 + 1e-14 * noise])
    scale = ZScoreScaler().fit(X).scale_
    assert_allclose(scale[0], 1e-7 * noise.std(), rtol=1e-6)
    assert scale[1] == 1.0
