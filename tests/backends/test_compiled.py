"""The compiled kernels (skscale/_backends/_kernels.c) against the NumPy path they
replace and against formulas written out here: built in this install, the same
results on every layout, dtype, weighting and missing-value pattern they take,
and handed back to NumPy for what they do not take."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skscale._backends import _compiled
from skscale._backends.dense import affine_map, dense_moments
from skscale._backends.sparse import sparse_moments, sparse_scale
from skscale.preprocessing import MinMaxScaler, ZScoreScaler

needs_kernels = pytest.mark.skipif(
    not _compiled.available(), reason="the compiled kernels are not built"
)


def test_the_kernels_are_built_by_the_dev_install():
    """``make test`` installs with a C compiler: a build that failed quietly
    (the extension is optional) would leave every compiled test skipped."""
    if os.environ.get("SKSCALE_NO_COMPILED", "") not in ("", "0"):
        pytest.skip("switched off by SKSCALE_NO_COMPILED")
    assert _compiled.available(), (
        "skscale._backends._kernels was not built or did not load: install a C "
        "compiler (gcc) and rerun `make install`, or set SKSCALE_NO_COMPILED=1 "
        "to test the NumPy path alone"
    )


def test_the_environment_variable_switches_them_off():
    code = "from skscale._backends import _compiled; print(_compiled.available())"

    def available_with(value):
        env = {k: v for k, v in os.environ.items() if k != "SKSCALE_NO_COMPILED"}
        if value is not None:
            env["SKSCALE_NO_COMPILED"] = value
        result = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    assert available_with("1") == "False"
    assert available_with("0") == available_with(None)


def _layouts(X):
    """The same values C-ordered, F-ordered and as a strided view."""
    wide = np.zeros((X.shape[0], 2 * X.shape[1]), dtype=X.dtype)
    wide[:, ::2] = X
    return {
        "C": np.ascontiguousarray(X),
        "F": np.asfortranarray(X),
        "view": wide[:, ::2],
    }


def _data(n, p, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.1, 100, size=p) + rng.uniform(
        -1e4, 1e4, size=p
    )
    return X.astype(dtype)


def _exact_moments(X, weights):
    """Weighted count, mean and M2 per column with math.fsum (NaN skipped)."""
    n, p = X.shape
    weights = np.ones(n) if weights is None else weights
    count, mean, m2 = np.zeros(p), np.zeros(p), np.zeros(p)
    for j in range(p):
        keep = ~np.isnan(X[:, j])
        x = X[keep, j].astype(np.float64)
        w = weights[keep]
        count[j] = math.fsum(w)
        mean[j] = math.fsum(w * x) / count[j] if count[j] else math.nan
        m2[j] = math.fsum(w * (x - mean[j]) ** 2)
    return count, mean, m2


def _both_paths(monkeypatch, run):
    """``run()`` on the compiled kernels and on the NumPy path; the kernels'
    baseline build (no AVX2) must give exactly what the loader's pick gives."""
    compiled = run()
    with monkeypatch.context() as patch:
        patch.setattr(_compiled, "BASELINE", True)
        baseline = run()
    _assert_identical(baseline, compiled)
    with monkeypatch.context() as patch:
        patch.setattr(_compiled, "LIB", None)
        numpy_path = run()
    return compiled, numpy_path


