"""The dask backend: the dense float64 answer on every value regime and
weighting, with the rows in several chunks."""

import pytest

from tests.backends._conformance import REGIMES, SCALERS, WEIGHTINGS, check_backend

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")


def _dask(values):
    return da.from_array(values, chunks=(7, -1))


@pytest.mark.parametrize("weighting", list(WEIGHTINGS))
@pytest.mark.parametrize("regime", list(REGIMES))
@pytest.mark.parametrize("name", list(SCALERS))
def test_dask_equals_dense(name, regime, weighting):
    with dask.config.set(scheduler="synchronous"):
        check_backend(SCALERS[name], regime, weighting, to_kind=_dask)
