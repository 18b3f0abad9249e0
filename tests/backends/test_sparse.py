"""The sparse backend (CSR and CSC): the dense float64 answer on every value
regime and weighting, in one ``fit`` and over ``partial_fit`` chunks; the
caller's matrix is left as it was."""

import numpy as np
import pytest
import scipy.sparse as sp

from tests.backends._conformance import (
    REGIMES,
    SCALERS,
    WEIGHTINGS,
    check_backend,
    fit_and_transform,
)

# the scalers that keep sparse data sparse (they do not centre)
SPARSE_SCALERS = ["zscore_no_mean"]
FORMATS = {"csr": sp.csr_matrix, "csc": sp.csc_matrix}


@pytest.mark.parametrize("chunks", [None, 3], ids=["fit", "3_chunks"])
@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("weighting", list(WEIGHTINGS))
@pytest.mark.parametrize("regime", list(REGIMES))
@pytest.mark.parametrize("name", SPARSE_SCALERS)
def test_sparse_equals_dense(name, regime, weighting, fmt, chunks):
    check_backend(SCALERS[name], regime, weighting, to_kind=FORMATS[fmt], chunks=chunks)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("weighting", list(WEIGHTINGS))
def test_a_constant_column_among_implicit_zeros_keeps_scale_1(fmt, weighting):
    # the case: a constant column beside sparse ordinary columns
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3)) * (rng.random((200, 3)) < 0.3)
    X[:, 1] = 3.0
    weights = rng.uniform(size=200) * 2 if weighting == "none" else None
    scaler, _ = fit_and_transform(
        SCALERS["zscore_no_mean"], X, weights, to_kind=FORMATS[fmt]
    )
    assert scaler.scale_[1] == 1.0
    assert scaler.var_[1] == 0.0


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_transform_with_copy_leaves_the_callers_matrix_alone(fmt):
    X = FORMATS[fmt](REGIMES["constant"] * (np.arange(4) > 0))
    before = X.copy()
    scaler = SCALERS["zscore_no_mean"].__class__(with_mean=False).fit(X)
    for method in (scaler.transform, scaler.inverse_transform):
        out = method(X)
        assert out.data is not X.data
        assert np.array_equal(X.data, before.data)
        assert np.array_equal(X.indices, before.indices)
        assert np.array_equal(X.indptr, before.indptr)
