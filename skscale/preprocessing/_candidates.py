"""The candidate scalers: one list of names for compare_scalers, the command and
GridSearchCV grids."""

from sklearn.preprocessing import RobustScaler

from skscale.preprocessing._block_scaler import BlockScaler
from skscale.preprocessing._metabolomics import (
    LevelScaler,
    ParetoScaler,
    RangeScaler,
    VastScaler,
)
from skscale.preprocessing._minmax import MinMaxScaler
from skscale.preprocessing._zscore import ZScoreScaler
from skscale.utils._sklearn_compat import validate_params

# name -> (factory, in the default list, what it does); block_mfa needs blocks.
_CANDIDATES = {
    "none": (lambda blocks: "passthrough", True, "no scaling"),
    "zscore": (lambda blocks: ZScoreScaler(), True, "z-scores (StandardScaler)"),
    "minmax": (lambda blocks: MinMaxScaler(), True, "each column onto [0, 1]"),
    "robust": (
        lambda blocks: RobustScaler(),
        True,
        "median and interquartile range (scikit-learn's RobustScaler)",
    ),
    "pareto": (lambda blocks: ParetoScaler(), True, "divide by sqrt(std)"),
    "vast": (lambda blocks: VastScaler(), False, "z-score times mean/std"),
    "level": (lambda blocks: LevelScaler(), False, "divide by the mean"),
    "range": (lambda blocks: RangeScaler(), False, "divide by max - min"),
    "block_mfa": (
        lambda blocks: BlockScaler(blocks, weighting="mfa"),
        True,
        "z-scores, then each block weighted as in Multiple Factor Analysis "
        "(needs blocks)",
    ),
}


def candidate_descriptions():
    """Name -> one-line description of every candidate (for ``--help``)."""
    return {name: description for name, (_, _, description) in _CANDIDATES.items()}


@validate_params(
    {"blocks": [dict, None], "names": [list, tuple, None]},
    prefer_skip_nested_validation=True,
)
def candidate_scalers(blocks=None, *, names=None):
    """The candidate scalers, by name, as unfitted estimators.

    One list of names serves :func:`~skscale.diagnostics.compare_scalers`, the
    ``skscale report`` command's ``--scalers`` and scikit-learn grids:
    ``"none"`` (``"passthrough"``: no scaling), ``"zscore"``
    (:class:`ZScoreScaler`), ``"minmax"`` (:class:`MinMaxScaler`), ``"robust"``
    (:class:`sklearn.preprocessing.RobustScaler`), ``"pareto"``, ``"vast"``,
    ``"level"`` and ``"range"`` (the metabolomics scalings), and ``"block_mfa"``
    (:class:`BlockScaler` with MFA weighting, only with ``blocks``).

    Parameters
    ----------
    blocks : dict, default=None
        Block name -> columns, as for :class:`BlockScaler`. With blocks,
        ``"block_mfa"`` joins the default candidates.
    names : list of str, default=None
        The candidates wanted, in this order. ``None`` gives the defaults:
        ``none``, ``zscore``, ``minmax``, ``robust``, ``pareto`` and, with
        blocks, ``block_mfa``.

    Returns
    -------
    dict of str -> estimator or "passthrough"
        Fresh, unfitted estimators (a new dict and new estimators at each call).

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.pipeline import Pipeline
    >>> from skscale.preprocessing import candidate_scalers
    >>> list(candidate_scalers())
    ['none', 'zscore', 'minmax', 'robust', 'pareto']
    >>> candidate_scalers(names=["zscore", "vast"])
    {'zscore': ZScoreScaler(), 'vast': VastScaler()}
    >>> pipe = Pipeline([("scale", "passthrough"), ("knn", KNeighborsClassifier())])
    >>> grid = GridSearchCV(pipe, {"scale": list(candidate_scalers().values())})
    """
    if names is None:
        names = [
            name
            for name, (_, default, _) in _CANDIDATES.items()
            if default and (blocks is not None or name != "block_mfa")
        ]
    unknown = [name for name in names if name not in _CANDIDATES]
    if unknown:
        raise ValueError(
            f"Unknown candidate scaler {unknown[0]!r}; expected one of "
            f"{', '.join(_CANDIDATES)}."
        )
    if "block_mfa" in names and blocks is None:
        raise ValueError(
            "The candidate 'block_mfa' scales blocks of columns and needs blocks; "
            "got blocks=None."
        )
    return {name: _CANDIDATES[name][0](blocks) for name in names}
