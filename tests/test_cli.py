import subprocess
import sys

import pytest

from skscale.cli import main


def test_demo_prints_before_and_after(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "raw" in out and "z-scored" in out
    assert "proline" in out  # the feature that owns PC1 of the raw wine data


def test_unknown_command_exits_with_usage(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["frobnicate"])
    assert excinfo.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_python_dash_m_runs_the_command():
    result = subprocess.run(
        [sys.executable, "-m", "skscale", "demo"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "5-fold accuracy" in result.stdout
