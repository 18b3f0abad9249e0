"""Blocks of elementwise work on the machine's cores.

NumPy's ufuncs release the GIL, so an elementwise map (a logarithm over
millions of stored values) split into blocks runs on every core from a pool
of threads, each block written into its own slice of the output. Each block
runs in a copy of the caller's context, so that ``np.errstate`` (overflow
watches, ignored warnings) holds in the worker threads as in the caller.
"""

import contextvars
import os
from concurrent.futures import ThreadPoolExecutor

# Below this many values in all, one thread: starting the pool costs more.
_PARALLEL_FROM = 1 << 20


def _workers():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def run_blocks(tasks, n_values):
    """Call each of ``tasks`` (functions of no argument, each writing its own
    part of an output), on threads when ``n_values`` is large; exceptions
    are raised in the caller, the first block's first."""
    workers = min(_workers(), len(tasks))
    if workers <= 1 or n_values < _PARALLEL_FROM:
        for task in tasks:
            task()
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(contextvars.copy_context().run, task) for task in tasks]
        for future in futures:
            future.result()
