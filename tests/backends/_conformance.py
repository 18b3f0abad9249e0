"""What every backend must give: the dense float64 answer, on every value regime.

One definition of the value regimes (the columns that break naive kernels:
constant, near-constant at small and large means, tiny, huge, spanning the
float64 range) and of the weightings (none, uniform at 1e-300 and 5e14,
summing to 1, some zero), and one comparison. Each backend's module
(``test_dense.py``, ``test_sparse.py``, ``test_dask.py``,
``test_array_api.py``) feeds the same values through its input kind and
holds the result to the dense float64 reference computed here:

- where the reference fits, the backend gives the same fitted attributes and
  the same transform, to float64 rounding relative to each column's size;
- where the reference refuses the data with a ValueError, the backend refuses
  them too, with a ValueError.
"""

import warnings

import numpy as np
from sklearn.base import clone

from skscale._backends.array_api import to_host
from skscale.preprocessing import (
    LevelScaler,
    MinMaxScaler,
    ParetoScaler,
    RangeScaler,
    VastScaler,
    ZScoreScaler,
)

N_ROWS = 40
_rng = np.random.default_rng(26)
_ordinary = _rng.normal(size=N_ROWS) * 3.0 + 10.0
_signs = np.where(np.arange(N_ROWS) < N_ROWS // 2, 1.0, -1.0)


def _near_constant(average):
    """scikit-learn's construction (``test_standard_scaler_near_constant_
    features``): ``average +/- scale`` in equal halves, with scales below the
    bound of rounding noise, near it and well above it."""
    scales = average * np.array([1e-17, 1e-13, 1e-6])
    return average + _signs[:, None] * scales


# regime -> a dense float64 table of N_ROWS rows; an ordinary column rides
# along, so that each regime is also tested among ordinary columns
REGIMES = {
    "constant": np.column_stack(
        [np.zeros(N_ROWS), np.ones(N_ROWS), np.full(N_ROWS, 100.0), _ordinary]
    ),
    "near_constant_1e-10": np.column_stack([_near_constant(1e-10), _ordinary]),
    "near_constant_1": np.column_stack([_near_constant(1.0), _ordinary]),
    "near_constant_1e10": np.column_stack([_near_constant(1e10), _ordinary]),
    "tiny": np.column_stack(
        [
            1e-176 * (2.0 + _rng.normal(size=N_ROWS)),
            np.where(np.arange(N_ROWS) % 2 == 0, 2.4934181e-176, 0.0),
            _ordinary,
        ]
    ),
    "huge": np.column_stack([1e300 * (2.0 + _rng.normal(size=N_ROWS)), _ordinary]),
    "span": np.column_stack(
        [np.where(np.arange(N_ROWS) % 2 == 0, 1.5e308, -1.5e308), _ordinary]
    ),
}

_positive = _rng.uniform(0.5, 2.0, size=N_ROWS)
_some_zero = _positive.copy()
_some_zero[[0, 5, 13, 22, 31]] = 0.0
WEIGHTINGS = {
    "none": None,
    "uniform_1e-300": np.full(N_ROWS, 1e-300),
    "uniform_5e14": np.full(N_ROWS, 5e14),
    "sum_to_1": _positive / _positive.sum(),
    "some_zero": _some_zero,
}

# the per-feature scalers, in the configurations the backends run
SCALERS = {
    "zscore": ZScoreScaler(),
    "zscore_no_mean": ZScoreScaler(with_mean=False),
    "zscore_ddof1": ZScoreScaler(ddof=1),
    "minmax": MinMaxScaler(),
    "pareto": ParetoScaler(),
    "vast": VastScaler(),
    "level": LevelScaler(),
    "range": RangeScaler(),
}

# |result - reference| <= RTOL * (largest |reference| of the column)
RTOL = 1e-12

_ATTRIBUTES = (
    "mean_",
    "var_",
    "scale_",
    "min_",
    "data_min_",
    "data_max_",
    "data_range_",
)


class Refused(Exception):
    """The reference refused the data (a ValueError), as every backend must."""


def fit_and_transform(scaler, X, sample_weight=None, *, chunks=None, to_kind=None):
    """Fit a clone of ``scaler`` on ``X`` (in ``chunks`` of rows through
    ``partial_fit`` when given), transform ``X``; return the fitted scaler and
    the transform as a dense float64 ndarray. ``to_kind`` turns a dense
    ndarray into the backend's input."""
    to_kind = to_kind or (lambda a: a)
    scaler = clone(scaler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zero means, all-NaN
        if chunks is None:
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            scaler.fit(to_kind(X), **kwargs)
        else:
            for rows in np.array_split(np.arange(X.shape[0]), chunks):
                kwargs = {}
                if sample_weight is not None:
                    kwargs = {"sample_weight": sample_weight[rows]}
                scaler.partial_fit(to_kind(X[rows]), **kwargs)
        out = scaler.transform(to_kind(X))
    return scaler, as_dense(out)


def as_dense(out):
    """A transform's result as a float64 ndarray on the host."""
    if hasattr(out, "compute"):
        out = out.compute()
    if hasattr(out, "toarray"):
        out = out.toarray()
    return np.asarray(to_host(out), dtype=np.float64)


def reference(scaler, regime, weighting):
    """The dense float64 answer: ``(fitted, transformed)``, or raise
    :class:`Refused` with the reference's message."""
    X = REGIMES[regime]
    try:
        return fit_and_transform(scaler, X, WEIGHTINGS[weighting])
    except ValueError as exc:
        raise Refused(str(exc)) from exc


def host(value):
    """A fitted attribute as a float64 ndarray on the host (or None)."""
    if value is None:
        return None
    return np.asarray(to_host(value), dtype=np.float64)


def problems(expected, got, X):
    """How the backend's ``(fitted, transformed)`` differs from the reference's.

    The transforms are compared in the input's units: a difference of the
    outputs times the reference's scale, relative to the column's largest
    input. That is float64 rounding whatever the column's conditioning (the
    z-scores of a column whose spread is 1e-13 of its mean change by 1e-3
    when its mean moves by one unit in the last place).
    """
    found = []
    for name in _ATTRIBUTES:
        want = host(getattr(expected[0], name, None))
        have = host(getattr(got[0], name, None))
        if want is None and have is None:
            continue
        if want is None or have is None or not _close(want, have):
            found.append(f"{name}: {have} where the reference has {want}")
    want, have = expected[1], got[1]
    if want.shape != have.shape:
        return [*found, f"transform shape {have.shape}, reference {want.shape}"]
    if not np.array_equal(np.isnan(want), np.isnan(have)):
        found.append("NaN in other places than the reference's")
    if not np.array_equal(np.isinf(want), np.isinf(have)):
        found.append("inf in the transform where the reference has none")
    _, scale = expected[0]._host_center_scale()
    scale = np.ones(X.shape[1]) if scale is None else scale
    with np.errstate(all="ignore"):
        magnitude = np.nanmax(np.abs(X), axis=0)
        magnitude = np.where(np.isfinite(magnitude) & (magnitude > 0), magnitude, 1)
        finite = np.isfinite(want) & np.isfinite(have)
        difference = np.where(finite, np.abs(have - want), 0)
        error = (difference / magnitude) * scale
    if not error.max(initial=0.0) <= RTOL:
        column = int(np.argmax(error.max(axis=0)))
        found.append(
            f"the transform differs by {error.max():.3g} of its column's size "
            f"(column {column}); tolerance {RTOL:g}"
        )
    return found


def _close(want, have):
    """Per feature, equal to float64 rounding (relative), NaN and inf alike."""
    want, have = np.atleast_1d(want), np.atleast_1d(have)
    if want.shape != have.shape:
        return False
    same = (np.isnan(want) & np.isnan(have)) | (want == have)
    with np.errstate(all="ignore"):
        near = np.abs(have - want) <= RTOL * np.maximum(np.abs(want), _TINY)
    return bool(np.all(same | near))


_TINY = np.finfo(np.float64).tiny


def check_backend(scaler, regime, weighting, *, to_kind, chunks=None):
    """Run ``scaler`` on ``regime`` and ``weighting`` through ``to_kind`` and
    assert it gives the dense float64 reference (or refuses as it does)."""
    try:
        expected = reference(scaler, regime, weighting)
    except Refused as refusal:
        try:
            fit_and_transform(
                scaler,
                REGIMES[regime],
                WEIGHTINGS[weighting],
                chunks=chunks,
                to_kind=to_kind,
            )
        except ValueError:
            return
        raise AssertionError(
            f"the dense float64 reference refuses this ({refusal}); the backend "
            "gave a result"
        ) from None
    got = fit_and_transform(
        scaler, REGIMES[regime], WEIGHTINGS[weighting], chunks=chunks, to_kind=to_kind
    )
    found = problems(expected, got, REGIMES[regime])
    assert not found, "; ".join(found)