def _assert_identical(a, b):
    """Two results of the same kernel, bit for bit (arrays, sparse matrices,
    Moments or tuples of them)."""
    if hasattr(a, "m2"):  # Moments
        for name in ("count", "shift", "dmean", "m2", "unit"):
            _assert_identical(getattr(a, name), getattr(b, name))
    elif isinstance(a, tuple):
        for x, y in zip(a, b, strict=True):
            _assert_identical(x, y)
    elif hasattr(a, "toarray"):
        _assert_identical(a.data, b.data)
    elif a is not None:
        np.testing.assert_array_equal(a, b)


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["C", "F", "view"])
@pytest.mark.parametrize("weights", ["none", "positive", "some zero"])
@pytest.mark.parametrize("missing", ["none", "some", "a whole column"])
@pytest.mark.parametrize("shape", [(300, 7), (300, 1), (1, 5)])
def test_moments_match_the_numpy_path_and_exact_sums(
    monkeypatch, dtype, layout, weights, missing, shape
):
    n, p = shape
    X = _data(n, p, dtype)
    rng = np.random.default_rng(1)
    if missing == "some":
        X[rng.random(X.shape) < 0.1] = np.nan
        X[0, 0] = 1.0  # every column keeps a value
    elif missing == "a whole column" and p > 1:
        X[:, 1] = np.nan
    w = {
        "none": None,
        "positive": rng.uniform(0.5, 2.0, n),
        "some zero": np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0.5, 2.0, n)),
    }[weights]
    if w is not None:
        w[0] = 1.0
    X = _layouts(X)[layout]
    compiled, numpy_path = _both_paths(monkeypatch, lambda: dense_moments(X, w))
    count, mean, m2 = _exact_moments(X, w)
    for moments in (compiled, numpy_path):
        assert_allclose(moments.count, count, rtol=1e-15)
        assert_allclose(moments.mean, mean, rtol=1e-14, equal_nan=True)
        assert_allclose(moments.m2, m2, rtol=1e-9, atol=1e-9, equal_nan=True)
    # the two paths differ only in the order of their sums (BLAS's or one pass)
    assert_allclose(compiled.mean, numpy_path.mean, rtol=1e-14, equal_nan=True)
    assert_allclose(compiled.m2, numpy_path.m2, rtol=1e-12, atol=1e-12)


@needs_kernels
def test_the_fused_sums_are_the_shifted_sums_written_out():
    X = _data(50, 4, np.float32)
    w = np.linspace(0.0, 2.0, 50)
    shift = np.array([1.0, -2.0, 1e4, 0.5])
    sums, squares = _compiled.shifted_sums(X, w, shift)
    deviations = X.astype(np.float64) - shift
    assert_allclose(sums, (w[:, None] * deviations).sum(axis=0), rtol=1e-12)
    assert_allclose(squares, (w[:, None] * deviations**2).sum(axis=0), rtol=1e-12)


@needs_kernels
@pytest.mark.parametrize("layout", ["C", "F", "view"])
def test_the_missing_sums_skip_nan_and_are_written_out(layout):
    X = _data(60, 4, np.float32)
    X[np.random.default_rng(3).random(X.shape) < 0.2] = np.nan
    X[:, 3] = np.nan  # a column with nothing
    X = _layouts(X)[layout]
    w = np.linspace(0.0, 2.0, 60)
    shift = np.array([1.0, -2.0, 1e4, 0.5])
    count, values, sums, squares = _compiled.missing_sums(X, w, shift)
    present = ~np.isnan(X)
    deviations = np.where(present, X.astype(np.float64) - shift, 0.0)
    assert_allclose(count, (w[:, None] * present).sum(axis=0), rtol=1e-14)
    assert_array_equal(values, (present & (w[:, None] > 0)).sum(axis=0))
    assert_allclose(sums, (w[:, None] * deviations).sum(axis=0), rtol=1e-12)
    assert_allclose(squares, (w[:, None] * deviations**2).sum(axis=0), rtol=1e-12)
    assert count[3] == values[3] == sums[3] == squares[3] == 0.0
    # without NaN, the sums of the plain kernel, bit for bit
    full = _layouts(_data(60, 4, np.float64))[layout]
    assert_array_equal(
        _compiled.missing_sums(full, w, shift)[2:],
        _compiled.shifted_sums(full, w, shift),
    )


@needs_kernels
@pytest.mark.parametrize(
    "make",
    [
        lambda X: X.astype(np.float16),  # a dtype the kernels do not have
        lambda X: X.astype(">f8"),  # not native byte order
        lambda X: X[:, :, None][:, :, 0],  # 2-D, but via a 3-D view: still fine
    ],
)
def test_what_the_kernels_cannot_read_goes_to_numpy(monkeypatch, make):
    X = make(_data(100, 3, np.float64))
    compiled, numpy_path = _both_paths(monkeypatch, lambda: dense_moments(X))
    assert_allclose(compiled.mean, numpy_path.mean, rtol=1e-15)
    assert_allclose(compiled.m2, numpy_path.m2, rtol=1e-12)


