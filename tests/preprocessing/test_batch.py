"""BatchScaler: each batch scaled by its own statistics, written out here; the
batch column read by name or index and dropped; unseen batches; refusals."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscale.preprocessing import BatchScaler, MinMaxScaler, ZScoreScaler


def _batched(n_per_batch=30, seed=0):
    """Three batches, each with its own shift and scale of every feature."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=(3 * n_per_batch, 4))
    batch = np.repeat(["run1", "run2", "run3"], n_per_batch)
    shift = {"run1": 0.0, "run2": 8.0, "run3": -5.0}
    scale = {"run1": 1.0, "run2": 3.0, "run3": 0.5}
    values = signal * np.vectorize(scale.get)(batch)[:, None]
    values += np.vectorize(shift.get)(batch)[:, None]
    frame = pd.DataFrame(values, columns=["a", "b", "c", "d"])
    frame.insert(1, "batch", batch)
    return frame, signal


def test_each_batch_is_standardised_by_its_own_statistics():
    frame, _ = _batched()
    out = BatchScaler("batch").fit_transform(frame)
    values = frame.drop(columns="batch").to_numpy()
    for label in ("run1", "run2", "run3"):
        rows = (frame["batch"] == label).to_numpy()
        part = values[rows]
        expected = (part - part.mean(axis=0)) / part.std(axis=0)
        assert_allclose(out[rows], expected, rtol=1e-12)


def test_the_batch_effect_leaves_the_first_component():
    frame, _ = _batched()
    labels = pd.get_dummies(frame["batch"]).to_numpy(dtype=float)

    def batch_r2(X):
        score = PCA(1).fit_transform(X)[:, 0]
        fitted = labels @ np.linalg.lstsq(labels, score, rcond=None)[0]
        return 1 - ((score - fitted) ** 2).sum() / ((score - score.mean()) ** 2).sum()

    before = batch_r2(ZScoreScaler().fit_transform(frame.drop(columns="batch")))
    after = batch_r2(BatchScaler("batch").fit_transform(frame))
    assert before > 0.8 and after < 0.05


def test_the_batch_column_by_index_in_an_array_and_the_names_out():
    frame, _ = _batched()
    array = frame.to_numpy()  # object: the labels are text
    by_index = BatchScaler(1).fit(array)
    by_name = BatchScaler("batch").fit(frame)
    assert_allclose(by_index.transform(array).astype(float), by_name.transform(frame))
    assert list(by_name.get_feature_names_out()) == ["a", "b", "c", "d"]
    assert list(by_index.get_feature_names_out()) == ["x0", "x2", "x3", "x4"]
    out = BatchScaler("batch").set_output(transform="pandas").fit_transform(frame)
    assert list(out.columns) == ["a", "b", "c", "d"]


def test_a_negative_index_counts_from_the_end():
    frame, _ = _batched()
    moved = frame[["a", "b", "c", "d", "batch"]]
    assert_allclose(
        BatchScaler(-1).fit_transform(moved), BatchScaler("batch").fit_transform(frame)
    )


def test_an_unseen_batch_gets_the_global_statistics_with_a_warning():
    frame, _ = _batched()
    train = frame[frame["batch"] != "run3"]
    model = BatchScaler("batch").fit(train)
    test = frame[frame["batch"] == "run3"]
    with pytest.warns(UserWarning, match=r"batch 'run3' was not seen in fit"):
        out = model.transform(test)
    expected = model.global_scaler_.transform(test.drop(columns="batch"))
    assert_allclose(out, expected)
    strict = BatchScaler("batch", unseen="error").fit(train)
    with pytest.raises(ValueError, match=r"batch 'run3' was not seen in fit"):
        strict.transform(test)


def test_rows_keep_their_order_across_interleaved_batches():
    frame, _ = _batched()
    shuffled = frame.sample(frac=1.0, random_state=0)
    model = BatchScaler("batch").fit(frame)
    assert_allclose(
        model.transform(shuffled),
        model.transform(frame)[shuffled.index.to_numpy()],
    )


