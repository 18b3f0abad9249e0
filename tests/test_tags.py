"""The tags tell the truth, for every configuration of every estimator.

scikit-learn's checks test that the dtypes a transformer lists are kept; these
test both ways: a dtype is kept exactly when it is listed, NaN is accepted
exactly when ``allow_nan`` says so, and a sparse matrix exactly when
``sparse`` says so.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone, is_regressor
from sklearn.utils import get_tags

from tests._registry import all_instances

INSTANCES = all_instances()


def _id(estimator):
    # one line: a node id with a line break cannot be passed back to pytest
    return " ".join(repr(estimator).split())


rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3)) * [1, 10, 100] + [5, 50, 500]
y = X @ [1.0, 0.1, 0.01]


def _fit(estimator, data):
    estimator = clone(estimator)
    return estimator.fit(data, y) if is_regressor(estimator) else estimator.fit(data)


@pytest.mark.parametrize("estimator", INSTANCES, ids=_id)
def test_preserves_dtype_lists_exactly_the_kept_dtypes(estimator):
    if is_regressor(estimator) or not hasattr(estimator, "transform"):
        pytest.skip("not a transformer")
    listed = get_tags(estimator).transformer_tags.preserves_dtype
    for dtype in ("float64", "float32", "float16"):
        data = X.astype(dtype)
        out = _fit(estimator, data).transform(data)
        kept = np.asarray(out).dtype == np.dtype(dtype)
        assert kept == (dtype in listed), (dtype, listed, np.asarray(out).dtype)


@pytest.mark.parametrize("estimator", INSTANCES, ids=_id)
def test_allow_nan_says_whether_nan_is_accepted(estimator):
    data = X.copy()
    data[3, 1] = np.nan
    if get_tags(estimator).input_tags.allow_nan:
        _fit(estimator, data)
    else:
        with pytest.raises(ValueError, match="NaN"):
            _fit(estimator, data)


@pytest.mark.parametrize("estimator", INSTANCES, ids=_id)
def test_sparse_says_whether_a_sparse_matrix_is_accepted(estimator):
    # half the values implicit zeros, the first column none (median-of-ratios
    # needs one feature without a zero)
    zero = (rng.random(X.shape) < 0.5) & (np.arange(X.shape[1]) > 0)
    data = sp.csr_matrix(np.where(zero, 0.0, X))
    if get_tags(estimator).input_tags.sparse:
        _fit(estimator, data)
    else:
        with pytest.raises((TypeError, ValueError), match=r"(?i)sparse|dense"):
            _fit(estimator, data)