@needs_kernels
def test_unaligned_or_fractional_strides_are_refused_by_the_kernel():
    raw = np.zeros(8 * 30 + 1, dtype=np.uint8)[1:].view(np.float64).reshape(10, 3)
    assert not raw.flags.aligned
    assert _compiled.shifted_sums(raw, None, np.zeros(3)) is None
    assert (
        _compiled.affine_map(raw, np.empty((10, 3)), None, None, inverse=False) is None
    )
    # wrong-length operands are refused, not read past their end
    X = np.ones((4, 3))
    assert _compiled.shifted_sums(X, np.ones(3), np.zeros(3)) is None
    assert _compiled.shifted_sums(X, None, np.zeros(2)) is None
    assert (
        _compiled.affine_map(X, np.empty((4, 3)), np.zeros(4), None, inverse=0) is None
    )
    assert (
        _compiled.affine_map(X, np.empty((4, 3)), None, np.ones(2), inverse=0) is None
    )
    assert (
        _compiled.affine_map_float32(
            X.astype(np.float32), np.empty((4, 3), np.float32), np.zeros(2), None, None
        )
        is None
    )


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("in_layout", ["C", "F", "view"])
@pytest.mark.parametrize("out_order", ["C", "F"])
@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("operands", ["both", "center", "scale"])
def test_the_map_is_identical_on_both_paths(
    monkeypatch, dtype, in_layout, out_order, inverse, operands
):
    X = _data(257, 5, dtype)
    X[3, 2] = np.nan
    X[4, 1] = -0.0
    X = _layouts(X)[in_layout]
    center = np.array([1e4 + 0.1234567, -3.0, 0.0, 7.5, -1e-3])
    scale = np.array([2.5, 1e-3, 1.0, 3e3, 0.7])
    center = None if operands == "scale" else center
    scale = None if operands == "center" else scale

    def run():
        out = np.empty(X.shape, dtype=dtype, order=out_order)
        return affine_map(X, center, scale, out=out, inverse=inverse)

    compiled, numpy_path = _both_paths(monkeypatch, run)
    # bit for bit, the sign of zero and NaN included
    bits = np.uint64 if dtype == np.float64 else np.uint32
    assert_array_equal(
        np.ascontiguousarray(compiled).view(bits),
        np.ascontiguousarray(numpy_path).view(bits),
    )


@needs_kernels
def test_the_float64_map_is_the_formula():
    X = _data(40, 3, np.float64)
    center, scale = np.array([1.0, 2.0, 3.0]), np.array([3.0, 0.1, 7.0])
    out = np.empty_like(X)
    assert _compiled.affine_map(X, out, center, scale, inverse=False) is False
    assert_array_equal(out, (X - center) / scale)
    assert _compiled.affine_map(X, out, center, scale, inverse=True) is False
    assert_array_equal(out, X * scale + center)


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("copy", [True, False])
def test_infinity_is_reported_by_the_kernels_and_named(dtype, layout, copy):
    X = _layouts(_data(30, 4, dtype))[layout]
    X[17, 2] = -np.inf
    scaler = ZScoreScaler(copy=copy).fit(np.nan_to_num(X, neginf=0.0))
    before = X.copy()
    with pytest.raises(ValueError, match="column 2"):
        scaler.transform(X)
    assert_array_equal(X, before)  # nothing written, even in place
    out = np.empty_like(X)
    assert _compiled.affine_map(
        X.astype(np.float64), out.astype(np.float64), None, None, inverse=False
    )


@needs_kernels
def test_in_place_maps_alias_input_and_output():
    X = _data(100, 6, np.float64)
    expected = (X - 1.5) / 4.0
    assert (
        _compiled.affine_map(X, X, np.full(6, 1.5), np.full(6, 4.0), inverse=False)
        is False
    )
    assert_array_equal(X, expected)


