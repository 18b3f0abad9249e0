"""The van den Berg et al. (2006) scalings against their formulas, written out."""

import os
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skscale.preprocessing import LevelScaler, ParetoScaler, RangeScaler, VastScaler


def _concentrations(n=60, p=5, *, seed=0, nan_fraction=0.1):
    """Positive, skewed, metabolite-like columns (uM), with missing values."""
    rng = np.random.default_rng(seed)
    X = rng.lognormal(mean=np.log(rng.uniform(5, 50, size=p)), sigma=0.4, size=(n, p))
    X[rng.random(X.shape) < nan_fraction] = np.nan
    return X


def _nan_moments(X, ddof):
    mean = np.nanmean(X, axis=0)
    std = np.nanstd(X, axis=0, ddof=ddof)
    return mean, std


@pytest.mark.parametrize("ddof", [0, 1])
def test_pareto_formula(ddof):
    X = _concentrations()
    mean, std = _nan_moments(X, ddof)
    expected = (X - mean) / np.sqrt(std)
    scaler = ParetoScaler(ddof=ddof).fit(X)
    assert_allclose(scaler.transform(X), expected, rtol=1e-12, equal_nan=True)
    assert_allclose(scaler.scale_, np.sqrt(std), rtol=1e-13)
    assert_allclose(scaler.var_, std**2, rtol=1e-12)


@pytest.mark.parametrize("ddof", [0, 1])
def test_vast_formula(ddof):
    X = _concentrations()
    mean, std = _nan_moments(X, ddof)
    expected = (X - mean) / std * (mean / std)
    assert_allclose(
        VastScaler(ddof=ddof).fit_transform(X), expected, rtol=1e-12, equal_nan=True
    )


def test_level_formula():
    X = _concentrations()
    mean = np.nanmean(X, axis=0)
    assert_allclose(
        LevelScaler().fit_transform(X), (X - mean) / mean, rtol=1e-12, equal_nan=True
    )


def test_range_formula():
    X = _concentrations()
    mean = np.nanmean(X, axis=0)
    expected = (X - mean) / (np.nanmax(X, axis=0) - np.nanmin(X, axis=0))
    scaler = RangeScaler().fit(X)
    assert_allclose(scaler.transform(X), expected, rtol=1e-12, equal_nan=True)
    assert_array_equal(scaler.data_min_, np.nanmin(X, axis=0))
    assert_array_equal(scaler.data_max_, np.nanmax(X, axis=0))


def test_the_paper_table_on_one_column():
    # van den Berg et al. (2006), Table 1, for x = (2, 4, 6, 8): mean 5,
    # s = sqrt(20 / 3), range 6.
    x = np.array([[2.0], [4.0], [6.0], [8.0]])
    s = np.sqrt(20 / 3)
    d = x - 5
    assert_allclose(ParetoScaler().fit_transform(x), d / np.sqrt(s))
    assert_allclose(VastScaler().fit_transform(x), d / s * (5 / s))
    assert_allclose(LevelScaler().fit_transform(x), d / 5)
    assert_allclose(RangeScaler().fit_transform(x), d / 6)


@pytest.mark.parametrize("Scaler", [ParetoScaler, VastScaler, LevelScaler])
def test_weights_are_frequencies(Scaler):
    X = _concentrations(n=30)
    weights = np.random.default_rng(1).integers(0, 4, size=30)
    weighted = Scaler().fit(X, sample_weight=weights)
    repeated = Scaler().fit(np.repeat(X, weights, axis=0))
    assert_allclose(weighted.scale_, repeated.scale_, rtol=1e-12)
    assert_allclose(weighted.transform(X), repeated.transform(X), rtol=1e-11)


def test_range_leaves_zero_weight_rows_out_of_the_range():
    X = _concentrations(n=30, nan_fraction=0)
    X[0] = 1e4  # an extreme row, given weight zero
    weights = np.ones(30)
    weights[0] = 0
    scaler = RangeScaler().fit(X, sample_weight=weights)
    reference = RangeScaler().fit(X[1:])
    assert_allclose(scaler.scale_, reference.scale_)
    assert_allclose(scaler.mean_, reference.mean_, rtol=1e-14)


