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

# `make mutate` judges a mutant of a module by the unit tests and the shared
# property and bad-input suites, not by compare_scalers' end-to-end tests,
# which reach every kernel at seconds a test (they made up 60% of the run's
# time); a mutant of _compare itself keeps them.
_END_TO_END = ("tests/diagnostics/test_compare.py",)


def pytest_collection_modifyitems(config, items):
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if not os.environ.get("SKSCALE_MUTATION") or "__mutmut_" not in mutant:
        return  # a normal run, or mutmut's own passes (stats, clean run)
    if mutant.startswith("skscale.diagnostics._compare."):
        return
    kept = [item for item in items if not item.nodeid.startswith(_END_TO_END)]
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