def _sparse(fmt, dtype, index_dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(200, 30, density=0.2, format=fmt, random_state=seed, dtype=dtype)
    X.data = (X.data * rng.uniform(1, 100, X.data.shape)).astype(dtype)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    return X


@needs_kernels
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_sparse_column_sums_are_the_sums_written_out(fmt, dtype, index_dtype):
    X = _sparse(fmt, dtype, index_dtype)
    assert X.indices.dtype == index_dtype
    sums, squares = _compiled.sparse_column_sums(X)
    dense = X.toarray().astype(np.float64)
    assert_allclose(sums, dense.sum(axis=0), rtol=1e-12)
    assert_allclose(squares, (dense**2).sum(axis=0), rtol=1e-12)


@needs_kernels
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_sparse_weighted_sums_are_the_sums_written_out(fmt, dtype, index_dtype):
    X = _sparse(fmt, dtype, index_dtype)
    w = np.random.default_rng(4).uniform(0.0, 3.0, X.shape[0])
    sums, squares = _compiled.sparse_weighted_sums(X, w)
    dense = X.toarray().astype(np.float64)
    assert_allclose(sums, w @ dense, rtol=1e-12)
    assert_allclose(squares, w @ dense**2, rtol=1e-12)


@needs_kernels
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("copy", [True, False])
@pytest.mark.parametrize("inverse", [False, True])
def test_sparse_scaling_is_identical_on_both_paths(
    monkeypatch, fmt, dtype, index_dtype, copy, inverse
):
    X = _sparse(fmt, dtype, index_dtype)
    scale = np.random.default_rng(2).uniform(0.1, 10, X.shape[1])

    def run():
        original = X.copy()
        out = sparse_scale(
            original, scale, copy=copy, inverse=inverse, feature_names=None, what="X"
        )
        if copy:  # the caller's matrix is untouched
            assert_array_equal(original.data, X.data)
        return out

    compiled, numpy_path = _both_paths(monkeypatch, run)
    assert compiled.format == fmt and compiled.dtype == dtype
    assert compiled.indices.dtype == numpy_path.indices.dtype
    assert_array_equal(compiled.indptr, numpy_path.indptr)
    assert_array_equal(compiled.indices, numpy_path.indices)
    assert_array_equal(compiled.data, numpy_path.data)


@needs_kernels
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("copy", [True, False])
def test_sparse_infinity_is_named_and_nothing_changes(fmt, copy):
    X = _sparse(fmt, np.float64, np.int32)
    scaler = ZScoreScaler(with_mean=False, copy=copy).fit(X)
    X = X.tocoo()
    X.data[np.flatnonzero(X.col == 11)[0]] = np.inf
    X = X.asformat(fmt)
    before = X.data.copy()
    with pytest.raises(ValueError, match="column 11"):
        scaler.transform(X)
    assert_array_equal(X.data, before)


@needs_kernels
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_moments_match_the_numpy_path(monkeypatch, fmt, weighted):
    X = _sparse(fmt, np.float32, np.int64)
    w = np.random.default_rng(5).uniform(0.1, 3.0, X.shape[0]) if weighted else None
    compiled, numpy_path = _both_paths(monkeypatch, lambda: sparse_moments(X, w))
    exact = sparse_moments(X, w, exact=True)
    for moments in (compiled, numpy_path):
        assert_allclose(moments.count, exact.count, rtol=1e-14)
        assert_allclose(moments.mean, exact.mean, rtol=1e-13)
        assert_allclose(moments.m2, exact.m2, rtol=1e-10)


@needs_kernels
def test_sparse_data_with_spare_room_goes_to_numpy(monkeypatch):
    X = _sparse("csr", np.float64, np.int32)
    roomy = X.copy()
    # room after the stored values, which scipy allows (its constructor trims it)
    roomy.data = np.concatenate([X.data, [5.0, 6.0]])
    roomy.indices = np.concatenate([X.indices, [0, 1]]).astype(np.int32)
    assert len(roomy.data) > roomy.indptr[-1]
    assert _compiled.sparse_scale(X, X.data.copy(), np.ones(29), inverse=False) is None
    assert (
        _compiled.sparse_scale(roomy, roomy.data.copy(), np.ones(30), inverse=False)
        is None
    )
    scaled = sparse_scale(
        roomy, np.full(30, 2.0), copy=True, inverse=False, feature_names=None, what="X"
    )
    assert_allclose(scaled.toarray(), X.toarray() / 2.0)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("copy", [True, False])
@pytest.mark.parametrize("inverse", [False, True])
def test_sparse_scaling_with_spare_room_scales_the_stored_values(
    kernel_path, fmt, copy, inverse
):
    """Room after ``indptr[-1]`` (which scipy allows) holds no values: only the
    stored ones are scaled, on either path, and a copy leaves the input alone."""
    X = _sparse(fmt, np.float64, np.int32)
    roomy = X.copy()
    roomy.data = np.concatenate([X.data, [5.0, 6.0]])
    roomy.indices = np.concatenate([X.indices, [0, 1]]).astype(np.int32)
    before = roomy.data.copy()
    scale = np.random.default_rng(4).uniform(0.5, 4.0, 30)
    out = sparse_scale(
        roomy, scale, copy=copy, inverse=inverse, feature_names=None, what="X"
    )
    expected = X.toarray() * scale if inverse else X.toarray() / scale
    assert_allclose(out.toarray(), expected, rtol=1e-15)
    if copy:
        assert out is not roomy
        assert_array_equal(roomy.data, before)
    else:
        assert out is roomy


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_scalers_give_the_same_answers_on_both_paths(monkeypatch, dtype):
    X = _data(5000, 8, dtype)
    X[::7, 3] = np.nan

    def run():
        results = []
        for scaler in (ZScoreScaler(), MinMaxScaler()):
            Xt = scaler.fit_transform(X)
            results.append((Xt, scaler.inverse_transform(Xt)))
        return results

    compiled, numpy_path = _both_paths(monkeypatch, run)
    for (ours, back), (theirs, their_back) in zip(compiled, numpy_path, strict=True):
        assert ours.dtype == dtype
        tolerance = 1e-6 if dtype == np.float32 else 1e-13
        assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance, equal_nan=True)
        assert_allclose(back, their_back, rtol=tolerance, equal_nan=True)