@pytest.mark.parametrize("kind", ["frame", "array"])
def test_consecutive_and_scattered_batch_rows_give_the_same_scaling(kind):
    # run2's rows consecutive (handed on as a view), run1 and run3 interleaved
    # (handed on as positions): the same statistics and rows either way
    frame, _ = _batched()
    mixed = frame[frame["batch"] != "run2"].sample(frac=1.0, random_state=2)
    mixed = pd.concat([mixed.iloc[:20], frame[frame["batch"] == "run2"], mixed[20:]])
    if kind == "array":
        frame = frame.assign(batch=frame["batch"].str[-1].astype(float))
        mixed = mixed.assign(batch=mixed["batch"].str[-1].astype(float))
    order = mixed.index.to_numpy()
    ordered = BatchScaler("batch" if kind == "frame" else 1).fit(
        frame if kind == "frame" else frame.to_numpy()
    )
    scattered = clone(ordered).fit(mixed if kind == "frame" else mixed.to_numpy())
    for label in ordered.batches_:
        assert_allclose(
            scattered.scalers_[label].mean_, ordered.scalers_[label].mean_, rtol=1e-13
        )
    data = mixed if kind == "frame" else mixed.to_numpy()
    out = scattered.transform(data)
    assert_allclose(out, ordered.transform(data), rtol=1e-12)
    assert_allclose(
        out,
        ordered.transform(frame if kind == "frame" else frame.to_numpy())[order],
        rtol=1e-12,
    )


def test_weights_reach_each_batch_scaler():
    frame, _ = _batched()
    weights = np.arange(len(frame)) % 3
    weighted = BatchScaler("batch").fit(frame, sample_weight=weights)
    repeated = BatchScaler("batch").fit(frame.loc[frame.index.repeat(weights)])
    for label in ("run1", "run2", "run3"):
        assert_allclose(
            weighted.scalers_[label].mean_, repeated.scalers_[label].mean_, rtol=1e-12
        )


def test_any_scaler_per_batch():
    frame, _ = _batched()
    model = BatchScaler("batch", scaler=MinMaxScaler()).fit(frame)
    out = model.transform(frame)
    for label in ("run1", "run2", "run3"):
        rows = (frame["batch"] == label).to_numpy()
        assert_allclose(out[rows].min(axis=0), 0.0, atol=1e-15)
        assert_allclose(out[rows].max(axis=0), 1.0, rtol=1e-14)


def test_without_a_batch_it_is_the_plain_scaler():
    frame, _ = _batched()
    values = frame.drop(columns="batch")
    assert_array_equal(
        BatchScaler().fit_transform(values), ZScoreScaler().fit_transform(values)
    )


@pytest.mark.parametrize(
    ("batch", "X", "error", "message"),
    [
        ("run", None, ValueError, r"batch='run' is not a column of X; its columns"),
        ("batch", "array", ValueError, r"names a column, but X has no column names"),
        (7, None, ValueError, r"batch=7 is not a column index of X, which has 5"),
        (1, "sparse", TypeError, r"got a sparse matrix"),
        ("batch", "missing", ValueError, r"missing in 1 row \(positions \[3\]\)"),
    ],
)
def test_refusals_say_what_is_wrong(batch, X, error, message):
    frame, _ = _batched()
    if X == "array":
        frame = frame.drop(columns="batch").to_numpy()
    elif X == "sparse":
        frame = sp.csr_matrix(frame.drop(columns="batch").to_numpy())
    elif X == "missing":
        frame.loc[3, "batch"] = None
    with pytest.raises(error, match=message):
        BatchScaler(batch).fit(frame)


def test_weights_for_a_scaler_that_takes_none_are_refused():
    from sklearn.preprocessing import RobustScaler

    frame, _ = _batched()
    with pytest.raises(TypeError, match=r"RobustScaler.fit does not take it"):
        BatchScaler("batch", scaler=RobustScaler()).fit(
            frame, sample_weight=np.ones(90)
        )


def test_in_a_grid_search_with_grouped_folds():
    """Every test batch is unseen by its training folds: the global
    statistics leave its batch effect in place (the classifier guesses), its
    own statistics remove it."""
    frame, signal = _batched()
    y = (signal[:, 0] > 0).astype(int)
    pipe = make_pipeline(BatchScaler("batch"), LogisticRegression())
    search = GridSearchCV(
        pipe,
        {
            "batchscaler__scaler": [ZScoreScaler(), StandardScaler()],
            "batchscaler__unseen": ["global", "own"],
        },
        cv=GroupKFold(3),
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="BatchScaler: batch")
        search.fit(frame, y, groups=frame["batch"])
    scores = pd.Series(
        search.cv_results_["mean_test_score"],
        index=[p["batchscaler__unseen"] for p in search.cv_results_["params"]],
    )
    assert scores["own"].min() > 0.9 > 0.7 > scores["global"].max()
    assert search.best_params_["batchscaler__unseen"] == "own"
    assert clone(search.best_estimator_).get_params()["batchscaler__batch"] == "batch"


