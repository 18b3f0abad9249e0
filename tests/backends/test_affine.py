"""The affine map's every path against the formula written out here.

``affine_map`` has three paths: float64 arithmetic directly in a float64,
C-ordered output; float64 arithmetic in a block buffer, rounded once into any
other output; and the forward map of C-ordered float32 data in float32
arithmetic with the center split in two parts. Each is checked value by value
(exact equality, not a tolerance) against its own written-out formula, on
many small blocks, with and without each operand, in place or not.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from skscale._backends import dense
from skscale._backends.dense import _float32_ops, affine_map
from skscale._backends.sparse import sparse_scale

# every test here runs on the compiled kernels and on the NumPy path
pytestmark = pytest.mark.usefixtures("kernel_path")

CENTER = np.array([1e6 + 0.123456789, -2.5, 0.0, 3.0e-3])
SCALE = np.array([3.0, 0.7, 1e-3, 11.0])


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(dense, "_MAP_BLOCK_ELEMENTS", 12)


def _data(dtype, order, n_rows=23, center=CENTER):
    rng = np.random.default_rng(3)
    X = center + rng.normal(size=(n_rows, 4)) * SCALE * 5
    X[rng.random(X.shape) < 0.1] = np.nan
    if np.dtype(dtype).kind in "iu":
        X = np.nan_to_num(np.round(X), nan=0.0)
    with np.errstate(over="ignore"):
        X = X.astype(dtype)
    if order == "view":  # every other row of a larger array: not contiguous
        wide = np.empty((2 * n_rows, 4), dtype=dtype)
        wide[::2] = X
        return wide[::2]
    return np.asarray(X, order=order)


def _rounded_once(X, center, scale, inverse, dtype):
    """The map in float64, rounded once into ``dtype``."""
    values = X.astype(np.float64)
    if inverse:
        values = values * (1.0 if scale is None else scale)
        values = values + (0.0 if center is None else center)
    else:
        values = values - (0.0 if center is None else center)
        values = values / (1.0 if scale is None else scale)
    with np.errstate(over="ignore"):
        return values.astype(dtype)


def _float32_formula(X, center, scale):
    """``((x - hi) - lo) * r`` in float32: hi + lo is the float64 center."""
    values = X.copy()
    if center is not None:
        high = center.astype(np.float32)
        low = (center - high.astype(np.float64)).astype(np.float32)
        values = (values - high) - low
    if scale is not None:
        values = values * (1.0 / scale).astype(np.float32)
    return values


def _same(actual, expected):
    assert actual.dtype == expected.dtype
    assert_array_equal(actual, expected, strict=True)


@pytest.mark.parametrize("in_dtype", [np.float64, np.float32, np.float16, np.int64])
@pytest.mark.parametrize("out_dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("in_order", ["C", "F", "view"])
@pytest.mark.parametrize("out_order", ["C", "F"])
@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("operands", ["both", "center", "scale"])
def test_every_path_matches_its_formula(
    small_blocks, in_dtype, out_dtype, in_order, out_order, inverse, operands
):
    # float16 holds values up to 65504 only
    small = np.float16 in (in_dtype, out_dtype)
    center = CENTER / 1000 if small else CENTER
    X = _data(in_dtype, in_order, center=center)
    center = None if operands == "scale" else center
    scale = None if operands == "center" else SCALE
    out = np.empty(X.shape, dtype=out_dtype, order=out_order)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = affine_map(X, center, scale, out=out, inverse=inverse)
    assert result is out
    fast = (
        not inverse
        and in_dtype == out_dtype == np.float32
        and in_order == out_order == "C"
    )
    if fast:
        expected = _float32_formula(X, center, scale)
    else:
        expected = _rounded_once(X, center, scale, inverse, out_dtype)
    _same(out, expected)


def test_the_float32_path_is_taken_and_differs_from_rounding_once(small_blocks):
    """The float32 arithmetic is not the float64 result rounded once: the
    formula test above can tell the two paths apart."""
    X = _data(np.float32, "C", n_rows=400)
    out = affine_map(X, CENTER, SCALE, out=np.empty_like(X))
    _same(out, _float32_formula(X, CENTER, SCALE))
    rounded = _rounded_once(X, CENTER, SCALE, False, np.float32)
    assert (out != rounded)[~np.isnan(X)].any()


@pytest.mark.parametrize(
    ("X_kind", "out_kind", "inverse"),
    [
        ("float64", "float32", False),
        ("float32", "float64", False),
        ("F", "C", False),
        ("C", "F", False),
        ("C", "C", True),
    ],
)
def test_the_float32_steps_apply_only_to_the_forward_map_of_c_ordered_float32(
    X_kind, out_kind, inverse
):
    def array(kind):
        dtype = np.float64 if kind == "float64" else np.float32
        return np.zeros((3, 4), dtype=dtype, order="F" if kind == "F" else "C")

    assert _float32_ops(array(X_kind), array(out_kind), CENTER, SCALE, inverse) is None


def test_the_float32_steps_split_the_center_and_invert_the_scale():
    X = np.zeros((3, 4), dtype=np.float32)
    steps = _float32_ops(X, X, CENTER, SCALE, inverse=False)
    assert [ufunc for ufunc, _ in steps] == [np.subtract, np.subtract, np.multiply]
    high, low, reciprocal = (operand for _, operand in steps)
    for operand in (high, low, reciprocal):
        assert operand.dtype == np.float32
    assert_array_equal(high, CENTER.astype(np.float32))
    assert_array_equal(low, (CENTER - high.astype(np.float64)).astype(np.float32))
    # the large offset is carried exactly: hi + lo equals the center to float64
    assert high[0] + np.float64(low[0]) == CENTER[0]
    assert_array_equal(reciprocal, (1.0 / SCALE).astype(np.float32))
    assert _float32_ops(X, X, None, None, inverse=False) == []


@pytest.mark.parametrize(
    ("center", "scale"),
    [
        (np.zeros(2), np.array([1.0, 0.0])),  # reciprocal inf
        (np.zeros(2), np.array([1.0, 1e-39])),  # reciprocal beyond float32
        (np.zeros(2), np.array([1.0, 1e39])),  # reciprocal below float32's normals
        (np.array([0.0, 1e39]), np.ones(2)),  # center beyond float32
        (np.array([0.0, np.inf]), np.ones(2)),  # center infinite
        (np.array([0.0, np.nan]), np.ones(2)),
        (np.zeros(2), np.array([1.0, np.nan])),
    ],
)
def test_operands_float32_cannot_hold_take_the_float64_path_quietly(center, scale):
    X = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _float32_ops(X, X, center, scale, inverse=False) is None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            expected = _rounded_once(X, center, scale, False, np.float32)
            out = affine_map(X, center, scale, out=np.empty_like(X))
    _same(out, expected)


def test_the_smallest_normal_reciprocal_stays_on_the_float32_path():
    X = np.ones((2, 1), dtype=np.float32)
    tiny = np.finfo(np.float32).tiny
    steps = _float32_ops(X, X, None, np.array([1.0 / float(tiny)]), inverse=False)
    assert_array_equal(steps[0][1], [tiny])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("inverse", [False, True])
def test_no_rows_give_an_empty_result(dtype, inverse):
    X = np.empty((0, 4), dtype=dtype)
    out = affine_map(X, CENTER, SCALE, out=np.empty_like(X), inverse=inverse)
    assert out.shape == (0, 4)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("inverse", [False, True])
def test_infinity_is_named_by_column_name_and_call(
    small_blocks, dtype, in_place, inverse
):
    X = np.ones((20, 4), dtype=dtype)
    X[13, 2] = np.inf
    before = X.copy()
    out = X if in_place else np.empty_like(X)
    message = (
        r"^Input X passed to inverse_transform contains infinity in column "
        r"'c' \(index 2\)"
    )
    with pytest.raises(ValueError, match=message):
        affine_map(
            X,
            np.zeros(4),
            np.ones(4),
            out=out,
            inverse=inverse,
            feature_names=["a", "b", "c", "d"],
            what="X passed to inverse_transform",
        )
    assert_array_equal(X, before)  # in place: refused before anything is written


def test_in_place_maps_the_values_it_was_given(small_blocks):
    X = _data(np.float64, "C")
    expected = _rounded_once(X, CENTER, SCALE, False, np.float64)
    assert affine_map(X, CENTER, SCALE, out=X) is X
    _same(X, expected)


def test_the_input_is_called_X_unless_told_otherwise():
    X = np.ones((3, 2))
    X[1, 1] = -np.inf
    with pytest.raises(ValueError, match=r"^Input X contains infinity in column 1"):
        affine_map(X, None, np.ones(2), out=np.empty_like(X))


@pytest.mark.parametrize(
    ("X", "name"),
    [(np.ones((3, 2)), "ndarray"), (sp.coo_matrix(np.ones((3, 2))), "coo_matrix")],
)
def test_sparse_scale_names_what_it_got_instead(X, name):
    with pytest.raises(
        TypeError, match=rf"^Expected a CSR or CSC matrix; got {name}\."
    ):
        sparse_scale(
            X, np.ones(2), copy=True, inverse=False, feature_names=None, what="X"
        )
