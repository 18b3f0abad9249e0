"""Discover skscale's public estimators, so that new ones are checked automatically."""

import inspect
import pkgutil
from importlib import import_module
from operator import itemgetter
from pathlib import Path

from sklearn.base import BaseEstimator

_MODULES_TO_IGNORE = {"tests", "utils"}


def all_estimators():
    """Return every public estimator class defined in skscale.

    Walks the package, imports each public module and collects the classes
    that inherit from :class:`sklearn.base.BaseEstimator`, are not abstract,
    and whose names do not start with an underscore.

    Returns
    -------
    estimators : list of (name, class) tuples
        Sorted by name, without duplicates.

    Examples
    --------
    >>> from skscale.utils.discovery import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> "ZScoreScaler" in names and "MinMaxScaler" in names
    True
    """
    root = Path(__file__).parent.parent
    found = set()
    for _, module_name, _ in pkgutil.walk_packages(path=[str(root)], prefix="skscale."):
        parts = module_name.split(".")
        if any(part in _MODULES_TO_IGNORE for part in parts[1:]):
            continue
        if any(part.startswith("_") for part in parts[1:-1]):
            continue
        module = import_module(module_name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseEstimator)
                and not name.startswith("_")
                and cls.__module__.startswith("skscale.")
                and not inspect.isabstract(cls)
            ):
                found.add((name, cls))
    return sorted(found, key=itemgetter(0))
