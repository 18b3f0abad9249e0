"""scikit-learn's fit callbacks (1.9 and later) see every skscale fit as one
task: set_callbacks works on every estimator, and its hooks are called."""

import numpy as np
import pytest
from sklearn.base import clone

from tests._registry import reference_instances

callback = pytest.importorskip(
    "sklearn.callback", reason="fit callbacks arrived in scikit-learn 1.9"
)


class Recorder:
    """A FitCallback that records the hooks it sees."""

    def __init__(self):
        self.record = []

    def setup(self, estimator, context):
        self.record.append("setup")

    def on_fit_task_begin(
        self, estimator, context, *, X=None, y=None, metadata=None, **kwargs
    ):
        self.record.append(("begin", type(estimator).__name__))

    def on_fit_task_end(
        self, estimator, context, *, X=None, y=None, metadata=None, **kwargs
    ):
        self.record.append(("end", type(estimator).__name__))

    def teardown(self, estimator, context):
        self.record.append("teardown")


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4)) * [1, 10, 100, 1000] + 5
    return X, X @ [1.0, 0.1, 0.01, 0.001]


@pytest.mark.parametrize(
    "estimator", list(reference_instances().values()), ids=lambda e: type(e).__name__
)
def test_one_fit_is_one_task(estimator):
    assert isinstance(Recorder(), callback.FitCallback)
    X, y = _data()
    recorder = Recorder()
    estimator = clone(estimator).set_callbacks(recorder)
    estimator.fit(X, y)
    name = type(estimator).__name__
    assert recorder.record == ["setup", ("begin", name), ("end", name), "teardown"]
    if (
        hasattr(estimator, "partial_fit")
        and getattr(estimator, "quantile_range", None) is None
    ):
        recorder.record.clear()
        estimator.partial_fit(X[:20]).partial_fit(X[20:])
        assert (
            recorder.record == ["setup", ("begin", name), ("end", name), "teardown"] * 2
        )


def test_without_callbacks_nothing_is_left_behind():
    from skscale.preprocessing import ZScoreScaler

    X, _ = _data()
    scaler = ZScoreScaler().fit(X)
    assert not hasattr(scaler, "_callback_fit_ctx")
    assert not hasattr(scaler, "_skl_callbacks")