def test_an_unseen_batch_scaled_by_its_own_statistics():
    frame, _ = _batched()
    model = BatchScaler("batch", unseen="own").fit(frame[frame["batch"] != "run2"])
    test = frame[frame["batch"] == "run2"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = model.transform(test)
    values = test.drop(columns="batch").to_numpy()
    assert_allclose(out, (values - values.mean(axis=0)) / values.std(axis=0))


def test_one_fit_task_with_a_subtask_per_batch_and_one_for_all():
    pytest.importorskip("sklearn.callback")
    from tests.utils.test_callbacks import SubtaskRecorder

    frame, _ = _batched()
    recorder = SubtaskRecorder()
    BatchScaler("batch").set_callbacks(recorder).fit(frame)
    ends = [entry for entry in recorder.record if entry[0] == "end"]
    names = ["batch 'run1'", "batch 'run2'", "batch 'run3'", "all batches"]
    assert ends == [("end", name, 1) for name in names] + [("end", "fit", 0)]


def test_a_batch_of_zero_weights_is_not_learnt():
    frame, _ = _batched()
    weights = np.where(frame["batch"] == "run2", 0.0, 1.0)
    model = BatchScaler("batch").fit(frame, sample_weight=weights)
    assert sorted(model.scalers_) == ["run1", "run3"]
    with pytest.warns(UserWarning, match="batch 'run2' was not seen in fit"):
        model.transform(frame)


def test_a_single_row_batch_and_the_batch_scalers_own_warnings_are_named():
    frame, _ = _batched()
    frame = frame.iloc[:61].copy()  # run3 keeps one row
    frame.loc[60, "a"] = np.nan  # its only value of "a"
    with pytest.warns(UserWarning) as caught:
        BatchScaler("batch").fit(frame)
    messages = [str(w.message) for w in caught]
    assert any(
        m.startswith("BatchScaler: batch 'run3' has a single row") for m in messages
    )
    assert any(
        m.startswith("BatchScaler, batch 'run3': ZScoreScaler: column 'a'")
        for m in messages
    )


def test_missing_labels_are_counted():
    frame, _ = _batched()
    frame.loc[[3, 5, 7, 9, 11, 13, 15], "batch"] = None
    with pytest.raises(
        ValueError,
        match=r"missing in 7 rows \(positions \[3, 5, 7, 9, 11\] and 2 more\)",
    ):
        BatchScaler("batch").fit(frame)


def test_a_mistyped_batch_name_gets_a_suggestion():
    frame, _ = _batched()
    with pytest.raises(ValueError, match=r"did you mean 'batch'\?"):
        BatchScaler("bacth").fit(frame)


@pytest.mark.parametrize(
    ("columns", "batch", "tail"),
    [
        (["a", "batch", "c"], "bacth", "; did you mean 'batch'?"),
        # the closest of several close names
        (["plate", "plates", "run"], "plat", "; did you mean 'plate'?"),
        (["a", "b", "c"], "zz", "; its columns are 'a', 'b', 'c'"),
        ([0, 1, 2], "zz", "; its columns are '0', '1', '2'"),  # numbers as text
        ([100, 200, 300], "10O", "; did you mean '100'?"),
        (
            [f"c{i}" for i in range(12)],
            "zz",
            "; its columns are 'c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', "
            "'c8', 'c9' and 2 more",
        ),
        (
            [f"c{i}" for i in range(11)],
            "zz",
            "; its columns are 'c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', "
            "'c8', 'c9' and 1 more",
        ),
        (
            [f"c{i}" for i in range(10)],
            "zz",
            "; its columns are 'c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', "
            "'c8', 'c9'",
        ),
    ],
)
def test_a_missing_batch_column_message_in_full(columns, batch, tail):
    frame = pd.DataFrame(np.ones((4, len(columns))), columns=columns)
    with pytest.raises(ValueError) as caught:
        BatchScaler(batch).fit(frame)
    assert str(caught.value) == f"batch={batch!r} is not a column of X{tail}."


@pytest.mark.parametrize(
    ("batch", "ok"), [(-5, True), (4, True), (-6, False), (5, False)]
)
def test_batch_index_bounds(batch, ok):
    # five columns: indices -5 to 4 name one, -6 and 5 do not
    frame, _ = _batched()
    array = np.column_stack([frame["batch"].str[-1].astype(float), frame[list("abcd")]])
    array = np.roll(array, batch if batch in (-5, 4) else 0, axis=1)
    if ok:
        model = BatchScaler(batch).fit(array)
        assert_array_equal(model.batches_, [1.0, 2.0, 3.0])
    else:
        with pytest.raises(ValueError) as caught:
            BatchScaler(batch).fit(array)
        assert str(caught.value) == (
            f"batch={batch} is not a column index of X, which has 5 columns."
        )


def test_names_out_of_given_input_features_are_objects():
    frame, _ = _batched()
    model = BatchScaler(1).fit(frame.to_numpy())
    names = model.get_feature_names_out(["p", "q", "r", "s", "t"])
    assert names.dtype == object
    assert_array_equal(names, ["p", "r", "s", "t"])
    by_name = BatchScaler("batch").fit(frame)
    assert by_name.get_feature_names_out().dtype == object
    with pytest.raises(ValueError, match="input_features is not equal"):
        by_name.get_feature_names_out(["a", "x", "b", "c", "d"])


@pytest.mark.parametrize(
    ("unseen", "said"),
    [
        (["p1"], "batch 'p1' was not seen in fit; it is scaled"),
        (["p1", "p2"], "batch 'p1', 'p2' was not seen in fit; they are scaled"),
        (
            [f"p{i}" for i in range(1, 8)],
            "batch 'p1', 'p2', 'p3', 'p4', 'p5' was not seen in fit; they are scaled",
        ),
    ],
)
def test_the_unseen_batches_message_in_full(unseen, said):
    rng = np.random.default_rng(0)
    seen = [f"s{i}" for i in range(12)]
    train = pd.DataFrame(rng.normal(size=(48, 2)), columns=["a", "b"])
    train["batch"] = np.repeat(seen, 4)
    test = pd.DataFrame(rng.normal(size=(4 * len(unseen), 2)), columns=["a", "b"])
    test["batch"] = np.repeat(unseen, 4)
    model = BatchScaler("batch").fit(train)
    with pytest.warns(UserWarning) as caught:
        model.transform(test)
    assert [str(w.message) for w in caught] == [
        f"BatchScaler: {said} with the statistics of all training rows."
    ]
    strict = BatchScaler("batch", unseen="error").fit(train)
    with pytest.raises(ValueError) as refused:
        strict.transform(test)
    assert str(refused.value) == (
        f"BatchScaler: batch {unseen[0]!r} was not seen in fit (seen: "
        f"{sorted(seen)[:10]}); pass unseen='global' to scale it with the "
        "statistics of all training rows."
    )


def test_another_width_at_transform_is_refused():
    frame, _ = _batched()
    array = frame.assign(batch=frame["batch"].str[-1].astype(float)).to_numpy()
    model = BatchScaler(1).fit(array)
    wider = np.column_stack([array, array[:, :1]])
    with pytest.raises(
        ValueError, match="X has 6 features, but BatchScaler is expecting 5"
    ):
        model.transform(wider)
    assert model.n_features_in_ == 5


def test_a_scaler_with_sparse_output_keeps_the_row_order():
    from sklearn.preprocessing import FunctionTransformer

    frame, _ = _batched()
    shuffled = frame.sample(frac=1.0, random_state=3)
    sparse_out = FunctionTransformer(lambda X: sp.csr_matrix(np.asarray(X) * 2.0))
    out = BatchScaler("batch", scaler=sparse_out).fit(shuffled).transform(shuffled)
    assert sp.issparse(out)
    assert_allclose(out.toarray(), shuffled.drop(columns="batch").to_numpy() * 2.0)


def test_refusals_of_the_input_in_full():
    dd = pytest.importorskip("dask.dataframe")
    frame, _ = _batched()
    with pytest.raises(TypeError) as caught:
        BatchScaler("batch").fit(dd.from_pandas(frame, npartitions=2))
    assert str(caught.value) == (
        "BatchScaler does not take dask collections; compute the rows first "
        "(X.compute())."
    )
    with pytest.raises(ValueError) as caught:
        BatchScaler(0).fit(np.arange(6.0))
    assert str(caught.value) == (
        "Expected a 2D array, got 1D array instead. Reshape your data either using "
        "array.reshape(-1, 1) if your data has a single feature or "
        "array.reshape(1, -1) if it contains a single sample."
    )
    with pytest.raises(TypeError) as caught:
        BatchScaler(0).fit(sp.csr_matrix(np.ones((4, 3))))
    assert str(caught.value).startswith(
        "BatchScaler reads the batch column from a DataFrame or an array; got a "
        "sparse matrix."
    )
    # lists are arrays too
    rows = [[1.0, 0.5], [1.0, 1.5], [2.0, 3.0], [2.0, 5.0]]
    assert_allclose(BatchScaler(0).fit_transform(rows).ravel(), [-1, 1, -1, 1])


@pytest.mark.parametrize(
    ("missing", "said"),
    [
        ([4], "in 1 row (positions [4])"),
        ([4, 7], "in 2 rows (positions [4, 7])"),
        ([1, 2, 3, 4, 5], "in 5 rows (positions [1, 2, 3, 4, 5])"),
        ([1, 2, 3, 4, 5, 6], "in 6 rows (positions [1, 2, 3, 4, 5] and 1 more)"),
    ],
)
def test_missing_labels_message_in_full(missing, said):
    frame, _ = _batched()
    frame.loc[missing, "batch"] = None
    with pytest.raises(ValueError) as caught:
        BatchScaler("batch").fit(frame)
    assert str(caught.value) == (
        f"The batch column 'batch' is missing {said}; expected a batch label for "
        "every row."
    )


def test_tags_follow_the_scaler_and_the_batch():
    from sklearn.utils import get_tags

    assert get_tags(
        BatchScaler(None, scaler=ZScoreScaler(with_mean=False))
    ).input_tags.sparse
    assert not get_tags(
        BatchScaler("b", scaler=ZScoreScaler(with_mean=False))
    ).input_tags.sparse
    assert not get_tags(BatchScaler(None)).input_tags.sparse  # centring
    assert get_tags(BatchScaler("b")).transformer_tags.preserves_dtype == (
        get_tags(ZScoreScaler()).transformer_tags.preserves_dtype
    )


# --- the batch given beside X (batch_labels), as scikit-learn routes groups


@pytest.mark.parametrize("kind", ["ndarray", "DataFrame", "csr", "csc"])
def test_batch_labels_beside_x_give_the_batch_columns_answer(kind):
    frame, _ = _batched()
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    labels = shuffled["batch"].to_numpy()
    values = shuffled.drop(columns="batch")
    sparse = kind in ("csr", "csc")
    scaler = ZScoreScaler(with_mean=not sparse)
    expected = BatchScaler("batch", scaler=scaler).fit_transform(shuffled)
    X = {
        "ndarray": values.to_numpy(),
        "DataFrame": values,
        "csr": sp.csr_matrix(values.to_numpy()),
        "csc": sp.csc_matrix(values.to_numpy()),
    }[kind]
    before = X.copy()
    step = BatchScaler(scaler=scaler).fit(X, batch_labels=labels)
    out = step.transform(X, batch_labels=labels)
    if sparse:
        assert out.format == "csr"  # sparse in, CSR out
        out = out.toarray()
        assert (X != before).nnz == 0
    assert_allclose(out, expected, rtol=1e-13)
    again = BatchScaler(scaler=scaler).fit_transform(X, batch_labels=labels)
    assert_allclose(again.toarray() if sparse else again, out)
    assert list(step.batches_) == ["run1", "run2", "run3"]


def test_batch_labels_in_a_pipeline_are_routed_to_fit_and_transform():
    import sklearn

    frame, _ = _batched()
    labels = frame["batch"].to_numpy()
    values = frame.drop(columns="batch").to_numpy()
    with sklearn.config_context(enable_metadata_routing=True):
        step = (
            BatchScaler()
            .set_fit_request(batch_labels=True)
            .set_transform_request(batch_labels=True)
        )
        pipe = make_pipeline(step, PCA(2))
        scores = pipe.fit_transform(values, batch_labels=labels)
        again = pipe.transform(values, batch_labels=labels)
    assert_allclose(scores, again, atol=1e-12)
    expected = make_pipeline(BatchScaler("batch"), PCA(2)).fit_transform(frame)
    assert_allclose(np.abs(scores), np.abs(expected), rtol=1e-10, atol=1e-12)


def test_batch_labels_refusals_say_what_is_wrong():
    frame, _ = _batched()
    labels = frame["batch"].to_numpy()
    values = frame.drop(columns="batch").to_numpy()
    with pytest.raises(ValueError, match="give one of them"):
        BatchScaler("batch").fit(frame, batch_labels=labels)
    with pytest.raises(
        ValueError, match=r"expected one label per row of X, shape \(90,\)"
    ):
        BatchScaler().fit(values, batch_labels=labels[:10])
    fitted = BatchScaler().fit(values, batch_labels=labels)
    with pytest.raises(ValueError, match="pass the batch of each row to transform"):
        fitted.transform(values)
    with pytest.raises(ValueError, match="fit had none"):
        BatchScaler().fit(values).transform(values, batch_labels=labels)
    gaps = labels.astype(object)
    gaps[[3, 8]] = None
    with pytest.raises(ValueError, match=r"batch_labels is missing in 2 rows"):
        BatchScaler().fit(values, batch_labels=gaps)
    with pytest.raises(TypeError, match="batch_labels"):
        BatchScaler(0).fit(sp.csr_matrix(values))
