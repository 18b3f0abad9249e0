"""The dense backend: any chunking of ``partial_fit`` (three chunks, or one row
at a time) gives one ``fit``'s answer on every value regime, and multiplying
every weight by 1e-300 or 1e300 changes no fitted scale and no output."""

import numpy as np
import pytest
from sklearn.base import clone

from tests.backends._conformance import (
    REGIMES,
    SCALERS,
    WEIGHTINGS,
    Refused,
    check_backend,
    fit_and_transform,
    problems,
    reference,
)


@pytest.mark.parametrize("chunks", [3, 40], ids=["3_chunks", "row_by_row"])
@pytest.mark.parametrize("weighting", list(WEIGHTINGS))
@pytest.mark.parametrize("regime", list(REGIMES))
@pytest.mark.parametrize("name", list(SCALERS))
def test_partial_fit_equals_fit(name, regime, weighting, chunks):
    check_backend(SCALERS[name], regime, weighting, to_kind=np.array, chunks=chunks)


# with ddof=0 only the weights' ratios matter (frequency weights with ddof=1
# subtract one row's worth, which depends on their scale)
_RATIO_ONLY = {
    name: scaler for name, scaler in SCALERS.items() if getattr(scaler, "ddof", 0) == 0
}
_RATIO_ONLY["pareto_ddof0"] = clone(SCALERS["pareto"]).set_params(ddof=0)
_RATIO_ONLY["vast_ddof0"] = clone(SCALERS["vast"]).set_params(ddof=0)


@pytest.mark.parametrize("factor", [1e-300, 1e300])
@pytest.mark.parametrize("weighting", ["sum_to_1", "some_zero"])
@pytest.mark.parametrize("regime", list(REGIMES))
@pytest.mark.parametrize("name", list(_RATIO_ONLY))
def test_multiplying_every_weight_changes_nothing(name, regime, weighting, factor):
    scaler = _RATIO_ONLY[name]
    X, weights = REGIMES[regime], WEIGHTINGS[weighting]
    try:
        expected = fit_and_transform(scaler, X, weights)
    except ValueError:
        with pytest.raises(ValueError):
            fit_and_transform(scaler, X, weights * factor)
        return
    got = fit_and_transform(scaler, X, weights * factor)
    found = problems(expected, got, X)
    assert not found, "; ".join(found)


@pytest.mark.parametrize("name", list(SCALERS))
def test_uniform_weights_are_no_weights_with_ddof_0(name):
    scaler = _RATIO_ONLY.get(name)
    if scaler is None:
        pytest.skip("ddof=1: uniform weights of another size count other rows")
    for regime in REGIMES:
        try:
            expected = reference(scaler, regime, "none")
        except Refused:
            continue
        for weighting in ("uniform_1e-300", "uniform_5e14"):
            got = reference(scaler, regime, weighting)
            found = problems(expected, got, REGIMES[regime])
            assert not found, f"{regime}, {weighting}: " + "; ".join(found)


def test_huge_weights_do_not_blame_the_data():
    # 1e308 per row sums to inf in float64: only the ratios matter
    X = np.arange(1.0, 6.0)[:, None]
    out = clone(SCALERS["minmax"]).fit(X, sample_weight=np.full(5, 1e308))
    np.testing.assert_allclose(out.transform(X).ravel(), [0, 0.25, 0.5, 0.75, 1])


@pytest.mark.parametrize("name", ["zscore_ddof1", "pareto", "vast"])
def test_weights_summing_to_ddof_or_less_are_refused_clearly(name):
    X = np.arange(1.0, 6.0)[:, None]
    with pytest.raises(ValueError, match=r"sum to 1, not more than ddof=1"):
        clone(SCALERS[name]).fit(X, sample_weight=np.full(5, 0.2))
    # one value of weight below 1: constant, not refused
    fitted = clone(SCALERS[name]).fit(X[:1], sample_weight=[0.2])
    assert fitted.scale_[0] == 1.0
