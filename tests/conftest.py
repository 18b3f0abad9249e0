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
