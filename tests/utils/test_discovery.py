import inspect

from sklearn.base import BaseEstimator

from skscale.utils.discovery import all_estimators


def test_all_estimators_lists_public_concrete_estimators_once():
    estimators = all_estimators()
    names = [name for name, _ in estimators]
    assert names == sorted(set(names))
    assert {"MinMaxScaler", "ZScoreScaler"} <= set(names)
    for name, cls in estimators:
        assert issubclass(cls, BaseEstimator)
        assert not name.startswith("_")
        assert not inspect.isabstract(cls)
        assert cls.__module__.startswith("skscale.")
