"""The array API backend (array_api_strict, on a non-default device, under
scikit-learn's dispatch): the dense float64 answer on every value regime and
weighting."""

import os

import pytest
import sklearn

from tests.backends._conformance import REGIMES, SCALERS, WEIGHTINGS, check_backend

if os.environ.get("SCIPY_ARRAY_API") != "1":
    pytest.skip(
        "array API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported "
        "(make test sets it)",
        allow_module_level=True,
    )
xps = pytest.importorskip("array_api_strict")


def _device(values):
    return xps.asarray(values, device=xps.Device("device1"))


@pytest.mark.parametrize("chunks", [None, 3], ids=["fit", "3_chunks"])
@pytest.mark.parametrize("weighting", list(WEIGHTINGS))
@pytest.mark.parametrize("regime", list(REGIMES))
@pytest.mark.parametrize("name", list(SCALERS))
def test_device_equals_dense(name, regime, weighting, chunks):
    with sklearn.config_context(array_api_dispatch=True):
        check_backend(SCALERS[name], regime, weighting, to_kind=_device, chunks=chunks)
