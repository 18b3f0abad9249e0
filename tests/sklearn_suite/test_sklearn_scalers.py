"""scikit-learn's own scaler tests, run with skscale's scalers in place of
scikit-learn's.

Every test function of the installed ``sklearn/preprocessing/tests/test_data.py``
that uses ``StandardScaler`` or ``MinMaxScaler`` is rebuilt here with those two
names bound to :class:`skscale.preprocessing.ZScoreScaler` and
:class:`skscale.preprocessing.MinMaxScaler` (the function's code and its
pytest marks are kept; only its globals differ). ``DIFFERENCES`` lists the tests
where skscale deliberately gives another answer, each with its reason; they run
as strict xfails, so a test that starts passing is noticed.
"""

import types
from collections.abc import Collection

import pytest
import sklearn.preprocessing.tests.test_data as sklearn_tests

from skscale.preprocessing import MinMaxScaler, ZScoreScaler

SUBSTITUTES = {"StandardScaler": ZScoreScaler, "MinMaxScaler": MinMaxScaler}

# test name (without parameters) -> why skscale differs on purpose
DIFFERENCES: dict[str, str] = {}


def _uses_substituted(function):
    names = set(function.__code__.co_names)
    for const in function.__code__.co_consts:  # nested functions and lambdas
        if isinstance(const, types.CodeType):
            names |= set(const.co_names)
    return bool(names & SUBSTITUTES.keys())


def _rebuilt(function, namespace):
    clone = types.FunctionType(
        function.__code__,
        namespace,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    clone.__dict__.update(function.__dict__)  # pytest's marks
    # a generator of parameters (which pytest is deprecating) made a list
    clone.pytestmark = [
        pytest.mark.parametrize(mark.args[0], list(mark.args[1]), **mark.kwargs).mark
        if mark.name == "parametrize" and not isinstance(mark.args[1], Collection)
        else mark
        for mark in getattr(function, "pytestmark", [])
    ]
    clone.__kwdefaults__ = function.__kwdefaults__
    clone.__doc__ = function.__doc__
    return clone


def _collect():
    namespace = dict(vars(sklearn_tests))
    namespace.update(SUBSTITUTES)
    tests = {}
    for name, value in vars(sklearn_tests).items():
        if name.startswith("test_") and isinstance(value, types.FunctionType):
            if _uses_substituted(value):
                tests[name] = _rebuilt(value, namespace)
    # helpers of the module that build scalers see the substitutes too
    for name, value in vars(sklearn_tests).items():
        if (
            not name.startswith("test_")
            and isinstance(value, types.FunctionType)
            and value.__module__ == sklearn_tests.__name__
        ):
            namespace[name] = _rebuilt(value, namespace)
    return tests


for _name, _test in _collect().items():
    if _name in DIFFERENCES:
        _test = pytest.mark.xfail(reason=DIFFERENCES[_name], strict=True)(_test)
    globals()[_name] = _test
del _name, _test
