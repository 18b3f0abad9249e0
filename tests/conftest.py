import os

import numpy as np
import pytest
from hypothesis import Phase, settings

# `make mutate` runs the suite once per mutant: a failing property test there
# only needs to fail, not to shrink its example (shrinking took minutes), and
# the same examples for every mutant keep the scores reproducible.
settings.register_profile(
    "mutation",
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    derandomize=True,
    database=None,
)
if os.environ.get("SKSCALE_MUTATION"):
    settings.load_profile("mutation")

# `make mutate` judges a mutant of a module by that module's own unit tests
# (and, for the kernels, the scalers' tests that call them). The
# cross-cutting suites (properties, bad input, scikit-learn's checks) and the
# other modules' tests reach every kernel at many times the cost: with them a
# run took hours on 2 cores instead of about half of one.
_OWN_TESTS = {
    "skscale._backends.": (
        "tests/backends/",
        "tests/preprocessing/",
        "tests/test_array_api.py",
    ),
    "skscale.preprocessing.": (
        "tests/preprocessing/",
        "tests/backends/test_kernels.py",
        "tests/test_tags.py",
        "tests/test_array_api.py",
    ),
    "skscale.diagnostics._pca.": (
        "tests/diagnostics/test_pca.py",
        "tests/diagnostics/test_covariates.py",
        "tests/diagnostics/test_dask.py",
        "tests/diagnostics/test_plotting.py",
        "tests/diagnostics/test_estimators.py",
    ),
    "skscale.diagnostics._knn.": (
        "tests/diagnostics/test_knn.py",
        "tests/diagnostics/test_dask.py",
        "tests/diagnostics/test_plotting.py",
        "tests/diagnostics/test_estimators.py",
    ),
    "skscale.diagnostics._compare.": (
        "tests/diagnostics/test_compare",  # and test_compare_helpers.py
        "tests/diagnostics/test_covariates.py",
        "tests/diagnostics/test_plotting.py",
    ),
}


def pytest_collection_modifyitems(config, items):
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if not os.environ.get("SKSCALE_MUTATION") or "__mutmut_" not in mutant:
        return  # a normal run, or mutmut's own passes (stats, clean run)
    own = next(
        (files for prefix, files in _OWN_TESTS.items() if mutant.startswith(prefix)),
        (),
    )
    kept = [item for item in items if item.nodeid.startswith(own)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(
            items=[item for item in items if item not in kept]
        )
        items[:] = kept


def _make_data(n=200, p=5, *, seed=0, nan_fraction=0.0, dtype=np.float64):
    """Columns of very different scales and offsets, optionally with NaN."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.1, 1000, size=p) + rng.uniform(
        -50, 50, size=p
    )
    if nan_fraction:
        X[rng.random(X.shape) < nan_fraction] = np.nan
    return X.astype(dtype)


@pytest.fixture
def make_data():
    return _make_data


@pytest.fixture(params=["compiled", "baseline", "numpy"])
def kernel_path(request, monkeypatch):
    """Run a kernel test on every path: the compiled kernels of
    ``skscale/_backends/_kernels.c`` as the loader picks them (the AVX2 clones
    where the processor has AVX2), their baseline build (what runs on a
    processor without AVX2, or a platform without ifunc), and the NumPy path
    that runs where they are not built (``tests/backends/test_compiled.py``
    checks that they are here)."""
    from skscale._backends import _compiled

    if request.param == "numpy":
        monkeypatch.setattr(_compiled, "LIB", None)
    elif not _compiled.available():
        pytest.skip("the compiled kernels are not built in this install")
    monkeypatch.setattr(_compiled, "BASELINE", request.param == "baseline")
    return request.param
