"""scikit-learn's fit callbacks (1.9 and later) see every skscale fit as one
task: set_callbacks works on every estimator, and its hooks are called."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils import get_tags

from tests._registry import reference_instances

callback = pytest.importorskip(
    "sklearn.callback", reason="fit callbacks arrived in scikit-learn 1.9"
)


class Recorder:
    """A FitCallback that records the hooks it sees for root tasks (a whole
    fit; sub-tasks are tested below)."""

    def __init__(self):
        self.record = []

    def setup(self, estimator, context):
        self.record.append("setup")

    def on_fit_task_begin(
        self, estimator, context, *, X=None, y=None, metadata=None, **kwargs
    ):
        if context.parent is None:
            self.record.append(("begin", type(estimator).__name__))

    def on_fit_task_end(
        self, estimator, context, *, X=None, y=None, metadata=None, **kwargs
    ):
        if context.parent is None:
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
    if get_tags(estimator).input_tags.positive_only:  # counts, compositions
        X = np.abs(X) + 1.0
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


class SubtaskRecorder(Recorder):
    """Records each task's depth in the context tree."""

    def on_fit_task_end(self, estimator, context, **kwargs):
        depth = 0
        parent = context.parent
        while parent is not None:
            depth, parent = depth + 1, parent.parent
        self.record.append(("end", context.task_name, depth))


@pytest.mark.parametrize("kind", ["array", "dataframe"])
@pytest.mark.parametrize("name", ["ZScoreScaler", "MinMaxScaler", "RangeScaler"])
def test_a_dask_fit_has_one_subtask_per_chunk(kind, name, monkeypatch):
    da = pytest.importorskip("dask.array")
    import skscale.preprocessing
    from skscale._backends import dask as _dask

    monkeypatch.setattr(_dask.os, "cpu_count", lambda: 1)  # waves of 4 chunks
    X, _ = _data()
    data = da.from_array(X, chunks=(6, 4))  # 7 chunks of rows
    if kind == "dataframe":
        dd = pytest.importorskip("dask.dataframe")
        data = dd.from_dask_array(data, columns=list("abcd"))
    recorder = SubtaskRecorder()
    scaler = getattr(skscale.preprocessing, name)().set_callbacks(recorder)
    scaler.fit(data)
    ends = [entry for entry in recorder.record if entry[0] == "end"]
    assert ends == [("end", "chunk of rows", 1)] * 7 + [("end", "fit", 0)]
    reference = getattr(skscale.preprocessing, name)().fit(X)
    np.testing.assert_allclose(
        np.asarray(scaler.transform(data).compute()), reference.transform(X)
    )


def test_progress_bar_follows_a_dask_fit(capsys):
    pytest.importorskip("rich")
    da = pytest.importorskip("dask.array")
    from skscale.preprocessing import ZScoreScaler

    X, _ = _data()
    scaler = ZScoreScaler().set_callbacks(callback.ProgressBar())
    scaler.fit(da.from_array(X, chunks=(10, 4)))
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0))
    shown = capsys.readouterr()
    assert "ZScoreScaler" in shown.out + shown.err
    assert "100%" in shown.out + shown.err


def _meta_estimators():
    from sklearn.linear_model import Ridge

    from skscale.compose import ScaledTargetRegressor
    from skscale.diagnostics import PCADominance
    from skscale.preprocessing import BlockScaler, MinMaxScaler, ZScoreScaler

    return [
        (BlockScaler({"a": [0, 1], "b": [2, 3]}), ["block 'a'", "block 'b'"]),
        (
            ScaledTargetRegressor(Ridge(), scaler=MinMaxScaler()),
            ["scale the target", "fit the regressor"],
        ),
        (PCADominance(ZScoreScaler()), ["fit the scaler"]),
    ]


@pytest.mark.parametrize(
    "estimator, subtasks", _meta_estimators(), ids=lambda e: type(e).__name__
)
def test_a_meta_estimator_fits_each_sub_estimator_as_a_subtask(estimator, subtasks):
    X, y = _data()
    recorder = SubtaskRecorder()
    estimator = clone(estimator).set_callbacks(recorder)
    estimator.fit(X, y)
    ends = [entry for entry in recorder.record if entry[0] == "end"]
    assert ends == [("end", name, 1) for name in subtasks] + [("end", "fit", 0)]


