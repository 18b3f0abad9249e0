"""Timing shared by the benchmarks: the same rules on both sides of every ratio.

- ``best_of``: one warm-up run (imports, caches, first-touch page faults, lazy
  thread pools), then the best of ``repeat`` runs, each after a garbage
  collection: the best run is the one least disturbed by the rest of the
  machine, and it is taken the same way for skscale and for scikit-learn.
- ``print_environment``: the machine's cores, the thread pools of the BLAS and
  of OpenMP (threadpoolctl), the library versions and whether skscale's
  compiled kernels are in use, printed at the top of
  every benchmark, so that a table says what it was measured with.

The benchmarks run as scripts (``python benchmarks/bench_x.py``), which puts
this folder on ``sys.path``: they import this module as ``_timing``.
"""

import gc
import math
import os
import platform
import time


def best_of(func, repeat=5, *, warmup=1):
    """``(result, seconds)``: the last result and the best time of ``repeat`` runs.

    ``warmup`` untimed runs come first; ``warmup=0`` times a cold first run
    (used where a second run would measure a cache, not the work).
    """
    for _ in range(warmup):
        func()
    best, result = math.inf, None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return result, best


def print_environment():
    """One comment block: cores, BLAS/OpenMP threads, versions."""
    import numpy
    import pandas
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    import skscale

    print(
        f"# {platform.python_implementation()} {platform.python_version()} on "
        f"{os.cpu_count()} cores; numpy {numpy.__version__}, scipy "
        f"{scipy.__version__}, pandas {pandas.__version__}, scikit-learn "
        f"{sklearn.__version__}, skscale {skscale.__version__}"
    )
    from skscale._backends import _compiled

    print(
        "# compiled kernels: "
        + (
            "in use"
            if _compiled.available()
            else "not in use (not built, or SKSCALE_NO_COMPILED): the NumPy path"
        )
    )
    pools = threadpool_info()
    if not pools:
        print("# thread pools: none found (threadpoolctl)")
    for pool in pools:
        print(
            f"# threads: {pool['user_api']} ({pool['internal_api']}) "
            f"{pool['num_threads']}"
        )
