"""Every module imports first, in a fresh interpreter: an import cycle shows
only in the order a user's first import takes (a notebook that starts with
``skscale.datasets`` found one that the suite, importing the package in its
own order, did not)."""

import pkgutil
import subprocess
import sys

import skscale

# the subpackages a user imports, and the shared modules that others import
# (where a cycle would start); each in an interpreter of its own, run side by
# side
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(skscale.__path__, "skscale.")
    if not info.name.endswith("._kernels")
    and (
        info.ispkg
        or info.name.startswith(("skscale._backends.", "skscale.utils."))
        or info.name == "skscale.cli"
    )
)


def test_every_module_imports_first():
    runs = {
        module: subprocess.Popen(
            [sys.executable, "-c", f"import {module}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for module in MODULES
    }
    failed = {}
    for module, run in runs.items():
        _, err = run.communicate(timeout=300)
        if run.returncode:
            failed[module] = err[-1500:]
    assert not failed, failed
    assert "skscale._backends.dense" in MODULES