def test_progress_bar_propagates_into_the_sub_estimators(capsys):
    pytest.importorskip("rich")
    from skscale.preprocessing import BlockScaler, ZScoreScaler

    X, _ = _data()
    scaler = BlockScaler({"a": [0, 1], "b": [2, 3]}, scaler=ZScoreScaler())
    scaler.set_callbacks(callback.ProgressBar()).fit(X)
    shown = capsys.readouterr()
    text = shown.out + shown.err
    # the block scalers' own fits appear below the BlockScaler's
    assert "BlockScaler" in text and "ZScoreScaler" in text
    assert not hasattr(scaler.scalers_["a"], "_skl_callbacks")


def test_a_skscale_scaler_inside_a_pipeline_joins_its_task_tree(capsys):
    pytest.importorskip("rich")
    from sklearn.pipeline import make_pipeline

    from skscale.preprocessing import ParetoScaler, ZScoreScaler

    X, y = _data()
    pipeline = make_pipeline(ZScoreScaler(), ParetoScaler())
    pipeline.set_callbacks(callback.ProgressBar()).fit(X, y)
    shown = capsys.readouterr()
    text = shown.out + shown.err
    # each scaler's own fit task hangs below the pipeline's step
    assert "zscorescaler | ZScoreScaler - fit" in text
    assert "ParetoScaler - fit" in text


def _streamed(tmp_path, callbacks, n_rows=25, chunksize=5):
    """The report's pass over a CSV of ``n_rows`` in chunks of ``chunksize``
    (sample_table handing each chunk to _StreamedFits), streaming a
    ZScoreScaler that has ``callbacks`` set."""
    import pandas as pd

    from skscale.datasets import sample_table
    from skscale.preprocessing import ZScoreScaler
    from skscale.report._analysis import _StreamedFits

    X = np.random.default_rng(1).normal(size=(n_rows, 3)) * [1, 10, 100]
    path = tmp_path / "table.csv"
    pd.DataFrame(X, columns=list("abc")).to_csv(path, index=False)
    scaler = ZScoreScaler().set_callbacks(*callbacks)
    with _StreamedFits({"zscore": scaler}) as streams:
        sample_table(path, max_rows=10, chunksize=chunksize, on_chunk=streams)
    return X, streams.fitted["zscore"]


def test_the_streaming_pass_is_one_task_with_a_subtask_per_chunk(tmp_path):
    recorder = SubtaskRecorder()
    X, streamed = _streamed(tmp_path, [recorder])
    ends = [entry for entry in recorder.record if entry[0] == "end"]
    assert ends == [("end", "chunk of rows", 1)] * 5 + [("end", "fit", 0)]
    assert recorder.record.count("setup") == recorder.record.count("teardown") == 1
    # the pass learnt from every row, and left the scaler as it found it
    np.testing.assert_allclose(streamed.mean_, X.mean(axis=0), rtol=1e-13)
    assert streamed.n_samples_seen_ == 25
    assert streamed._skl_callbacks == [recorder]
    for leftover in ("_callback_fit_ctx", "_parent_callback_ctx"):
        assert not hasattr(streamed, leftover)
    # ... so a later fit is one task of its own again
    recorder.record.clear()
    streamed.fit(X)
    assert [e for e in recorder.record if e[0] == "end"] == [("end", "fit", 0)]


def test_the_streaming_pass_draws_one_progress_bar(tmp_path, capsys):
    pytest.importorskip("rich")
    _, streamed = _streamed(tmp_path, [callback.ProgressBar()], n_rows=60)
    text = "".join(capsys.readouterr())
    # one bar for the pass (each of its 12 chunks a sub-task), not one per chunk
    assert text.count("ZScoreScaler - fit") == 1
    assert streamed.n_samples_seen_ == 60


def test_a_failing_chunk_still_tears_the_callbacks_down(tmp_path):
    import pandas as pd

    from skscale.datasets import sample_table
    from skscale.preprocessing import ZScoreScaler
    from skscale.report._analysis import _StreamedFits

    path = tmp_path / "table.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, np.inf]}).to_csv(path, index=False)
    recorder = SubtaskRecorder()
    scaler = ZScoreScaler().set_callbacks(recorder)
    with pytest.raises(ValueError, match="inf"), _StreamedFits({"z": scaler}) as fits:
        sample_table(path, max_rows=2, chunksize=3, on_chunk=fits)
    assert recorder.record.count("setup") == recorder.record.count("teardown") == 1
    assert scaler._skl_callbacks == [recorder]