@pytest.mark.parametrize("Scaler", [ParetoScaler, VastScaler, LevelScaler, RangeScaler])
def test_partial_fit_any_chunking_agrees_with_fit(Scaler):
    X = 1e6 + _concentrations(n=500)
    whole = Scaler().fit(X)
    chunked = Scaler()
    for rows in np.array_split(np.arange(500), 13):
        chunked.partial_fit(X[rows])
    assert_allclose(chunked.mean_, whole.mean_, rtol=1e-15)
    assert_allclose(chunked.scale_, whole.scale_, rtol=1e-11)
    assert_allclose(chunked.transform(X), whole.transform(X), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("Scaler", [VastScaler, LevelScaler])
def test_zero_mean_is_autoscaled_with_a_warning(Scaler):
    rng = np.random.default_rng(0)
    centred = rng.normal(size=40)
    centred -= centred.mean()
    X = np.column_stack([_concentrations(n=40, p=1, nan_fraction=0)[:, 0], centred])
    with pytest.warns(UserWarning, match=r"column 1 has a mean of zero.*autoscaled"):
        scaler = Scaler().fit(X)
    ddof = getattr(scaler, "ddof", 0)
    assert_allclose(scaler.scale_[1], centred.std(ddof=ddof))
    assert np.isfinite(scaler.transform(X)).all()
    # the other column keeps its own scaling
    assert_allclose(scaler.scale_[0], Scaler().fit(X[:, :1]).scale_[0])


def test_negative_mean_follows_the_formula():
    x = -_concentrations(n=20, p=1, nan_fraction=0)
    mean, std = x.mean(), x.std(ddof=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a negative mean is not a zero mean
        assert_allclose(VastScaler().fit_transform(x), (x - mean) / std * (mean / std))
        assert_allclose(LevelScaler().fit_transform(x), (x - mean) / mean)


@pytest.mark.parametrize("Scaler", [ParetoScaler, VastScaler, LevelScaler, RangeScaler])
def test_constant_columns_map_to_zero(Scaler):
    X = np.column_stack([np.full(10, 7.0), np.zeros(10), np.arange(1.0, 11.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Xt = Scaler().fit_transform(X)
    assert_array_equal(Xt[:, :2], 0.0)
    assert np.ptp(Xt[:, 2]) > 0


@pytest.mark.parametrize("Scaler", [ParetoScaler, VastScaler, LevelScaler, RangeScaler])
def test_exact_at_large_offsets(Scaler):
    rng = np.random.default_rng(2)
    X = 1e8 + rng.normal(size=(100_000, 2))
    scaler = Scaler().fit(X)
    import math

    exact_mean = [math.fsum(X[:, j]) / X.shape[0] for j in range(2)]
    assert_allclose(scaler.mean_, exact_mean, rtol=2.3e-16)


@pytest.mark.parametrize("Scaler", [VastScaler, LevelScaler])
def test_the_zero_mean_warning_in_full_and_at_the_callers_line(Scaler):
    import pandas as pd

    # a large spread (std 1e6) and a mean of 1.7e-10: zero within 100 units in
    # the last place of the spread (2.2e-8), although far from 0 in absolute terms
    spread = np.array([-1e6, 1e6 + 3e-10] * 10)
    assert 0 < abs(spread.mean()) < 1e-9
    X = pd.DataFrame(
        {
            "conc": _concentrations(n=20, p=1, nan_fraction=0)[:, 0],
            "flat": np.full(20, 7.0),  # constant: not a zero mean
            "spread": spread,
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler = Scaler().fit(X)
    assert [w.category for w in caught] == [UserWarning]  # no RuntimeWarning
    assert str(caught[0].message) == (
        f"{Scaler.__name__} divides by each feature's mean, and column 'spread' "
        "(index 2) has a mean of zero (within rounding of its spread): it is "
        "divided by its standard deviation instead (autoscaled). Level and vast "
        "scaling are meant for positive quantities such as concentrations; for "
        "data centred on zero use ZScoreScaler, ParetoScaler or RangeScaler."
    )
    if not os.environ.get("SKSCALE_MUTATION"):  # mutmut's trampolines add frames
        assert caught[0].filename == __file__  # it points at the caller's fit
    assert scaler.scale_[1] == 1.0  # the constant column
    if Scaler is VastScaler:
        assert_allclose(scaler.var_, X.var(ddof=1).to_numpy(), rtol=1e-12)
