import numpy as np
import pandas as pd
import pytest

from skscale.utils._validation import (
    check_sample_weight,
    column_label,
    raise_for_infinite,
    reject_non_numeric_columns,
)


def test_column_label():
    assert column_label(0) == "column 0"
    assert column_label(1, ["a", "b"]) == "column 'b' (index 1)"


def test_raise_for_infinite_lists_columns_and_stops_at_five():
    block = np.full((2, 8), np.inf)
    with pytest.raises(ValueError, match=r"column 0, column 1.*and 3 more"):
        raise_for_infinite(block, np.arange(8))
    raise_for_infinite(np.array([[np.nan, 1.0]]), np.array([0, 1]))  # no inf: no error


def test_reject_non_numeric_columns():
    ok = pd.DataFrame({"a": [1.0], "b": pd.array([1], dtype="Int64"), "c": [True]})
    reject_non_numeric_columns(ok, "Scaler")
    bad = pd.DataFrame({"a": [1.0], "when": pd.to_datetime(["2020-01-01"])})
    bad["kind"] = pd.Categorical(["x"])
    with pytest.raises(ValueError, match=r"'when'.*'kind'"):
        reject_non_numeric_columns(bad, "Scaler")


def test_check_sample_weight():
    assert check_sample_weight(None, 3) is None
    np.testing.assert_array_equal(check_sample_weight(2, 3), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(check_sample_weight([1, 0, 2], 3), [1.0, 0.0, 2.0])
    for weights, message in [
        ([[1, 2, 3]], "1-D"),
        ([1, 2], "expected shape \\(3,\\)"),
        ([1, np.nan, 1], "NaN or infinity"),
        ([1, -1, 1], "negative"),
        ([0, 0, 0], "zero for every sample"),
        (["a", "b", "c"], "numeric"),
    ]:
        with pytest.raises(ValueError, match=message):
            check_sample_weight(weights, 3)


@pytest.mark.parametrize(
    "seconds, said",
    [
        (0.2, "about 1 s"),
        (42.4, "about 42 s"),
        (89, "about 89 s"),
        (95, "about 2 min"),
        (61 * 60, "about 61 min"),
        (2 * 3600 + 11 * 60, "about 2 h 10 min"),
        (2 * 3600 + 57 * 60, "about 3 h"),
        (5 * 86400, "about 5 days"),
    ],
)
def test_durations_read_as_a_person_says_them(seconds, said):
    from skscale.utils._text import duration

    assert duration(seconds) == said


def test_available_memory_and_sizes():
    from skscale.utils._memory import available_memory, size_text

    room = available_memory()
    assert room is None or room > 0
    assert size_text(301e6) == "301 MB"
    assert size_text(11.24e9) == "11.2 GB"


def test_an_address_space_limit_counts_as_the_memory_left():
    import subprocess
    import sys

    pytest.importorskip("resource")
    code = (
        "import resource; "
        "resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, resource.RLIM_INFINITY)); "
        "from skscale.utils._memory import available_memory; "
        "print(available_memory())"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    room = int(run.stdout)
    # what the limit leaves past the interpreter's own mappings
    assert 0 < room < 4 * 2**30
