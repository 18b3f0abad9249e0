"""Every notebook runs in a fresh kernel and shows the figures it draws.

The notebooks are executed here, not by ``pytest --nbmake``, so that the test
can read their outputs: a cell that draws (``.plot(``, ``plot_``,
``plt.subplots``) but shows no image is a failure, as a report whose ``plot()``
returned a bare Figure that Jupyter never displayed once was.
"""

import re
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
DRAWS = re.compile(r"\.plot\(|plot_|plt\.subplots")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_the_notebooks_are_found():
    assert len(NOTEBOOKS) >= 4, NOTEBOOKS


def _first_error(notebook):
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                return index, cell, output
    return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_and_shows_its_figures(path, monkeypatch):
    # a fresh kernel chooses the inline backend, which sends figures as PNG,
    # only when MPLBACKEND does not already name another (Agg shows nothing)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    found = None
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError:
        found = _first_error(notebook)
        if found is None:
            raise
    if found is not None:  # failed outside the except: no chained, coloured copy
        index, cell, error = found
        traceback = ANSI.sub("", "\n".join(error.traceback))
        pytest.fail(
            f"{path.name}: cell {index} (counted from 0, markdown included) raised "
            f"{error.ename}: {error.evalue}\n--- cell {index} ---\n{cell.source}\n"
            f"--- traceback ---\n{traceback}",
            pytrace=False,
        )
    blank = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and DRAWS.search(cell.source)
        and not any("image/png" in output.get("data", {}) for output in cell.outputs)
    ]
    assert not blank, (
        f"{path.name}: cells {blank} draw a figure but show no image/png output"
    )
