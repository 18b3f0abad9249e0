"""The compiled kernels, the one thing pyproject.toml does not declare.

skscale/_backends/_kernels.c holds the fused single passes of the scalers' fits
and transforms. The extension is optional: where no C compiler is found the
install still succeeds and skscale runs the NumPy path, which gives the same
results. No -ffast-math: the kernels keep NumPy's order of operations, and
-ffp-contract=off stops the compiler fusing a multiply and an add. (Declared
here rather than in pyproject.toml, where setuptools still calls extension
modules experimental and says so on every install.)

The file uses only CPython's limited API (3.11 and later): the extension is
built as ``_kernels.abi3.so`` and a wheel is tagged ``cp311-abi3``, so one
wheel per platform serves every Python version from 3.11 on.
"""

import sys

from setuptools import Extension, setup

flags = [] if sys.platform == "win32" else ["-O3", "-ffp-contract=off"]

setup(
    ext_modules=[
        Extension(
            "skscale._backends._kernels",
            sources=["skscale/_backends/_kernels.c"],
            optional=True,
            extra_compile_args=flags,
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x030B0000")],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp311"}},
)
