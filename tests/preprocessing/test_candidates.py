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
