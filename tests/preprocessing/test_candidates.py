import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_wine
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import RobustScaler

from skscale.datasets import load_nutrimouse
from skscale.preprocessing import (
    BlockScaler,
    LevelScaler,
    RangeScaler,
    VastScaler,
    ZScoreScaler,
    candidate_scalers,
)
from skscale.preprocessing._candidates import candidate_descriptions


def test_defaults_and_blocks():
    assert list(candidate_scalers()) == ["none", "zscore", "minmax", "robust", "pareto"]
    assert candidate_scalers()["none"] == "passthrough"
    assert isinstance(candidate_scalers()["robust"], RobustScaler)
    mice = load_nutrimouse()
    with_blocks = candidate_scalers(mice.blocks)
    assert list(with_blocks)[-1] == "block_mfa"
    assert isinstance(with_blocks["block_mfa"], BlockScaler)
    assert with_blocks["block_mfa"].weighting == "mfa"


def test_every_skscale_scaler_can_be_chosen_by_name():
    chosen = candidate_scalers(names=["vast", "level", "range", "zscore"])
    assert [type(s) for s in chosen.values()] == [
        VastScaler,
        LevelScaler,
        RangeScaler,
        ZScoreScaler,
    ]
    assert set(candidate_descriptions()) == {
        "none",
        "zscore",
        "minmax",
        "robust",
        "maxabs",
        "pareto",
        "vast",
        "level",
        "range",
        "block_mfa",
    }


def test_fresh_estimators_each_call():
    first, second = candidate_scalers(), candidate_scalers()
    assert first["zscore"] is not second["zscore"]
    first["zscore"].set_params(with_mean=False)
    assert second["zscore"].with_mean is True


def test_errors():
    with pytest.raises(ValueError, match="Unknown candidate scaler 'magic'"):
        candidate_scalers(names=["zscore", "magic"])
    with pytest.raises(ValueError, match="needs blocks"):
        candidate_scalers(names=["block_mfa"])
    with pytest.raises(ValueError, match="blocks"):
        candidate_scalers(blocks="genes")


def test_a_grid_search_over_the_candidates():
    wine = load_wine()
    pipe = Pipeline([("scale", "passthrough"), ("knn", KNeighborsClassifier())])
    grid = GridSearchCV(pipe, {"scale": list(candidate_scalers().values())}, cv=3)
    grid.fit(wine.data, wine.target)
    assert len(grid.cv_results_["params"]) == 5
    assert grid.best_params_["scale"] != "passthrough"
    clone(grid)  # the grid's estimators stay clone-able


# --- the robust candidate: scikit-learn's numbers, one vectorised call ------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"with_centering": False},
        {"unit_variance": True},
        {"quantile_range": (10.0, 90.0)},
        {"with_scaling": False},
    ],
)
def test_the_robust_candidate_gives_scikit_learns_numbers(dtype, params):
    from sklearn.preprocessing import RobustScaler as Reference

    from skscale.preprocessing._candidates import _RobustScaler as RobustScaler

    rng = np.random.default_rng(0)
    X = (rng.normal(size=(101, 40)) * 10).astype(dtype)
    X[rng.random(X.shape) < 0.05] = np.nan  # some columns one by one
    X[:, 4] = 2.0  # constant: scale 1
    X[:, 5] = np.round(X[:, 5])  # ties
    X[:, 6] *= 1e12
    ours, theirs = RobustScaler(**params).fit(X), Reference(**params).fit(X)
    for attribute in ("center_", "scale_"):
        expected = getattr(theirs, attribute)
        if expected is None:
            assert getattr(ours, attribute) is None
        else:
            np.testing.assert_array_equal(getattr(ours, attribute), expected)
            assert getattr(ours, attribute).dtype == expected.dtype
    np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))


def test_the_robust_candidate_on_sparse_and_named_input():
    import scipy.sparse as sp
    from sklearn.preprocessing import RobustScaler as Reference

    from skscale.preprocessing._candidates import _RobustScaler as RobustScaler

    C = sp.random(60, 12, density=0.3, format="csr", random_state=0)
    np.testing.assert_array_equal(
        RobustScaler(with_centering=False).fit(C).scale_,
        Reference(with_centering=False).fit(C).scale_,
    )
    with pytest.raises(ValueError, match="Cannot center sparse matrices"):
        RobustScaler().fit(C)
    frame = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["a", "b", "c"])
    fitted = RobustScaler().fit(frame)
    assert list(fitted.feature_names_in_) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="Invalid quantile range"):
        RobustScaler(quantile_range=(80.0, 20.0)).fit(frame)
    assert type(candidate_scalers()["robust"]) is RobustScaler


def test_the_robust_candidate_passes_scikit_learns_checks():
    from sklearn.utils.estimator_checks import check_estimator

    from skscale.preprocessing._candidates import _RobustScaler as RobustScaler

    check_estimator(RobustScaler())