def test_the_baseline_build_is_chosen_by_the_environment_variable():
    code = "from skscale._backends import _compiled; print(_compiled.describe())"
    env = dict(os.environ, SKSCALE_KERNELS_BASELINE="1")
    env.pop("SKSCALE_NO_COMPILED", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    if _compiled.available():
        assert "baseline build (SKSCALE_KERNELS_BASELINE=1)" in out.stdout


@needs_kernels
def test_show_config_names_the_path_in_use(capsys):
    import skscale

    skscale.show_config()
    printed = capsys.readouterr().out
    assert "kernels: compiled (" in printed
    assert "_kernels" in printed
    assert "numpy " in printed and "scikit-learn " in printed


def test_kernels_that_do_not_load_say_so_once_with_the_fix(monkeypatch, tmp_path):
    broken = tmp_path / "_kernels.so"
    broken.write_text("not a shared library")
    spec = type("Spec", (), {"origin": str(broken)})()
    monkeypatch.delenv("SKSCALE_NO_COMPILED", raising=False)
    monkeypatch.setattr(_compiled.importlib.util, "find_spec", lambda name: spec)
    lib, status = _compiled._load()
    assert lib is None
    assert status.startswith("failed to load") and str(broken) in status
    with pytest.warns(_compiled.KernelsUnavailableWarning, match="install a C"):
        _compiled._warn_if_unavailable(lib, status)
    monkeypatch.setattr(_compiled.importlib.util, "find_spec", lambda name: None)
    lib, status = _compiled._load()
    assert lib is None and status.startswith("not built")


def test_switching_the_kernels_off_is_silent(monkeypatch, recwarn):
    monkeypatch.setenv("SKSCALE_NO_COMPILED", "1")
    lib, status = _compiled._load()
    assert lib is None
    _compiled._warn_if_unavailable(lib, status)
    assert not recwarn.list
    assert "switched off" in status


def _malformed_matrices(fmt, index_dtype):
    """Matrices whose structure lies: scipy builds them without checking."""
    good = _sparse(fmt, np.float64, index_dtype)
    n_minor = good.shape[1] if fmt == "csr" else good.shape[0]

    def rebuilt(data, indices, indptr):
        # scipy checks a new matrix's indptr ends, not its indices: the lies
        # are written into the arrays of a valid matrix afterwards
        X = good.copy()
        X.data[...], X.indices[...], X.indptr[...] = data, indices, indptr
        return X

    bad = {}
    if fmt == "csr":
        indices = good.indices.copy()
        indices[len(indices) // 2] = n_minor + 5  # a column beyond the shape
        bad["column beyond the shape"] = rebuilt(good.data.copy(), indices, good.indptr)
        indices = good.indices.copy()
        indices[3] = -1
        bad["negative column"] = rebuilt(good.data.copy(), indices, good.indptr)
    indptr = good.indptr.copy()
    indptr[-1] = len(good.data) + 100  # runs beyond the stored values
    bad["indptr beyond the values"] = rebuilt(good.data.copy(), good.indices, indptr)
    if fmt == "csc":  # CSR's unweighted kernels read no run of indptr but its end
        indptr = good.indptr.copy()
        indptr[2], indptr[3] = indptr[3] + 7, indptr[2]  # decreasing
        bad["indptr decreasing"] = rebuilt(good.data.copy(), good.indices, indptr)
    return bad


@needs_kernels
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_malformed_sparse_matrices_raise_instead_of_reading_out_of_bounds(
    fmt, index_dtype
):
    # the weighted kernels walk every run of indptr, CSR's included, and the
    # weighted CSC kernel reads each stored value's row
    for lie in ("indptr decreasing", "row beyond the shape", "negative row"):
        X = _sparse(fmt, np.float64, index_dtype)
        if lie == "indptr decreasing":
            X.indptr[2], X.indptr[3] = X.indptr[3] + 7, X.indptr[2]
        elif fmt == "csc":
            X.indices[len(X.indices) // 2 if "beyond" in lie else 3] = (
                X.shape[0] + 5 if "beyond" in lie else -1
            )
        else:
            continue
        with pytest.raises(ValueError, match="malformed"):
            _compiled.sparse_weighted_sums(X, np.ones(X.shape[0]))
    for what, X in _malformed_matrices(fmt, index_dtype).items():
        before = X.data.copy()
        for run in (
            lambda X=X: _compiled.sparse_column_sums(X),
            lambda X=X: _compiled.sparse_weighted_sums(X, np.ones(X.shape[0])),
            lambda X=X: _compiled.sparse_scale(
                X, np.empty_like(X.data), np.ones(X.shape[1]), inverse=False
            ),
            # in place: refused before a value is written
            lambda X=X: _compiled.sparse_scale(
                X, X.data, np.full(X.shape[1], 2.0), inverse=False
            ),
        ):
            try:
                result = run()
            except ValueError as exc:
                assert "malformed" in str(exc), what
            else:
                # a kernel that cannot take the input leaves it to NumPy
                assert result is None, f"{what}: accepted"
            np.testing.assert_array_equal(X.data, before, err_msg=what)


def _rows_of(X):
    """Row blocks of a CSR matrix as the normalisers' kernel path deals them,
    and the whole as one block."""
    return [slice(0, X.shape[0]), slice(0, 70), slice(70, 71), slice(71, 200)]


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_csr_row_sums_are_the_sums_written_out(dtype, index_dtype):
    X = _sparse("csr", dtype, index_dtype)
    X.data[5] = np.nan  # propagates, as NumPy's sum does
    expected = np.array(
        [
            math.fsum(X.data[X.indptr[i] : X.indptr[i + 1]].astype(np.float64))
            if not np.isnan(X.data[X.indptr[i] : X.indptr[i + 1]]).any()
            else np.nan
            for i in range(X.shape[0])
        ]
    )
    for rows in _rows_of(X):
        sums = np.full(rows.stop - rows.start, -1.0)
        assert _compiled.csr_row_sums(X, rows, sums)
        assert_allclose(sums, expected[rows], rtol=1e-14, equal_nan=True)
    # what the kernel cannot take is left to NumPy, nothing written
    sums = np.full(X.shape[0], -1.0)
    assert not _compiled.csr_row_sums(X.tocsc(), slice(0, 200), sums[:30])
    assert not _compiled.csr_row_sums(X, slice(0, 200), sums[:10])
    assert (sums == -1.0).all()


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("copy", [True, False])
def test_row_division_is_identical_on_both_paths(monkeypatch, dtype, index_dtype, copy):
    from skscale._backends.sparse import sparse_divide_rows

    X = _sparse("csr", dtype, index_dtype)
    factors = np.random.default_rng(4).uniform(0.3, 30.0, X.shape[0])
    # blocks of rows on every core, as a large matrix is dealt
    monkeypatch.setattr("skscale._backends.sparse._MAP_BLOCK", 64)
    monkeypatch.setattr("skscale._backends._parallel._PARALLEL_FROM", 1)

    def run():
        original = X.copy()  # scipy's copy may narrow the indices: keep them
        original.indices = original.indices.astype(index_dtype)
        original.indptr = original.indptr.astype(index_dtype)
        out = sparse_divide_rows(original, original, factors, copy)
        if copy:
            assert_array_equal(original.data, X.data)
            assert out is not original and out.indices is not original.indices
        else:
            assert out is original
        return out

    compiled, numpy_path = _both_paths(monkeypatch, run)
    assert compiled.dtype == dtype
    assert_array_equal(compiled.indices, numpy_path.indices)
    # division in float64, rounded once into the dtype, on both paths
    assert_array_equal(compiled.data, numpy_path.data)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    assert_array_equal(compiled.data, (X.data / factors[rows]).astype(dtype))


@needs_kernels
def test_row_division_that_could_overflow_goes_to_numpy(monkeypatch):
    # the kernel raises no floating-point flag for the overflow watch: a
    # division that could pass the dtype's largest value is left to NumPy,
    # whose watch then names the cell
    from skscale._backends import sparse as sparse_backend

    X = _sparse("csr", np.float32, np.int32)
    X.data[0] = 3e38
    factors = np.ones(X.shape[0])
    factors[0] = 0.5
    assert not sparse_backend._cannot_overflow(X, factors)
    factors[0] = 1.0
    assert sparse_backend._cannot_overflow(X, factors)
    called = []
    monkeypatch.setattr(
        _compiled, "csr_divide_rows", lambda *a: called.append(a) or True
    )
    factors[0] = 0.5
    with np.errstate(over="ignore"):
        out = sparse_backend.sparse_divide_rows(X, X, factors, True)
    assert not called and np.isinf(out.data[0])


@needs_kernels
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_row_kernels_refuse_malformed_runs_before_writing(index_dtype):
    X = _sparse("csr", np.float64, index_dtype)
    X.indptr[2], X.indptr[3] = X.indptr[3] + 7, X.indptr[2]
    before = X.data.copy()
    with pytest.raises(ValueError, match="malformed"):
        _compiled.csr_row_sums(X, slice(0, 200), np.empty(200))
    with pytest.raises(ValueError, match="malformed"):
        _compiled.csr_divide_rows(X, X.data, slice(0, 200), np.full(200, 2.0))
    assert_array_equal(X.data, before)


@needs_kernels
def test_in_place_row_division_checks_every_run_before_writing(monkeypatch):
    from skscale._backends.sparse import sparse_divide_rows

    monkeypatch.setattr("skscale._backends.sparse._MAP_BLOCK", 64)
    monkeypatch.setattr("skscale._backends._parallel._PARALLEL_FROM", 1)
    X = _sparse("csr", np.float64, np.int32)
    X.indptr[150], X.indptr[151] = X.indptr[151] + 7, X.indptr[150]  # a late block
    before = X.data.copy()
    with pytest.raises(ValueError, match="malformed"):
        sparse_divide_rows(X, None, np.full(200, 2.0), False)
    assert_array_equal(X.data, before)


@needs_kernels
def test_read_only_values_are_refused_by_numpy_not_skipped():
    from skscale._backends.sparse import sparse_divide_rows

    X = _sparse("csr", np.float64, np.int32)
    X.data.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        sparse_divide_rows(X, None, np.full(200, 2.0), False)
